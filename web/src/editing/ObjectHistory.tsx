/**
 * The inspector's "History" disclosure for the selected object (reviewers and above, as
 * the server allows): its events oldest first (`GET /api/objects/{id}/history`, keyset
 * pages), each with what was done, by whom with which tool, and when; a model's proposal
 * with its model, version, proposer and prompt. Read when opened, and again whenever the
 * object's revision changes while it is open.
 */
import { useEffect, useState } from "react";

import { useEditing } from "./EditingProvider";
import { loadHistory } from "./modelApi";
import { describeEvent, percent, type HistoryEvent } from "./provenance";

interface Loaded {
  readonly events: readonly HistoryEvent[];
  readonly next: string | null;
}

type Loading =
  | { readonly state: "loading" }
  | { readonly state: "failed"; readonly message: string }
  | ({ readonly state: "done" } & Loaded);

function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

/** The history of object `id` (at `revision`, so a change reads it again), for reviewers. */
export function ObjectHistory({ id, revision }: { id: string; revision: number }) {
  const { canReview } = useEditing();
  const [open, setOpen] = useState(false);
  if (!canReview) return null;
  return (
    <details className="history" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>History</summary>
      {open && <HistoryList id={id} revision={revision} />}
    </details>
  );
}

function HistoryList({ id, revision }: { id: string; revision: number }) {
  const [loading, setLoading] = useState<Loading>({ state: "loading" });
  useEffect(() => {
    const abort = new AbortController();
    setLoading({ state: "loading" });
    loadHistory(id, null, abort.signal).then(
      (page) => setLoading({ state: "done", events: page.items, next: page.next_cursor }),
      (failure: unknown) => {
        if (!abort.signal.aborted) setLoading({ state: "failed", message: messageOf(failure) });
      },
    );
    return () => abort.abort();
  }, [id, revision]);

  if (loading.state === "loading") return <p className="muted">Loading the history…</p>;
  if (loading.state === "failed") {
    return (
      <p className="error" role="alert">
        Could not load the history: {loading.message}
      </p>
    );
  }
  const more = async (cursor: string): Promise<void> => {
    try {
      const page = await loadHistory(id, cursor);
      setLoading({ state: "done", events: [...loading.events, ...page.items], next: page.next_cursor });
    } catch (failure) {
      setLoading({ state: "failed", message: messageOf(failure) });
    }
  };
  return (
    <>
      <ol className="events" aria-label="Events">
        {loading.events.map((event) => (
          <EventRow key={event.pk} event={event} />
        ))}
        {loading.events.length === 0 && <li className="muted">No events.</li>}
      </ol>
      {loading.next !== null && (
        <button type="button" className="quiet" onClick={() => void more(loading.next as string)}>
          Older events…
        </button>
      )}
    </>
  );
}

function EventRow({ event }: { event: HistoryEvent }) {
  const words = describeEvent(event);
  const when = new Date(words.at * 1000);
  // the action names the model and its version; the rest of its provenance follows
  const model = words.provenance;
  return (
    <li data-action={event.action}>
      <span className="event-action">{words.action}</span>, {words.who}{" "}
      <time className="muted" dateTime={when.toISOString()}>
        {when.toLocaleString()}
      </time>
      {model !== null && (
        <span className="muted event-model">
          {" "}
          {[
            model.proposer === null ? null : `proposer ${model.proposer}`,
            model.confidence === null ? null : `confidence ${percent(model.confidence)}`,
            model.prompt === "" ? null : `prompt: ${model.prompt}`,
          ]
            .filter((part) => part !== null)
            .join(" · ")}
        </span>
      )}
      {words.note !== null && <span className="muted"> ({words.note})</span>}
    </li>
  );
}
