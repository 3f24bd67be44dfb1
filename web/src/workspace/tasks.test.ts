import { describe, expect, it } from "vitest";

import { countdown, leaseLeft, scoreText, taskActions, taskTitle, trainingOf, type Task } from "./tasks";

const task = (fields: Partial<Task> = {}): Task => ({
  id: "t1",
  project: "p1",
  sample: "s1",
  stage: "annotate",
  slot: 0,
  status: "leased",
  user: "ada",
  lease_expires_at: 1000,
  priority: 0,
  comment: null,
  created_at: 1,
  updated_at: 2,
  kind: "work",
  ...fields,
});

describe("trainingOf", () => {
  const names = (id: string): string => ({ cam: "photo" })[id] ?? id;

  it("reads a handed-in training task's score and feedback in words, dropping unknown items", () => {
    const handed = task({
      status: "submitted",
      kind: "training",
      score: 0.5,
      feedback: [
        {
          kind: "wrong_label",
          reference: "r2",
          submitted: "w2",
          stream: "cam",
          modality: "image",
          label: "car",
          given: "truck",
        },
        { kind: "missed", reference: "r3", stream: "cam", modality: "image", label: "car", geometry: {} },
        { kind: "extra", submitted: "w9", stream: null, modality: "sample", label: "night" },
        { kind: "link_missed", reference: "l1", type: "drives", source: "r1", target: "r3" },
        { kind: "link_extra", submitted: "l7", type: "drives", source: "w1", target: "w2" },
        { kind: "something new" },
      ],
    });
    expect(trainingOf(handed, names)).toEqual({
      score: 0.5,
      remarks: [
        { kind: "wrong_label", object: "w2", message: "Labelled “truck” on photo: the reference says “car”" },
        { kind: "missed", object: null, message: "Missed: a “car” on photo" },
        { kind: "extra", object: "w9", message: "Extra: your “night” on the whole sample is not in the reference" },
        { kind: "link_missed", object: null, message: "Missed: a “drives” link" },
        { kind: "link_extra", object: "l7", message: "Extra: your “drives” link is not in the reference" },
      ],
    });
  });

  it("answers nothing for other kinds and for a training task not yet scored", () => {
    expect(trainingOf(task({ kind: "gold", score: 1, feedback: [] }), names)).toBeNull();
    expect(trainingOf(task({ kind: "work" }), names)).toBeNull();
    expect(trainingOf(task({ kind: "training" }), names)).toBeNull();
    expect(trainingOf(task({ kind: "training", score: 1, feedback: [] }), names)).toEqual({ score: 1, remarks: [] });
  });
});

describe("taskActions", () => {
  it("offers submit and release on a leased annotate or adjudicate slot", () => {
    expect(taskActions(task())).toEqual({ submit: true, review: false, release: true });
    expect(taskActions(task({ stage: "adjudicate" }))).toEqual({ submit: true, review: false, release: true });
  });

  it("offers accept or reject and release on a leased review slot, never submit", () => {
    expect(taskActions(task({ stage: "review" }))).toEqual({ submit: false, review: true, release: true });
  });

  it("lets a returned slot be submitted again but not released", () => {
    expect(taskActions(task({ status: "returned", comment: "fix it" }))).toEqual({
      submit: true,
      review: false,
      release: false,
    });
  });

  it("offers nothing on a slot handed in or done", () => {
    for (const status of ["submitted", "done", "open"] as const) {
      expect(taskActions(task({ status }))).toEqual({ submit: false, review: false, release: false });
    }
  });
});

describe("lease countdown", () => {
  it("counts the seconds left on a live lease, none on a returned slot", () => {
    expect(leaseLeft(task({ lease_expires_at: 1000 }), 940_500)).toBeCloseTo(59.5);
    expect(leaseLeft(task({ status: "returned", lease_expires_at: null }), 0)).toBeNull();
    expect(leaseLeft(task({ status: "submitted" }), 0)).toBeNull();
  });

  it("writes minutes and seconds, hours when there are some, and expired at zero", () => {
    expect(countdown(59.5)).toBe("1:00");
    expect(countdown(245)).toBe("4:05");
    expect(countdown(3723)).toBe("1:02:03");
    expect(countdown(0)).toBe("expired");
    expect(countdown(-5)).toBe("expired");
  });
});

describe("names", () => {
  it("names the stage, and the kind unless plain work", () => {
    expect(taskTitle(task())).toBe("Annotate");
    expect(taskTitle(task({ kind: "work", stage: "review" }))).toBe("Review");
    expect(taskTitle(task({ kind: "training" }))).toBe("Annotate · training");
  });

  it("writes a score as a percentage", () => {
    expect(scoreText(0.756)).toBe("76%");
    expect(scoreText(null)).toBe("no score");
  });
});
