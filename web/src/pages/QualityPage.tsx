import { useCallback, useEffect, useState } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { BASE, projectPath, samplePath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap, type Schemas } from "../api/client";
import type { Finding, Severity } from "../editing/findings";
import { LoadState } from "../ui/feedback";
import { plural } from "../ui/plural";
import {
  EVERY_CHECK,
  SEVERITIES,
  annotatorRows,
  checkNames,
  checkRows,
  headlines,
  reportUrl,
  runState,
  runsChecksAs,
  score,
  type FindingSummary,
  type Job,
  type QualityReport,
} from "./quality";

/** How many open findings a page of the list asks for. */
const PAGE = 50;
/** Milliseconds between two looks at a run of the checks. */
const POLL = 1000;

type FindingPage = Schemas["FindingPage"];

/** What the page reads again after a run of the checks: the findings counted and the
 * quality report. */
interface Overview {
  summary: FindingSummary;
  report: QualityReport;
}

/** A project's quality (reviewers and above): the report's headline agreement, the QA
 * checks' findings counted by check and severity, by annotator, and the hierarchy drift
 * pairs; the open findings, filtered by check and severity, each opening its sample with
 * what it is about selected; a run of every check for managers, followed until it is done;
 * and the full HTML report in a new tab. */
export default function QualityPage({ project }: { project: string }) {
  const [reloads, setReloads] = useState(0);
  const [check, setCheck] = useState("");
  const [severity, setSeverity] = useState<Severity | "">("");
  const info = useLoad(
    async (signal) => unwrap(await api.GET("/api/projects/{project}", { params: { path: { project } }, signal })),
    [project],
  );
  const overview = useLoad(
    async (signal): Promise<Overview> => {
      const path = { params: { path: { project } }, signal };
      const [summary, report] = await Promise.all([
        api.GET("/api/projects/{project}/findings/summary", path).then(unwrap),
        api.GET("/api/projects/{project}/qa/report", path).then(unwrap),
      ]);
      return { summary, report };
    },
    [project, reloads],
  );
  const refresh = useCallback(() => setReloads((n) => n + 1), []);
  const name = info.state === "done" ? info.data.name : project;
  return (
    <main className="page quality">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href={BASE}>Projects</Link>
        {" / "}
        <Link href={projectPath(name)}>{name}</Link>
        {" / "}
        <span aria-current="page">Quality</span>
      </nav>
      <div className="page-head">
        <h1>Quality</h1>
        {overview.state === "done" && <span className="muted">{plural(overview.data.summary.open, "open finding")}</span>}
        <span className="spacer" />
        <a href={reportUrl(project)} target="_blank" rel="noopener noreferrer">
          Full report
        </a>
      </div>
      {info.state === "done" && runsChecksAs(info.data.role) && <RunChecks project={project} onDone={refresh} />}
      <LoadState loaded={overview} what="the quality of the project" />
      {overview.state === "done" && (
        <>
          <Headlines report={overview.data.report} />
          <SummaryTables summary={overview.data.summary} />
        </>
      )}
      <section aria-label="Open findings">
        <h2>Open findings</h2>
        <form className="filters" aria-label="Filter the findings" onSubmit={(event) => event.preventDefault()}>
          <label>
            Check
            <select value={check} onChange={(event) => setCheck(event.target.value)}>
              <option value="">Any</option>
              {(overview.state === "done" ? checkNames(overview.data.summary.checks) : []).map((item) => (
                <option key={item} value={item}>
                  {item}
                </option>
              ))}
            </select>
          </label>
          <label>
            Severity
            <select value={severity} onChange={(event) => setSeverity(event.target.value as Severity | "")}>
              <option value="">Any</option>
              {SEVERITIES.map((item) => (
                <option key={item} value={item}>
                  {item}
                </option>
              ))}
            </select>
          </label>
        </form>
        <OpenFindings project={project} name={name} check={check} severity={severity} reloads={reloads} />
      </section>
    </main>
  );
}

