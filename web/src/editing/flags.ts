/**
 * Link statuses as the workspace shows them: the status a link carries, or the one it
 * will have once the work is saved (`work/status`), and the stale links each annotation
 * is concerned by, so the panes and the inspector can flag it.
 */
import type { Link, LinkStatus, Work } from "../work/objects";
import type { DerivedStatus } from "../work/status";

/** A link's status as shown, and why it differs from the stored one (`null`: it does not). */
export interface ShownStatus {
  readonly status: LinkStatus;
  readonly reason: string | null;
}

/** The status `link` shows: its derived one when the work changes it, else its own. */
export function shownStatus(link: Link, derived: ReadonlyMap<string, DerivedStatus>): ShownStatus {
  const after = derived.get(link.id);
  return after === undefined ? { status: link.status ?? "proposed", reason: null } : after;
}

/**
 * The stale links (stored or derived) by the annotations and entities they concern: their
 * two ends and, where an end is an entity, its members.
 */
export function staleLinks(work: Work, derived: ReadonlyMap<string, DerivedStatus>): Map<string, Link[]> {
  const members = new Map(work.entities.map((entity) => [entity.id, entity.members ?? []]));
  const found = new Map<string, Link[]>();
  for (const link of work.links) {
    if (shownStatus(link, derived).status !== "stale") continue;
    const concerned = new Set<string>();
    for (const end of [link.source, link.target]) {
      concerned.add(end);
      for (const member of members.get(end) ?? []) concerned.add(member);
    }
    for (const id of concerned) found.set(id, [...(found.get(id) ?? []), link]);
  }
  return found;
}
