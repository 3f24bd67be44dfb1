/**
 * The task bar of a sample opened as a task slot (`?task=` in the address): the stage and
 * kind, the lease's countdown, the reviewer's comment on a slot returned to its annotator,
 * and the decisions the stage takes, by button or key (`Ctrl+Enter` submits, or accepts a
 * review; `Ctrl+Shift+Enter` rejects with a comment; `Shift+T` releases). Submitting saves
 * the work first, then opens the next task; a training task shows its feedback first
 * (`TrainingFeedback`).
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";

import { Link } from "../app/Link";
import { navigate, projectPath, taskPath } from "../app/router";
import { Dialog } from "../editing/Dialog";
import { useEditing } from "../editing/EditingProvider";
import { keyName, KEYMAP, type Action } from "../editing/keymap";
import { useActionKey } from "../editing/useEditingKeys";
import { StatusBadge } from "../ui/feedback";
import { isDirty } from "../work/store";
import { releaseTask, reviewTask, submitTask, takeNextTask, useTaskFlow } from "./taskFlow";
import { countdown, leaseLeft, taskActions, taskTitle, trainingOf, type Task, type Training } from "./tasks";
import { TrainingFeedback } from "./TrainingFeedback";
import { useWorkspace } from "./Workspace";

const TASK_KEYS: readonly Action[] = ["task-submit", "task-reject", "task-release"];

/** How a key of the keymap is written on a button. */
function keyOf(action: Action): string {
  const binding = KEYMAP.find((entry) => entry.action === action)?.keys[0];
  return binding === undefined ? "" : keyName(binding);
}

/** The task `taskId` as the caller holds it: the one just taken here, or (on a reload) the
 * one the server says they hold; a line saying why not when it is no longer theirs. */
function useHeldTask(taskId: string, project: string): [Task | null, string | null, (task: Task) => void] {
  const kept = useTaskFlow((state) => state.tasks[taskId] ?? null);
  const keep = useTaskFlow((state) => state.keep);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (kept !== null) return;
    let live = true;
    takeNextTask(project).then(
      (held) => {
        if (!live) return;
        if (held !== null && held !== "no-workflow" && held.id === taskId) keep(held);
        else setProblem(`Task ${taskId} is no longer yours.`);
      },
      (error: unknown) => live && setProblem(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      live = false;
    };
  }, [kept, taskId, project, keep]);
  return [kept, problem, keep];
}

