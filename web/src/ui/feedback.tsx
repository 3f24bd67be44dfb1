import type { Loaded } from "../app/useLoad";

/** "Loading…" or the error of a load that failed (as an alert). */
export function LoadState({ loaded, what }: { loaded: Loaded<unknown>; what: string }) {
  if (loaded.state === "loading") return <p className="muted">Loading {what}…</p>;
  if (loaded.state === "failed") {
    return (
      <p className="error" role="alert">
        Could not load {what}: {loaded.error.message}
      </p>
    );
  }
  return null;
}

/** A sample's status as a small coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status.replace("_", " ")}</span>;
}
