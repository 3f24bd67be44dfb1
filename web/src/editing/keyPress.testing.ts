import type { KeyPress } from "./keymap";

/** A key press for the key handlers' tests: `key` with no modifier but those in `mods`. */
export const press = (key: string, mods: Partial<Omit<KeyPress, "key">> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});
