import { useEffect, useEffectEvent } from "react";

import type { Work } from "../work/objects";
import { useWorkspace } from "../workspace/Workspace";

/**
 * The objects to bring into view when `ids` were picked, in order: an annotation itself,
 * a link's two ends, an entity's members (a link's end that is an entity: its members).
 */
export function revealTargets(ids: readonly string[], work: Work): string[] {
  const links = new Map(work.links.map((link) => [link.id, link]));
  const members = new Map(work.entities.map((entity) => [entity.id, entity.members ?? []]));
  const expand = (id: string): string[] => members.get(id) ?? [id];
  const found = ids.flatMap((id) => {
    const link = links.get(id);
    return link === undefined ? expand(id) : [...expand(link.source), ...expand(link.target)];
  });
  return [...new Set(found)];
}

/**
 * Each time something is picked (`focus.revealed`: a click in any pane, the links list,
 * the inspector), calls `show` with the first of its `revealTargets` that `shows`.
 */
export function useReveal(shows: (id: string) => boolean, show: (id: string) => void): void {
  const { focus, work } = useWorkspace();
  const picked = useEffectEvent((ids: readonly string[]): void => {
    const target = revealTargets(ids, work.getState().work).find(shows);
    if (target !== undefined) show(target);
  });
  useEffect(
    () =>
      focus.subscribe((state, before) => {
        if (state.revealed !== before.revealed && state.revealed.length > 0) picked(state.revealed);
      }),
    [focus],
  );
}
