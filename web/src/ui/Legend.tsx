import { labelColour } from "./colour";

/** The labels drawn in a pane, each in its colour with how many of `what` carry it. */
export function Legend({ labels, what }: { labels: string[]; what: string }) {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  if (counts.size === 0) return <p className="legend muted">No {what}s yet.</p>;
  return (
    <ul className="legend" aria-label="Labels">
      {[...counts].map(([label, count]) => (
        <li key={label}>
          <span className="swatch" style={{ background: labelColour(label) }} />
          {label} <span className="muted">×{count}</span>
        </li>
      ))}
    </ul>
  );
}
