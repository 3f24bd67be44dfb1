import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { FrameTable } from "../clock/frames";
import { SampleTimeline } from "../clock/timeline";
import {
  correction,
  frameOnScreen,
  frameTolerance,
  MAX_NUDGE,
  mediaPosition,
  parkingTime,
  pickLeader,
  RESEEK_SECONDS,
  stepFrame,
} from "./sync";

type Stream = components["schemas"]["Stream"];

const VIDEO: Stream = { id: "cam", name: "camera", modality: "video", media: { frame_rate: "25", frame_count: 244 } };
const NTSC: Stream = { id: "ntsc", name: "ntsc", modality: "video", media: { frame_rate: "30000/1001" } };
const LATE_AUDIO: Stream = {
  id: "mic",
  name: "microphone",
  modality: "audio",
  media: { sample_rate: 16000, duration: 5 },
  clock: { rate: "16000", offset: "0", sync: [{ local: "0", reference: "2", source: "manual" }] },
};
const TABLE_VIDEO: Stream = {
  id: "vfr",
  name: "vfr",
  modality: "video",
  clock: { time_base: "1/1000", ticks: [0, 40, 100, 120], offset: "0" },
};
const timeline = new SampleTimeline([VIDEO, NTSC, LATE_AUDIO, TABLE_VIDEO]);

describe("mediaPosition", () => {
  it("maps sample time through the stream's clock and says when it is outside the media", () => {
    expect(mediaPosition(timeline, "mic", 3.5, 5)).toEqual({ seconds: 1.5, inside: true });
    expect(mediaPosition(timeline, "mic", 1, 5)).toEqual({ seconds: 0, inside: false });
    expect(mediaPosition(timeline, "mic", 7, 5)).toEqual({ seconds: 5, inside: false });
    expect(mediaPosition(timeline, "mic", 7, null)).toEqual({ seconds: 5, inside: true });
  });
});

describe("frames", () => {
  it("finds the frame on screen, kept within the video", () => {
    expect(frameOnScreen(timeline, "cam", "3.64")).toBe(91);
    expect(frameOnScreen(timeline, "cam", "3.6399")).toBe(90);
    expect(frameOnScreen(timeline, "cam", 100)).toBe(243);
    expect(frameOnScreen(timeline, "vfr", "0.05")).toBe(1);
    expect(frameOnScreen(timeline, "vfr", 9)).toBe(3);
  });

  it("parks a paused video in the middle of its frame, from the frame table or the clock", () => {
    expect(parkingTime(timeline, "cam", "3.64", null, 9.76)).toBeCloseTo(3.66, 12);
    expect(parkingTime(timeline, "ntsc", "1", null, null)).toBeCloseTo((29.5 * 1001) / 30000, 12);
    const table = new FrameTable({
      time_base: "1/12800",
      ticks: Array.from({ length: 244 }, (_, i) => 512 * i),
      keyframes: [0],
      duration: "9.76",
      constant_rate: "25",
    });
    expect(parkingTime(timeline, "cam", "0.05", table, 9.76)).toBeCloseTo(0.06, 12);
    expect(parkingTime(timeline, "vfr", "0.05", null, null)).toBeCloseTo(0.07, 12);
    // the last entry of a timestamp table has no end: a millisecond into it
    expect(parkingTime(timeline, "vfr", 5, null, null)).toBeCloseTo(0.121, 12);
  });

  it("steps one frame from the frame on screen to its exact start", () => {
    expect(stepFrame(timeline, "cam", "3.65", 1)?.toString()).toBe("3.68");
    expect(stepFrame(timeline, "cam", "3.65", -1)?.toString()).toBe("3.6");
    expect(stepFrame(timeline, "cam", 0, -1)?.toString()).toBe("0");
    expect(stepFrame(timeline, "cam", "9.75", 1)?.toString()).toBe("9.72");
    expect(stepFrame(timeline, "ntsc", 0, 1)?.toString()).toBe("1001/30000");
    // many steps forward land exactly on frame starts, without float drift
    let t = stepFrame(timeline, "ntsc", 0, 0);
    for (let i = 0; i < 1000 && t !== null; i += 1) t = stepFrame(timeline, "ntsc", t, 1);
    expect(t?.toString()).toBe("1001/30");
  });

  it("tolerates half the shortest frame period", () => {
    expect(frameTolerance(timeline, ["cam", "ntsc"])).toBeCloseTo(1001 / 60000, 12);
    expect(frameTolerance(timeline, [])).toBe(0.02);
  });
});

describe("pickLeader", () => {
  it("prefers an active audio element, then an active video one", () => {
    expect(
      pickLeader([
        { kind: "video", active: true },
        { kind: "audio", active: false },
        { kind: "audio", active: true },
      ]),
    ).toBe(2);
    expect(pickLeader([{ kind: "audio", active: false }, { kind: "video", active: true }])).toBe(1);
    expect(pickLeader([{ kind: "audio", active: false }])).toBeNull();
  });
});

describe("correction", () => {
  it("keeps the clock's rate within the tolerance", () => {
    expect(correction(0.009, 1.5, 0.01)).toEqual({ kind: "rate", playbackRate: 1.5 });
  });

  it("slows a follower that is ahead and speeds up one that is behind, proportionally", () => {
    const ahead = correction(0.02, 1, 0.01);
    const behind = correction(-0.02, 2, 0.01);
    expect(ahead).toEqual({ kind: "rate", playbackRate: 0.9 });
    expect(behind).toEqual({ kind: "rate", playbackRate: 2.2 });
    expect(correction(0.4, 1, 0.01)).toEqual({ kind: "rate", playbackRate: 1 - MAX_NUDGE });
  });

  it("re-seeks a follower that is too far off", () => {
    expect(correction(RESEEK_SECONDS + 0.01, 1, 0.01)).toEqual({ kind: "seek" });
    expect(correction(-3, 1, 0.01)).toEqual({ kind: "seek" });
  });
});
