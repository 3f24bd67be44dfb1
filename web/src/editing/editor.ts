/**
 * The editing state of one sample's workspace that is not the work itself: the tool, the
 * shape being drawn, the dialog that is open (label picker, link menu, help), review mode
 * and the last notice. A zustand store, framework-free like the work and focus stores;
 * the panes draw from it and the key handler and dialogs change it.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import type { Annotation } from "../work/objects";

/** A tool of the image panes (`model`: prompts for a model's candidates, `editing/proposals`). */
export type Tool = "select" | "box" | "polygon" | "model";

/** An image point in pixels: `[x, y]`. */
export type Point = readonly [number, number];

/** A shape being drawn on stream `stream`, in image pixels. */
export type Drawing =
  | { readonly kind: "box"; readonly stream: string; readonly from: Point; readonly to: Point }
  | {
      readonly kind: "polygon";
      readonly stream: string;
      readonly points: readonly Point[];
      /** Where the pointer is, for the edge to it. */
      readonly pointer: Point | null;
    };

/** Why the label picker is open: a new annotation's label, or new labels for some. */
export type LabelRequest =
  | { readonly for: "new"; readonly stream: string; readonly geometry: Annotation["geometry"] }
  | { readonly for: "relabel"; readonly ids: readonly string[] };

/** A message for the person: an edit refused (`error`) or what happened (`info`). */
export interface Notice {
  readonly tone: "error" | "info";
  readonly text: string;
}

export interface EditorState {
  readonly tool: Tool;
  readonly drawing: Drawing | null;
  /** The label picker's request, when it is open. */
  readonly labelling: LabelRequest | null;
  /** The link menu's two ends (in the order selected), when it is open. */
  readonly linking: { readonly source: string; readonly target: string } | null;
  readonly help: boolean;
  /** Review mode: accept and reject links (reviewers only). */
  readonly review: boolean;
  readonly notice: Notice | null;

  setTool(tool: Tool): void;
  draw(drawing: Drawing | null): void;
  askLabel(request: LabelRequest | null): void;
  askLink(ends: { source: string; target: string } | null): void;
  toggleHelp(): void;
  setReview(on: boolean): void;
  notify(notice: Notice | null): void;
  /** Close what is open, innermost first (a dialog, then a drawing); whether there was one. */
  cancel(): boolean;
}

/** A new editor store: the select tool, nothing drawn or open. */
export function createEditorStore(): StoreApi<EditorState> {
  return createStore<EditorState>()((set, get) => ({
    tool: "select",
    drawing: null,
    labelling: null,
    linking: null,
    help: false,
    review: false,
    notice: null,

    setTool(tool) {
      set({ tool, drawing: null });
    },
    draw(drawing) {
      set({ drawing });
    },
    askLabel(labelling) {
      set({ labelling, drawing: null, linking: null });
    },
    askLink(linking) {
      set({ linking, labelling: null });
    },
    toggleHelp() {
      set({ help: !get().help });
    },
    setReview(review) {
      set({ review });
    },
    notify(notice) {
      set({ notice });
    },
    cancel() {
      const { help, labelling, linking, drawing } = get();
      if (help) set({ help: false });
      else if (labelling !== null) set({ labelling: null });
      else if (linking !== null) set({ linking: null });
      else if (drawing !== null) set({ drawing: null });
      else return false;
      return true;
    },
  }));
}
