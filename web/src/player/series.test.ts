import { describe, expect, it } from "vitest";

import { channelGroups, envelope, parseSensorCsv, secondsFromFirst } from "./series";

const ROS = [
  "%time,field.header.seq,field.header.stamp,field.header.frame_id,field.angular_velocity.x,field.angular_velocity.y,field.cov0,field.linear_acceleration.z",
  "117735250999,11048,117735250000,RH_EXTIMU,0.5,-1,0.0,9.81",
  "117737750999,11049,117737750000,RH_EXTIMU,0.25,-2,0.0,9.8",
  "117740250999,11050,117740250000,RH_EXTIMU,0,-3,0.0,9.79",
].join("\n");

describe("parseSensorCsv", () => {
  it("reads the rostopic layout with its hardware stamps and numeric field columns", () => {
    const table = parseSensorCsv(ROS);
    expect(table.stamps).toEqual([117735250000n, 117737750000n, 117740250000n]);
    expect(table.columns.map((column) => column.name)).toEqual([
      "field.angular_velocity.x",
      "field.angular_velocity.y",
      "field.cov0",
      "field.linear_acceleration.z",
    ]);
    expect(Array.from(table.columns[0]?.values ?? [])).toEqual([0.5, 0.25, 0]);
    expect(Array.from(secondsFromFirst(table.stamps))).toEqual([0, 0.0025, 0.005]);
  });

  it("reads a plain CSV whose first column is nanoseconds", () => {
    const table = parseSensorCsv("t,speed\r\n1000,1.5\r\n2000,2\r\n");
    expect(table.stamps).toEqual([1000n, 2000n]);
    expect(table.columns).toHaveLength(1);
  });

  it("names the line and column of a bad cell", () => {
    expect(() => parseSensorCsv("t,a\n1,2\n2,x\n")).toThrow('line 3, column a: "x" is not a number');
    expect(() => parseSensorCsv("t,a\n1,2\n2.5,3\n")).toThrow("line 3, column t: \"2.5\" is not integer nanoseconds");
    expect(() => parseSensorCsv("t,a\n1,2\n2\n")).toThrow("line 3: 1 cells, the header has 2");
    expect(() => parseSensorCsv("t,a\n")).toThrow(/line 2: expected a header row/);
  });
});

describe("channelGroups", () => {
  it("leaves out constant columns and groups the rest by name", () => {
    const { groups, constant } = channelGroups(parseSensorCsv(ROS));
    expect(constant).toBe(1);
    expect(groups.map((group) => [group.title, group.columns.length, group.min, group.max])).toEqual([
      ["angular_velocity", 2, -3, 0.5],
      ["linear_acceleration", 1, 9.79, 9.81],
    ]);
  });
});

describe("envelope", () => {
  it("keeps each pixel's lowest and highest value", () => {
    const times = Float64Array.from({ length: 1000 }, (_, i) => i / 100);
    const values = Float64Array.from({ length: 1000 }, (_, i) => (i === 503 ? 50 : Math.sin(i)));
    const { low, high } = envelope(times, values, 0, 10, 10);
    expect(high[5]).toBe(50);
    expect(low.every((value) => value >= -1 && value < -0.99)).toBe(true);
    const sparse = envelope(Float64Array.of(0.5), Float64Array.of(2), 0, 10, 10);
    expect(Number.isNaN(sparse.low[1])).toBe(true);
    expect(sparse.low[0]).toBe(2);
  });
});
