import { useEffect, useState, type DependencyList } from "react";

/** What an asynchronous load has come to. */
export type Loaded<T> =
  | { state: "loading" }
  | { state: "done"; data: T }
  | { state: "failed"; error: Error };

/**
 * Run `load` when the component mounts and whenever `deps` change; the answer of a load
 * that was superseded (or whose component went away) is dropped, and its request aborted.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ state: "loading" });
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setLoaded({ state: "done", data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setLoaded({ state: "failed", error: error instanceof Error ? error : new Error(String(error)) });
        }
      },
    );
    return () => controller.abort();
  }, deps);
  return loaded;
}
