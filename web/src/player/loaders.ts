/**
 * What the time panes load besides the sample: a video's frame table, an audio stream's
 * waveform peaks (`peaks.ts`), a stream's media file as text. Prepared artefacts that are
 * not there yet (404: the stream was never prepared) load as `null`, so a pane falls back
 * to what it can do without them; any other failure is an error naming the request.
 */
import { ApiError } from "../api/client";
import { api, mediaUrl } from "../app/api";
import { FrameTable, type FrameTableJson } from "../clock/frames";
import { chooseLevel, readPeakLevel, toWaveform, type PeakLevelJson } from "./peaks";

/** The video's frame table, `null` when the stream was not prepared. */
export async function loadFrameTable(streamId: string, signal: AbortSignal): Promise<FrameTable | null> {
  const answer = await api.GET("/api/streams/{stream_id}/frames", {
    params: { path: { stream_id: streamId } },
    signal,
  });
  if (answer.response.status === 404) return null;
  if (answer.error !== undefined) throw new ApiError(answer.response.status, answer.error);
  return new FrameTable(answer.data as unknown as FrameTableJson);
}

/** The waveform of `duration` seconds of audio as wavesurfer's peaks (one channel), from the
 * coarsest level and then the level `chooseLevel` picks; `null` when not prepared. */
export async function loadWaveform(
  streamId: string,
  duration: number,
  signal: AbortSignal,
): Promise<Float32Array | null> {
  const coarsest = await peakLevel(streamId, undefined, signal);
  if (coarsest === null) return null;
  const level = chooseLevel(coarsest, duration);
  if (level === coarsest.level) return toWaveform(coarsest);
  const chosen = await peakLevel(streamId, level, signal);
  return chosen === null ? null : toWaveform(chosen);
}

async function peakLevel(
  streamId: string,
  level: number | undefined,
  signal: AbortSignal,
): Promise<PeakLevelJson | null> {
  const answer = await api.GET("/api/streams/{stream_id}/peaks", {
    params: { path: { stream_id: streamId }, query: level === undefined ? {} : { level } },
    signal,
  });
  if (answer.response.status === 404) return null;
  if (answer.error !== undefined) throw new ApiError(answer.response.status, answer.error);
  return readPeakLevel(answer.data);
}

/** The stream's media file as text (the session's cookie goes with the request). */
export async function loadMediaText(streamId: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(mediaUrl(streamId), { signal, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${mediaUrl(streamId)}`);
  return response.text();
}
