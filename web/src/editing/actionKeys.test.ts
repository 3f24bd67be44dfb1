import { describe, expect, it } from "vitest";

import { createActionKeys } from "./actionKeys";
import type { Action } from "./keymap";

describe("action keys", () => {
  it("runs an action's handlers in order until one takes the key", () => {
    const keys = createActionKeys();
    const calls: string[] = [];
    keys.add(["keyframe-add"], () => {
      calls.push("first");
      return false;
    });
    keys.add(["keyframe-add", "outside"], (action, shift) => {
      calls.push(`second ${action} ${shift}`);
      return true;
    });
    keys.add(["keyframe-add"], () => {
      calls.push("third");
      return true;
    });
    expect(keys.run("keyframe-add", true)).toBe(true);
    expect(calls).toEqual(["first", "second keyframe-add true"]);
    expect(keys.run("outside", false)).toBe(true);
    expect(keys.run("escalate", false)).toBe(false);
  });

  it("takes a handler away for every action it was added for", () => {
    const keys = createActionKeys();
    const seen: Action[] = [];
    const remove = keys.add(["task-submit", "task-release"], (action) => {
      seen.push(action);
      return true;
    });
    expect(keys.run("task-release", false)).toBe(true);
    remove();
    expect(keys.run("task-submit", false)).toBe(false);
    expect(keys.run("task-release", false)).toBe(false);
    expect(seen).toEqual(["task-release"]);
  });
});
