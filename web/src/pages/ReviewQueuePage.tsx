import { useCallback, useEffect, useState } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { BASE, projectPath, samplePath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap, type Schemas } from "../api/client";
import { LoadState } from "../ui/feedback";
import { OpenQuestions } from "./OpenQuestions";
import { plural } from "../ui/plural";

type Review = Schemas["Review"];

/** How many of each kind a page of the queue asks for. */
const PAGE = 100;

/** What waits for a reviewer in a project: annotators' open questions, answered inline
 * (`OpenQuestions`); links turned stale because an end changed, and annotations carrying
 * flags (`GET /api/projects/{project}/review`), oldest first, each opening its sample with
 * it selected; further pages on demand. */
export function ReviewQueuePage({ project }: { project: string }) {
  const info = useLoad(
    async (signal) => unwrap(await api.GET("/api/projects/{project}", { params: { path: { project } }, signal })),
    [project],
  );
  const first = useLoad((signal) => loadPage(project, null, signal), [project]);
  const [more, setMore] = useState<Review[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => setMore([]), [project]);

  const pages = first.state === "done" ? [first.data, ...more] : [];
  const cursor = pages.at(-1)?.next_cursor ?? null;
  const loadMore = useCallback(() => {
    if (cursor === null) return;
    setBusy(true);
    setFailure(null);
    loadPage(project, cursor)
      .then(
        (page) => setMore((loaded) => [...loaded, page]),
        (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)),
      )
      .finally(() => setBusy(false));
  }, [project, cursor]);

  const name = info.state === "done" ? info.data.name : project;
  const stale = pages.flatMap((page) => page.stale_links);
  const flagged = pages.flatMap((page) => page.flagged);
  return (
    <main className="page review-queue">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href={BASE}>Projects</Link>
        {" / "}
        <Link href={projectPath(name)}>{name}</Link>
        {" / "}
        <span aria-current="page">Review queue</span>
      </nav>
      <div className="page-head">
        <h1>Review queue</h1>
        {first.state === "done" && (
          <span className="muted">
            {plural(stale.length, "stale link")} · {plural(flagged.length, "flagged annotation")}
            {cursor !== null && " so far"}
          </span>
        )}
      </div>
      {info.state === "done" && <OpenQuestions project={project} name={name} role={info.data.role} />}
      <LoadState loaded={first} what="the review queue" />
      {first.state === "done" && stale.length === 0 && flagged.length === 0 && (
        <p className="muted">Nothing waits for a reviewer: no stale links, no flagged annotations.</p>
      )}
      {stale.length > 0 && (
        <section aria-label="Stale links">
          <h2>Stale links</h2>
          <p className="muted">An end changed since the link was confirmed: check it still holds.</p>
          <ul className="queue">
            {stale.map(({ sample, link }) => (
              <li key={link.id}>
                <Link href={samplePath(sample, name, link.id)}>
                  <strong>{link.type}</strong> {link.source} → {link.target}
                </Link>{" "}
                <span className="muted">
                  on {sample} · link {link.id}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {flagged.length > 0 && (
        <section aria-label="Flagged annotations">
          <h2>Flagged annotations</h2>
          <ul className="queue">
            {flagged.map(({ sample, annotation }) => (
              <li key={annotation.id}>
                <Link href={samplePath(sample, name, annotation.id)}>
                  <strong>{annotation.label}</strong> {annotation.id}
                </Link>{" "}
                <span className="muted">on {sample}</span>{" "}
                {(annotation.flags ?? []).map((flag) => (
                  <span key={flag} className="badge flag">
                    {flag}
                  </span>
                ))}
              </li>
            ))}
          </ul>
        </section>
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
    </main>
  );
}

async function loadPage(project: string, cursor: string | null, signal?: AbortSignal): Promise<Review> {
  const query = cursor === null ? { limit: PAGE } : { limit: PAGE, cursor };
  const answer = await api.GET("/api/projects/{project}/review", { params: { path: { project }, query }, signal });
  // openapi-fetch widens the schema's fixed-length arrays (polygon points) to plain arrays
  return unwrap(answer) as Review;
}
