/**
 * What the person points at in the workspace, shared by every pane: the selected objects
 * (annotations, entities, links, in the order picked) and the hovered ones (a link's two
 * ends while the link is hovered, say). Panes highlight what is here and put here what is
 * clicked or hovered; the editing tools (link, group, label) act on the selection.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

export interface FocusState {
  /** Selected object ids, in the order they were picked. */
  readonly selected: readonly string[];
  /** Hovered object ids (highlighted in every pane that shows them). */
  readonly hovered: readonly string[];
  /** The ids the last `select` picked (a new list each time), for the panes that show
   * them, or a link's ends, to bring them into view (`panes/useReveal`). */
  readonly revealed: readonly string[];
  /** Select `ids`; `additive` adds them to the selection (toggling ones already in it). */
  select(ids: readonly string[], additive?: boolean): void;
  /** Hover `ids` (`[]`: nothing). */
  hover(ids: readonly string[]): void;
  clear(): void;
}

/** A new focus store, nothing selected or hovered. */
export function createFocusStore(): StoreApi<FocusState> {
  return createStore<FocusState>()((set, get) => ({
    selected: [],
    hovered: [],
    revealed: [],
    select(ids, additive = false) {
      if (!additive) {
        const picked = [...new Set(ids)];
        set({ selected: picked, revealed: picked });
        return;
      }
      const next = [...get().selected];
      for (const id of ids) {
        const at = next.indexOf(id);
        if (at >= 0) next.splice(at, 1);
        else next.push(id);
      }
      set({ selected: next, revealed: ids.filter((id) => next.includes(id)) });
    },
    hover(ids) {
      set({ hovered: [...ids] });
    },
    clear() {
      set({ selected: [], hovered: [], revealed: [] });
    },
  }));
}
