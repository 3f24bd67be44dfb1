import { useEffect } from "react";

import { useWork } from "../workspace/Workspace";
import type { SaveStatus } from "./autosave";
import { deleteSelection, groupSelection, linkSelection, stepHistory } from "./commands";
import type { Tool } from "./editor";
import { useCommandContext, useEditing, useEditor, useSaveStatus } from "./EditingProvider";

const TOOLS: readonly { tool: Tool; name: string; key: string }[] = [
  { tool: "select", name: "Select", key: "V" },
  { tool: "box", name: "Box", key: "B" },
  { tool: "polygon", name: "Polygon", key: "P" },
  { tool: "model", name: "Model", key: "M" },
];

const SAVE_TEXT: Record<SaveStatus["state"], string> = {
  saved: "Saved",
  unsaved: "Unsaved changes",
  saving: "Saving…",
  conflict: "Conflict: choose what to keep",
  failed: "Not saved",
};

/** The workspace's tools and actions, the save state, and the last notice. */
export function Toolbar() {
  const context = useCommandContext();
  const { canReview, saver } = useEditing();
  const tool = useEditor((state) => state.tool);
  const review = useEditor((state) => state.review);
  const notice = useEditor((state) => state.notice);
  const canUndo = useWork((state) => state.past.length > 0);
  const canRedo = useWork((state) => state.future.length > 0);
  const status = useSaveStatus();
  const editor = context.editor.getState();

  useEffect(() => {
    if (notice === null) return undefined;
    const timer = setTimeout(() => context.editor.getState().notify(null), notice.tone === "error" ? 8000 : 4000);
    return () => clearTimeout(timer);
  }, [notice, context.editor]);

  return (
    <div
      className="toolbar"
      role="toolbar"
      aria-label="Editing tools"
      // a click leaves the focus where it was, so Enter and Space stay the workspace's keys
      onMouseDown={(event) => event.preventDefault()}
    >
      <span className="tool-group" role="group" aria-label="Tools">
        {TOOLS.map((entry) => (
          <button
            key={entry.tool}
            type="button"
            className="tool"
            aria-pressed={tool === entry.tool}
            title={`${entry.name} (${entry.key})`}
            onClick={() => editor.setTool(entry.tool)}
          >
            {entry.name} <kbd>{entry.key}</kbd>
          </button>
        ))}
      </span>
      <span className="tool-group" role="group" aria-label="Actions">
        <button type="button" className="tool" title="Link the two selected (L)" onClick={() => linkSelection(context)}>
          Link <kbd>L</kbd>
        </button>
        <button
          type="button"
          className="tool"
          title="Group the selected into an entity (G)"
          onClick={() => groupSelection(context)}
        >
          Group <kbd>G</kbd>
        </button>
        <button
          type="button"
          className="tool"
          title="Delete the selection (Del)"
          onClick={() => deleteSelection(context)}
        >
          Delete
        </button>
        <button
          type="button"
          className="tool"
          disabled={!canUndo}
          title="Undo (Ctrl+Z)"
          onClick={() => stepHistory(context, true)}
        >
          Undo
        </button>
        <button
          type="button"
          className="tool"
          disabled={!canRedo}
          title="Redo (Ctrl+Shift+Z)"
          onClick={() => stepHistory(context, false)}
        >
          Redo
        </button>
        {canReview && (
          <button
            type="button"
            className="tool"
            aria-pressed={review}
            title="Review mode (R)"
            onClick={() => editor.setReview(!review)}
          >
            Review <kbd>R</kbd>
          </button>
        )}
        <button type="button" className="tool" title="Keyboard help (?)" onClick={() => editor.toggleHelp()}>
          Keys <kbd>?</kbd>
        </button>
      </span>
      <span className="spacer" />
      {notice !== null && (
        <span className={`notice ${notice.tone}`} role={notice.tone === "error" ? "alert" : "status"}>
          {notice.text}
        </span>
      )}
      <span
        className={`save-state save-${status.state}`}
        role="status"
        aria-label="Save state"
        title={status.state === "failed" ? status.message : undefined}
      >
        {SAVE_TEXT[status.state]}
        {status.state === "failed" && (
          <>
            : {status.message}{" "}
            <button type="button" className="quiet" onClick={() => void saver.saveNow()}>
              Retry
            </button>
          </>
        )}
      </span>
    </div>
  );
}
