import { useMemo } from "react";

import type { Annotation } from "../work/objects";
import { useWork } from "../workspace/Workspace";

/** The annotations of the workspace's work (as edited) on stream `streamId`, in order. */
export function useStreamAnnotations(streamId: string): readonly Annotation[] {
  const annotations = useWork((state) => state.work.annotations);
  return useMemo(() => annotations.filter((annotation) => annotation.stream === streamId), [annotations, streamId]);
}
