import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { metricsPath, navigate, projectPath, qualityPath, reviewPath, samplePath, taskPath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { reviewsAs } from "../editing/project";
import { LoadState, StatusBadge } from "../ui/feedback";
import { isShortcut } from "../ui/keys";
import { takeNextTask, useTaskFlow } from "../workspace/taskFlow";
import { plural } from "../ui/plural";
import { MODALITIES, STATUSES, filtersKey, parseFilters, withFilter, type FilterKey } from "./sampleFilters";
import { useSamplePages, type SampleSummary } from "./useSamplePages";
import { FormatDialog } from "./FormatDialog";
import { managesAs } from "./formatJobs";

const ROW_HEIGHT = 44;
/** Load the next page when the last visible row is this close to the end of the list. */
const PREFETCH = 40;

/** A project's samples: filters, a virtualised list paged by cursor, keyboard navigation
 * (j/k or arrows move, Enter opens, n takes the next task). */
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
  const [formatsOpen, setFormatsOpen] = useState(false);

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
        {info.state === "done" && reviewsAs(info.data.role) && <Link href={qualityPath(project)}>Quality</Link>}
        {info.state === "done" && (
          <Link href={metricsPath(project)}>{reviewsAs(info.data.role) ? "Annotator metrics" : "My metrics"}</Link>
        )}
        {info.state === "done" && managesAs(info.data.role) && (
          <button type="button" className="tool" onClick={() => setFormatsOpen(true)}>
            Import / export
          </button>
        )}
        {info.state === "done" && (
          <button
            type="button"
            disabled={nextTask.busy}
            onClick={nextTask.take}
            title="Take your next task and open its sample (n)"
          >
            Next task
          </button>
        )}
      </div>
      {nextTask.notice !== null && (
        <p className="muted task-notice" role="status">
          {nextTask.notice}
        </p>
      )}
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
      {formatsOpen && (
        <FormatDialog project={project} onClose={() => setFormatsOpen(false)} onImported={pages.reload} />
      )}
      <p className="hints muted">
        <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>Enter</kbd> opens · <kbd>n</kbd> next task
      </p>
    </main>
  );
}

/** The caller's next task in `project`, and a line saying how the last try went (or why the
 * task bar sent them here): the workflow's next task slot (`POST …/tasks/next`, opened with
 * the task bar), or, in a project without a workflow, the first sample assigned to them
 * that is not in review or done. `n` takes it too. */
function useNextTask(project: string): { take: () => void; busy: boolean; notice: string | null } {
  const [busy, setBusy] = useState(false);
  const [notice, tell] = useState(() => useTaskFlow.getState().notice);
  useEffect(() => useTaskFlow.getState().tell(null), []);
  const { keep } = useTaskFlow.getState();
  const take = useCallback(() => {
    if (busy) return;
    setBusy(true);
    tell(null);
    void (async () => {
      try {
        const next = await takeNextTask(project);
        if (next === "no-workflow") {
          const assignments = unwrap(await api.GET("/api/me/assignments", { params: { query: { project } } }));
          const open = assignments.find((item) => item.status === "new" || item.status === "in_progress");
          if (open === undefined) tell("No open tasks: nothing assigned to you here waits for work.");
          else navigate(samplePath(open.sample, project));
        } else if (next === null) {
          tell("No task is waiting for you in this project now.");
        } else {
          keep(next);
          navigate(taskPath(next, project));
        }
      } catch (error) {
        tell(`Could not take the next task: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        setBusy(false);
      }
    })();
  }, [busy, project, keep]);
  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if (event.key !== "n" || !isShortcut(event)) return;
      event.preventDefault();
      take();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [take]);
  return { take, busy, notice };
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
