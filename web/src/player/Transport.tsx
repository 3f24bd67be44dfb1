import { useCallback, useEffect, useRef } from "react";

import type { Fraction } from "../clock/fraction";
import type { MasterClock } from "../clock/master";
import type { SampleTimeline } from "../clock/timeline";
import { isShortcut } from "../ui/keys";
import { useClockSnapshot, useWorkspace } from "../workspace/Workspace";
import "./player.css";
import { frameOnScreen, stepFrame } from "./sync";
import { playbackSync, useClockListener } from "./usePlayback";
import { fasterRate, formatTimecode, JUMP_SECONDS, RATES, TRANSPORT_KEYS, type TransportAction } from "./timecode";

const TIMED = new Set(["audio", "video", "timeseries", "pointcloud"]);

/**
 * The sample's transport bar: play/pause, one frame back and forward (of the sample's
 * first video), the time as `hh:mm:ss.mmm` with the frame number, a position slider and
 * the rate. Its keys work anywhere on the page (`TRANSPORT_KEYS`): Space, J/K/L, comma
 * and period; L is left to the link tool while two objects are selected. Nothing is drawn
 * for a sample without time-based streams. For tests `data-time` holds the clock's time and
 * `data-leader` the stream whose element the clock follows while playing (`PlaybackSync`).
 */
export function Transport() {
  const workspace = useWorkspace();
  const { sample, clock, timeline, focus } = workspace;
  const { time, playing, rate, duration } = useClockSnapshot();
  const root = useRef<HTMLDivElement>(null);
  // the clock's time for tests, written on every notification (as the panes write theirs)
  const showTime = useCallback((t: Fraction) => {
    if (root.current !== null) root.current.dataset.time = String(t.toNumber());
  }, []);
  useClockListener(showTime);
  const streams = sample.streams ?? [];
  const video = streams.find((stream) => stream.modality === "video" && timeline.clock(stream.id) !== null);
  const timed = streams.some((stream) => TIMED.has(stream.modality));

  useEffect(() => {
    if (!timed) return undefined;
    function onKey(event: KeyboardEvent): void {
      const action = TRANSPORT_KEYS[event.key.toLowerCase()];
      if (action === undefined || event.shiftKey || !isShortcut(event)) return;
      // with two objects selected, L links them (the editing keys), it does not play
      if (action === "play" && focus.getState().selected.length >= 2) return;
      event.preventDefault();
      act(action, clock, timeline, video?.id ?? null);
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [timed, clock, timeline, focus, video?.id]);

  if (!timed) return null;
  const frame = video === undefined ? null : frameOnScreen(timeline, video.id, time);
  const frames = video === undefined ? null : timeline.length(video.id);
  const end = duration?.toNumber() ?? 0;
  return (
    <div
      ref={root}
      className="transport"
      role="toolbar"
      aria-label="Playback"
      data-playing={playing}
      data-leader={playbackSync(workspace).leader() ?? ""}
    >
      {video !== undefined && (
        <button
          type="button"
          aria-label="Previous frame"
          title="Previous frame (,)"
          onClick={() => act("frame-back", clock, timeline, video.id)}
        >
          ◀︎|
        </button>
      )}
      <button
        type="button"
        aria-label={playing ? "Pause" : "Play"}
        title="Play or pause (Space)"
        onClick={() => act("toggle", clock, timeline, null)}
      >
        {playing ? "❚❚" : "▶︎"}
      </button>
      {video !== undefined && (
        <button
          type="button"
          aria-label="Next frame"
          title="Next frame (.)"
          onClick={() => act("frame-forward", clock, timeline, video.id)}
        >
          |▶︎
        </button>
      )}
      <output className="timecode" aria-label="Time">
        {formatTimecode(time)}
      </output>
      {frame !== null && (
        <span className="frame-number muted" aria-label="Frame">
          frame {frame}
          {frames === null ? "" : ` / ${frames - 1}`}
        </span>
      )}
      <input
        type="range"
        aria-label="Position"
        min={0}
        max={end}
        step={0.001}
        value={Math.min(time.toNumber(), end)}
        disabled={end === 0}
        onChange={(event) => clock.seek(event.currentTarget.value)}
      />
      <label>
        Rate
        <select value={rate.toNumber()} onChange={(event) => clock.setRate(event.currentTarget.value)}>
          {(RATES.includes(rate.toNumber()) ? RATES : [...RATES, rate.toNumber()]).map((each) => (
            <option key={each} value={each}>
              {each}×
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** Carry out a transport action on the clock (frame steps on video `videoId`). */
function act(action: TransportAction, clock: MasterClock, timeline: SampleTimeline, videoId: string | null): void {
  switch (action) {
    case "toggle":
      if (clock.playing) clock.pause();
      else clock.play();
      break;
    case "pause":
      clock.pause();
      break;
    case "play":
      if (clock.playing) clock.setRate(fasterRate(clock.rate.toNumber()));
      else clock.play();
      break;
    case "back":
      clock.seek(clock.time().sub(JUMP_SECONDS));
      break;
    case "frame-back":
    case "frame-forward": {
      if (videoId === null) break;
      clock.pause();
      const target = stepFrame(timeline, videoId, clock.time(), action === "frame-back" ? -1 : 1);
      if (target !== null) clock.seek(target);
      break;
    }
  }
}