/** The seconds left on `task`'s lease, ticking each second (`null`: it holds none). */
function useLeaseLeft(task: Task | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  const leased = task !== null && leaseLeft(task, now) !== null;
  useEffect(() => {
    if (!leased) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [leased]);
  return task === null ? null : leaseLeft(task, now);
}

/** The task bar (see the module) for task `taskId` of `project` (its name or id). */
export function TaskBar({ taskId, project }: { taskId: string; project: string }) {
  const { work } = useWorkspace();
  const { saver, editor, streams } = useEditing();
  const [task, problem, keep] = useHeldTask(taskId, project);
  const left = useLeaseLeft(task);
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [training, setTraining] = useState<Training | null>(null);
  const tell = useTaskFlow((state) => state.tell);
  const notify = useCallback((text: string) => editor.getState().notify({ tone: "error", text }), [editor]);

  const goNext = useCallback(async (): Promise<void> => {
    const next = await takeNextTask(project);
    if (next === null || next === "no-workflow") {
      tell("No task is waiting for you in this project now.");
      navigate(projectPath(project));
    } else {
      keep(next);
      navigate(taskPath(next, project));
    }
  }, [project, keep, tell]);

  /** Run `step` unless another is running; its error becomes a notice. */
  const attempt = useCallback(
    async (step: () => Promise<void>): Promise<void> => {
      if (busy) return;
      setBusy(true);
      try {
        await step();
      } catch (error) {
        notify(error instanceof Error ? error.message : String(error));
      } finally {
        setBusy(false);
      }
    },
    [busy, notify],
  );

  /** Save the work; whether it is all on the server (else a notice says so). */
  const saved = useCallback(async (): Promise<boolean> => {
    await saver.saveNow();
    const state = work.getState();
    if (state.conflict === null && !isDirty(state)) return true;
    notify("The work is not saved yet: see the save state before handing the task in.");
    return false;
  }, [saver, work, notify]);

  const submit = (): Promise<void> =>
    attempt(async () => {
      if (task === null) return;
      if (task.status === "submitted" || task.status === "done") return goNext();
      if (!(await saved())) return;
      const after = await submitTask(task.id);
      keep(after);
      const result = trainingOf(after, (id) => streams.get(id)?.name ?? id);
      if (result !== null) setTraining(result);
      else await goNext();
    });
  const accept = (): Promise<void> =>
    attempt(async () => {
      if (task === null || !(await saved())) return;
      keep(await reviewTask(task.id, "accepted"));
      await goNext();
    });
  const reject = (comment: string): Promise<void> =>
    attempt(async () => {
      if (task === null || !(await saved())) return;
      keep(await reviewTask(task.id, "rejected", comment));
      setRejecting(false);
      await goNext();
    });
  const release = (): Promise<void> =>
    attempt(async () => {
      if (task === null) return;
      keep(await releaseTask(task.id));
      tell(`Task released: sample ${task.sample} is back in the queue.`);
      navigate(projectPath(project));
    });

  const actions = task === null ? null : taskActions(task);
  const finished = task !== null && (task.status === "submitted" || task.status === "done");
  useActionKey(TASK_KEYS, (action) => {
    if (actions === null || rejecting) return false;
    if (action === "task-submit" && (actions.submit || finished)) void submit();
    else if (action === "task-submit" && actions.review) void accept();
    else if (action === "task-reject" && actions.review) setRejecting(true);
    else if (action === "task-release" && actions.release) void release();
    else return false;
    return true;
  });

  if (task === null) {
    return (
      <section className="task-bar" aria-label="Task">
        {problem === null ? (
          <span className="muted">Loading task {taskId}…</span>
        ) : (
          <>
            <span className="error">{problem}</span>
            <button type="button" disabled={busy} onClick={() => void attempt(goNext)}>
              Take the next task
            </button>
            <Link href={projectPath(project)}>Back to the samples</Link>
          </>
        )}
      </section>
    );
  }
  const keepFocus = (event: { preventDefault: () => void }): void => event.preventDefault();
  return (
    <>
      <section className="task-bar" aria-label="Task" data-status={task.status} data-stage={task.stage}>
        <strong className="task-title">{taskTitle(task)}</strong>
        <StatusBadge status={task.status} />
        {left !== null && (
          <span className={`lease${left < 60 ? " ending" : ""}`} title="Time left on your lease of this task">
            Lease <span aria-label="Lease left">{countdown(left)}</span>
          </span>
        )}
        {task.status === "returned" && task.comment !== null && (
          <p className="task-comment" role="note" aria-label="Reviewer's comment">
            Returned by the reviewer: “{task.comment}”
          </p>
        )}
        <span className="spacer" />
        {actions?.submit && (
          <button type="button" disabled={busy} onMouseDown={keepFocus} onClick={() => void submit()}>
            Submit task <kbd>{keyOf("task-submit")}</kbd>
          </button>
        )}
        {actions?.review && (
          <>
            <button type="button" disabled={busy} onMouseDown={keepFocus} onClick={() => void accept()}>
              Accept <kbd>{keyOf("task-submit")}</kbd>
            </button>
            <button type="button" disabled={busy} onMouseDown={keepFocus} onClick={() => setRejecting(true)}>
              Reject… <kbd>{keyOf("task-reject")}</kbd>
            </button>
          </>
        )}
        {finished && (
          <button type="button" disabled={busy} onMouseDown={keepFocus} onClick={() => void submit()}>
            Next task <kbd>{keyOf("task-submit")}</kbd>
          </button>
        )}
        {actions?.release && (
          <button
            type="button"
            className="quiet"
            disabled={busy}
            onMouseDown={keepFocus}
            onClick={() => void release()}
          >
            Release <kbd>{keyOf("task-release")}</kbd>
          </button>
        )}
      </section>
      {training !== null && <TrainingFeedback training={training} />}
      {rejecting && (
        <RejectDialog busy={busy} onReject={(comment) => void reject(comment)} onClose={() => setRejecting(false)} />
      )}
    </>
  );
}

/** Rejecting a review task: the comment saying what to fix, required. */
function RejectDialog({
  busy,
  onReject,
  onClose,
}: {
  busy: boolean;
  onReject: (comment: string) => void;
  onClose: () => void;
}) {
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const send = (event: FormEvent): void => {
    event.preventDefault();
    if (comment.trim() === "") setProblem("Say what the annotators should fix.");
    else onReject(comment.trim());
  };
  return (
    <Dialog title="Reject the sample" className="reject-dialog" onClose={onClose}>
      {/* keys typed here are the dialog's, never the workspace's shortcuts */}
      <form
        className="ask-form"
        onSubmit={send}
        onKeyDown={(event) => {
          event.stopPropagation();
          if (event.key === "Escape") onClose();
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) send(event);
        }}
      >
        <label>
          Comment for the annotators
          <textarea
            autoFocus
            rows={4}
            maxLength={2000}
            value={comment}
            placeholder="What should be fixed?"
            onChange={(event) => setComment(event.target.value)}
          />
        </label>
        {problem !== null && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <span className="actions">
          <button type="submit" disabled={busy}>
            Reject and return it
          </button>
          <button type="button" className="quiet" onClick={onClose}>
            Cancel
          </button>
        </span>
      </form>
    </Dialog>
  );
}
