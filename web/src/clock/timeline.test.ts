import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { Fraction } from "./fraction";
import { MasterClock } from "./master";
import { seeded } from "./testdata/random";
import { SampleTimeline, streamClock, streamLength } from "./timeline";

type Stream = components["schemas"]["Stream"];

const VIDEO: Stream = {
  id: "cam",
  name: "camera",
  modality: "video",
  media: { frame_rate: "30000/1001", frame_count: 107892 + 1 },
};
const AUDIO: Stream = {
  id: "mic",
  name: "microphone",
  modality: "audio",
  media: { sample_rate: 16000, duration: 3600 },
};
const LIDAR: Stream = {
  id: "lidar",
  name: "lidar",
  modality: "pointcloud",
  clock: { rate: "10", offset: "0.05" },
};
const TEXT: Stream = { id: "doc", name: "caption", modality: "text", text: "hello" };

describe("streamClock and streamLength", () => {
  it("use the stream's own clock, else its probed rate from 0", () => {
    expect(streamClock(VIDEO)).toEqual({ rate: "30000/1001" });
    expect(streamClock(AUDIO)).toEqual({ rate: "16000" });
    expect(streamClock(LIDAR)).toBe(LIDAR.clock);
    expect(streamClock(TEXT)).toBeNull();
  });

  it("know the length of tables, videos and audio", () => {
    expect(streamLength(VIDEO)).toBe(107893);
    expect(streamLength(AUDIO)).toBe(57_600_000);
    const table: Stream = {
      ...LIDAR,
      clock: { time_base: "1/1000", ticks: [0, 100, 200], offset: "0" },
    };
    expect(streamLength(table)).toBe(3);
    expect(streamLength(LIDAR)).toBeNull();
    // duration × rate rounds halves to even, as Python's round does
    const half: Stream = { ...AUDIO, media: { sample_rate: 2, duration: 1.25 } };
    expect(streamLength(half)).toBe(2);
  });
});

describe("SampleTimeline", () => {
  const timeline = new SampleTimeline([VIDEO, AUDIO, LIDAR, TEXT]);

  it("gives each stream's index at a reference time with its modality's rounding", () => {
    expect(timeline.indexAt("cam", 14.327)).toBe(429);
    expect(timeline.indexAt("mic", "1.5")).toBe(24000);
    expect(timeline.indexAt("mic", "1.49999")).toBe(23999);
    // the lidar rounds to the nearest sweep: sweeps at 0.05, 0.15, ...
    expect(timeline.indexAt("lidar", "0.21")).toBe(2);
    expect(timeline.indexAt("lidar", "0.19")).toBe(1);
    expect(timeline.indexAt("lidar", "0.19", "floor")).toBe(1);
    expect(timeline.indexAt("doc", 3)).toBeNull();
  });

  it("answers null outside a stream of known length, nearest clamps", () => {
    expect(timeline.indexAt("cam", -0.01)).toBeNull();
    expect(timeline.indexAt("cam", 4000)).toBeNull();
    expect(timeline.indexAt("cam", 4000, "nearest")).toBe(107892);
    expect(timeline.indexAt("lidar", -5)).toBe(0);
  });

  it("maps between reference and media time through the sync map", () => {
    const synced = new SampleTimeline([
      {
        ...VIDEO,
        clock: {
          rate: "25",
          offset: "0",
          sync: [{ local: "2", reference: "2.5", source: "manual" }],
        },
      },
    ]);
    expect(synced.mediaTime("cam", 3).toString()).toBe("2.5");
    expect(synced.sampleTime("cam", "2.5").toString()).toBe("3");
    expect(synced.timeOf("cam", 0).toString()).toBe("0.5");
    expect(timeline.mediaTime("doc", 1.5).toString()).toBe("1.5");
  });

  it("names a stream that is not of the sample, or has no clock", () => {
    expect(() => timeline.indexAt("ghost", 1)).toThrow(
      '"ghost" is not a stream of the sample (cam, mic, lidar, doc)',
    );
    expect(() => timeline.timeOf("doc", 1)).toThrow('stream "doc" (text) has no clock');
  });

  it("agrees with an exact reference on 1,000 random seeks over an hour of NTSC video", () => {
    let now = 0;
    const clock = new MasterClock({ now: () => now, duration: 3600 });
    const random = seeded(5);
    for (let i = 0; i < 1000; i += 1) {
      // a seek to a millisecond time, then a few milliseconds of playing
      const ms = Math.floor(random() * 3_600_000);
      clock.seek(new Fraction(BigInt(ms), 1000n));
      clock.play();
      now += random() * 40;
      const t = clock.time();
      clock.pause();
      const frame = timeline.indexAt("cam", t);
      // exact: frame i starts at i * 1001 / 30000 s, so it is floor(t * 30000 / 1001)
      const exact = (t.num * 30000n) / (t.den * 1001n);
      expect(frame).toBe(Number(exact));
      // a float estimate is within one frame of it
      expect(
        Math.abs(Math.floor(t.toNumber() * (30000 / 1001)) - (frame as number)),
      ).toBeLessThanOrEqual(1);
    }
  });

  it("agrees with a linear scan on random seeks over an hour of variable frame rate", () => {
    const random = seeded(11);
    const ticks: number[] = [1234];
    while (ticks.length < 108_000) {
      ticks.push((ticks.at(-1) as number) + 2700 + Math.floor(random() * 600));
    }
    const vfr = new SampleTimeline([
      { ...VIDEO, clock: { time_base: "1/90000", ticks, offset: "-0.2" } },
    ]);
    const millis = Array.from({ length: 1000 }, () => Math.floor(random() * 3_700_000) - 500);
    millis.sort((a, b) => a - b);
    let expected = -1; // a sweep over the sorted times: the last frame starting at or before t
    for (const ms of millis) {
      // offset + tick / 90000 <= ms / 1000  <=>  tick <= (ms + 200) * 90, all integers
      while (expected + 1 < ticks.length && (ticks[expected + 1] as number) <= (ms + 200) * 90) {
        expected += 1;
      }
      const t = new Fraction(BigInt(ms), 1000n);
      expect(vfr.indexAt("cam", t)).toBe(expected < 0 ? null : expected);
    }
  });
});
