/**
 * Waveform peaks from `GET /api/streams/{id}/peaks` (`rosetta.media.peaks`): min/max pairs
 * of 16-bit values per bucket, at levels from 256 samples per bucket up to the coarsest
 * (at most 500 buckets). The pane asks for the coarsest level first, learns every level's
 * bucket size from it, and asks for the finest level that still keeps the drawing small
 * (`chooseLevel`), so an hour of audio draws from a few thousand pairs, never the file.
 */

/** One level as the API answers it (the fields read here). */
export interface PeakLevelJson {
  readonly sample_rate: number;
  readonly samples_per_pixel: number;
  readonly bits: number;
  readonly length: number;
  readonly level: number;
  /** Samples per bucket of every level, finest first. */
  readonly levels: readonly number[];
  /** `min, max` of each bucket, one after the other. */
  readonly data: readonly number[];
}

/** The most buckets a drawing needs: enough for a wide pane at two buckets per pixel. */
export const TARGET_BUCKETS = 4000;

/** Reads an answer of the peaks route; an `Error` names the first field that is wrong. */
export function readPeakLevel(json: unknown): PeakLevelJson {
  if (typeof json !== "object" || json === null) throw new Error("peaks: the answer is not an object");
  const record = json as Record<string, unknown>;
  for (const field of ["sample_rate", "samples_per_pixel", "bits", "length", "level"]) {
    if (typeof record[field] !== "number") throw new Error(`peaks: ${field} must be a number`);
  }
  if (!Array.isArray(record.levels) || !record.levels.every((each) => typeof each === "number")) {
    throw new Error("peaks: levels must be a list of numbers");
  }
  if (!Array.isArray(record.data) || record.data.length !== 2 * (record.length as number)) {
    throw new Error(`peaks: data must hold 2 × length = ${2 * (record.length as number)} numbers`);
  }
  return record as unknown as PeakLevelJson;
}

/**
 * The level to draw `duration` seconds from: the coarsest with at least `target` buckets
 * (the finest level when none has that many), given the answer for any one level.
 */
export function chooseLevel(known: PeakLevelJson, duration: number, target = TARGET_BUCKETS): number {
  const samples = duration * known.sample_rate;
  let chosen = 0;
  known.levels.forEach((perBucket, level) => {
    if (samples / perBucket >= target) chosen = level;
  });
  return chosen;
}

/** The level's pairs as wavesurfer's peaks, one channel of floats in `[-1, 1]`. */
export function toWaveform(level: PeakLevelJson): Float32Array {
  const scale = 2 ** (level.bits - 1);
  return Float32Array.from(level.data, (value) => value / scale);
}
