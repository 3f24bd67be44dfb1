import { useEffect, useRef } from "react";

import { isShortcut, ownsKey } from "../ui/keys";
import {
  deleteSelection,
  groupSelection,
  linkSelection,
  nudgeSelection,
  relabelSelection,
  reviewSelection,
  stepHistory,
  type CommandContext,
} from "./commands";
import { decideSelection } from "./candidates";
import { dropVertex, finishPolygon } from "./drawing";
import { useCommandContext, useEditing, type Editing } from "./EditingProvider";
import type { ActionHandler } from "./actionKeys";
import { actionOf, type Action } from "./keymap";

const NUDGES: Partial<Record<Action, readonly [number, number]>> = {
  "nudge-left": [-1, 0],
  "nudge-right": [1, 0],
  "nudge-up": [0, -1],
  "nudge-down": [0, 1],
};

/** Run `action`; whether it did something (the key is then the workspace's). */
function run(action: Action, shift: boolean, context: CommandContext, editing: Editing, back: () => void): boolean {
  const { saver, canReview, reviewer, candidates, proposals } = editing;
  const editor = context.editor.getState();
  const nudge = NUDGES[action];
  if (nudge !== undefined) return nudgeSelection(context, nudge[0] * (shift ? 10 : 1), nudge[1] * (shift ? 10 : 1));
  switch (action) {
    case "tool-select":
      editor.setTool("select");
      return true;
    case "tool-box":
      editor.setTool("box");
      return true;
    case "tool-polygon":
      editor.setTool("polygon");
      return true;
    case "tool-model":
      editor.setTool("model");
      return true;
    case "label":
      relabelSelection(context);
      return true;
    case "finish":
      return finishPolygon(context);
    case "link":
      // with fewer than two selected, L is the player's (play forward)
      if (context.focus.getState().selected.length < 2) return false;
      linkSelection(context);
      return true;
    case "group":
      groupSelection(context);
      return true;
    case "delete":
      if (!dropVertex(context)) deleteSelection(context);
      return true;
    case "undo":
      stepHistory(context, true);
      return true;
    case "redo":
      stepHistory(context, false);
      return true;
    case "save":
      // a part that takes the save key (the judgement panel) saves the work too
      if (!editing.keys.run("save", shift)) void saver.saveNow();
      return true;
    case "review":
      if (canReview) editor.setReview(!editor.review);
      return canReview;
    case "accept":
    case "reject":
      if (!(canReview && editor.review)) return false;
      reviewSelection(context, action === "accept" ? "accepted" : "rejected", (ids, outcome) => {
        void reviewer.decide(ids, outcome);
      });
      return true;
    case "candidate-accept":
    case "candidate-reject": {
      const { selected } = context.focus.getState();
      const verdict = action === "candidate-accept" ? "accept" : "reject";
      void decideSelection(candidates, context.work.getState().work, selected, verdict, (notice) =>
        editor.notify(notice),
      );
      return true;
    }
    case "help":
      editor.toggleHelp();
      return true;
    case "cancel":
      if (!editor.cancel() && !proposals.state.getState().clearPoints()) {
        if (context.focus.getState().selected.length > 0) context.focus.getState().clear();
        else back();
      }
      return true;
    case "back":
      back();
      return true;
    default:
      return false;
  }
}

/** The workspace's one keyboard handler (`KEYMAP`): tools, editing, undo, review, help,
 * `back` to leave, and the actions parts of the workspace add (`useActionKey`). Keys typed
 * in a field are the field's; while a dialog is open only Esc and ? act here. */
export function useEditingKeys(back: () => void): void {
  const context = useCommandContext();
  const editing = useEditing();
  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      const ctrl = event.ctrlKey || event.metaKey;
      if (event.defaultPrevented || ownsKey(event.target, event.key) || (!ctrl && !isShortcut(event))) return;
      const action = actionOf(event);
      if (action === null) return;
      const editor = context.editor.getState();
      const open =
        editor.labelling !== null ||
        editor.linking !== null ||
        editor.help ||
        context.work.getState().conflict !== null;
      if (open && action !== "cancel" && action !== "help") return;
      const done =
        run(action, event.shiftKey, context, editing, back) || editing.keys.run(action, event.shiftKey);
      if (done) event.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [context, editing, back]);
}

/** Carry out `actions` (a constant list) with `handler` (the latest one given) when their
 * keys are pressed in the workspace; it answers whether it did something (else the key goes
 * on to others). */
export function useActionKey(actions: readonly Action[], handler: ActionHandler): void {
  const { keys } = useEditing();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  }, [handler]);
  useEffect(() => keys.add(actions, (action, shift) => latest.current(action, shift)), [keys, actions]);
}
