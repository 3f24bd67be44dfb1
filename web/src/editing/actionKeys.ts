/**
 * The keymap actions that parts of the workspace carry out themselves (a video pane's key
 * frames, the question dialog, the task bar): each adds its handler here, and the
 * workspace's one key handler (`useEditingKeys`) runs the handlers of an action it does not
 * carry out itself, in the order they were added, until one takes the key.
 */
import type { Action } from "./keymap";

/** Carries out `action` (Shift held: `shift`); whether it did something with the key. */
export type ActionHandler = (action: Action, shift: boolean) => boolean;

export interface ActionKeys {
  /** Add `handler` for `actions`; the function returned takes it away again. */
  add(actions: readonly Action[], handler: ActionHandler): () => void;
  /** Run the handlers of `action` until one takes the key; whether one did. */
  run(action: Action, shift: boolean): boolean;
}

/** A registry of action handlers with none added. */
export function createActionKeys(): ActionKeys {
  const handlers = new Map<Action, ActionHandler[]>();
  return {
    add(actions, handler) {
      for (const action of actions) handlers.set(action, [...(handlers.get(action) ?? []), handler]);
      return () => {
        for (const action of actions) handlers.set(action, (handlers.get(action) ?? []).filter((h) => h !== handler));
      };
    },
    run(action, shift) {
      return (handlers.get(action) ?? []).some((handler) => handler(action, shift));
    },
  };
}
