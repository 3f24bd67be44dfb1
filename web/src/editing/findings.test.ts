import { describe, expect, it } from "vitest";

import {
  closedState,
  currentOf,
  findingActions,
  findingChange,
  findingTarget,
  groupFindings,
  MAX_REASON,
  reasonProblem,
  staleNotice,
  type Finding,
} from "./findings";

function finding(id: string, change: Partial<Finding> = {}): Finding {
  return {
    id,
    project: "p",
    sample: "portrait",
    check: "partial-alignment",
    severity: "info",
    status: "open",
    message: "region 'portrait.shuttle' (spacecraft) on 'portrait.photo' is not mentioned",
    fix: "link the words naming 'portrait.shuttle' to it",
    subjects: ["portrait.shuttle"],
    detail: {},
    revision: 1,
    first_seen: 100,
    last_seen: 100,
    status_changed_at: null,
    status_by: null,
    reason: null,
    ...change,
  };
}

describe("groupFindings", () => {
  it("lists open findings most severe first, then oldest first, and closed ones apart", () => {
    const items = [
      finding("late-info", { first_seen: 300 }),
      finding("waived-old", { status: "waived", status_changed_at: 50, reason: "fine" }),
      finding("warning", { severity: "warning", first_seen: 400 }),
      finding("early-info", { first_seen: 200 }),
      finding("resolved-new", { status: "resolved", status_changed_at: 900 }),
      finding("error", { severity: "error", first_seen: 500 }),
      finding("resolved-by-checks", { status: "resolved", last_seen: 600 }),
    ];
    const { open, closed } = groupFindings(items);
    expect(open.map((item) => item.id)).toEqual(["error", "warning", "early-info", "late-info"]);
    // the latest change first; one the checks closed counts from when they last saw it
    expect(closed.map((item) => item.id)).toEqual(["resolved-new", "resolved-by-checks", "waived-old"]);
  });

  it("breaks ties by check, then by id, and leaves its input as it was", () => {
    const items = [
      finding("b", { check: "stale-links" }),
      finding("c", { check: "partial-alignment" }),
      finding("a", { check: "partial-alignment" }),
    ];
    expect(groupFindings(items).open.map((item) => item.id)).toEqual(["a", "c", "b"]);
    expect(items.map((item) => item.id)).toEqual(["b", "c", "a"]);
    expect(groupFindings([])).toEqual({ open: [], closed: [] });
  });
});

describe("findingTarget", () => {
  it("is the first subject the work holds", () => {
    const stale = finding("f", { subjects: ["portrait.mentions-flag", "portrait.says-flag", "portrait.flag"] });
    expect(findingTarget(stale, () => true)).toBe("portrait.mentions-flag");
    const held = new Set(["portrait.flag", "portrait.says-flag"]);
    expect(findingTarget(stale, (id) => held.has(id))).toBe("portrait.says-flag");
    expect(findingTarget(stale, () => false)).toBeNull();
    expect(findingTarget(finding("g", { subjects: [] }), () => true)).toBeNull();
  });
});

describe("closedState", () => {
  it("says who closed a finding and why", () => {
    expect(closedState(finding("f", { status: "waived", status_by: "grace", reason: "the model is background" }))).toBe(
      "waived by grace: the model is background",
    );
    expect(closedState(finding("f", { status: "resolved", status_by: "grace" }))).toBe("resolved by grace");
    expect(closedState(finding("f", { status: "resolved", reason: "  " }))).toBe("resolved by the checks");
  });
});

describe("status changes", () => {
  it("offers waive and resolve on an open finding, reopen on a closed one", () => {
    expect(findingActions(finding("f"))).toEqual(["waive", "resolve"]);
    expect(findingActions(finding("f", { status: "waived" }))).toEqual(["reopen"]);
    expect(findingActions(finding("f", { status: "resolved" }))).toEqual(["reopen"]);
  });

  it("asks a reason to waive, none to resolve or reopen, and at most the server's length", () => {
    expect(reasonProblem("waive", " \n ")).toBe("Say why: a waived finding is not raised again.");
    expect(reasonProblem("waive", "background")).toBeNull();
    expect(reasonProblem("resolve", "")).toBeNull();
    expect(reasonProblem("reopen", "")).toBeNull();
    expect(reasonProblem("waive", "x".repeat(MAX_REASON + 1))).toBe(
      `At most ${MAX_REASON} characters (this has ${MAX_REASON + 1}).`,
    );
  });

  it("makes the PATCH body, a blank reason sent as none", () => {
    expect(findingChange("waive", "  background  ")).toEqual({ status: "waived", reason: "background" });
    expect(findingChange("resolve")).toEqual({ status: "resolved", reason: null });
    expect(findingChange("reopen", " ")).toEqual({ status: "open", reason: null });
  });
});

describe("a refused change", () => {
  it("reads the finding a 409 carries and says where it stands now", () => {
    const now = finding("f", { status: "waived", status_by: "ada", reason: "fine", revision: 2 });
    const current = currentOf({ type: "conflict", expected: 1, actual: 2, current: now });
    expect(current).toEqual(now);
    expect(staleNotice(current)).toBe(
      "This finding changed meanwhile (now waived by ada: fine): the list shows it as it is now.",
    );
    expect(staleNotice(finding("f"))).toBe("This finding changed meanwhile (now open): the list shows it as it is now.");
    expect(currentOf({ type: "conflict" })).toBeUndefined();
    expect(currentOf({ current: { name: "not a finding" } })).toBeUndefined();
    expect(staleNotice(undefined)).toBe("This finding changed meanwhile: the list shows it as it is now.");
  });
});
