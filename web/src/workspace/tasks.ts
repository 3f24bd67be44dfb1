/**
 * Working a project's queue through task slots (the workflow, `/api/projects/{p}/tasks/next`):
 * what a task slot is, which decisions its stage takes, how long its lease has left, and
 * and what a handed-in training task says of the work (its score and feedback against gold).
 *
 * Pure: the task bar (`TaskBar`) and the sample list's "Next task" call the API.
 */
import type { Schemas } from "../api/client";

/** A task slot as the API answers it: a handed-in training slot carries its score (0 to 1)
 * and the feedback items against its reference (`rosetta.core.gold_scoring`). */
export type Task = Schemas["Task"];

/** What a feedback item says (`rosetta.core.gold_scoring.FeedbackKind`). */
export type FeedbackKind = "wrong_label" | "missed" | "extra" | "link_missed" | "link_extra";

/** One feedback item as the server sends it: the ids of the reference's and the person's
 * object (`reference`, `submitted`), the annotation's stream, modality, label (the
 * reference's) and `given` label, or the link's type. */
export type FeedbackItem = {
  readonly kind: FeedbackKind;
  readonly reference?: string;
  readonly submitted?: string;
  readonly stream?: string | null;
  readonly modality?: string;
  readonly label?: string;
  readonly given?: string;
  readonly type?: string;
};

/** A feedback item as the person reads it, and the object of theirs it is about (`null`:
 * something they missed). */
export interface Remark {
  readonly kind: FeedbackKind;
  readonly object: string | null;
  readonly message: string;
}

/** How a training task went against its reference: the score (`null`: none) and remarks. */
export interface Training {
  readonly score: number | null;
  readonly remarks: readonly Remark[];
}

const FEEDBACK_KINDS: ReadonlySet<string> = new Set(["wrong_label", "missed", "extra", "link_missed", "link_extra"]);

function isFeedbackItem(value: unknown): value is FeedbackItem {
  return typeof value === "object" && value !== null && FEEDBACK_KINDS.has(String((value as { kind?: unknown }).kind));
}

/** Where an annotation is, in words (`streamName` names a stream by id). */
function place(item: FeedbackItem, streamName: (id: string) => string): string {
  return item.stream == null ? "on the whole sample" : `on ${streamName(item.stream)}`;
}

/** A feedback item in words, with the person's object it is about. */
export function remark(item: FeedbackItem, streamName: (id: string) => string): Remark {
  const label = `“${item.label ?? "?"}”`;
  const type = `“${item.type ?? "?"}”`;
  const object = item.submitted ?? null;
  switch (item.kind) {
    case "wrong_label":
      return {
        kind: item.kind,
        object,
        message: `Labelled “${item.given ?? "?"}” ${place(item, streamName)}: the reference says ${label}`,
      };
    case "missed":
      return { kind: item.kind, object: null, message: `Missed: a ${label} ${place(item, streamName)}` };
    case "extra":
      return {
        kind: item.kind,
        object,
        message: `Extra: your ${label} ${place(item, streamName)} is not in the reference`,
      };
    case "link_missed":
      return { kind: item.kind, object: null, message: `Missed: a ${type} link` };
    case "link_extra":
      return { kind: item.kind, object, message: `Extra: your ${type} link is not in the reference` };
  }
}

/** The training result a handed-in training task carries, `null` on any other task. */
export function trainingOf(task: Task, streamName: (id: string) => string): Training | null {
  if (task.kind !== "training" || (task.score == null && task.feedback == null)) return null;
  const items = (task.feedback ?? []).filter(isFeedbackItem);
  return { score: task.score ?? null, remarks: items.map((item) => remark(item, streamName)) };
}

/** The decisions a task takes while its holder works it. */
export interface TaskActions {
  /** Hand the work in (annotate and adjudicate slots). */
  readonly submit: boolean;
  /** Accept or reject the sample (review slots). */
  readonly review: boolean;
  /** Give it back to the queue (a live lease; a returned slot is the holder's to fix). */
  readonly release: boolean;
}

/** What `task` can be asked to do now. */
export function taskActions(task: Task): TaskActions {
  const working = task.status === "leased" || task.status === "returned";
  return {
    submit: working && task.stage !== "review",
    review: task.status === "leased" && task.stage === "review",
    release: task.status === "leased",
  };
}

/** Seconds left on the task's lease at `nowMs` (ms since the epoch; negative: expired),
 * `null` when it holds no lease. */
export function leaseLeft(task: Task, nowMs: number): number | null {
  if (task.status !== "leased" || task.lease_expires_at === null) return null;
  return task.lease_expires_at - nowMs / 1000;
}

/** A lease's time left as a countdown: "4:05", "1:02:03"; "expired" once run out. */
export function countdown(seconds: number): string {
  if (seconds <= 0) return "expired";
  const whole = Math.ceil(seconds);
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** How the task bar names the task: its stage, and its kind unless plain work. */
export function taskTitle(task: Task): string {
  const stage = `${task.stage[0]?.toUpperCase() ?? ""}${task.stage.slice(1)}`;
  return task.kind === "work" ? stage : `${stage} · ${task.kind}`;
}

/** A score (0 to 1) as a percentage, "no score" when there is none. */
export function scoreText(score: number | null): string {
  return score === null ? "no score" : `${Math.round(score * 100)}%`;
}
