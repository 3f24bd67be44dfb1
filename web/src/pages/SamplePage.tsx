import { useEffect } from "react";

import { Link } from "../app/Link";
import { BASE, navigate, projectPath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { StreamPane } from "../panes/StreamPane";
import { loadSample } from "../panes/sample";
import { LoadState, StatusBadge } from "../ui/feedback";
import { isShortcut } from "../ui/keys";
import { plural } from "../ui/plural";
import { WorkspaceProvider } from "../workspace/Workspace";

/** One sample's workspace: a pane per stream with the work drawn on it (`Escape` or `u`
 * goes back to the sample list). */
export default function SamplePage({ sample, project }: { sample: string; project: string | undefined }) {
  const loaded = useLoad((signal) => loadSample(sample, signal), [sample]);
  const back = project === undefined ? BASE : projectPath(project);

  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if ((event.key === "Escape" || event.key === "u") && isShortcut(event)) {
        event.preventDefault();
        navigate(back);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [back]);

  return (
    <main className="page workspace">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href={BASE}>Projects</Link>
        {project !== undefined && (
          <>
            {" / "}
            <Link href={back}>{project}</Link>
          </>
        )}
        {" / "}
        <span aria-current="page">{sample}</span>
      </nav>
      <LoadState loaded={loaded} what={`sample ${sample}`} />
      {loaded.state === "done" && (
        <WorkspaceProvider sample={loaded.data.sample} etag={loaded.data.etag}>
          <div className="page-head">
            <h1>{loaded.data.sample.external_id ?? loaded.data.sample.id}</h1>
            <StatusBadge status={loaded.data.sample.status ?? "new"} />
            <span className="muted">
              {[
                plural(loaded.data.sample.streams?.length ?? 0, "stream"),
                plural(loaded.data.sample.annotations?.length ?? 0, "annotation"),
                plural(loaded.data.sample.links?.length ?? 0, "link"),
                plural(loaded.data.sample.entities?.length ?? 0, "entity", "entities"),
              ].join(" · ")}
            </span>
          </div>
          <div className="panes">
            {(loaded.data.sample.streams ?? []).map((stream) => (
              <StreamPane key={stream.id} stream={stream} />
            ))}
          </div>
        </WorkspaceProvider>
      )}
      <p className="hints muted">
        <kbd>Esc</kbd> or <kbd>u</kbd> back to the samples
      </p>
    </main>
  );
}
