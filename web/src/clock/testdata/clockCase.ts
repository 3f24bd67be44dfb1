import type { ClockSpec, Rounding } from "../clockMap";

/** One clock and what `rosetta.core.clock` answered about it (times as exact strings). */
export interface ClockCase {
  clock: ClockSpec;
  count: number | null;
  /** [index, time_of(index)] */
  timeOf: [number, string][];
  /** [t, index_at(t, "floor"), ... "ceil", ... "nearest"] */
  indexAt: [string, number, number, number][];
  /** [t, to_local(t)] */
  local: [string, string][];
  /** [start, end, covering start, covering stop] */
  covering: [string, string, number, number][];
  snap: {
    start: string;
    end: string;
    how: "outer" | "nearest";
    snapped: [string, string] | null;
  }[];
}

export const ROUNDINGS: readonly Rounding[] = ["floor", "ceil", "nearest"];
