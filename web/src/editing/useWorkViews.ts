import { useMemo } from "react";

import type { Link } from "../work/objects";
import { linkStatuses } from "../work/store";
import type { DerivedStatus } from "../work/status";
import { useWork } from "../workspace/Workspace";
import { staleLinks } from "./flags";

/** The links whose status saving will change, and why (recomputed when the work changes). */
export function useLinkStatuses(): ReadonlyMap<string, DerivedStatus> {
  const base = useWork((state) => state.base);
  const work = useWork((state) => state.work);
  return useMemo(() => linkStatuses({ base, work }), [base, work]);
}

/** The stale links (stored or after saving) by the annotations and entities they concern. */
export function useStaleLinks(): ReadonlyMap<string, readonly Link[]> {
  const work = useWork((state) => state.work);
  const derived = useLinkStatuses();
  return useMemo(() => staleLinks(work, derived), [work, derived]);
}
