import { describe, expect, it } from "vitest";

import { Fraction } from "./fraction";
import { type ClockEvent, MasterClock } from "./master";
import { seeded } from "./testdata/random";

/** A master clock on a hand-driven millisecond counter. */
function setup(duration: number | null = null): {
  clock: MasterClock;
  advance: (ms: number) => void;
} {
  let now = 1000.5;
  const clock = new MasterClock({ now: () => now, duration });
  return { clock, advance: (ms) => (now += ms) };
}

describe("MasterClock", () => {
  it("stands still until played, then follows elapsed time", () => {
    const { clock, advance } = setup();
    advance(500);
    expect(clock.time().eq(0)).toBe(true);
    clock.play();
    advance(1500);
    expect(clock.time().toString()).toBe("1.5");
    expect(clock.seconds()).toBe(1.5);
  });

  it("pauses, resumes and changes rate without drift over many cycles", () => {
    let now = 1234.567;
    const clock = new MasterClock({ now: () => now });
    const random = seeded(1);
    const rates = ["1", "2", "0.5", "2/3", "1001/1000"];
    let played = Fraction.ZERO; // the exact sum of every played span times its rate
    for (let i = 0; i < 5000; i += 1) {
      const rate = rates[i % rates.length] as string;
      clock.setRate(rate);
      clock.play();
      const start = Fraction.from(now);
      now += random() * 33.4; // arbitrary float milliseconds
      if (i % 7 === 0) {
        clock.tick();
      }
      played = played.add(Fraction.from(now).sub(start).div(1000).mul(rate));
      clock.pause();
      now += random() * 100; // paused time does not count
    }
    expect(clock.time().eq(played)).toBe(true);
    expect(clock.playing).toBe(false);
  });

  it("changes rate from the current instant on", () => {
    const { clock, advance } = setup();
    clock.play();
    advance(1000);
    clock.setRate(2);
    advance(1000);
    expect(clock.time().toString()).toBe("3");
    clock.setRate("0.5");
    advance(1000);
    expect(clock.time().toString()).toBe("3.5");
    clock.setRate("1001/1000");
    advance(1000);
    expect(clock.time().toString()).toBe("4.501");
    expect(clock.rate.toString()).toBe("1.001");
    expect(() => clock.setRate(0)).toThrow("a playback rate must be positive, got 0");
    expect(() => clock.setRate(-1)).toThrow(/positive/);
  });

  it("seeks while paused and while playing, within [0, duration]", () => {
    const { clock, advance } = setup(10);
    clock.seek("14.327");
    expect(clock.time().toString()).toBe("10");
    clock.seek(-3);
    expect(clock.time().toString()).toBe("0");
    clock.seek(4);
    clock.play();
    advance(250);
    expect(clock.time().toString()).toBe("4.25");
    clock.seek(2);
    advance(250);
    expect(clock.time().toString()).toBe("2.25");
  });

  it("stops at the end on a tick and plays again from the start", () => {
    const { clock, advance } = setup(2);
    const heard: string[] = [];
    clock.subscribe((event) => heard.push(`${event.type}@${event.time.toString()}`));
    clock.play();
    advance(1000);
    clock.tick();
    advance(5000);
    expect(clock.time().toString()).toBe("2");
    clock.tick();
    expect(clock.playing).toBe(false);
    clock.play();
    expect(heard).toEqual(["play@0", "tick@1", "ended@2", "play@0"]);
  });

  it("learns its duration late and keeps the time within it", () => {
    const { clock, advance } = setup();
    clock.play();
    advance(5000);
    clock.setDuration(3);
    expect(clock.time().toString()).toBe("3");
    expect(clock.duration?.toString()).toBe("3");
    expect(() => clock.setDuration(-1)).toThrow("a duration must not be negative, got -1");
  });

  it("notifies subscribers with one snapshot per notification until they leave", () => {
    const { clock, advance } = setup();
    const events: ClockEvent[] = [];
    const leave = clock.subscribe((event) => events.push(event));
    const before = clock.snapshot();
    expect(clock.snapshot()).toBe(before);
    clock.play();
    clock.play(); // already playing: nothing happens
    advance(40);
    clock.tick();
    const snapshot = clock.snapshot();
    advance(40);
    expect(clock.snapshot()).toBe(snapshot); // stable between notifications
    expect(snapshot.time.toString()).toBe("0.04");
    leave();
    clock.pause();
    expect(events.map((e) => e.type)).toEqual(["play", "tick"]);
    expect(clock.snapshot()).not.toBe(snapshot);
    expect(clock.snapshot().playing).toBe(false);
  });
});
