import { describe, expect, it } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import { shapeAt } from "../player/tracks";
import type { Sample } from "../work/objects";
import { createWorkStore } from "../work/store";
import { createFocusStore } from "../workspace/focus";
import type { CommandContext } from "./commands";
import { createEditorStore } from "./editor";
import {
  addKeyFrame,
  adjacentKeyFrame,
  changeTrack,
  checkTrack,
  deleteKeyFrame,
  dragShape,
  editKeyFrames,
  neighbourKey,
  newTrack,
  setKeyFrame,
  startTrack,
  toggleOutside,
  type Track,
  type TrackBounds,
} from "./keyframes";

// in view 10-29 (20 occluded; 25 filled in by an export), outside from 30, back at 40
const BOXES: Track = {
  type: "track",
  keyframes: [
    { frame: 10, x: 0, y: 0, w: 10, h: 10, outside: false },
    { frame: 20, x: 10, y: 5, w: 20, h: 10, outside: false, occluded: true },
    { frame: 25, x: 24, y: 27.5, w: 12.5, h: 7.5, outside: false, occluded: true, interpolated: true },
    { frame: 30, x: 50, y: 50, w: 5, h: 5, outside: true },
    { frame: 40, x: 1, y: 2, w: 3, h: 4, outside: false },
  ],
};
const BOUNDS: TrackBounds = { width: 320, height: 240, frames: 244 };

const framesOf = (track: Track): number[] => track.keyframes.map((key) => key.frame);
const keyOn = (track: Track, frame: number) => track.keyframes.find((key) => key.frame === frame);

describe("key-frame operations", () => {
  it("add a key frame from the interpolated box, changing no other frame", () => {
    const track = addKeyFrame(BOXES, 13);
    expect(framesOf(track)).toEqual([10, 13, 20, 25, 30, 40]);
    expect(keyOn(track, 13)).toEqual({ frame: 13, x: 3, y: 1.5, w: 13, h: 10, outside: false });
    for (const frame of [9, 11, 15, 19, 27, 35, 41]) expect(shapeAt(track, frame)).toEqual(shapeAt(BOXES, frame));
    expect(shapeAt(track, 13)).toMatchObject({ key: true });
  });

  it("add one inside a filled segment: takes its occlusion and drops the fills it splits", () => {
    const track = addKeyFrame(BOXES, 27);
    expect(framesOf(track)).toEqual([10, 20, 27, 30, 40]);
    expect(keyOn(track, 27)).toEqual({ frame: 27, x: 38, y: 36.5, w: 9.5, h: 6.5, outside: false, occluded: true });
  });

  it("add one where the object is absent: the shape it had last, in view", () => {
    expect(keyOn(addKeyFrame(BOXES, 35), 35)).toEqual({ frame: 35, x: 50, y: 50, w: 5, h: 5, outside: false });
    expect(framesOf(addKeyFrame(BOXES, 5))).toEqual([5, 10, 20, 25, 30, 40]);
    expect(keyOn(addKeyFrame(BOXES, 5), 5)).toEqual({ frame: 5, x: 0, y: 0, w: 10, h: 10, outside: false });
    expect(() => addKeyFrame(BOXES, 20)).toThrow("frame 20 is a key frame already");
  });

  it("rounds an interpolated box by its edges, so it stays inside the frame", () => {
    const track: Track = {
      type: "track",
      keyframes: [
        { frame: 0, x: 0, y: 0, w: 320, h: 100, outside: false },
        { frame: 3, x: 10, y: 1, w: 310, h: 99, outside: false },
      ],
    };
    const key = keyOn(addKeyFrame(track, 1), 1);
    expect(key).toEqual({ frame: 1, x: 3.33, y: 0.33, w: 316.67, h: 99.67, outside: false });
    expect(() => checkTrack(addKeyFrame(track, 1), BOUNDS)).not.toThrow();
  });

  it("set the box of a frame: a new key frame, or the key frame there updated", () => {
    const added = setKeyFrame(BOXES, 22, { x: 100, y: 100, w: 50, h: 40 });
    expect(framesOf(added)).toEqual([10, 20, 22, 30, 40]);
    expect(keyOn(added, 22)).toEqual({ frame: 22, x: 100, y: 100, w: 50, h: 40, outside: false, occluded: true });
    const moved = setKeyFrame(BOXES, 20, { x: 11, y: 6, w: 20, h: 10 });
    expect(framesOf(moved)).toEqual([10, 20, 30, 40]);
    expect(keyOn(moved, 20)).toEqual({ frame: 20, x: 11, y: 6, w: 20, h: 10, outside: false, occluded: true });
    const noisy = setKeyFrame(BOXES, 22, { x: 1.004, y: 2.3333333, w: 318.99999, h: 5.0000001 });
    expect(keyOn(noisy, 22)).toMatchObject({ x: 1, y: 2.33, w: 319, h: 5 });
    expect(() => setKeyFrame(BOXES, 20, { points: [[0, 0], [1, 0], [0, 1]] })).toThrow(
      "a box track takes box key frames, not a polygon",
    );
  });

  it("delete a key frame, never the last one", () => {
    const track = deleteKeyFrame(BOXES, 20);
    expect(framesOf(track)).toEqual([10, 30, 40]);
    expect(shapeAt(track, 20)).toMatchObject({ x: 25, y: 25, w: 7.5, h: 7.5, key: false });
    expect(framesOf(deleteKeyFrame(BOXES, 10))).toEqual([20, 25, 30, 40]);
    expect(() => deleteKeyFrame(BOXES, 25)).toThrow("frame 25 is not a key frame");
    expect(() => deleteKeyFrame(newTrack({ x: 1, y: 1, w: 5, h: 5 }, 7), 7)).toThrow(
      "frame 7 is the track's only key frame",
    );
  });

  it("toggle outside: leaving view from a frame, or coming back", () => {
    const leaving = toggleOutside(BOXES, 13);
    expect(keyOn(leaving, 13)).toEqual({ frame: 13, x: 3, y: 1.5, w: 13, h: 10, outside: true });
    expect(shapeAt(leaving, 12)).toMatchObject({ x: 2, key: false });
    expect([13, 15, 19].map((frame) => shapeAt(leaving, frame))).toEqual([null, null, null]);
    expect(shapeAt(leaving, 20)).toMatchObject({ x: 10, key: true });

    const back = toggleOutside(BOXES, 30);
    expect(keyOn(back, 30)).toMatchObject({ outside: false, x: 50 });
    expect(shapeAt(back, 35)).toMatchObject({ x: 25.5, key: false });
    expect(keyOn(toggleOutside(BOXES, 33), 33)).toEqual({ frame: 33, x: 50, y: 50, w: 5, h: 5, outside: false });
    // a fill after a key frame turned outside no longer holds
    expect(framesOf(toggleOutside(BOXES, 20))).toEqual([10, 20, 30, 40]);
  });

  it("find the neighbouring key frames, ignoring the filled-in ones", () => {
    expect(neighbourKey(BOXES, 20, -1)).toBe(10);
    expect(neighbourKey(BOXES, 20, 1)).toBe(30);
    expect(neighbourKey(BOXES, 27, -1)).toBe(20);
    expect(neighbourKey(BOXES, 24, 1)).toBe(30);
    expect(neighbourKey(BOXES, 10, -1)).toBeNull();
    expect(neighbourKey(BOXES, 40, 1)).toBeNull();
    expect(neighbourKey(BOXES, 0, 1)).toBe(10);
  });

  it("interpolate a polygon track's vertices into a new key frame", () => {
    const track: Track = {
      type: "track",
      shape: "polygon",
      keyframes: [
        { frame: 0, points: [[0, 0], [10, 0], [0, 10]], outside: false },
        { frame: 4, points: [[4, 4], [14, 4], [4, 14]], outside: false },
      ],
    };
    expect(keyOn(addKeyFrame(track, 1), 1)).toEqual({ frame: 1, points: [[1, 1], [11, 1], [1, 11]], outside: false });
    expect(() => setKeyFrame(track, 2, { x: 0, y: 0, w: 1, h: 1 })).toThrow("a polygon track takes polygon key frames");
  });
});

