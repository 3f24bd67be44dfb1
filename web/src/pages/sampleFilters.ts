/**
 * The sample list's filters, kept in the page's query string (so a reload or a shared
 * address shows the same list) and sent as the query of `GET /api/projects/{project}/samples`.
 */
import type { Schemas } from "../api/client";
import type { operations } from "../api/schema";

/** The query of one page of the sample list. */
export type ListQuery = NonNullable<operations["list_samples"]["parameters"]["query"]>;
/** The filters a person can set (the list query without its paging). */
export type SampleFilters = Omit<ListQuery, "limit" | "cursor">;

export const STATUSES = ["new", "in_progress", "review", "done"] as const;
export const MODALITIES: readonly Schemas["Modality"][] = [
  "text",
  "image",
  "audio",
  "video",
  "pointcloud",
  "timeseries",
];
/** The query-string keys of the filters, in the order the filter bar shows them. */
export const FILTER_KEYS = ["status", "label", "modality", "annotator", "stale"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** The filters a query string sets, and a message for each value that is not one the
 * API takes (that filter is then left out). */
export function parseFilters(query: URLSearchParams): { filters: SampleFilters; problems: string[] } {
  const filters: SampleFilters = {};
  const problems: string[] = [];
  for (const key of FILTER_KEYS) {
    const value = query.get(key)?.trim();
    if (value === undefined || value === "") continue;
    if (key === "status") {
      if (oneOf(STATUSES, value)) filters.status = value;
      else problems.push(`status '${value}' is not one of ${STATUSES.join(", ")}`);
    } else if (key === "modality") {
      if (oneOf(MODALITIES, value)) filters.modality = value;
      else problems.push(`modality '${value}' is not one of ${MODALITIES.join(", ")}`);
    } else if (key === "stale") {
      if (value === "true" || value === "false") filters.stale = value === "true";
      else problems.push(`stale '${value}' is not true or false`);
    } else {
      filters[key] = value;
    }
  }
  return { filters, problems };
}

/** `query` with filter `key` set to `value` (removed when empty); other parameters kept. */
export function withFilter(query: URLSearchParams, key: FilterKey, value: string): URLSearchParams {
  const next = new URLSearchParams(query);
  if (value.trim() === "") next.delete(key);
  else next.set(key, value.trim());
  return next;
}

/** A stable key of the filters: the list starts again from its first page when it changes. */
export function filtersKey(filters: SampleFilters): string {
  return FILTER_KEYS.map((key) => `${key}=${String(filters[key] ?? "")}`).join("&");
}
