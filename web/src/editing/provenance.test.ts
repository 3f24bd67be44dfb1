import { describe, expect, it } from "vitest";

import { sample } from "../work/testdata/sample";
import { describeEvent, modelName, promptWords, provenanceOf, type HistoryEvent } from "./provenance";
import { candidate } from "./testdata/modelServer";

/** An event of a history page, as `GET /api/objects/{id}/history` lists it. */
function event(action: string, before: unknown, after: unknown, overrides: Partial<HistoryEvent> = {}): HistoryEvent {
  return {
    pk: 7,
    object_kind: "annotation",
    object_id: "c-patch",
    sample_id: "s1",
    action,
    revision: 1,
    actor: "grace",
    tool: "api",
    tool_version: null,
    at: 1_700_000_000,
    before,
    after,
    note: null,
    ...overrides,
  };
}

describe("a model's provenance", () => {
  it("names the model, version, confidence, proposer, parameters and prompt", () => {
    const found = provenanceOf(candidate().source);
    expect(found).toEqual({
      model: "grabcut",
      version: "opencv 4.14.0",
      confidence: 0.92,
      proposer: "grabcut",
      parameters: { iterations: 5 },
      prompt: "box 40×50 at 45,55",
    });
    expect(modelName(found as NonNullable<typeof found>)).toBe("grabcut opencv 4.14.0");
    expect(provenanceOf({ kind: "human" })).toBeNull();
    expect(provenanceOf({ kind: "model" })).toMatchObject({
      model: "unnamed model",
      version: null,
      proposer: null,
      prompt: "",
    });
  });

  it("puts a prompt in a few words", () => {
    expect(
      promptWords({
        points: [
          { x: 1, y: 2, positive: true },
          { x: 3, y: 4 },
          { x: 5, y: 6, positive: false },
        ],
        frame: 12,
      }),
    ).toBe("2 points on, 1 off · frame 12");
    expect(promptWords({ text: "x".repeat(70), interval: { type: "interval", start: 1.234, end: 2 } })).toBe(
      `text “${"x".repeat(59)}…” · 1.23–2 s`,
    );
    expect(promptWords({})).toBe("");
    expect(promptWords(null)).toBe("");
  });
});

describe("the history in words", () => {
  const made = candidate();
  const accepted = { ...made, revision: 2, author: "grace" };

  it("names a model's proposal with its provenance, by whom and with which tool", () => {
    const words = describeEvent(event("create", null, made));
    expect(words.action).toBe("proposed by model grabcut opencv 4.14.0");
    expect(words.who).toBe("asked by grace (api)");
    expect(words.provenance?.prompt).toBe("box 40×50 at 45,55");
  });

  it("names the decisions about a candidate, and what an edit changed", () => {
    expect(describeEvent(event("update", made, accepted)).action).toBe("accepted the model's candidate");
    const edited = { ...accepted, label: "object", geometry: { type: "box" as const, x: 1, y: 1, w: 2, h: 2 } };
    expect(describeEvent(event("update", made, edited)).action).toBe(
      "accepted the model's candidate, changing its label, geometry",
    );
    expect(describeEvent(event("delete", made, null)).action).toBe("rejected the model's candidate");
    expect(describeEvent(event("update", accepted, { ...accepted, label: "object", revision: 3 })).action).toBe(
      "changed its label",
    );
  });

  it("says what happened to other objects plainly", () => {
    const person = sample().annotations?.[0];
    expect(describeEvent(event("create", null, person, { tool: "rosetta-demo", tool_version: "0.1" }))).toMatchObject({
      action: "created",
      who: "by grace (rosetta-demo 0.1)",
      provenance: null,
    });
    expect(describeEvent(event("delete", person, null)).action).toBe("deleted");
    const link = { id: "l", type: "same-as", source: "a", target: "b", status: "confirmed", revision: 2 };
    const confirmed = event("confirm", null, link, { object_kind: "link", note: "checked", tool: null });
    expect(describeEvent(confirmed)).toMatchObject({
      action: "confirm",
      who: "by grace",
      note: "checked",
    });
  });
});