describe("dragShape", () => {
  const size = { width: 320, height: 240 };
  const box = { x: 100, y: 50, w: 40, h: 30 };

  it("moves a box inside the frame and resizes it by a side or a corner", () => {
    expect(dragShape(box, "move", 12.5, -5, size)).toEqual({ x: 112.5, y: 45, w: 40, h: 30 });
    expect(dragShape(box, "move", 500, -500, size)).toEqual({ x: 280, y: 0, w: 40, h: 30 });
    expect(dragShape(box, "e", 10, 99, size)).toEqual({ x: 100, y: 50, w: 50, h: 30 });
    expect(dragShape(box, "nw", -10, -20, size)).toEqual({ x: 90, y: 30, w: 50, h: 50 });
    expect(dragShape(box, "s", 0, 500, size)).toEqual({ x: 100, y: 50, w: 40, h: 190 });
    // past the opposite side: the box flips
    expect(dragShape(box, "w", 60, 0, size)).toEqual({ x: 140, y: 50, w: 20, h: 30 });
  });

  it("moves a polygon whole, or one vertex, inside the frame", () => {
    const polygon = { points: [[10, 10], [50, 10], [10, 40]] as [number, number][] };
    expect(dragShape(polygon, "move", -20, 5, size)).toEqual({ points: [[0, 15], [40, 15], [0, 45]] });
    expect(dragShape(polygon, 1, 300, 0, size)).toEqual({ points: [[10, 10], [320, 10], [10, 40]] });
  });
});

