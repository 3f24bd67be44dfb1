import { useCallback, useMemo, useRef } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import type { Fraction } from "../clock/fraction";
import { placeInSegments, transcripts, wordsAt } from "../player/activeWords";
import { loadWaveform } from "../player/loaders";
import "../player/player.css";
import { useActiveWords } from "../player/useActiveWords";
import { useClockListener, useMediaSync } from "../player/usePlayback";
import { DECODE_LIMIT, useRegions, useWaveform, type RegionSpec } from "../player/useWaveform";
import { Legend } from "../ui/Legend";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import { Transcript } from "./Transcript";
import { useStreamAnnotations } from "./useStreamAnnotations";

/**
 * An audio stream on the master clock: its waveform (from precomputed peaks) with its
 * intervals and transcript segments as regions, and the transcript below with the word
 * being spoken highlighted. Clicking the waveform or a word seeks the clock; clicking a
 * region selects its annotation. For tests the root carries `data-time` (the sample time
 * of the element's position) and `data-word` (the words being spoken at the clock's time),
 * both written on every clock notification.
 */
export function AudioPane({ stream }: PaneProps) {
  const { clock, timeline } = useWorkspace();
  const select = useFocus((state) => state.select);
  const hover = useFocus((state) => state.hover);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const root = useRef<HTMLDivElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const waveform = useRef<HTMLDivElement>(null);
  const duration = stream.media?.duration ?? null;
  const annotations = useStreamAnnotations(stream.id);

  useMediaSync(audio, { streamId: stream.id, kind: "audio", duration });
  const peaks = useLoad(
    (signal) => (duration === null ? Promise.resolve(null) : loadWaveform(stream.id, duration, signal)),
    [stream.id, duration],
  );
  const seekMedia = useCallback(
    (seconds: number) => clock.seek(timeline.sampleTime(stream.id, seconds)),
    [clock, timeline, stream.id],
  );
  const regions = useWaveform(waveform, audio, {
    peaks: peaks.state === "done" ? peaks.data : peaks.state === "failed" ? null : undefined,
    duration,
    onSeek: seekMedia,
  });
  const specs = useMemo(
    () =>
      annotations.flatMap((annotation): RegionSpec[] => {
        const { geometry } = annotation;
        if (geometry.type !== "interval" && geometry.type !== "transcript") return [];
        const start = timeline.mediaTime(stream.id, geometry.start).toNumber();
        const end = timeline.mediaTime(stream.id, geometry.end).toNumber();
        return [{ id: annotation.id, label: annotation.label, start, end }];
      }),
    [annotations, timeline, stream.id],
  );
  const pick = useCallback((id: string, additive: boolean) => select([id], additive), [select]);
  useRegions(regions, specs, selected, hovered, pick, hover);

  const words = useActiveWords(stream.id);
  const segments = useMemo(() => placeInSegments(transcripts(annotations)), [annotations]);
  // written straight to the DOM on every clock notification, so both agree at any instant
  const showPosition = useCallback(
    (time: Fraction) => {
      const element = audio.current;
      if (root.current === null || element === null) return;
      root.current.dataset.time = String(timeline.sampleTime(stream.id, element.currentTime).toNumber());
      root.current.dataset.word = wordsAt(segments, time)
        .map((word) => word.word.text)
        .join(" ");
    },
    [timeline, stream.id, segments],
  );
  useClockListener(showPosition);

  const seekClock = useCallback((t: number) => clock.seek(t), [clock]);
  const unprepared = peaks.state === "done" && peaks.data === null && (duration === null || duration > DECODE_LIMIT);
  return (
    <div ref={root} className="player player-audio">
      <audio ref={audio} src={mediaUrl(stream.id)} preload="metadata" />
      <div ref={waveform} className="waveform" data-state={peaks.state} />
      {peaks.state === "failed" && (
        <p className="error" role="alert">
          Could not load the waveform: {peaks.error.message}
        </p>
      )}
      {unprepared && <p className="muted">The waveform is not prepared yet (rosetta media prepare).</p>}
      <Transcript segments={segments} words={words} selected={selected} onSeek={seekClock} />
      <Legend labels={specs.map((spec) => spec.label)} what="interval" />
      <p className="hints muted">Click the waveform or a word to play from there; click a region to select it.</p>
    </div>
  );
}
