import { useCallback, useEffect, useRef, useState } from "react";

import { api } from "../app/api";
import { unwrap, type Schemas } from "../api/client";
import { filtersKey, type SampleFilters } from "./sampleFilters";

export type SampleSummary = Schemas["SampleSummary"];

/** The pages of a project's sample list loaded so far, and how to load the next. */
export interface SamplePages {
  items: SampleSummary[];
  /** The API has more pages (its last `next_cursor` was not null). */
  hasMore: boolean;
  loading: boolean;
  error: Error | null;
  /** Load and append the next page (nothing while one is loading or at the end). */
  loadMore: () => void;
  /** Start again from the first page (after the project gained samples, say). */
  reload: () => void;
}

/**
 * A project's samples meeting `filters`, loaded page by page with the API's keyset
 * `cursor` and appended. A filtered page may be empty and still have a next cursor, so
 * one `loadMore` follows cursors until it finds samples or the end. Changing the project
 * or the filters, or `reload`, starts again from the first page (answers to the old ones
 * are dropped).
 */
export function useSamplePages(project: string, filters: SampleFilters, pageSize = 200): SamplePages {
  const [items, setItems] = useState<SampleSummary[]>([]);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const cursor = useRef<string | null | undefined>(undefined);
  const request = useRef<AbortController | null>(null);
  const [generation, setGeneration] = useState(0);
  const key = `${project}?${filtersKey(filters)}#${generation}`;
  const current = useRef({ project, filters });
  current.current = { project, filters };

  const loadMore = useCallback(() => {
    if (request.current !== null || cursor.current === null) return;
    const controller = new AbortController();
    request.current = controller;
    setLoading(true);
    void (async () => {
      try {
        const { project: name, filters: query } = current.current;
        let next = cursor.current;
        let found: SampleSummary[] = [];
        do {
          const page = unwrap(
            await api.GET("/api/projects/{project}/samples", {
              params: { path: { project: name }, query: { ...query, limit: pageSize, cursor: next ?? undefined } },
              signal: controller.signal,
            }),
          );
          found = found.concat(page.items);
          next = page.next_cursor;
        } while (found.length === 0 && next !== null && !controller.signal.aborted);
        if (controller.signal.aborted) return;
        cursor.current = next;
        setItems((loaded) => loaded.concat(found));
        setHasMore(next !== null);
      } catch (failure) {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setHasMore(false);
      } finally {
        if (request.current === controller) {
          request.current = null;
          setLoading(false);
        }
      }
    })();
  }, [pageSize]);

  useEffect(() => {
    cursor.current = undefined;
    setItems([]);
    setHasMore(true);
    setError(null);
    loadMore();
    return () => {
      request.current?.abort();
      request.current = null;
    };
  }, [key, loadMore]);

  const reload = useCallback(() => setGeneration((count) => count + 1), []);
  return { items, hasMore, loading, error, loadMore, reload };
}
