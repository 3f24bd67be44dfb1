import { describe, expect, it } from "vitest";

import { press } from "./keyPress.testing";
import { actionOf, digitOf, KEYMAP, keyName } from "./keymap";

describe("actionOf", () => {
  it("maps the tool and editing keys, in either case", () => {
    expect(actionOf(press("b"))).toBe("tool-box");
    expect(actionOf(press("B", { shiftKey: true }))).toBe("tool-box");
    expect(actionOf(press("p"))).toBe("tool-polygon");
    expect(actionOf(press("l"))).toBe("link");
    expect(actionOf(press("g"))).toBe("group");
    expect(actionOf(press("Delete"))).toBe("delete");
    expect(actionOf(press("Escape"))).toBe("cancel");
    expect(actionOf(press("?", { shiftKey: true }))).toBe("help");
  });

  it("maps the key-frame keys of the video, telling add from delete by Shift", () => {
    expect(actionOf(press("n"))).toBe("keyframe-add");
    expect(actionOf(press("N", { shiftKey: true }))).toBe("keyframe-delete");
    expect(actionOf(press("["))).toBe("keyframe-previous");
    expect(actionOf(press("]"))).toBe("keyframe-next");
    expect(actionOf(press("o"))).toBe("outside");
    expect(actionOf(press("n", { ctrlKey: true }))).toBeNull();
    expect(keyName({ key: "n", shift: true })).toBe("Shift+N");
  });

  it("maps the waveform zoom keys, with or without the Shift that types +", () => {
    expect(actionOf(press("+", { shiftKey: true }))).toBe("zoom-in");
    expect(actionOf(press("="))).toBe("zoom-in");
    expect(actionOf(press("-"))).toBe("zoom-out");
    expect(actionOf(press("0"))).toBe("zoom-fit");
    expect(actionOf(press("-", { ctrlKey: true }))).toBeNull();
  });

  it("tells undo from redo by Shift, with Ctrl or ⌘", () => {
    expect(actionOf(press("z", { ctrlKey: true }))).toBe("undo");
    expect(actionOf(press("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(actionOf(press("z", { metaKey: true }))).toBe("undo");
    expect(actionOf(press("y", { ctrlKey: true }))).toBe("redo");
    expect(actionOf(press("s", { ctrlKey: true }))).toBe("save");
  });

  it("lets Shift through to the nudges but not Ctrl or Alt to the letters", () => {
    expect(actionOf(press("ArrowLeft", { shiftKey: true }))).toBe("nudge-left");
    expect(actionOf(press("z"))).toBeNull();
    expect(actionOf(press("b", { ctrlKey: true }))).toBeNull();
    expect(actionOf(press("l", { altKey: true }))).toBeNull();
    expect(actionOf(press("F5"))).toBeNull();
  });

  it("maps C to the judgement panel, not with Shift or Ctrl", () => {
    expect(actionOf(press("c"))).toBe("judge");
    expect(actionOf(press("C", { shiftKey: true }))).toBeNull();
    expect(actionOf(press("c", { ctrlKey: true }))).toBeNull();
  });

  it("maps Q to asking a senior, not with Ctrl", () => {
    expect(actionOf(press("q"))).toBe("escalate");
    expect(actionOf(press("Q", { shiftKey: true }))).toBe("escalate");
    expect(actionOf(press("q", { ctrlKey: true }))).toBeNull();
  });

  it("maps the task keys: Ctrl+Enter submits, with Shift rejects; Shift+T releases", () => {
    expect(actionOf(press("Enter", { ctrlKey: true }))).toBe("task-submit");
    expect(actionOf(press("Enter", { metaKey: true }))).toBe("task-submit");
    expect(actionOf(press("Enter", { ctrlKey: true, shiftKey: true }))).toBe("task-reject");
    expect(actionOf(press("Enter"))).toBe("finish");
    expect(actionOf(press("T", { shiftKey: true }))).toBe("task-release");
    expect(actionOf(press("t"))).toBeNull();
  });

  it("maps M to the Model tool and Y to a candidate's decision, Shift telling reject", () => {
    expect(actionOf(press("m"))).toBe("tool-model");
    expect(actionOf(press("y"))).toBe("candidate-accept");
    expect(actionOf(press("Y", { shiftKey: true }))).toBe("candidate-reject");
    expect(actionOf(press("y", { ctrlKey: true }))).toBe("redo");
    expect(keyName({ key: "y", shift: true })).toBe("Shift+Y");
  });

  it("binds no key twice", () => {
    const names = KEYMAP.flatMap((entry) => entry.keys.map(keyName));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("digitOf and keyName", () => {
  it("reads the label hotkeys 1 to 9 only", () => {
    expect(digitOf(press("1"))).toBe(1);
    expect(digitOf(press("9"))).toBe(9);
    expect(digitOf(press("0"))).toBeNull();
    expect(digitOf(press("2", { ctrlKey: true }))).toBeNull();
  });

  it("writes bindings as the help shows them", () => {
    expect(keyName({ key: "z", ctrl: true, shift: true })).toBe("Ctrl+Shift+Z");
    expect(keyName({ key: "ArrowUp" })).toBe("↑");
    expect(keyName({ key: "Escape" })).toBe("Esc");
  });
});
