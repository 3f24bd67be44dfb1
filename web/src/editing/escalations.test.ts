import { describe, expect, it } from "vitest";

import { OntologyIndex, type ClassDef } from "../ontology/ontology";
import {
  canWithdraw,
  clarifiesAs,
  clarifyBody,
  clarifyTargets,
  escalationState,
  guidelineOf,
  MAX_QUESTION,
  targetKey,
  targetOf,
  textProblem,
  type Escalation,
} from "./escalations";

const guideline = { text: "How to draw it." };
const cls = (name: string, more: Partial<ClassDef> = {}): ClassDef => ({ name, deprecated: false, ...more });
const ontology = new OntologyIndex({
  name: "demo",
  version: 3,
  classes: [
    cls("thing"),
    cls("person", { parent: "thing", guideline }),
    cls("child", { parent: "person" }),
    cls("cat", { parent: "thing", guideline }),
  ],
  relations: [
    { name: "refers-to", directed: true, deprecated: false, guideline },
    { name: "same-as", directed: false, deprecated: false },
  ],
});

function escalation(change: Partial<Escalation> = {}): Escalation {
  return {
    id: "e1",
    project: "p",
    sample: "s1",
    about: null,
    asked_by: "ada",
    question: "Is a helmet part of the person?",
    asked_at: 1,
    status: "open",
    answer: null,
    answered_by: null,
    answered_at: null,
    clarified: null,
    ...change,
  };
}

describe("textProblem", () => {
  it("refuses blank and over-long text and takes the rest", () => {
    expect(textProblem("  \n ", MAX_QUESTION)).toBe("Write something first.");
    expect(textProblem("x".repeat(MAX_QUESTION + 1), MAX_QUESTION)).toBe("At most 2000 characters (this has 2001).");
    expect(textProblem("Is it?", MAX_QUESTION)).toBeNull();
  });
});

describe("clarifyTargets", () => {
  it("offers the classes and relations with a guideline of their own, classes first", () => {
    expect(clarifyTargets(ontology).map(targetKey)).toEqual(["class:person", "class:cat", "relation:refers-to"]);
  });

  it("reads a target back from its key, names with colons included", () => {
    expect(targetOf("class:person")).toEqual({ kind: "class", name: "person" });
    expect(targetOf("relation:a:b")).toEqual({ kind: "relation", name: "a:b" });
    expect(targetOf("entity:x")).toBeNull();
    expect(targetOf("class:")).toBeNull();
  });

  it("builds the request naming the class or the relation and the version seen", () => {
    expect(clarifyBody({ kind: "class", name: "person" }, 3)).toEqual({ class: "person", expected_version: 3 });
    expect(clarifyBody({ kind: "relation", name: "refers-to" }, 4)).toEqual({
      relation: "refers-to",
      expected_version: 4,
    });
  });
});

describe("escalationState", () => {
  it("says whether it is open, answered (by whom, when shown) or in a guideline", () => {
    expect(escalationState(escalation())).toBe("open");
    expect(escalationState(escalation({ status: "withdrawn" }))).toBe("withdrawn");
    expect(escalationState(escalation({ status: "answered", answered_by: "grace" }))).toBe("answered by grace");
    expect(escalationState(escalation({ status: "answered" }))).toBe("answered");
    const clarified = { kind: "class" as const, name: "person", version: 3, by: "admin", at: 2 };
    expect(escalationState(escalation({ status: "answered", answered_by: "grace", clarified }))).toBe(
      "answered by grace · in the guideline of person (v3)",
    );
    expect(guidelineOf({ ...clarified, kind: "relation", name: "refers-to" })).toBe(
      "the guideline of relation refers-to (v3)",
    );
  });
});

describe("who may do what", () => {
  it("lets only the asker withdraw, only while open", () => {
    expect(canWithdraw(escalation(), "ada")).toBe(true);
    expect(canWithdraw(escalation(), "grace")).toBe(false);
    expect(canWithdraw(escalation(), undefined)).toBe(false);
    expect(canWithdraw(escalation({ status: "answered" }), "ada")).toBe(false);
  });

  it("lets managers and admins clarify guidelines", () => {
    expect(["annotator", "reviewer", "manager", "admin"].map(clarifiesAs)).toEqual([false, false, true, true]);
  });
});
