// @vitest-environment jsdom
import { act, cleanup, render } from "@testing-library/react";
import { createElement, useEffect } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { EditingProvider, useEditing, type Editing } from "../editing/EditingProvider";
import type { Sample } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { sameTimedStreams, useWorkspace, WorkspaceProvider, type Workspace } from "../workspace/Workspace";

// the reviewer reads the sample's review when the workspace opens: no server here
vi.hoisted(() => {
  globalThis.fetch = async () =>
    new Response(JSON.stringify({ error: { type: "not_found", message: "no server in tests" } }), {
      status: 404,
      headers: { "content-type": "application/json" },
    });
});

afterEach(cleanup);

/** The sample as read again after a judgement was saved: its rationale is a new text stream. */
function withRationale(): Sample {
  const read = sample();
  const rationale = { id: "s1.rationale", name: "rationale", modality: "text" as const, text: "B names the cup." };
  return { ...read, streams: [...(read.streams ?? []), rationale] };
}

/** The workspace and its editing, as the panes see them after each render. */
function open(reopen: (sample: Sample, etag: string) => void): { now: () => { workspace: Workspace; editing: Editing } } {
  let seen: { workspace: Workspace; editing: Editing } | null = null;
  function Probe() {
    const workspace = useWorkspace();
    const editing = useEditing();
    useEffect(() => {
      seen = { workspace, editing };
    }, [workspace, editing]);
    return null;
  }
  const editing = createElement(EditingProvider, { ontology: null, canReview: false, children: createElement(Probe) });
  render(createElement(WorkspaceProvider, { sample: sample(), etag: '"1"', reopen, children: editing }));
  return {
    now: () => {
      if (seen === null) throw new Error("the workspace was not rendered");
      return seen;
    },
  };
}

describe("a preference sample read again after its judgement is saved", () => {
  it("is shown in the same workspace: undo history, clock, editing and unsaved edits stay", () => {
    const reopen = vi.fn();
    const { now } = open(reopen);
    const before = now();
    const { work, clock } = before.workspace;
    work.getState().updateAnnotation("a-box", { attributes: { role: "pilot" } });
    act(() => clock.seek(2));

    act(() => before.workspace.reread(withRationale(), '"2"'));

    const after = now();
    expect(reopen).not.toHaveBeenCalled();
    expect(after.workspace).not.toBe(before.workspace);
    expect(after.workspace.work).toBe(work);
    expect(after.workspace.clock).toBe(clock);
    expect(after.workspace.focus).toBe(before.workspace.focus);
    expect(after.editing.editor).toBe(before.editing.editor);
    expect(after.editing.saver).toBe(before.editing.saver);
    expect(after.workspace.sample.streams?.map((s) => s.id)).toContain("s1.rationale");
    expect(after.workspace.timeline.clock("s1.rationale")).toBeNull();
    expect(clock.time().toNumber()).toBe(2);
    expect(work.getState().etag).toBe('"2"');
    expect(work.getState().past).toHaveLength(1);
    expect(work.getState().work.annotations.find((a) => a.id === "a-box")?.attributes).toEqual({ role: "pilot" });
    expect(work.getState().undo()).toBe(true);
    expect(work.getState().work.annotations.find((a) => a.id === "a-box")?.attributes).toEqual({ role: "astronaut" });
  });

  it("goes to a fresh workspace when its time-based streams changed", () => {
    const reopen = vi.fn();
    const { now } = open(reopen);
    const before = now().workspace;
    const read = sample();
    const longer: Sample = {
      ...read,
      streams: (read.streams ?? []).map((s) => (s.id === "mic" ? { ...s, media: { ...s.media, duration: 12 } } : s)),
    };
    act(() => before.reread(longer, '"2"'));
    expect(reopen).toHaveBeenCalledWith(longer, '"2"');
    expect(now().workspace).toBe(before);
    expect(before.work.getState().etag).toBe('"1"');
  });
});

describe("sameTimedStreams", () => {
  it("ignores streams without time and tells any change to one with time", () => {
    expect(sameTimedStreams(sample(), withRationale())).toBe(true);
    const read = sample();
    const moved: Sample = {
      ...read,
      streams: (read.streams ?? []).map((s) => (s.id === "mic" ? { ...s, clock: { rate: "16000", offset: "1" } } : s)),
    };
    expect(sameTimedStreams(read, moved)).toBe(false);
    expect(sameTimedStreams(read, { ...read, id: "s2" })).toBe(false);
    expect(sameTimedStreams(read, { ...read, streams: (read.streams ?? []).filter((s) => s.id !== "mic") })).toBe(
      false,
    );
  });
});