describe("checkTrack", () => {
  const refused = (keyframes: Track["keyframes"], shape?: Track["shape"]) => () =>
    checkTrack({ type: "track", shape, keyframes }, BOUNDS);
  const box = { x: 0, y: 0, w: 10, h: 10, outside: false };

  it("refuses what the server refuses, naming the frame", () => {
    expect(() => checkTrack(BOXES, BOUNDS)).not.toThrow();
    expect(refused([{ ...box, frame: 244 }])).toThrow("key frame 244 is past the last frame (243)");
    expect(refused([{ ...box, frame: 3, x: 311 }])).toThrow("key frame 3: box x=311 y=0 w=10 h=10 must lie inside");
    expect(refused([{ ...box, frame: 3, w: 0 }])).toThrow("key frame 3: the box's width and height must be positive");
    expect(refused([{ ...box, frame: 3, h: undefined }])).toThrow("key frame 3: a box needs x, y, w and h");
    expect(refused([{ ...box, frame: 3 }, { ...box, frame: 3 }])).toThrow("increasing frame order (3 then 3)");
    expect(refused([{ ...box, frame: 1, interpolated: true }])).toThrow("first frame must be a key frame");
    expect(refused([{ ...box, frame: 1 }, { ...box, frame: 2, outside: true, interpolated: true }])).toThrow(
      "key frame 2: an interpolated frame cannot be outside",
    );
    expect(refused([{ frame: 1, points: [[0, 0], [1, 1]], outside: false }], "polygon")).toThrow("three vertices");
    expect(refused([{ frame: 1, points: [[0, 0], [1, 1], [0, 241]], outside: false }], "polygon")).toThrow(
      "point (0, 241) is outside the 320x240 frame",
    );
    expect(() => checkTrack({ ...BOXES, keyframes: [{ ...box, frame: 300 }] }, { ...BOUNDS, frames: null })).not.toThrow();
  });
});

function videoSample(): Sample {
  return {
    id: "s1",
    external_id: "s1",
    status: "in_progress",
    metadata: {},
    ego_poses: [],
    streams: [
      { id: "cam", name: "cam", modality: "video", media: { width: 320, height: 240, frame_count: 244 } },
    ],
    annotations: [
      {
        id: "t1",
        stream: "cam",
        label: "person",
        geometry: BOXES,
        attributes: {},
        revision: 1,
        ontology_version: 1,
        author: "ada",
        source: { kind: "human" },
        flags: [],
      },
    ],
    entities: [],
    links: [],
  };
}

function workspace(selected: string[]): CommandContext {
  const read = videoSample();
  const work = createWorkStore();
  work.getState().load(read, '"1"');
  const focus = createFocusStore();
  focus.getState().select(selected);
  return { sample: read, work, focus, editor: createEditorStore(), ontology: new OntologyIndex(CASES.demo) };
}

const trackOf = (context: CommandContext): Track => {
  const geometry = context.work.getState().work.annotations[0]?.geometry;
  if (geometry?.type !== "track") throw new Error("no track");
  return geometry;
};

describe("key-frame commands", () => {
  it("edit the selected track on the frame shown, one undo step each", () => {
    const context = workspace(["t1"]);
    expect(editKeyFrames(context, "cam", 13, "add")).toBe(true);
    expect(framesOf(trackOf(context))).toEqual([10, 13, 20, 25, 30, 40]);
    expect(editKeyFrames(context, "cam", 20, "delete")).toBe(true);
    expect(framesOf(trackOf(context))).toEqual([10, 13, 30, 40]);
    expect(context.work.getState().past).toHaveLength(2);
    context.work.getState().undo();
    expect(framesOf(trackOf(context))).toEqual([10, 13, 20, 25, 30, 40]);
    expect(editKeyFrames(workspace([]), "cam", 13, "add")).toBe(false);
  });

  it("turn a refusal into a notice, changing nothing", () => {
    const context = workspace(["t1"]);
    editKeyFrames(context, "cam", 12, "delete");
    expect(context.editor.getState().notice).toEqual({ tone: "error", text: "frame 12 is not a key frame" });
    changeTrack(context, "cam", "t1", (track) => setKeyFrame(track, 300, { x: 0, y: 0, w: 5, h: 5 }));
    expect(context.editor.getState().notice?.text).toBe("key frame 300 is past the last frame (243)");
    changeTrack(context, "cam", "t1", (track) => setKeyFrame(track, 12, { x: 300, y: 0, w: 25, h: 5 }));
    expect(context.editor.getState().notice?.text).toMatch(/^key frame 12: box x=300 .* inside the 320x240 frame$/);
    expect(context.work.getState().past).toHaveLength(0);
  });

  it("find the next key frame of the selected tracks", () => {
    const context = workspace(["t1"]);
    expect(adjacentKeyFrame(context, "cam", 20, 1)).toBe(30);
    expect(adjacentKeyFrame(context, "cam", 20, -1)).toBe(10);
    expect(adjacentKeyFrame(context, "cam", 10, -1)).toBeNull();
    expect(adjacentKeyFrame(workspace([]), "cam", 20, 1)).toBeNull();
  });

  it("start a new track: the label picker for a track with one key frame", () => {
    const context = workspace([]);
    startTrack(context, "cam", 57, { x: 4, y: 5, w: 60, h: 70 });
    expect(context.editor.getState().labelling).toEqual({
      for: "new",
      stream: "cam",
      geometry: { type: "track", keyframes: [{ frame: 57, x: 4, y: 5, w: 60, h: 70, outside: false }] },
    });
  });
});
