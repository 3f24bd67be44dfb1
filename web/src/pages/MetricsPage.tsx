import * as Plot from "@observablehq/plot";
import { useEffect, useMemo, useRef, useState } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { BASE, projectPath } from "../app/router";
import { useSession } from "../app/session";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { reviewsAs } from "../editing/project";
import { LoadState } from "../ui/feedback";
import {
  ALL_TIME,
  BY_PERSON,
  COLUMNS,
  WINDOWS,
  accuracyPoints,
  barTitle,
  cell,
  nextSort,
  slicePoints,
  sortRows,
  throughputPoints,
  windowQuery,
  type AnnotatorMetrics,
  type Metrics,
  type Sort,
} from "./metrics";

/** What the page shows: each person's metrics (only the caller's for an annotator) and,
 * for reviewers, everyone's together. */
interface Report {
  name: string;
  rows: AnnotatorMetrics[];
  total: Metrics | null;
}

/** A project's annotator metrics (`GET /api/projects/{project}/metrics/annotators`): a
 * sortable table of people, and plots of throughput over time, accuracy against gold per
 * modality, and the blind vs shown slices. Annotators see their own only. */
export default function MetricsPage({ project }: { project: string }) {
  const user = useSession((state) => state.user);
  const me = user?.name ?? "";
  const [windowKey, setWindowKey] = useState("all");
  const [sort, setSort] = useState<Sort>(BY_PERSON);
  const window = WINDOWS.find((item) => item.key === windowKey) ?? ALL_TIME;
  const report = useLoad(
    async (signal): Promise<Report> => {
      const found = unwrap(await api.GET("/api/projects/{project}", { params: { path: { project } }, signal }));
      const query = windowQuery(window, Date.now());
      if (reviewsAs(found.role)) {
        const all = unwrap(
          await api.GET("/api/projects/{project}/metrics/annotators", {
            params: { path: { project }, query },
            signal,
          }),
        );
        return { name: found.name, rows: all.annotators, total: all.total };
      }
      const own = unwrap(
        await api.GET("/api/projects/{project}/metrics/annotators/{user}", {
          params: { path: { project, user: me }, query },
          signal,
        }),
      );
      return { name: found.name, rows: [own], total: null };
    },
    [project, window.key, me],
  );
  const name = report.state === "done" ? report.data.name : project;
  const rows = useMemo(
    () => (report.state === "done" ? sortRows(report.data.rows, sort) : []),
    [report, sort],
  );
  return (
    <main className="page metrics">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href={BASE}>Projects</Link>
        {" / "}
        <Link href={projectPath(name)}>{name}</Link>
        {" / "}
        <span aria-current="page">Annotator metrics</span>
      </nav>
      <div className="page-head">
        <h1>Annotator metrics</h1>
        <span className="spacer" />
        <label>
          Window{" "}
          <select value={window.key} onChange={(event) => setWindowKey(event.target.value)}>
            {WINDOWS.map((item) => (
              <option key={item.key} value={item.key}>
                {item.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <LoadState loaded={report} what="the metrics" />
      {report.state === "done" && rows.length === 0 && <p className="muted">No work handed in within this window.</p>}
      {report.state === "done" && rows.length > 0 && (
        <>
          <MetricsTable rows={rows} total={report.data.total} sort={sort} onSort={(key) => setSort(nextSort(sort, key))} />
          <div className="metrics-plots">
            <ThroughputPlot rows={rows} bucket={window.bucket} />
            <AccuracyPlot rows={rows} />
            <SlicePlot rows={rows} />
          </div>
        </>
      )}
    </main>
  );
}

function MetricsTable({
  rows,
  total,
  sort,
  onSort,
}: {
  rows: AnnotatorMetrics[];
  total: Metrics | null;
  sort: Sort;
  onSort: (key: string) => void;
}) {
  const header = (key: string, label: string, title: string) => (
    <th
      key={key}
      scope="col"
      data-column={key}
      aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}
    >
      <button type="button" className="quiet" title={title} onClick={() => onSort(key)}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.descending ? " ▼" : " ▲") : ""}</span>
      </button>
    </th>
  );
  return (
    <div className="metrics-table-wrap">
      <table className="metrics-table" aria-label="Annotators">
        <thead>
          <tr>
            {header("user", "Person", "Sort by name")}
            {COLUMNS.map((column) => header(column.key, column.label, column.title))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.user}>
              <th scope="row">{row.user}</th>
              {COLUMNS.map((column) => (
                <td key={column.key} data-column={column.key}>
                  {cell(column, row.metrics)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        {total !== null && (
          <tfoot>
            <tr>
              <th scope="row">Everyone</th>
              {COLUMNS.map((column) => (
                <td key={column.key} data-column={column.key}>
                  {cell(column, total)}
                </td>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

/** An Observable Plot chart, redrawn when `make` changes. */
function PlotFigure({ label, caption, make }: { label: string; caption: string; make: () => Element }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = make();
    holder.current?.replaceChildren(chart);
    return () => chart.remove();
  }, [make]);
  return (
    <figure className="metrics-plot" aria-label={label}>
      <div ref={holder} />
      <figcaption className="muted">{caption}</figcaption>
    </figure>
  );
}

function ThroughputPlot({ rows, bucket }: { rows: AnnotatorMetrics[]; bucket: number }) {
  const make = useMemo(() => {
    const points = throughputPoints(rows, bucket);
    return () =>
      Plot.plot({
        width: 560,
        height: 240,
        x: { type: "utc", label: null },
        y: { label: "Tasks handed in", grid: true },
        color: { legend: true },
        marks: [
          Plot.ruleY([0]),
          Plot.rectY(points, {
            x1: "time",
            x2: "end",
            y: "handed_in",
            fill: "user",
            insetLeft: 1,
            title: (d: (typeof points)[number]) => `${d.user} · ${d.time.toISOString()}: ${d.handed_in}`,
          }),
        ],
      });
  }, [rows, bucket]);
  return <PlotFigure label="Throughput over time" caption="Tasks handed in per bucket of time, per person." make={make} />;
}

function AccuracyPlot({ rows }: { rows: AnnotatorMetrics[] }) {
  const points = useMemo(() => accuracyPoints(rows), [rows]);
  const make = useMemo(
    () => () =>
      Plot.plot({
        width: 560,
        height: 240,
        fx: { label: null },
        x: { axis: null },
        y: { label: "Mean score against gold", domain: [0, 1], grid: true, tickFormat: "%" },
        color: { legend: true },
        marks: [
          Plot.ruleY([0]),
          Plot.barY(points, {
            fx: "part",
            x: "user",
            y: "value",
            fill: "user",
            title: (d: (typeof points)[number]) => barTitle(d.user, d.part, d.value, d.count),
          }),
        ],
      }),
    [points],
  );
  if (points.length === 0) return <p className="muted">No gold, training or qualification scores yet.</p>;
  return <PlotFigure label="Accuracy against gold" caption="Per modality and for links." make={make} />;
}

function SlicePlot({ rows }: { rows: AnnotatorMetrics[] }) {
  const points = useMemo(() => slicePoints(rows), [rows]);
  const make = useMemo(
    () => () =>
      Plot.plot({
        width: 560,
        height: 240,
        fx: { label: null },
        x: { label: null },
        y: { label: "Mean", domain: [0, 1], grid: true, tickFormat: "%" },
        color: { legend: true, domain: ["blind", "shown"] },
        marks: [
          Plot.ruleY([0]),
          Plot.barY(points, {
            fx: "user",
            x: (d: (typeof points)[number]) => `${d.measure} ${d.slice}`,
            y: "value",
            fill: "slice",
            title: (d: (typeof points)[number]) => barTitle(d.user, `${d.measure} ${d.slice}`, d.value, d.count),
          }),
        ],
      }),
    [points],
  );
  if (points.length === 0) return <p className="muted">No blind or shown slices scored yet.</p>;
  return (
    <PlotFigure
      label="Blind vs shown"
      caption="Accuracy and agreement where model candidates were hidden (blind) or shown: the anchoring effect."
      make={make}
    />
  );
}
