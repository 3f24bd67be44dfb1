/**
 * The QA checks' findings on a sample (`GET /api/samples/{id}/findings`,
 * `PATCH /api/findings/{id}`), framework-free: their order in the side panel, which
 * object a finding points at, where a closed one stands, and the status changes a
 * reviewer may make.
 */
import type { Schemas } from "../api/client";

export type Finding = Schemas["FindingRecord"];
export type Severity = Schemas["Severity"];
export type FindingStatus = Finding["status"];
export type FindingChange = Schemas["FindingStatusChange"];

/** The most characters of a reason (the server's limit). */
export const MAX_REASON = 2000;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Orders severities most severe first (error, warning, info). */
export function bySeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

/** A sample's findings as the panel lists them: the open ones, most severe first and then
 * oldest first; the resolved and waived ones, the latest change first. */
export interface FindingGroups {
  readonly open: Finding[];
  readonly closed: Finding[];
}

/** `items` split into open and closed ones, each in the panel's order. */
export function groupFindings(items: readonly Finding[]): FindingGroups {
  const open = items
    .filter((item) => item.status === "open")
    .sort(
      (a, b) =>
        bySeverity(a.severity, b.severity) ||
        a.first_seen - b.first_seen ||
        a.check.localeCompare(b.check) ||
        a.id.localeCompare(b.id),
    );
  const closed = items
    .filter((item) => item.status !== "open")
    .sort((a, b) => (b.status_changed_at ?? b.last_seen) - (a.status_changed_at ?? a.last_seen) || a.id.localeCompare(b.id));
  return { open, closed };
}

/** The object a finding points at: its first subject the work holds (the first is the
 * one to look at), or `null` when the work holds none of them. */
export function findingTarget(finding: Finding, has: (id: string) => boolean): string | null {
  return finding.subjects.find(has) ?? null;
}

/** Where a resolved or waived finding stands, in a few words ("waived by grace: the model
 * is background", "resolved by the checks": the problem went away). */
export function closedState(finding: Finding): string {
  const by = finding.status_by === null ? "the checks" : finding.status_by;
  const state = `${finding.status} by ${by}`;
  return finding.reason === null || finding.reason.trim() === "" ? state : `${state}: ${finding.reason}`;
}

/** A change of status a reviewer can make: waive or resolve an open finding, reopen a
 * closed one. */
export type FindingAction = "waive" | "resolve" | "reopen";

/** The changes a reviewer can make to `finding`, as its buttons offer them. */
export function findingActions(finding: Finding): FindingAction[] {
  return finding.status === "open" ? ["waive", "resolve"] : ["reopen"];
}

const STATUS_OF: Readonly<Record<FindingAction, FindingStatus>> = {
  waive: "waived",
  resolve: "resolved",
  reopen: "open",
};

/** Why `reason` cannot go with `action`, or `null` when it can: waiving needs a reason
 * (the checks will not raise the finding again), and none may pass `MAX_REASON`. */
export function reasonProblem(action: FindingAction, reason: string): string | null {
  if (action === "waive" && reason.trim() === "") return "Say why: a waived finding is not raised again.";
  return reason.length > MAX_REASON ? `At most ${MAX_REASON} characters (this has ${reason.length}).` : null;
}

/** The body of `PATCH /api/findings/{id}` carrying out `action` (a blank reason: none). */
export function findingChange(action: FindingAction, reason = ""): FindingChange {
  const text = reason.trim();
  return { status: STATUS_OF[action], reason: text === "" ? null : text };
}

/** What the panel says when a change was refused because the finding changed meanwhile
 * (`current`: the finding as it is now, when the answer carried it). */
export function staleNotice(current: Finding | undefined): string {
  const now = current === undefined ? "" : ` (now ${current.status === "open" ? "open" : closedState(current)})`;
  return `This finding changed meanwhile${now}: the list shows it as it is now.`;
}

/** The finding a 409's `current` field carries, when it is one. */
export function currentOf(fields: Record<string, unknown>): Finding | undefined {
  const current = fields["current"];
  if (typeof current !== "object" || current === null) return undefined;
  const candidate = current as Partial<Finding>;
  return typeof candidate.id === "string" && typeof candidate.status === "string" ? (current as Finding) : undefined;
}
