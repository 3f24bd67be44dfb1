/**
 * The workspace's keyboard map: one table that both the key handler (`useEditingKeys`)
 * and the `?` help overlay read, so what is documented is what works.
 *
 * Keys are matched on `KeyboardEvent.key` (the character typed, so `?` follows the
 * keyboard layout; letters in either case) with the Ctrl (or ⌘) modifier each binding
 * names, and Shift only where a binding says (a binding that does not lets Shift through:
 * Shift+← moves ten pixels).
 */

/** What a key asks the workspace to do. */
export type Action =
  | "tool-select"
  | "tool-box"
  | "tool-polygon"
  | "tool-model"
  | "label"
  | "finish"
  | "link"
  | "group"
  | "delete"
  | "undo"
  | "redo"
  | "save"
  | "cancel"
  | "nudge-left"
  | "nudge-right"
  | "nudge-up"
  | "nudge-down"
  | "keyframe-add"
  | "keyframe-delete"
  | "keyframe-previous"
  | "keyframe-next"
  | "outside"
  | "zoom-in"
  | "zoom-out"
  | "zoom-fit"
  | "review"
  | "accept"
  | "reject"
  | "candidate-accept"
  | "candidate-reject"
  | "escalate"
  | "task-submit"
  | "task-reject"
  | "task-release"
  | "judge"
  | "help"
  | "back";

/** One key (with its modifiers) bound to an action. */
export interface Binding {
  readonly key: string;
  /** Ctrl on Linux and Windows, ⌘ on macOS. */
  readonly ctrl?: boolean;
  /** Must Shift be held (`true`), released (`false`), or either (left out)? */
  readonly shift?: boolean;
}

/** A row of the help overlay: the keys, what they do, and the action they run. */
export interface KeyHelp {
  readonly action: Action;
  readonly keys: readonly Binding[];
  readonly help: string;
}

