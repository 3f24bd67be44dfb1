/**
 * The annotator metrics dashboard's pure parts: the time windows it offers, the table's
 * columns and sorting, and the rows each plot draws
 * (`GET /api/projects/{project}/metrics/annotators`).
 */
import type { Schemas } from "../api/client";

export type ProjectMetrics = Schemas["ProjectMetrics"];
export type AnnotatorMetrics = Schemas["AnnotatorMetrics"];
export type Metrics = Schemas["Metrics"];

/** A time window the page offers: the last `seconds` (null: all time), its bucket. */
export interface MetricsWindow {
  key: string;
  label: string;
  seconds: number | null;
  bucket: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** All time, the page's first window. */
export const ALL_TIME: MetricsWindow = { key: "all", label: "All time", seconds: null, bucket: DAY };

export const WINDOWS: readonly MetricsWindow[] = [
  { key: "day", label: "Last 24 hours", seconds: DAY, bucket: HOUR },
  { key: "week", label: "Last 7 days", seconds: 7 * DAY, bucket: 6 * HOUR },
  { key: "month", label: "Last 30 days", seconds: 30 * DAY, bucket: DAY },
  ALL_TIME,
];

/** The query of a window at `now` (milliseconds since the epoch): `since` in seconds. */
export function windowQuery(window: MetricsWindow, now: number): { since?: number; bucket: number } {
  if (window.seconds === null) return { bucket: window.bucket };
  return { since: Math.floor(now / 1000) - window.seconds, bucket: window.bucket };
}

/** A numeric column of the annotators' table. */
export interface Column {
  key: string;
  label: string;
  /** What the column means, shown as the header's tooltip. */
  title: string;
  value: (metrics: Metrics) => number | null;
  format: (value: number) => string;
}

const share = (value: number): string => `${Math.round(value * 100)}%`;
const count = (value: number): string => String(value);
const fixed = (digits: number) => (value: number) => value.toFixed(digits);

export const COLUMNS: readonly Column[] = [
  { key: "handed_in", label: "Tasks", title: "Tasks handed in", value: (m) => m.throughput.handed_in, format: count },
  {
    key: "active",
    label: "Active h",
    title: "Active hours (lease to hand-in, overlaps merged)",
    value: (m) => m.throughput.active_seconds / HOUR,
    format: fixed(1),
  },
  { key: "per_hour", label: "Tasks/h", title: "Tasks per active hour", value: (m) => m.throughput.per_hour, format: fixed(1) },
  {
    key: "accuracy",
    label: "Gold accuracy",
    title: "Mean score against gold",
    value: (m) => m.accuracy.overall.value,
    format: share,
  },
  {
    key: "agreement",
    label: "Agreement",
    title: "Mean agreement with overlap peers",
    value: (m) => m.agreement.mean.value,
    format: share,
  },
  {
    key: "findings",
    label: "Findings/100",
    title: "Flagged annotations and stale links per 100 annotations",
    value: (m) => m.consistency.per_100,
    format: fixed(1),
  },
  {
    key: "open_findings",
    label: "QA findings",
    title: "Open findings of the QA checks about the person's work",
    value: (m) => m.open_findings,
    format: count,
  },
  {
    key: "first_pass",
    label: "First pass",
    title: "Reviewed samples accepted without a return first",
    value: (m) => m.first_pass.rate,
    format: share,
  },
  {
    key: "prelabels",
    label: "Pre-labels kept",
    title: "Model candidates accepted unchanged",
    value: (m) => m.prelabels.acceptance,
    format: share,
  },
  {
    key: "iou_distance",
    label: "Box edit",
    title: "Mean IoU distance of edited model boxes and polygons",
    value: (m) => m.prelabels.iou_distance.value,
    format: fixed(2),
  },
];

/** The table's order: by person, or by a column's key; descending or not. */
export interface Sort {
  key: string;
  descending: boolean;
}

export const BY_PERSON: Sort = { key: "user", descending: false };

/** The order after clicking the header of `key`: the same column again flips it; another
 * starts descending for numbers, ascending for people. */
export function nextSort(current: Sort, key: string): Sort {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key !== "user" };
}

/** The rows in `sort`'s order; empty values (null) last either way, ties by name. */
export function sortRows(rows: readonly AnnotatorMetrics[], sort: Sort): AnnotatorMetrics[] {
  const column = COLUMNS.find((item) => item.key === sort.key);
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (column === undefined) return sign * a.user.localeCompare(b.user);
    const x = column.value(a.metrics);
    const y = column.value(b.metrics);
    if (x === null || y === null) {
      if (x === y) return a.user.localeCompare(b.user);
      return x === null ? 1 : -1;
    }
    return x === y ? a.user.localeCompare(b.user) : sign * (x - y);
  });
}

/** A cell's text: the formatted value, or a dash for none. */
export function cell(column: Column, metrics: Metrics): string {
  const value = column.value(metrics);
  return value === null ? "–" : column.format(value);
}

/** One bucket of one person's throughput: from `time` to `end`. */
export interface ThroughputPoint {
  user: string;
  time: Date;
  end: Date;
  handed_in: number;
}

/** The throughput plot's points: each person's tasks per bucket of `bucket` seconds. */
export function throughputPoints(rows: readonly AnnotatorMetrics[], bucket: number): ThroughputPoint[] {
  return rows.flatMap((row) =>
    row.series.map((point) => ({
      user: row.user,
      time: new Date(point.start * 1000),
      end: new Date((point.start + bucket) * 1000),
      handed_in: point.handed_in,
    })),
  );
}

/** One bar of the accuracy plot: a person's mean score on a modality or on links. */
export interface AccuracyPoint {
  user: string;
  part: string;
  value: number;
  count: number;
}

/** The accuracy plot's bars: per person, each modality with scores, then links. */
export function accuracyPoints(rows: readonly AnnotatorMetrics[]): AccuracyPoint[] {
  return rows.flatMap((row) => {
    const { modalities, links } = row.metrics.accuracy;
    const parts = Object.entries(modalities).map(([part, mean]) => ({ part, mean }));
    parts.push({ part: "links", mean: links });
    return parts.flatMap(({ part, mean }) =>
      mean.value === null || mean.value === undefined ? [] : [{ user: row.user, part, value: mean.value, count: mean.count }],
    );
  });
}

/** One bar of the blind vs shown plot. */
export interface SlicePoint {
  user: string;
  measure: "accuracy" | "agreement";
  slice: "blind" | "shown";
  value: number;
  count: number;
}

/** The blind vs shown plot's bars: per person, accuracy and agreement on each slice. */
export function slicePoints(rows: readonly AnnotatorMetrics[]): SlicePoint[] {
  const measures = ["accuracy", "agreement"] as const;
  const slices = ["blind", "shown"] as const;
  return rows.flatMap((row) =>
    measures.flatMap((measure) =>
      slices.flatMap((slice) => {
        const mean = row.metrics[slice][measure];
        return mean.value === null || mean.value === undefined
          ? []
          : [{ user: row.user, measure, slice, value: mean.value, count: mean.count }];
      }),
    ),
  );
}

/** A bar's tooltip, also what the browser test reads: "ann · image: 70% (2)". */
export function barTitle(user: string, what: string, value: number, n: number): string {
  return `${user} · ${what}: ${share(value)} (${n})`;
}
