/**
 * Editing in one sample's workspace, shared through React context inside the
 * `WorkspaceProvider`: the project's ontology and the caller's right to review, the
 * editor store (tool, drawing, open dialog), the autosaver of the work store, which
 * also saves when the page is hidden or left, the reviewer of the sample (its review,
 * loaded with the workspace), models' proposals and the decisions about their candidates
 * (which the autosaver sends before a save that edits a candidate), and the handlers
 * parts of the workspace add for keys.
 */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from "react";
import { useStore, type StoreApi } from "zustand";

import type { OntologyIndex } from "../ontology/ontology";
import { isDirty } from "../work/store";
import { useWorkspace } from "../workspace/Workspace";
import { createActionKeys, type ActionKeys } from "./actionKeys";
import { createAutosaver, SAVE_DELAY, type Autosaver, type SaveStatus } from "./autosave";
import { createCandidateDecider, type CandidateDecider } from "./candidates";
import type { CommandContext } from "./commands";
import type { StreamInfo } from "./describe";
import { createEditorStore, type EditorState, type Notice } from "./editor";
import { listProposers, proposalSender, sampleReader, sendDecision } from "./modelApi";
import { createProposals, type Proposals } from "./proposals";
import { reviewLoader, reviewSender, submitter } from "./project";
import { createReviewer, reviewMarks, type Reviewer, type ReviewerState, type ReviewMark } from "./reviewing";

export interface Editing {
  /** The project's ontology; `null` when it could not be loaded (nothing can be labelled). */
  readonly ontology: OntologyIndex | null;
  readonly canReview: boolean;
  readonly editor: StoreApi<EditorState>;
  readonly saver: Autosaver;
  readonly reviewer: Reviewer;
  /** Decisions about models' candidates, and asking models for them. */
  readonly candidates: CandidateDecider;
  readonly proposals: Proposals;
  /** Every stream's name (and text, when inline), by id, for naming objects. */
  readonly streams: ReadonlyMap<string, StreamInfo>;
  /** The actions parts of the workspace carry out, for the one key handler (`useEditingKeys`). */
  readonly keys: ActionKeys;
}

const EditingContext = createContext<Editing | null>(null);

/** Editing for the workspace around it, with `ontology` (or none) and the right to review. */
export function EditingProvider({
  ontology,
  canReview,
  children,
}: {
  ontology: OntologyIndex | null;
  canReview: boolean;
  children: ReactNode;
}) {
  const { sample, work, focus } = useWorkspace();
  // once per workspace (its work store): a sample read again into it keeps them
  const editor = useMemo(() => createEditorStore(), [work]);
  const keys = useMemo(() => createActionKeys(), [work]);
  const { saver, candidates, proposals } = useMemo(() => {
    const notify = (notice: Notice): void => editor.getState().notify(notice);
    const load = sampleReader(sample.id);
    // the decider runs beside saves (exclusive) and before each (settling candidates' edits)
    const exclusive = <T,>(task: () => Promise<T>): Promise<T> => made.exclusive(task);
    const dropped = (ids: readonly string[]): void => {
      const { selected, select } = focus.getState();
      select(selected.filter((id) => !ids.includes(id)));
    };
    const decider = createCandidateDecider({ work, send: sendDecision, load, exclusive, notify, dropped });
    const made = createAutosaver(work, submitter(sample.id), SAVE_DELAY, () => decider.settleEdits());
    const asking = createProposals({
      work,
      send: proposalSender(sample.id),
      list: listProposers,
      load,
      exclusive,
      notify,
      select: (ids) => focus.getState().select(ids),
    });
    return { saver: made, candidates: decider, proposals: asking };
  }, [work, sample.id, editor, focus]);
  const reviewer = useMemo(
    () =>
      createReviewer({
        work,
        saver,
        send: reviewSender(sample.id),
        load: reviewLoader(sample.id),
        notify: (notice) => editor.getState().notify(notice),
      }),
    [work, saver, editor, sample.id],
  );
  const streams = useMemo(
    () => new Map((sample.streams ?? []).map((s) => [s.id, { name: s.name, text: s.text ?? null }])),
    [sample],
  );

  useEffect(() => {
    const stop = saver.start();
    const leave = (): void => saver.flush();
    const hidden = (): void => {
      if (document.visibilityState === "hidden") saver.flush();
    };
    const warn = (event: BeforeUnloadEvent): void => {
      if (isDirty(work.getState())) event.preventDefault();
    };
    window.addEventListener("pagehide", leave);
    document.addEventListener("visibilitychange", hidden);
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("pagehide", leave);
      document.removeEventListener("visibilitychange", hidden);
      window.removeEventListener("beforeunload", warn);
      saver.flush();
      stop();
    };
  }, [saver, work]);

  useEffect(() => {
    void reviewer.refresh();
  }, [reviewer]);

  const editing = useMemo<Editing>(
    () => ({ ontology, canReview, editor, saver, reviewer, candidates, proposals, streams, keys }),
    [ontology, canReview, editor, saver, reviewer, candidates, proposals, streams, keys],
  );
  return <EditingContext.Provider value={editing}>{children}</EditingContext.Provider>;
}

/** The editing of the workspace shown (inside `EditingProvider` only). */
export function useEditing(): Editing {
  const editing = useContext(EditingContext);
  if (editing === null) throw new Error("useEditing is used outside an EditingProvider");
  return editing;
}

/** What `select` picks of the editor store's state. */
export function useEditor<T>(select: (state: EditorState) => T): T {
  return useStore(useEditing().editor, select);
}

/** Where saving stands. */
export function useSaveStatus(): SaveStatus {
  return useStore(useEditing().saver.status, (state) => state.status);
}

/** The stores the editing commands act on. */
export function useCommandContext(): CommandContext {
  const { sample, work, focus } = useWorkspace();
  const { editor, ontology } = useEditing();
  return useMemo(() => ({ sample, work, focus, editor, ontology }), [sample, work, focus, editor, ontology]);
}

/** What `select` picks of the reviewer's state. */
export function useReviewer<T>(select: (state: ReviewerState) => T): T {
  return useStore(useEditing().reviewer.state, select);
}

const NO_MARKS: ReadonlyMap<string, ReviewMark> = new Map();

/** Each reviewed annotation's mark as the work is now, by id (`all`: also outside review
 * mode; by default the panes show them in review mode only). */
export function useReviewMarks(all = false): ReadonlyMap<string, ReviewMark> {
  const review = useReviewer((state) => state.review);
  const annotations = useStore(useWorkspace().work, (state) => state.work.annotations);
  const shown = useEditor((state) => state.review) || all;
  return useMemo(() => (shown ? reviewMarks(review, annotations) : NO_MARKS), [review, annotations, shown]);
}
