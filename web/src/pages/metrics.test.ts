import { describe, expect, it } from "vitest";

import {
  ALL_TIME,
  BY_PERSON,
  COLUMNS,
  WINDOWS,
  accuracyPoints,
  barTitle,
  cell,
  nextSort,
  slicePoints,
  sortRows,
  throughputPoints,
  windowQuery,
  type AnnotatorMetrics,
  type Metrics,
} from "./metrics";

const none = { value: null, count: 0 };

function metrics(handedIn: number, accuracy: number | null, extra: Partial<Metrics> = {}): Metrics {
  return {
    throughput: { handed_in: handedIn, active_seconds: 1800, per_hour: handedIn * 2 },
    accuracy: { overall: { value: accuracy, count: accuracy === null ? 0 : 1 }, modalities: {}, links: none },
    agreement: { mean: none, peers: {} },
    consistency: { annotations: 0, findings: 0, per_100: null },
    open_findings: 0,
    first_pass: { reviewed: 0, accepted: 0, rate: null },
    prelabels: {
      candidates: 0,
      unchanged: 0,
      acceptance: null,
      iou_distance: none,
      span_shift: none,
      interval_shift: none,
    },
    blind: { accuracy: none, agreement: none },
    shown: { accuracy: none, agreement: none },
    ...extra,
  };
}

function person(user: string, m: Metrics, series: AnnotatorMetrics["series"] = []): AnnotatorMetrics {
  return { user, metrics: m, series };
}

const column = (key: string) => {
  const found = COLUMNS.find((item) => item.key === key);
  if (found === undefined) throw new Error(key);
  return found;
};

describe("the table", () => {
  const rows = [person("cid", metrics(5, null)), person("ann", metrics(2, 0.9)), person("bob", metrics(7, 0.5))];

  it("sorts by person, then by a column descending, then flips it", () => {
    expect(sortRows(rows, BY_PERSON).map((row) => row.user)).toEqual(["ann", "bob", "cid"]);
    const byTasks = nextSort(BY_PERSON, "handed_in");
    expect(byTasks).toEqual({ key: "handed_in", descending: true });
    expect(sortRows(rows, byTasks).map((row) => row.user)).toEqual(["bob", "cid", "ann"]);
    const flipped = nextSort(byTasks, "handed_in");
    expect(sortRows(rows, flipped).map((row) => row.user)).toEqual(["ann", "cid", "bob"]);
  });

  it("puts people without a value last whichever way", () => {
    const down = { key: "accuracy", descending: true };
    expect(sortRows(rows, down).map((row) => row.user)).toEqual(["ann", "bob", "cid"]);
    expect(sortRows(rows, { ...down, descending: false }).map((row) => row.user)).toEqual(["bob", "ann", "cid"]);
  });

  it("formats cells, a dash for no value", () => {
    const first = rows[1];
    if (first === undefined) throw new Error("no row");
    expect(cell(column("accuracy"), first.metrics)).toBe("90%");
    expect(cell(column("active"), first.metrics)).toBe("0.5");
    expect(cell(column("first_pass"), first.metrics)).toBe("–");
    expect(cell(column("open_findings"), { ...first.metrics, open_findings: 3 })).toBe("3");
  });
});

describe("the windows", () => {
  it("ask for the last stretch of time, or all of it", () => {
    const day = WINDOWS[0];
    if (day === undefined) throw new Error("no window");
    expect(windowQuery(day, 100_000_000)).toEqual({ since: 100_000 - 86_400, bucket: 3600 });
    expect(windowQuery(ALL_TIME, 100_000_000)).toEqual({ bucket: 86_400 });
  });
});

describe("the plots' points", () => {
  it("turn each person's series into dated points", () => {
    const rows = [person("ann", metrics(3, null), [{ start: 3600, handed_in: 3 }])];
    expect(throughputPoints(rows, 3600)).toEqual([
      { user: "ann", time: new Date(3_600_000), end: new Date(7_200_000), handed_in: 3 },
    ]);
  });

  it("give a bar per modality with scores and for links", () => {
    const scored = metrics(1, 0.7, {
      accuracy: {
        overall: { value: 0.7, count: 2 },
        modalities: { image: { value: 0.7, count: 2 }, audio: none },
        links: { value: 0.5, count: 1 },
      },
    });
    expect(accuracyPoints([person("ann", scored)])).toEqual([
      { user: "ann", part: "image", value: 0.7, count: 2 },
      { user: "ann", part: "links", value: 0.5, count: 1 },
    ]);
  });

  it("give blind and shown bars of accuracy and agreement", () => {
    const sliced = metrics(1, null, {
      blind: { accuracy: { value: 0.6, count: 1 }, agreement: { value: 0, count: 1 } },
      shown: { accuracy: { value: 0.8, count: 1 }, agreement: none },
    });
    expect(slicePoints([person("ann", sliced)])).toEqual([
      { user: "ann", measure: "accuracy", slice: "blind", value: 0.6, count: 1 },
      { user: "ann", measure: "accuracy", slice: "shown", value: 0.8, count: 1 },
      { user: "ann", measure: "agreement", slice: "blind", value: 0, count: 1 },
    ]);
    expect(barTitle("ann", "image", 0.7, 2)).toBe("ann · image: 70% (2)");
  });
});
