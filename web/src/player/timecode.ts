/** Times as the transport shows them, and what its keys do. */
import { Fraction, type TimeLike } from "../clock/fraction";

/** `hh:mm:ss.mmm` of a sample time, milliseconds truncated (exact, never rounded up into
 * the next frame); negative times show as zero. */
export function formatTimecode(t: TimeLike): string {
  const time = Fraction.from(t);
  const ms = time.lt(0) ? 0n : time.mul(1000).floor();
  const hours = ms / 3_600_000n;
  const minutes = (ms / 60_000n) % 60n;
  const seconds = (ms / 1000n) % 60n;
  const millis = ms % 1000n;
  const two = (value: bigint): string => value.toString().padStart(2, "0");
  return `${two(hours)}:${two(minutes)}:${two(seconds)}.${millis.toString().padStart(3, "0")}`;
}

/** The playback rates offered, slowest first. */
export const RATES: readonly number[] = [0.25, 0.5, 1, 1.5, 2, 4];

/** How far J jumps back, seconds. */
export const JUMP_SECONDS = 5;

/** What a transport key asks for. */
export type TransportAction = "toggle" | "pause" | "play" | "back" | "frame-back" | "frame-forward";

/** The keys of the transport: Space plays or pauses, K pauses, L plays (again: faster),
 * J jumps back `JUMP_SECONDS`, comma and period step one frame back and forward. */
export const TRANSPORT_KEYS: Readonly<Record<string, TransportAction>> = {
  " ": "toggle",
  k: "pause",
  l: "play",
  j: "back",
  ",": "frame-back",
  ".": "frame-forward",
};

/** What each transport action does, for the help overlay. */
export const TRANSPORT_HELP: Readonly<Record<TransportAction, string>> = {
  toggle: "Play or pause every time-based pane together",
  pause: "Pause",
  play: "Play (again: faster); with two or more objects selected, L links them instead",
  back: `Jump back ${JUMP_SECONDS} seconds`,
  "frame-back": "Step one video frame back",
  "frame-forward": "Step one video frame forward",
};

/** The next rate L asks for while playing at `rate`: the next faster one offered, at most the fastest. */
export function fasterRate(rate: number): number {
  return RATES.find((each) => each > rate) ?? (RATES.at(-1) as number);
}