/** Every binding of the workspace, in the order the help overlay lists them. */
export const KEYMAP: readonly KeyHelp[] = [
  {
    action: "tool-select",
    keys: [{ key: "v" }],
    help: "Select tool: click a shape to select it, Shift+click to add it",
  },
  {
    action: "tool-box",
    keys: [{ key: "b" }],
    help: "Box tool: drag on an image to draw a box, on a paused video to start a track",
  },
  {
    action: "tool-polygon",
    keys: [{ key: "p" }],
    help: "Polygon tool: click the vertices, Enter or a click on the first one closes it",
  },
  {
    action: "tool-model",
    keys: [{ key: "m" }],
    help: "Model tool: click the thing (Shift or Alt: off it) and Enter, or drag a box, for a model's candidates",
  },
  {
    action: "label",
    keys: [{ key: "e" }],
    help: "Change the label of the selected annotations (1–9 pick in the label picker)",
  },
  {
    action: "finish",
    keys: [{ key: "Enter" }],
    help: "Close the polygon being drawn (Model tool: send the points clicked)",
  },
  {
    action: "link",
    keys: [{ key: "l" }],
    help: "Link the two selected objects (only the relation types the ontology allows)",
  },
  { action: "group", keys: [{ key: "g" }], help: "Group the selected annotations into an entity" },
  {
    action: "delete",
    keys: [{ key: "Delete" }, { key: "Backspace" }],
    help: "Delete the selection (Backspace while drawing: the last vertex)",
  },
  { action: "undo", keys: [{ key: "z", ctrl: true, shift: false }], help: "Undo" },
  {
    action: "redo",
    keys: [
      { key: "z", ctrl: true, shift: true },
      { key: "y", ctrl: true },
    ],
    help: "Redo",
  },
  {
    action: "save",
    keys: [{ key: "s", ctrl: true }],
    help: "Save now (the work also saves itself a second after each edit)",
  },
  { action: "nudge-left", keys: [{ key: "ArrowLeft" }], help: "Move the selected shapes a pixel left (Shift: ten)" },
  { action: "nudge-right", keys: [{ key: "ArrowRight" }], help: "… right" },
  { action: "nudge-up", keys: [{ key: "ArrowUp" }], help: "… up" },
  { action: "nudge-down", keys: [{ key: "ArrowDown" }], help: "… down" },
  {
    action: "keyframe-add",
    keys: [{ key: "n", shift: false }],
    help: "Video: make the frame shown a key frame of the selected track (its box as interpolated there)",
  },
  {
    action: "keyframe-delete",
    keys: [{ key: "n", shift: true }],
    help: "Video: delete the selected track's key frame on the frame shown (a track keeps one)",
  },
  { action: "keyframe-previous", keys: [{ key: "[" }], help: "Video: go to the selected track's previous key frame" },
  { action: "keyframe-next", keys: [{ key: "]" }], help: "Video: go to its next key frame" },
  {
    action: "outside",
    keys: [{ key: "o" }],
    help: "Video: the selected track leaves view from the frame shown (again: it comes back)",
  },
  {
    action: "zoom-in",
    keys: [{ key: "+" }, { key: "=" }],
    help: "Audio: zoom the waveforms in around the play cursor (Ctrl+wheel: around the pointer)",
  },
  { action: "zoom-out", keys: [{ key: "-" }], help: "Audio: zoom the waveforms out" },
  { action: "zoom-fit", keys: [{ key: "0" }], help: "Audio: show the whole of each waveform" },
  { action: "review", keys: [{ key: "r" }], help: "Review mode on or off (reviewers)" },
  {
    action: "accept",
    keys: [{ key: "a" }],
    help: "Review: accept the selected annotations and links (links: confirm)",
  },
  {
    action: "reject",
    keys: [{ key: "x" }],
    help: "Review: reject the selected annotations (with the reason typed beside them) and links",
  },
  {
    action: "candidate-accept",
    keys: [{ key: "y", shift: false }],
    help: "Accept the selected model candidates as they are now (with your edits)",
  },
  {
    action: "candidate-reject",
    keys: [{ key: "y", shift: true }],
    help: "Reject the selected model candidates (they are deleted)",
  },
  {
    action: "escalate",
    keys: [{ key: "q" }],
    help: "Ask a senior about the sample (with one object selected: about it); answers show under Questions",
  },
  {
    action: "task-submit",
    keys: [{ key: "Enter", ctrl: true, shift: false }],
    help: "Task: save and submit it (a review task: accept the sample), then open the next task",
  },
  {
    action: "task-reject",
    keys: [{ key: "Enter", ctrl: true, shift: true }],
    help: "Review task: reject the sample back to its annotators, with a comment saying what to fix",
  },
  { action: "task-release", keys: [{ key: "t", shift: true }], help: "Task: give it back to the queue" },
  {
    action: "judge",
    keys: [{ key: "c", shift: false }],
    help: "Preference sample: go to the ranking (A, B, C… rank best first, = ties, Backspace undoes; Tab: the rubric)",
  },
  {
    action: "cancel",
    keys: [{ key: "Escape" }],
    help:
      "Cancel the drawing (or the points clicked for a model), then the selection; with nothing to cancel, back to the samples",
  },
  { action: "help", keys: [{ key: "?" }], help: "Show or hide this help" },
  { action: "back", keys: [{ key: "u" }], help: "Back to the samples" },
];

/** The parts of a key press the map looks at. */
export interface KeyPress {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
}

function matches(binding: Binding, press: KeyPress): boolean {
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  const wanted = binding.key.length === 1 ? binding.key.toLowerCase() : binding.key;
  if (key !== wanted || press.altKey) return false;
  if ((binding.ctrl ?? false) !== (press.ctrlKey || press.metaKey)) return false;
  return binding.shift === undefined || binding.shift === press.shiftKey;
}

/** The action `press` runs, or `null` when no binding matches it. */
export function actionOf(press: KeyPress): Action | null {
  for (const entry of KEYMAP) {
    if (entry.keys.some((binding) => matches(binding, press))) return entry.action;
  }
  return null;
}

/** The label hotkey `press` is (1–9, no modifiers), or `null`. */
export function digitOf(press: KeyPress): number | null {
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  return /^[1-9]$/.test(press.key) ? Number(press.key) : null;
}

/** How a binding is written in the help ("Ctrl+Shift+Z"). */
export function keyName(binding: Binding): string {
  const names: Record<string, string> = {
    ArrowLeft: "←",
    ArrowRight: "→",
    ArrowUp: "↑",
    ArrowDown: "↓",
    Escape: "Esc",
    Delete: "Del",
  };
  const key = names[binding.key] ?? (binding.key.length === 1 ? binding.key.toUpperCase() : binding.key);
  return [binding.ctrl === true ? "Ctrl" : null, binding.shift === true ? "Shift" : null, key]
    .filter((part) => part !== null)
    .join("+");
}
