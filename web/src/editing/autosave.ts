/**
 * Autosave: the work store's edits go to `PUT /api/samples/{id}/annotations` a moment
 * after the last one (debounced), with `If-Match` the ETag they are based on. A 200 is
 * taken into the store (edits made while it was in flight stay on top and are saved
 * next); a 409 becomes the store's conflict and saving waits until the person resolves
 * it; any other refusal is shown and retried on the next edit (or `saveNow`).
 *
 * `flush` sends what is unsaved at once, for leaving the page (`keepalive`: the request
 * outlives it). Framework-free: the status is a zustand store; `start` begins following
 * the work store and returns the way to stop (a React effect's cleanup).
 *
 * Changes of the sample made outside the submission (a model's candidates, a decision about
 * one: `editing/candidates.ts`) move its revision, so they run `exclusive`ly: after the save
 * in flight, with saves waiting until they are done (they end by reading the sample again,
 * `WorkState.refresh`). `prepare`, given, runs before each save's submission inside the
 * save (the candidates' edits go as decisions first); `flush` sends without it.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import { ApiError } from "../api/client";
import { isDirty, type SampleWork, type SubmittedWork, type WorkState } from "../work/store";

/** Where saving stands, as the save indicator shows it. */
export type SaveStatus =
  | { readonly state: "saved" }
  | { readonly state: "unsaved" }
  | { readonly state: "saving" }
  | { readonly state: "conflict" }
  | { readonly state: "failed"; readonly message: string };

/** The server's answer to a submission: the new work and ETag, or an error status and body. */
export type Answer =
  | { readonly ok: true; readonly body: SubmittedWork; readonly etag: string }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

/** Sends a submission based on `etag`; rejects only when no answer came (network). */
export type Send = (body: SampleWork, etag: string, options: { keepalive: boolean }) => Promise<Answer>;

/** Runs before a save's submission (it may change the work store, or throw to stop the save). */
export type Prepare = () => Promise<void>;

export interface Autosaver {
  readonly status: StoreApi<{ readonly status: SaveStatus }>;
  /** Save now (cancelling the wait), unless a save is in flight or a conflict is open. */
  saveNow(): Promise<void>;
  /** Send unsaved work without waiting for the answer (the page is going away). */
  flush(): void;
  /** Follow the store's edits (until the function it returns is called). */
  start(): () => void;
  /**
   * Run `task` once no save is in flight, saves waiting until it is done (tasks run one
   * after another); its result. Saving goes on afterwards if the work is unsaved.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/** The milliseconds between the last edit and its save. */
export const SAVE_DELAY = 1000;

/** An autosaver of `work` (see the module). */
export function createAutosaver(
  work: StoreApi<WorkState>,
  send: Send,
  delay = SAVE_DELAY,
  prepare?: Prepare,
): Autosaver {
  const status = createStore<{ status: SaveStatus }>()(() => ({ status: { state: "saved" } }));
  const show = (next: SaveStatus): void => status.setState({ status: next });
  let timer: ReturnType<typeof setTimeout> | null = null;
  let flying = false;
  /** The save in flight, settled when its answer is taken. */
  let landing: Promise<void> = Promise.resolve();
  /** Exclusive tasks running or waiting, and the end of the last one. */
  let held = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const stopWaiting = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const follow = (state: WorkState): void => {
    if (flying) return;
    stopWaiting();
    if (state.conflict !== null) show({ state: "conflict" });
    else if (!isDirty(state)) show({ state: "saved" });
    else {
      show({ state: "unsaved" });
      if (held === 0) timer = setTimeout(() => void saveNow(), delay);
    }
  };

  const take = (answer: Answer): void => {
    flying = false;
    const store = work.getState();
    if (answer.ok) store.applySubmitted(answer.body, answer.etag);
    else if (answer.status === 409) store.applyConflict(answer.body);
    else {
      show({ state: "failed", message: new ApiError(answer.status, answer.body).message });
    }
    // the store's change (new work, or the conflict) brings the status up to date
  };

  function saveNow(): Promise<void> {
    stopWaiting();
    const state = work.getState();
    if (flying || held > 0 || state.conflict !== null || state.etag === null || !isDirty(state)) {
      return Promise.resolve();
    }
    flying = true;
    landing = save();
    return landing;
  }

  async function save(): Promise<void> {
    show({ state: "saving" });
    let answer: Answer;
    try {
      if (prepare !== undefined) await prepare();
      const state = work.getState();
      if (state.conflict !== null || state.etag === null || !isDirty(state)) {
        flying = false;
        follow(state);
        return;
      }
      answer = await send(state.submission(), state.etag, { keepalive: false });
    } catch (error) {
      flying = false;
      show({ state: "failed", message: error instanceof Error ? error.message : String(error) });
      return;
    }
    try {
      take(answer);
    } catch (error) {
      show({ state: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  }

  return {
    status,
    saveNow,
    flush() {
      const state = work.getState();
      if (flying || state.conflict !== null || state.etag === null || !isDirty(state)) return;
      stopWaiting();
      // the page is going away: there is no one left to tell how it went
      void send(state.submission(), state.etag, { keepalive: true }).catch(() => undefined);
    },
    exclusive(task) {
      held += 1;
      stopWaiting();
      const run = queue.then(async () => {
        await landing;
        return task();
      });
      queue = run.catch(() => undefined);
      return run.finally(() => {
        held -= 1;
        if (held === 0) follow(work.getState());
      });
    },
    start() {
      const unsubscribe = work.subscribe((state, previous) => {
        if (state.work !== previous.work || state.conflict !== previous.conflict) follow(state);
      });
      return () => {
        stopWaiting();
        unsubscribe();
      };
    },
  };
}
