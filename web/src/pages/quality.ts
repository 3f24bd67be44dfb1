/**
 * The project quality page's pure parts: the findings' counts as tables (by check and
 * severity, by annotator: open, resolved and waived side by side), the report's headline
 * agreement numbers, where a run of the checks stands, and the full report's address
 * (`GET /api/projects/{project}/findings/summary`, `…/qa/report`, `…/qa/runs`).
 */
import type { Schemas } from "../api/client";
import { bySeverity, type FindingStatus, type Severity } from "../editing/findings";

export type FindingSummary = Schemas["FindingSummary"];
export type QualityReport = Schemas["QualityReport"];
export type Job = Schemas["Job"];

export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

/** Counts of findings by status. */
export type StatusCounts = Record<FindingStatus, number>;

const none = (): StatusCounts => ({ open: 0, resolved: 0, waived: 0 });

/** One row of the table by check: a check's findings of one severity, by status. */
export interface CheckRow extends StatusCounts {
  check: string;
  severity: Severity;
}

/** The summary's check × severity × status counts as one row per check and severity:
 * most open first, then the more severe, then by check. */
export function checkRows(counts: readonly Schemas["CheckCount"][]): CheckRow[] {
  const rows = new Map<string, CheckRow>();
  for (const { check, severity, status, count } of counts) {
    const key = `${check}\u0000${severity}`;
    const row = rows.get(key) ?? { check, severity, ...none() };
    row[status] += count;
    rows.set(key, row);
  }
  return [...rows.values()].sort(
    (a, b) => b.open - a.open || bySeverity(a.severity, b.severity) || a.check.localeCompare(b.check),
  );
}

/** One row of the table by annotator: the findings about their work, by status. */
export interface AnnotatorRow extends StatusCounts {
  annotator: string;
}

/** The summary's annotator × status counts as one row per annotator: most open first,
 * then by name. */
export function annotatorRows(counts: readonly Schemas["AnnotatorCount"][]): AnnotatorRow[] {
  const rows = new Map<string, AnnotatorRow>();
  for (const { annotator, status, count } of counts) {
    const row = rows.get(annotator) ?? { annotator, ...none() };
    row[status] += count;
    rows.set(annotator, row);
  }
  return [...rows.values()].sort((a, b) => b.open - a.open || a.annotator.localeCompare(b.annotator));
}

/** The checks the summary counts, by name (the list's filter offers them). */
export function checkNames(counts: readonly Schemas["CheckCount"][]): string[] {
  return [...new Set(counts.map((count) => count.check))].sort((a, b) => a.localeCompare(b));
}

/** A headline number of the report: what it measures, its value (`null`: nothing to
 * compare yet) and what it rests on. */
export interface Headline {
  key: string;
  label: string;
  value: number | null;
  basis: string;
}

const pairs = (n: number, samples: number): string =>
  `${n} ${n === 1 ? "pair" : "pairs"} on ${samples} ${samples === 1 ? "sample" : "samples"}`;

/** The report's headline agreement: across modalities (links' F1 and α, entities' F1 and
 * α), then within each modality and kind of annotation (F1 of matched annotations). */
export function headlines(report: QualityReport): Headline[] {
  const { links } = report;
  const across = pairs(links.pairs, links.samples);
  return [
    { key: "link-f1", label: "Link F1", value: links.f1, basis: across },
    { key: "link-alpha", label: "Link α (Krippendorff)", value: links.alpha, basis: across },
    { key: "entity-f1", label: "Entity F1", value: links.entity_f1, basis: across },
    { key: "entity-alpha", label: "Entity α (Krippendorff)", value: links.entity_alpha, basis: across },
    ...report.within.map((item) => ({
      key: `within-${item.modality}-${item.family}`,
      label: `${item.modality} ${item.family} F1`,
      value: item.f1,
      basis: pairs(item.pairs, item.samples),
    })),
  ];
}

/** A score with two decimals, or a dash for none. */
export function score(value: number | null): string {
  return value === null ? "–" : value.toFixed(2);
}

/** Where a run of the checks stands: whether it has finished (and failed), and in words. */
export interface RunState {
  finished: boolean;
  failed: boolean;
  text: string;
}

/** The state of the ``qa`` job `job` (its result counts the samples checked). */
export function runState(job: Job): RunState {
  const percent = `${Math.round(job.progress * 100)}%`;
  const said = job.message === null ? "" : ` · ${job.message}`;
  switch (job.status) {
    case "queued":
      return { finished: false, failed: false, text: "Queued: waiting for a worker…" };
    case "running":
      return { finished: false, failed: false, text: `Checking the samples: ${percent}${said}` };
    case "cancelling":
      return { finished: false, failed: false, text: "Stopping…" };
    case "done": {
      const samples = job.result?.["samples"];
      const checked = typeof samples === "number" ? `: ${samples} ${samples === 1 ? "sample" : "samples"} checked` : "";
      return { finished: true, failed: false, text: `Checks done${checked}.` };
    }
    case "failed":
      return { finished: true, failed: true, text: `The run failed: ${job.error ?? "no reason given"}` };
    case "cancelled":
      return { finished: true, failed: true, text: "The run was cancelled." };
  }
}

/** The body of a run of every installed check with the server's defaults. The generated
 * type makes `chunk` required because it has a default; the server fills it in. */
export const EVERY_CHECK = {} as Schemas["QaParams"];

/** Where the project's full HTML report is served. */
export function reportUrl(project: string): string {
  return `/api/projects/${encodeURIComponent(project)}/qa/report.html`;
}

/** Whether a person with `role` in a project runs its checks (managers and above). */
export function runsChecksAs(role: string): boolean {
  return role === "manager" || role === "admin";
}
