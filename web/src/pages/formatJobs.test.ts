import { describe, expect, it } from "vitest";

import { fileUrl, formatJobState, formatsFor, importQuery, managesAs, type FormatInfo, type Job } from "./formatJobs";

const FORMATS: FormatInfo[] = [
  { name: "yolo", title: "YOLO", read: true, write: true, not_carried: [] },
  { name: "kitti", title: "KITTI", read: true, write: false, not_carried: [] },
  { name: "coco", title: "COCO", read: true, write: true, not_carried: ["links"] },
  { name: "parquet", title: "Parquet", read: false, write: true, not_carried: [] },
];

function job(part: Partial<Job>): Job {
  return {
    id: "j1",
    project_id: "p",
    kind: "format-import",
    target: "p",
    params: {},
    status: "queued",
    progress: 0,
    message: null,
    result: null,
    error: null,
    checkpoint: null,
    actor: "meg",
    attempts: 0,
    worker: null,
    heartbeat_at: null,
    created_at: 0,
    updated_at: 0,
    ...part,
  };
}

describe("formatsFor", () => {
  it("offers the formats Rosetta reads for import and writes for export, by name", () => {
    expect(formatsFor(FORMATS, "read").map((f) => f.name)).toEqual(["coco", "kitti", "yolo"]);
    expect(formatsFor(FORMATS, "write").map((f) => f.name)).toEqual(["coco", "parquet", "yolo"]);
  });
});

describe("managesAs", () => {
  it("lets managers and admins import and export", () => {
    expect(["annotator", "reviewer", "manager", "admin"].filter(managesAs)).toEqual(["manager", "admin"]);
  });
});

describe("importQuery", () => {
  it("sends the file's name and leaves blank fields out", () => {
    const form = { format: "coco", mapping: "  ", mediaRoot: "", defaultLabel: " ", newIds: false };
    expect(importQuery(form, "instances.json")).toEqual({
      format: "coco",
      filename: "instances.json",
      mapping: undefined,
      media_root: undefined,
      default_label: undefined,
      new_ids: false,
    });
  });

  it("sends the mapping as written and the other fields trimmed", () => {
    const mapping = "labels:\n  a: person\n";
    const form = { format: "voc", mapping, mediaRoot: " images/ ", defaultLabel: "cue", newIds: true };
    expect(importQuery(form, "voc.zip")).toEqual({
      format: "voc",
      filename: "voc.zip",
      mapping,
      media_root: "images/",
      default_label: "cue",
      new_ids: true,
    });
  });
});

describe("formatJobState", () => {
  it("follows a job until it finishes", () => {
    expect(formatJobState(job({}))).toEqual({ finished: false, failed: false, text: "Queued: waiting for a worker…" });
    expect(formatJobState(job({ status: "running", progress: 0.5, message: "1 of 2 samples written" }))).toEqual({
      finished: false,
      failed: false,
      text: "Importing: 50% · 1 of 2 samples written",
    });
    expect(formatJobState(job({ kind: "format-export", status: "running", progress: 0.25 })).text).toBe(
      "Exporting: 25%",
    );
  });

  it("says what an import and an export did", () => {
    const imported = job({
      status: "done",
      result: { samples_written: 1, samples_skipped: 2, annotations: 5, dropped: { head: 1 } },
    });
    expect(formatJobState(imported)).toEqual({
      finished: true,
      failed: false,
      text: "Imported 1 sample (2 already there), 5 annotations, 1 “head” dropped.",
    });
    const exported = job({ kind: "format-export", status: "done", result: { samples: 3, annotations: 1 } });
    expect(formatJobState(exported).text).toBe("Exported 3 samples, 1 annotation.");
  });

  it("gives the reason a job failed, every unmapped label with it", () => {
    const error = "2 label(s) map to no class of the ontology; ...:\n  'a': 1 annotations\n  'b': 1 annotations";
    expect(formatJobState(job({ status: "failed", error }))).toEqual({
      finished: true,
      failed: true,
      text: `The import failed: ${error}`,
    });
    expect(formatJobState(job({ kind: "format-export", status: "cancelled" }))).toEqual({
      finished: true,
      failed: true,
      text: "The export was cancelled.",
    });
  });
});

describe("fileUrl", () => {
  it("encodes each part of a file's path but keeps its folders", () => {
    expect(fileUrl("j 1", "labels/train/a b#1.txt")).toBe("/api/jobs/j%201/files/labels/train/a%20b%231.txt");
  });
});
