import type { Stream } from "./sample";

function seconds(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} s`;
}

function rate(fraction: string): string {
  const [num, den] = fraction.split("/").map(Number);
  if (num === undefined || den === undefined || !Number.isFinite(num / den)) return fraction;
  const fps = num / den;
  return `${Number.isInteger(fps) ? fps : fps.toFixed(3)} fps`;
}

/** What probing found about a stream's media, in a few words ("320×240 · 25 fps · 9.76 s"). */
export function mediaSummary(stream: Stream): string {
  const media = stream.media ?? {};
  const parts: string[] = [];
  if (media.width != null && media.height != null) parts.push(`${media.width}×${media.height}`);
  if (media.frame_rate != null) parts.push(rate(media.frame_rate));
  if (media.duration != null) parts.push(seconds(media.duration));
  if (media.sample_rate != null) parts.push(`${media.sample_rate / 1000} kHz`);
  if (media.channels != null) parts.push(media.channels === 1 ? "mono" : `${media.channels} channels`);
  const length = media.length ?? (stream.text != null ? Array.from(stream.text).length : undefined);
  if (stream.modality === "text" && length !== undefined) parts.push(`${length} characters`);
  return parts.join(" · ");
}
