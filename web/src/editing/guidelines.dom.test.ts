// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, within } from "@testing-library/react";
import { createElement, Fragment, useEffect, type ComponentType } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import { sample } from "../work/testdata/sample";
import { WorkspaceProvider, useWorkspace, type Workspace } from "../workspace/Workspace";
import { EditingProvider, useEditing, type Editing } from "./EditingProvider";
import { Inspector } from "./Inspector";
import { LabelPicker } from "./LabelPicker";
import { LinkMenu } from "./LinkMenu";

// the reviewer reads the sample's review when the workspace opens: no server here
vi.hoisted(() => {
  globalThis.fetch = async () =>
    new Response(JSON.stringify({ error: { type: "not_found", message: "no server in tests" } }), {
      status: 404,
      headers: { "content-type": "application/json" },
    });
});

const demo = new OntologyIndex(CASES.demo);

/** Runs `run` on the workspace and its editing once they are made. */
function Driver({ run }: { run: (workspace: Workspace, editing: Editing) => void }) {
  const workspace = useWorkspace();
  const editing = useEditing();
  useEffect(() => run(workspace, editing), [workspace, editing, run]);
  return null;
}

/** The demo-like sample's workspace with `dialog` in it, after `run`. */
function open(dialog: ComponentType, run: (workspace: Workspace, editing: Editing) => void) {
  const inside = createElement(Fragment, null, createElement(Driver, { run }), createElement(dialog));
  const editing = createElement(EditingProvider, { ontology: demo, canReview: false, children: inside });
  return render(createElement(WorkspaceProvider, { sample: sample(), etag: '"1"', children: editing }));
}

/** The guideline shown beside a dialog's list. */
const aside = (): HTMLElement => document.querySelector<HTMLElement>(".guideline-aside") as HTMLElement;
/** What the guideline beside the list is about. */
const subject = (): string | null => within(aside()).getByRole("heading", { level: 3 }).textContent;
const highlighted = (): string | null =>
  document.querySelector('[role="option"][aria-selected="true"]')?.textContent ?? null;

afterEach(cleanup);

describe("the label picker", () => {
  const box = { type: "box", x: 10, y: 10, w: 50, h: 40 } as const;
  const labelNewBox = (_: Workspace, editing: Editing): void =>
    editing.editor.getState().askLabel({ for: "new", stream: "photo", geometry: box });

  it("shows the highlighted class's guideline, following the arrow keys", () => {
    open(LabelPicker, labelNewBox);
    const search = document.querySelector("input") as HTMLInputElement;
    const panel = aside();

    expect(highlighted()).toContain("thing");
    expect(subject()).toBe("thing");
    expect(panel.textContent).toContain("No guideline for thing.");

    fireEvent.keyDown(search, { key: "ArrowDown" });
    expect(highlighted()).toContain("person");
    expect(panel.querySelector(".guideline p")?.textContent).toMatch(/^A human being, wherever they appear/);
    expect(within(panel).getByRole("list", { name: "Counter-examples" }).textContent).toContain("mannequin");
    expect(panel.querySelector("time")?.getAttribute("datetime")).toBe("2025-03-04");

    fireEvent.keyDown(search, { key: "ArrowDown" });
    fireEvent.keyDown(search, { key: "ArrowDown" });
    expect(highlighted()).toContain("cat");
    const examples = within(panel).getByRole("list", { name: "Examples" });
    expect(examples.textContent).toContain("The tabby cat on the second still");
    const links = within(examples).getAllByRole("link");
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "/app/s/slideshow?select=slideshow.still-2.cat",
      "/app/s/slideshow?select=slideshow.track-2",
    ]);
    expect(links[0]?.getAttribute("target")).toBe("_blank");

    fireEvent.keyDown(search, { key: "ArrowDown" });
    fireEvent.keyDown(search, { key: "ArrowDown" });
    expect(highlighted()).toContain("car");
    expect(panel.textContent).toContain("The guideline of vehicle:");
    expect(panel.textContent).toContain("built to carry people or goods");

    fireEvent.keyDown(search, { key: "ArrowUp" });
    expect(subject()).toBe("vehicle");
    expect(panel.textContent).not.toContain("The guideline of");
  });

  it("follows the search: the best match's guideline is shown", () => {
    open(LabelPicker, labelNewBox);
    const search = document.querySelector("input") as HTMLInputElement;
    fireEvent.change(search, { target: { value: "flag" } });
    expect(subject()).toBe("flag");
    expect(aside().textContent).toContain("A flag or banner of cloth");
  });
});

describe("the link menu", () => {
  it("shows the highlighted relation type's guideline", () => {
    open(LinkMenu, (_, editing) => editing.editor.getState().askLink({ source: "a-span", target: "a-box" }));
    const list = document.querySelector('[role="listbox"]') as HTMLElement;

    expect(highlighted()).toContain("refers-to");
    expect(aside().querySelector(".guideline p")?.textContent).toMatch(/^From words to the thing they name/);
    const examples = within(aside()).getByRole("list", { name: "Examples" });
    expect(within(examples).getAllByRole("link")[0]?.getAttribute("href")).toBe(
      "/app/s/portrait?select=portrait.mentions-astronaut",
    );
    expect(aside().querySelector(".clarifications dd")?.textContent).toBe(
      "Yes, to the box of the part that is visible.",
    );

    fireEvent.keyDown(list, { key: "ArrowDown" });
    expect(highlighted()).toContain("same-as");
    expect(subject()).toBe("same-as");
    expect(aside().textContent).toContain("No guideline for same-as.");
  });
});

describe("the inspector", () => {
  it("offers the selected annotation's class guideline, and a link's, on demand", () => {
    let workspace: Workspace | null = null;
    open(Inspector, (w) => {
      workspace = w;
      w.focus.getState().select(["a-box"]);
    });
    const disclosure = document.querySelector("details.guideline-disclosure") as HTMLDetailsElement;
    expect(disclosure.open).toBe(false);
    expect(disclosure.querySelector("summary")?.textContent).toBe("Guideline");
    expect(disclosure.querySelector(".guideline p")?.textContent).toMatch(/^A human being/);

    act(() => workspace?.focus.getState().select(["l-refers"]));
    const forLink = document.querySelector("details.guideline-disclosure") as HTMLDetailsElement;
    expect(forLink.querySelector(".guideline p")?.textContent).toMatch(/^From words to the thing they name/);
  });
});
