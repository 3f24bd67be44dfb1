/**
 * Saving the judgement panel's draft, framework-free: the work is saved first, then
 * `PUT /api/samples/{id}/judgement` inside the autosaver's `exclusive` section, then the
 * sample is read again into the workspace (the rationale is a stream of it). The panel's
 * state is not made again: the draft stays as typed (what is typed while a save is in
 * flight is kept, and shows as unsaved), the rubric grid's cell stays, and only `saved`,
 * `revision` and the status change. A save asked for while one is in flight is queued and
 * runs after it, with the revision that one saved.
 */
import type { StoreApi } from "zustand/vanilla";

import type { JudgementBody } from "./draft";
import { unsaved, type JudgingState } from "./judging";

/** What saving a judgement needs of the workspace around it. */
export interface JudgementSaving {
  readonly judging: StoreApi<JudgingState>;
  /** Save the work now (the autosaver's `saveNow`). */
  readonly saveWork: () => Promise<void>;
  /** Why the judgement cannot be saved now (an open conflict of the work), or `null`. */
  readonly blocked: () => string | null;
  /** Run `task` while the work is not being saved (the autosaver's `exclusive`). */
  readonly exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /** The body that saves the panel's state. */
  readonly body: (state: JudgingState) => JudgementBody;
  /** Send the body; the revision saved. */
  readonly send: (body: JudgementBody) => Promise<{ readonly revision: number }>;
  /** Read the sample again into the workspace. */
  readonly reread: () => Promise<void>;
  /** What went wrong, in words. */
  readonly problemOf: (error: unknown) => string;
}

/** The function that saves the judgement (see the module); its promise ends when the save
 * asked for, and any queued behind it, have ended. */
export function judgementSaver(saving: JudgementSaving): () => Promise<void> {
  const { judging } = saving;
  let running: Promise<void> | null = null;
  let queued = false;

  const once = async (): Promise<void> => {
    await saving.saveWork();
    if (!unsaved(judging.getState())) return;
    const blocked = saving.blocked();
    if (blocked !== null) {
      judging.getState().setStatus("failed", blocked);
      return;
    }
    judging.getState().setStatus("saving");
    try {
      await saving.exclusive(async () => {
        const sent = judging.getState();
        const saved = await saving.send(saving.body(sent));
        // the draft stays as it is now: what was typed meanwhile is still to be saved
        judging.setState({ saved: sent.draft, revision: saved.revision });
        await saving.reread();
      });
      judging.getState().setStatus("idle");
    } catch (error) {
      judging.getState().setStatus("failed", saving.problemOf(error));
    }
  };

  return () => {
    if (running !== null) {
      queued = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          queued = false;
          await once();
        } while (queued && judging.getState().status !== "failed");
      } finally {
        running = null;
        queued = false;
      }
    })();
    return running;
  };
}
