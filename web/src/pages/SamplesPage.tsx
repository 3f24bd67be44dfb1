import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { navigate, projectPath, reviewPath, samplePath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { reviewsAs } from "../editing/project";
import { LoadState, StatusBadge } from "../ui/feedback";
import { isShortcut } from "../ui/keys";
import { plural } from "../ui/plural";
import { MODALITIES, STATUSES, filtersKey, parseFilters, withFilter, type FilterKey } from "./sampleFilters";
import { useSamplePages, type SampleSummary } from "./useSamplePages";

const ROW_HEIGHT = 44;
/** Load the next page when the last visible row is this close to the end of the list. */
const PREFETCH = 40;

/** A project's samples: filters, a virtualised list paged by cursor, keyboard navigation
 * (j/k or arrows move, Enter opens, n opens the next assigned task). */
export function SamplesPage({ project, query }: { project: string; query: URLSearchParams }) {
  const info = useLoad(
    async (signal) => unwrap(await api.GET("/api/projects/{project}", { params: { path: { project } }, signal })),
    [project],
  );
  const ontology = useLoad(
    async (signal) =>
      unwrap(await api.GET("/api/projects/{project}/ontology", { params: { path: { project } }, signal })),
    [project],
  );
  const search = query.toString();
  const { filters, problems } = useMemo(() => parseFilters(new URLSearchParams(search)), [search]);
  const pages = useSamplePages(project, filters);
  const nextTask = useNextTask(project);

  function setFilter(key: FilterKey, value: string): void {
    navigate(projectPath(project, withFilter(query, key, value)), { replace: true });
  }

  const labels = ontology.state === "done" ? ontology.data.classes.map((item) => item.name) : [];
  return (
    <main className="page samples">
      <div className="page-head">
        <h1>{info.state === "done" ? info.data.name : project}</h1>
        {info.state === "done" && <span className="badge">{info.data.role}</span>}
        <span className="spacer" />
        {info.state === "done" && reviewsAs(info.data.role) && <Link href={reviewPath(project)}>Review queue</Link>}
        {nextTask !== undefined && (
          <button
            type="button"
            disabled={nextTask === null}
            onClick={() => nextTask !== null && navigate(samplePath(nextTask, project))}
            title="Open the next sample assigned to you (n)"
          >
            {nextTask === null ? "No open tasks" : "Next task"}
          </button>
        )}
      </div>
      <LoadState loaded={info} what="the project" />
      <form className="filters" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
        <Choice label="Status" value={filters.status ?? ""} options={STATUSES} onChange={(v) => setFilter("status", v)} />
        <Choice label="Label" value={filters.label ?? ""} options={labels} onChange={(v) => setFilter("label", v)} />
        <Choice
          label="Modality"
          value={filters.modality ?? ""}
          options={MODALITIES}
          onChange={(v) => setFilter("modality", v)}
        />
        <AnnotatorFilter value={filters.annotator ?? ""} onApply={(v) => setFilter("annotator", v)} />
        <Choice
          label="Stale links"
          value={filters.stale === undefined ? "" : String(filters.stale)}
          options={["true", "false"]}
          names={{ true: "has stale", false: "none stale" }}
          onChange={(v) => setFilter("stale", v)}
        />
      </form>
      {problems.map((problem) => (
        <p key={problem} className="error" role="alert">
          Filter ignored: {problem}
        </p>
      ))}
      <SampleList key={filtersKey(filters)} project={project} pages={pages} />
      <p className="hints muted">
        <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>Enter</kbd> opens · <kbd>n</kbd> next task
      </p>
    </main>
  );
}

/** The first sample assigned to the caller in `project` that is not in review or done
 * (`null`: none open; `undefined`: they have no assignments there, or not known yet). */
function useNextTask(project: string): string | null | undefined {
  const assignments = useLoad(
    async (signal) => unwrap(await api.GET("/api/me/assignments", { params: { query: { project } }, signal })),
    [project],
  );
  const next = useMemo(() => {
    if (assignments.state !== "done" || assignments.data.length === 0) return undefined;
    const open = assignments.data.find((item) => item.status === "new" || item.status === "in_progress");
    return open?.sample ?? null;
  }, [assignments]);
  useEffect(() => {
    if (next === undefined || next === null) return undefined;
    function onKey(event: KeyboardEvent): void {
      if (event.key !== "n" || !isShortcut(event)) return;
      event.preventDefault();
      if (next) navigate(samplePath(next, project));
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [next, project]);
  return next;
}

interface ChoiceProps {
  label: string;
  value: string;
  options: readonly string[];
  names?: Record<string, string>;
  onChange: (value: string) => void;
}

function Choice({ label, value, options, names, onChange }: ChoiceProps) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {names?.[option] ?? option.replace("_", " ")}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The annotator filter: a user name, applied on Enter or on leaving the field. */
function AnnotatorFilter({ value, onApply }: { value: string; onApply: (value: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  function apply(event?: FormEvent): void {
    event?.preventDefault();
    if (text.trim() !== value) onApply(text);
  }
  return (
    <label>
      Annotator
      <input
        value={text}
        placeholder="user name"
        onChange={(event) => setText(event.target.value)}
        onBlur={() => apply()}
        onKeyDown={(event) => event.key === "Enter" && apply(event)}
      />
    </label>
  );
}

function SampleList({ project, pages }: { project: string; pages: ReturnType<typeof useSamplePages> }) {
  const { items, hasMore, loading, error, loadMore } = pages;
  const scroller = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState(0);
  const virtualizer = useVirtualizer({
    count: items.length + (hasMore ? 1 : 0),
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const rows = virtualizer.getVirtualItems();
  const lastShown = rows.at(-1)?.index ?? 0;

  useEffect(() => {
    if (hasMore && !loading && lastShown >= items.length - PREFETCH) loadMore();
  }, [hasMore, loading, lastShown, items.length, loadMore]);

  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if (!isShortcut(event)) return;
      const step = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[event.key];
      if (step !== undefined && items.length > 0) {
        event.preventDefault();
        const next = Math.min(Math.max(selected + step, 0), items.length - 1);
        setSelected(next);
        virtualizer.scrollToIndex(next, { align: "auto" });
      } else if (event.key === "Enter" && items[selected] !== undefined) {
        event.preventDefault();
        navigate(samplePath(items[selected].id, project));
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [items, selected, project, virtualizer]);

  return (
    <>
      <p className="muted list-count" aria-live="polite">
        {plural(items.length, "sample")}
        {hasMore ? " loaded, more below" : ""}
      </p>
      {error !== null && (
        <p className="error" role="alert">
          Could not load the samples: {error.message}
        </p>
      )}
      {!hasMore && items.length === 0 && error === null && <p className="muted">No samples match these filters.</p>}
      <div ref={scroller} className="sample-list" aria-label="Samples" role="list">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {rows.map((row) => {
            const item = items[row.index];
            return (
              <div
                key={row.key}
                role="listitem"
                className={`sample-row${row.index === selected ? " selected" : ""}`}
                aria-current={row.index === selected ? "true" : undefined}
                style={{ height: row.size, transform: `translateY(${row.start}px)` }}
              >
                {item === undefined ? <span className="muted">Loading more…</span> : <SampleRow item={item} project={project} />}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

function SampleRow({ item, project }: { item: SampleSummary; project: string }) {
  return (
    <Link href={samplePath(item.id, project)} className="sample-link">
      <span className="sample-id">
        <strong>{item.id}</strong>
        {item.external_id !== null && item.external_id !== item.id && <span className="muted"> {item.external_id}</span>}
      </span>
      <StatusBadge status={item.status} />
      <span className="chips">
        {[...new Set(item.modalities)].map((modality) => (
          <span key={modality} className="chip">
            {modality}
          </span>
        ))}
      </span>
      <span className="counts muted">
        {plural(item.annotations ?? 0, "annotation")} · {plural(item.links ?? 0, "link")}
        {(item.stale_links ?? 0) > 0 && <span className="stale"> · {item.stale_links} stale</span>}
      </span>
    </Link>
  );
}
