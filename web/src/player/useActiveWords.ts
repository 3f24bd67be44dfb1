import { useCallback, useMemo } from "react";

import type { Fraction } from "../clock/fraction";
import { useWork, useWorkspace } from "../workspace/Workspace";
import { placeInSegments, placeInText, sameWords, transcripts, wordsAt, type PlacedWord } from "./activeWords";
import { useClockValue } from "./usePlayback";

/**
 * The transcript words being spoken now, for highlighting them while the sample plays.
 *
 * On an audio or video stream: the words of its own transcript segments, with code-point
 * offsets into each segment's `text`. On a text stream: the words of any transcript whose
 * segments the text holds (`activeWords.placeInText`), with code-point offsets into the
 * text, which is the stream's inline text or `text` when it was loaded from its file.
 * Re-renders the caller only when the words change, not on every frame.
 */
export function useActiveWords(streamId: string, text?: string): readonly PlacedWord[] {
  const { sample } = useWorkspace();
  const annotations = useWork((state) => state.work.annotations);
  const stream = sample.streams?.find((each) => each.id === streamId);
  const body = text ?? stream?.text ?? null;
  const isText = stream?.modality === "text";
  const placed = useMemo(() => {
    if (!isText) return placeInSegments(transcripts(annotations, streamId));
    return body === null ? [] : placeInText(body, transcripts(annotations));
  }, [annotations, streamId, isText, body]);
  const select = useCallback((time: Fraction) => wordsAt(placed, time), [placed]);
  return useClockValue(select, sameWords);
}
