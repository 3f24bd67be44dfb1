import { describe, expect, it } from "vitest";

import {
  annotatorRows,
  checkNames,
  checkRows,
  headlines,
  reportUrl,
  runState,
  runsChecksAs,
  score,
  type Job,
  type QualityReport,
} from "./quality";

describe("checkRows", () => {
  it("puts each check and severity on one row, most open first, then the more severe", () => {
    const rows = checkRows([
      { check: "partial-alignment", severity: "info", status: "open", count: 1 },
      { check: "stale-links", severity: "warning", status: "open", count: 1 },
      { check: "partial-alignment", severity: "info", status: "waived", count: 2 },
      { check: "ontology-conformance", severity: "error", status: "resolved", count: 4 },
      { check: "temporal-overlap", severity: "warning", status: "open", count: 3 },
      { check: "ontology-conformance", severity: "warning", status: "open", count: 1 },
    ]);
    expect(rows).toEqual([
      { check: "temporal-overlap", severity: "warning", open: 3, resolved: 0, waived: 0 },
      { check: "ontology-conformance", severity: "warning", open: 1, resolved: 0, waived: 0 },
      { check: "stale-links", severity: "warning", open: 1, resolved: 0, waived: 0 },
      { check: "partial-alignment", severity: "info", open: 1, resolved: 0, waived: 2 },
      { check: "ontology-conformance", severity: "error", open: 0, resolved: 4, waived: 0 },
    ]);
    expect(checkRows([])).toEqual([]);
  });

  it("names each check once, in order", () => {
    expect(
      checkNames([
        { check: "stale-links", severity: "warning", status: "open", count: 1 },
        { check: "partial-alignment", severity: "info", status: "open", count: 1 },
        { check: "stale-links", severity: "warning", status: "resolved", count: 1 },
      ]),
    ).toEqual(["partial-alignment", "stale-links"]);
  });
});

describe("annotatorRows", () => {
  it("puts each annotator on one row, most open first, then by name", () => {
    expect(
      annotatorRows([
        { annotator: "bea", status: "waived", count: 1 },
        { annotator: "ada", status: "open", count: 2 },
        { annotator: "cy", status: "open", count: 2 },
        { annotator: "bea", status: "open", count: 1 },
        { annotator: "ada", status: "resolved", count: 5 },
      ]),
    ).toEqual([
      { annotator: "ada", open: 2, resolved: 5, waived: 0 },
      { annotator: "cy", open: 2, resolved: 0, waived: 0 },
      { annotator: "bea", open: 1, resolved: 0, waived: 1 },
    ]);
  });
});

const REPORT: QualityReport = {
  project: "p",
  name: "rosetta-demo",
  ontology_version: 1,
  generated_at: "2026-01-01T00:00:00+00:00",
  totals: { samples: 5, annotations: 28, links: 17, entities: 5 },
  within: [
    { modality: "image", family: "region", samples: 2, pairs: 3, matched: 5, unmatched: 1, f1: 0.8333333333 },
    { modality: "text", family: "span", samples: 1, pairs: 1, matched: 0, unmatched: 0, f1: null },
  ],
  classes: [],
  confusions: [],
  links: { samples: 1, pairs: 2, f1: 0.5, alpha: 0.4166666667, per_type: [], entity_f1: 1, entity_alpha: null },
  findings: { by_check: [], over_time: [], per_annotator: [] },
  drift: [],
  holistic: { reviewed: 0, verdicts: {}, reasons: [] },
};

describe("headlines", () => {
  it("lists link and entity agreement, then each modality's F1, with what they rest on", () => {
    expect(headlines(REPORT).map((item) => [item.label, score(item.value), item.basis])).toEqual([
      ["Link F1", "0.50", "2 pairs on 1 sample"],
      ["Link α (Krippendorff)", "0.42", "2 pairs on 1 sample"],
      ["Entity F1", "1.00", "2 pairs on 1 sample"],
      ["Entity α (Krippendorff)", "–", "2 pairs on 1 sample"],
      ["image region F1", "0.83", "3 pairs on 2 samples"],
      ["text span F1", "–", "1 pair on 1 sample"],
    ]);
    expect(new Set(headlines(REPORT).map((item) => item.key)).size).toBe(6);
  });
});

function job(change: Partial<Job>): Job {
  return {
    id: "j1",
    project_id: "p",
    kind: "qa",
    target: "p",
    params: {},
    status: "queued",
    progress: 0,
    message: null,
    result: null,
    error: null,
    checkpoint: null,
    actor: "admin",
    attempts: 0,
    worker: null,
    heartbeat_at: null,
    created_at: 0,
    updated_at: 0,
    ...change,
  };
}

describe("runState", () => {
  it("follows a run of the checks until it ends", () => {
    expect(runState(job({}))).toEqual({ finished: false, failed: false, text: "Queued: waiting for a worker…" });
    expect(runState(job({ status: "running", progress: 0.4, message: "2 of 5" }))).toEqual({
      finished: false,
      failed: false,
      text: "Checking the samples: 40% · 2 of 5",
    });
    expect(runState(job({ status: "cancelling" })).finished).toBe(false);
    expect(runState(job({ status: "done", progress: 1, result: { samples: 5 } }))).toEqual({
      finished: true,
      failed: false,
      text: "Checks done: 5 samples checked.",
    });
    expect(runState(job({ status: "done", result: { samples: 1 } })).text).toBe("Checks done: 1 sample checked.");
    expect(runState(job({ status: "done" })).text).toBe("Checks done.");
    expect(runState(job({ status: "failed", error: "no such check" }))).toEqual({
      finished: true,
      failed: true,
      text: "The run failed: no such check",
    });
    expect(runState(job({ status: "cancelled" }))).toMatchObject({ finished: true, failed: true });
  });
});

describe("the page's links and rights", () => {
  it("points at the full report and lets managers run the checks", () => {
    expect(reportUrl("rosetta demo/1")).toBe("/api/projects/rosetta%20demo%2F1/qa/report.html");
    expect(["annotator", "reviewer", "manager", "admin"].map(runsChecksAs)).toEqual([false, false, true, true]);
  });
});
