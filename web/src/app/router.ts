/**
 * The workspace's routes, on the History API: every page lives under `/app`, which the
 * server answers with the same `index.html` (`rosetta.api.spa`).
 *
 *     /app/login?next=…     log in, then go to `next` (a path under /app)
 *     /app                  the caller's projects
 *     /app/p/{project}      a project's samples (filters in the query string)
 *     /app/p/{project}/review   its review queue: stale links and flagged annotations
 *     /app/p/{project}/metrics  its annotator metrics (a person's own for annotators)
 *     /app/p/{project}/quality  its quality: the QA checks' findings and agreement
 *     /app/s/{sample}       one sample's workspace (`?project=` names its project,
 *                           `?select=` an annotation, link or entity to select,
 *                           `?task=` the task slot it is worked as)
 *
 * `parseRoute` is pure; `navigate` changes the address and `useLocation` re-renders on it.
 */
import { useSyncExternalStore } from "react";

export const BASE = "/app";

/** A page of the workspace, as its address names it. */
export type Route =
  | { name: "login"; next: string }
  | { name: "projects" }
  | { name: "samples"; project: string; query: URLSearchParams }
  | { name: "review"; project: string }
  | { name: "metrics"; project: string }
  | { name: "quality"; project: string }
  | {
      name: "sample";
      sample: string;
      project: string | undefined;
      select: string | undefined;
      task: string | undefined;
    }
  | { name: "not-found"; path: string };

function decoded(segment: string): string | undefined {
  try {
    const value = decodeURIComponent(segment);
    return value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

/** The route of `pathname` and `search` (a `location`'s parts). */
export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const notFound: Route = { name: "not-found", path: pathname };
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return notFound;
  const parts = pathname.slice(BASE.length).split("/").filter((part) => part !== "");
  const [page, id, ...rest] = parts;
  if (page === undefined) return { name: "projects" };
  if (page === "login" && id === undefined) return { name: "login", next: safeNext(query.get("next")) };
  const value = id === undefined ? undefined : decoded(id);
  if (value === undefined) return notFound;
  if (page === "p" && rest.length === 1 && rest[0] === "review") return { name: "review", project: value };
  if (page === "p" && rest.length === 1 && rest[0] === "metrics") return { name: "metrics", project: value };
  if (page === "p" && rest.length === 1 && rest[0] === "quality") return { name: "quality", project: value };
  if (rest.length > 0) return notFound;
  if (page === "p") return { name: "samples", project: value, query };
  if (page === "s") {
    const select = query.get("select") ?? undefined;
    const task = query.get("task") ?? undefined;
    return { name: "sample", sample: value, project: query.get("project") ?? undefined, select, task };
  }
  return notFound;
}

/** `next` when it is a path of this workspace (never another site), else `/app`. */
export function safeNext(next: string | null): string {
  if (next === null || next.includes("\\")) return BASE;
  return /^\/app(?:[/?#]|$)/.test(next) ? next : BASE;
}

/** The login page's address, coming back to `next` afterwards. */
export function loginPath(next: string): string {
  const target = safeNext(next);
  return target === BASE ? `${BASE}/login` : `${BASE}/login?next=${encodeURIComponent(target)}`;
}

/** The project's sample list, with the filters of `query` when given. */
export function projectPath(project: string, query?: URLSearchParams): string {
  const search = query === undefined ? "" : query.toString();
  return `${BASE}/p/${encodeURIComponent(project)}${search === "" ? "" : `?${search}`}`;
}

/** The project's review queue. */
export function reviewPath(project: string): string {
  return `${BASE}/p/${encodeURIComponent(project)}/review`;
}

/** The project's annotator metrics. */
export function metricsPath(project: string): string {
  return `${BASE}/p/${encodeURIComponent(project)}/metrics`;
}

/** The project's quality page. */
export function qualityPath(project: string): string {
  return `${BASE}/p/${encodeURIComponent(project)}/quality`;
}

/** One sample's workspace; `project` (its name) lets the page link back to the list, and
 * `select` names an object of the sample to select when it opens. */
export function samplePath(sample: string, project?: string, select?: string): string {
  const query = new URLSearchParams();
  if (project !== undefined) query.set("project", project);
  if (select !== undefined) query.set("select", select);
  const search = query.toString();
  return `${BASE}/s/${encodeURIComponent(sample)}${search === "" ? "" : `?${search}`}`;
}

/** The sample of task slot `task` opened to work it (the workspace shows the task bar). */
export function taskPath(task: { id: string; sample: string }, project?: string): string {
  const path = samplePath(task.sample, project);
  return `${path}${path.includes("?") ? "&" : "?"}task=${encodeURIComponent(task.id)}`;
}

const NAVIGATED = "rosetta:navigate";

/** Go to `to` (a path with its query): a new history entry, or the current one replaced. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentPath()) return;
  if (options.replace === true) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATED));
}

/** The current path with its query string. */
export function currentPath(): string {
  return window.location.pathname + window.location.search;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

/** The current path with its query string, re-rendering the caller when it changes. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, currentPath);
}