/** The report's headline numbers in a small table. */
function Headlines({ report }: { report: QualityReport }) {
  const { totals } = report;
  return (
    <section aria-label="Agreement">
      <h2>Agreement</h2>
      <p className="muted">
        {[
          plural(totals.samples, "sample"),
          plural(totals.annotations, "annotation"),
          plural(totals.links, "link"),
          plural(totals.entities, "entity", "entities"),
        ].join(" · ")}
      </p>
      <table className="metrics-table quality-table" aria-label="Headline agreement">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col">Value</th>
            <th scope="col" className="basis">
              Basis
            </th>
          </tr>
        </thead>
        <tbody>
          {headlines(report).map((item) => (
            <tr key={item.key} data-measure={item.key}>
              <th scope="row">{item.label}</th>
              <td>{score(item.value)}</td>
              <td className="muted basis">{item.basis}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The findings counted: by check and severity, by annotator, and the drift pairs. */
function SummaryTables({ summary }: { summary: FindingSummary }) {
  const checks = checkRows(summary.checks);
  const people = annotatorRows(summary.annotators);
  return (
    <section aria-label="Findings counted">
      <h2>Findings</h2>
      {checks.length === 0 ? (
        <p className="muted">The checks found nothing yet.</p>
      ) : (
        <div className="quality-tables">
          <table className="metrics-table quality-table" aria-label="Findings by check">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col" className="severity">
                  Severity
                </th>
                <th scope="col">Open</th>
                <th scope="col">Resolved</th>
                <th scope="col">Waived</th>
              </tr>
            </thead>
            <tbody>
              {checks.map((row) => (
                <tr key={`${row.check} ${row.severity}`} data-check={row.check} data-severity={row.severity}>
                  <th scope="row">{row.check}</th>
                  <td className="severity">
                    <span className={`badge severity-${row.severity}`}>{row.severity}</span>
                  </td>
                  <td data-column="open">{row.open}</td>
                  <td data-column="resolved">{row.resolved}</td>
                  <td data-column="waived">{row.waived}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {people.length > 0 && (
            <table className="metrics-table quality-table" aria-label="Findings by annotator">
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col">Open</th>
                  <th scope="col">Resolved</th>
                  <th scope="col">Waived</th>
                </tr>
              </thead>
              <tbody>
                {people.map((row) => (
                  <tr key={row.annotator} data-annotator={row.annotator}>
                    <th scope="row">{row.annotator}</th>
                    <td data-column="open">{row.open}</td>
                    <td data-column="resolved">{row.resolved}</td>
                    <td data-column="waived">{row.waived}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      {summary.drift.length > 0 && (
        <>
          <h3>Hierarchy drift</h3>
          <ul className="queue" aria-label="Drift pairs">
            {summary.drift.map((pair) => (
              <li key={`${pair.finer} ${pair.coarser}`}>
                <strong>{pair.finer}</strong> in one modality, <strong>{pair.coarser}</strong> in another{" "}
                <span className="muted">
                  {plural(pair.findings, "finding")} on {plural(pair.samples, "sample")}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The open findings meeting the filters, oldest first, further pages on demand. */
function OpenFindings({
  project,
  name,
  check,
  severity,
  reloads,
}: {
  project: string;
  name: string;
  check: string;
  severity: Severity | "";
  reloads: number;
}) {
  const load = useCallback(
    async (cursor: string | null, signal?: AbortSignal): Promise<FindingPage> =>
      unwrap(
        await api.GET("/api/projects/{project}/findings", {
          params: {
            path: { project },
            query: {
              status: "open",
              check: check === "" ? null : check,
              severity: severity === "" ? null : severity,
              limit: PAGE,
              cursor,
            },
          },
          signal,
        }),
      ),
    [project, check, severity],
  );
  const first = useLoad((signal) => load(null, signal), [load, reloads]);
  const [more, setMore] = useState<FindingPage[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => setMore([]), [load, reloads]);

  const pages = first.state === "done" ? [first.data, ...more] : [];
  const cursor = pages.at(-1)?.next_cursor ?? null;
  const items = pages.flatMap((page) => page.items);
  const loadMore = (): void => {
    if (cursor === null) return;
    setBusy(true);
    setFailure(null);
    load(cursor)
      .then(
        (page) => setMore((loaded) => [...loaded, page]),
        (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <>
      <LoadState loaded={first} what="the open findings" />
      {first.state === "done" && items.length === 0 && <p className="muted">No open finding meets these filters.</p>}
      {items.length > 0 && (
        <ul className="queue finding-queue" aria-label="Open findings list">
          {items.map((item) => (
            <FindingRow key={item.id} finding={item} name={name} />
          ))}
        </ul>
      )}
      {cursor !== null && (
        <button type="button" onClick={loadMore} disabled={busy}>
          Load more
        </button>
      )}
      {failure !== null && (
        <p className="error" role="alert">
          Could not load more: {failure}
        </p>
      )}
    </>
  );
}

function FindingRow({ finding, name }: { finding: Finding; name: string }) {
  return (
    <li data-finding={finding.id} data-check={finding.check}>
      <span className={`badge severity-${finding.severity}`}>{finding.severity}</span>{" "}
      <Link href={samplePath(finding.sample, name, finding.subjects[0])}>
        <strong>{finding.check}</strong> on {finding.sample}
      </Link>{" "}
      <span className="message">{finding.message}</span>
      {finding.fix !== null && <span className="muted fix"> Fix: {finding.fix}</span>}
    </li>
  );
}

/** "Run checks": queue a run of every installed check over the project, then show where
 * it stands until it is done (`onDone` then). */
function RunChecks({ project, onDone }: { project: string; onDone: () => void }) {
  const [job, setJob] = useState<Job | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const state = job === null ? null : runState(job);

  const start = (): void => {
    setFailure(null);
    api
      .POST("/api/projects/{project}/qa/runs", { params: { path: { project } }, body: EVERY_CHECK })
      .then(unwrap)
      .then(setJob, (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)));
  };

  const id = job?.id;
  const finished = state?.finished ?? true;
  useEffect(() => {
    if (id === undefined || finished) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .GET("/api/jobs/{job_id}", { params: { path: { job_id: id } }, signal: controller.signal })
        .then(unwrap)
        .then(setJob, (error: unknown) => {
          if (!controller.signal.aborted) setFailure(error instanceof Error ? error.message : String(error));
        });
    }, POLL);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [id, finished, job]);

  const failed = state?.failed ?? false;
  useEffect(() => {
    if (id !== undefined && finished && !failed) onDone();
  }, [id, finished, failed, onDone]);

  return (
    <div className="run-checks">
      <button type="button" onClick={start} disabled={!finished} title="Run every installed check over the project">
        Run checks
      </button>
      {job !== null && state !== null && (
        <span className={state.failed ? "error" : "muted"} role="status" aria-label="Run of the checks">
          {!state.finished && <progress max={1} value={job.progress} />} {state.text}
        </span>
      )}
      {failure !== null && (
        <p className="error" role="alert">
          Could not run the checks: {failure}
        </p>
      )}
    </div>
  );
}
