import { useMemo, useState, type MouseEvent } from "react";

import { VirtualList, type RowProps } from "../ui/VirtualList";
import type { Link, LinkStatus } from "../work/objects";
import { useFocus, useWork, useWorkspace } from "../workspace/Workspace";
import { attempt } from "./commands";
import { objectName } from "./describe";
import { useCommandContext, useEditing, useEditor } from "./EditingProvider";
import { shownStatus, type ShownStatus } from "./flags";
import { useLinkStatuses } from "./useWorkViews";

type Direction = "all" | "outgoing" | "incoming";

/**
 * Links, filterable by direction (seen from `from`, when given), type and status, only the
 * rows in view drawn (`VirtualList`). Hovering a link highlights both its ends in their
 * panes; a click selects it (Shift: adds it) and brings its ends into view; in review mode
 * a reviewer accepts or rejects each.
 */
export function LinksList({ links, from, label }: { links: readonly Link[]; from?: string; label: string }) {
  const [direction, setDirection] = useState<Direction>("all");
  const [type, setType] = useState("");
  const [status, setStatus] = useState("");
  const types = useMemo(() => [...new Set(links.map((link) => link.type))].sort(), [links]);
  const derived = useLinkStatuses();
  const shown = links.filter((link) => {
    if (from !== undefined && direction !== "all" && (direction === "outgoing" ? link.source : link.target) !== from)
      return false;
    return (type === "" || link.type === type) && (status === "" || shownStatus(link, derived).status === status);
  });
  return (
    <div className="links">
      {links.length > 1 && (
        <div className="filters compact" role="group" aria-label={`Filter ${label}`}>
          {from !== undefined && (
            <select
              aria-label="Direction"
              value={direction}
              onChange={(event) => setDirection(event.target.value as Direction)}
            >
              <option value="all">in and out</option>
              <option value="outgoing">outgoing</option>
              <option value="incoming">incoming</option>
            </select>
          )}
          <select aria-label="Relation type" value={type} onChange={(event) => setType(event.target.value)}>
            <option value="">every type</option>
            {types.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
          <select aria-label="Status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">every status</option>
            {(["proposed", "confirmed", "stale", "rejected"] as const).map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </div>
      )}
      <VirtualList
        items={shown}
        itemKey={(link) => link.id}
        label={label}
        renderItem={(link, row) => <LinkRow row={row} link={link} from={from} status={shownStatus(link, derived)} />}
        empty={<li className="muted">{links.length === 0 ? "No links." : "No link matches."}</li>}
      />
    </div>
  );
}

function LinkRow({
  row,
  link,
  from,
  status,
}: {
  row: RowProps;
  link: Link;
  from: string | undefined;
  status: ShownStatus;
}) {
  const context = useCommandContext();
  const { work } = useWorkspace();
  const { streams, canReview } = useEditing();
  const review = useEditor((state) => state.review);
  const current = useWork((state) => state.work);
  const selected = useFocus((state) => state.selected.includes(link.id));
  const name = (id: string): string => objectName(id, current, streams);
  const ends =
    from === link.source
      ? `→ ${name(link.target)}`
      : from === link.target
        ? `← ${name(link.source)}`
        : `${name(link.source)} → ${name(link.target)}`;

  const choose = (event: MouseEvent): void => context.focus.getState().select([link.id], event.shiftKey);
  const decide = (verdict: LinkStatus): void => {
    attempt(context, () => work.getState().setLinkStatus(link.id, verdict));
  };
  return (
    <li
      {...row}
      className={`link-row${selected ? " selected" : ""}`}
      data-link={link.id}
      onMouseEnter={() => context.focus.getState().hover([link.source, link.target, link.id])}
      onMouseLeave={() => context.focus.getState().hover([])}
    >
      <button type="button" className="row-main" aria-pressed={selected} onClick={choose}>
        <strong>{link.type}</strong> {ends}
      </button>
      <span
        className={`badge link-${status.status}`}
        title={status.reason === null ? undefined : `after saving: ${status.reason}`}
      >
        {status.status}
      </span>
      {review && canReview && (
        <span className="verdict">
          <button
            type="button"
            className="quiet"
            aria-label={`Accept ${link.type} link ${link.id}`}
            onClick={() => decide("confirmed")}
          >
            Accept
          </button>
          <button
            type="button"
            className="quiet"
            aria-label={`Reject ${link.type} link ${link.id}`}
            onClick={() => decide("rejected")}
          >
            Reject
          </button>
        </span>
      )}
    </li>
  );
}
