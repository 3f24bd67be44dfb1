/**
 * The task slots a person works, over the API: taking the next one (`POST
 * /api/projects/{p}/tasks/next`), submitting, releasing and reviewing it; and a small store
 * that carries the task just taken, and a line for the sample list, from one page to the next.
 */
import { create } from "zustand";

import { api } from "../app/api";
import { ApiError, unwrap } from "../api/client";
import type { Task } from "./tasks";

/** The next task of `project` for the caller (the one they hold, or one leased to them now);
 * `null` when none waits, `"no-workflow"` when the project has no workflow to queue work. */
export async function takeNextTask(project: string): Promise<Task | null | "no-workflow"> {
  const answer = await api.POST("/api/projects/{project}/tasks/next", { params: { path: { project } } });
  if (answer.response.status === 204) return null;
  try {
    return unwrap(answer);
  } catch (error) {
    if (error instanceof ApiError && error.fields.rule === "workflow-missing") return "no-workflow";
    throw error;
  }
}

const task_id = (id: string) => ({ params: { path: { task_id: id } } });

/** Submit the work of task `id` (an annotate or adjudicate slot the caller holds); the task
 * after (a training task's with its score and feedback). */
export async function submitTask(id: string): Promise<Task> {
  return unwrap(await api.POST("/api/tasks/{task_id}/submit", task_id(id)));
}

/** Give task `id` back to the queue. */
export async function releaseTask(id: string): Promise<Task> {
  return unwrap(await api.POST("/api/tasks/{task_id}/release", task_id(id)));
}

/** Decide review task `id`: accept the sample, or reject it back with `comment`. */
export async function reviewTask(id: string, decision: "accepted" | "rejected", comment?: string): Promise<Task> {
  return unwrap(await api.POST("/api/tasks/{task_id}/review", { ...task_id(id), body: { decision, comment } }));
}

interface TaskFlowState {
  /** The tasks taken, submitted or decided here, as last answered, by id. */
  readonly tasks: Readonly<Record<string, Task>>;
  /** A line for the sample list (nothing waits, a task released), which it takes once. */
  readonly notice: string | null;
  keep(task: Task): void;
  tell(notice: string | null): void;
}

/** The task flow between pages (see the module). */
export const useTaskFlow = create<TaskFlowState>()((set) => ({
  tasks: {},
  notice: null,
  keep(task) {
    set((state) => ({ tasks: { ...state.tasks, [task.id]: task } }));
  },
  tell(notice) {
    set({ notice });
  },
}));
