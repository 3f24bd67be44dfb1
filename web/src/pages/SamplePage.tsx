import { useCallback, useEffect, useState } from "react";

import { Link } from "../app/Link";
import { BASE, navigate, projectPath } from "../app/router";
import { useLoad, type Loaded } from "../app/useLoad";
import { ConflictPanel } from "../editing/ConflictPanel";
import { EditingProvider, useEditing } from "../editing/EditingProvider";
import { HelpOverlay } from "../editing/HelpOverlay";
import { LabelPicker } from "../editing/LabelPicker";
import { LinkMenu } from "../editing/LinkMenu";
import { loadEditingProject, type EditingProject } from "../editing/project";
import { ProposalTool } from "../editing/ProposalTool";
import { SidePanel } from "../editing/SidePanel";
import { Toolbar } from "../editing/Toolbar";
import { useEditingKeys } from "../editing/useEditingKeys";
import { StreamPane } from "../panes/StreamPane";
import { Transport } from "../player/Transport";
import { loadSample, type Sample } from "../panes/sample";
import { isPreferenceSample } from "../preference/sample";
import { PreferenceView } from "../preference/PreferenceView";
import { LoadState, StatusBadge } from "../ui/feedback";
import { plural } from "../ui/plural";
import { isDirty } from "../work/store";
import { TaskBar } from "../workspace/TaskBar";
import { useWork, useWorkspace, WorkspaceProvider } from "../workspace/Workspace";

/** One sample's workspace (edited in the project its answer names; `project`, from the
 * address, names it in the breadcrumb until that project is loaded; `select`, from the
 * address too, an object selected on opening): a pane per stream with the work drawn on it and edited there,
 * the selection's details beside them, saved as it is edited (`?` lists the keys; `Esc`
 * with nothing to cancel, or `u`, goes back to the sample list once the work is saved;
 * `task`, from the address, the task slot it is worked as: the task bar shows it). */
export default function SamplePage({
  sample,
  project,
  select,
  task,
}: {
  sample: string;
  project: string | undefined;
  select: string | undefined;
  task: string | undefined;
}) {
  const loaded = useLoad((signal) => loadSample(sample, signal), [sample]);
  // the sample read again by the workspace (`reopen`), shown instead of the first answer
  const [reread, setReread] = useState<{ sample: Sample; etag: string } | null>(null);
  useEffect(() => setReread(null), [loaded]);
  const reopen = useCallback((next: Sample, etag: string) => setReread({ sample: next, etag }), []);
  // the project the sample's answer names, whatever the address says
  const projectId = loaded.state === "done" ? loaded.data.project : null;
  const editing = useLoad(
    (signal) => (projectId === null ? new Promise<never>(() => {}) : loadEditingProject(projectId, signal)),
    [projectId],
  );
  const shown = editing.state === "done" ? editing.data.project.name : (project ?? null);
  const back = shown === null ? BASE : projectPath(shown);
  return (
    <main className="page workspace">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href={BASE}>Projects</Link>
        {shown !== null && (
          <>
            {" / "}
            <Link href={back}>{shown}</Link>
          </>
        )}
        {" / "}
        <span aria-current="page">{sample}</span>
      </nav>
      <LoadState loaded={loaded} what={`sample ${sample}`} />
      {editing.state === "failed" && (
        <p className="error" role="alert">
          Read only: {editing.error.message}
        </p>
      )}
      {loaded.state === "done" && editing.state !== "loading" && (
        <WorkspaceProvider
          sample={reread?.sample ?? loaded.data.sample}
          etag={reread?.etag ?? loaded.data.etag}
          reopen={reopen}
        >
          <Editor
            editing={editing}
            back={back}
            task={task === undefined ? null : { id: task, project: shown ?? loaded.data.project }}
          />
          <SelectOnOpen id={select} />
        </WorkspaceProvider>
      )}
    </main>
  );
}

/** Select the object `id` (from the address) once the sample is open, if it has it. */
function SelectOnOpen({ id }: { id: string | undefined }) {
  const { focus, work } = useWorkspace();
  useEffect(() => {
    const { annotations, links, entities } = work.getState().work;
    if (id !== undefined && [...annotations, ...links, ...entities].some((item) => item.id === id)) {
      focus.getState().select([id]);
    }
  }, [id, focus, work]);
  return null;
}

function Editor({
  editing,
  back,
  task,
}: {
  editing: Loaded<EditingProject>;
  back: string;
  task: { id: string; project: string } | null;
}) {
  const project = editing.state === "done" ? editing.data : null;
  return (
    <EditingProvider ontology={project?.ontology ?? null} canReview={project?.canReview ?? false}>
      <Head />
      {task !== null && <TaskBar key={task.id} taskId={task.id} project={task.project} />}
      <Toolbar />
      <ProposalTool />
      <Transport />
      <Body back={back} />
      <LabelPicker />
      <LinkMenu />
      <ConflictPanel />
      <HelpOverlay />
    </EditingProvider>
  );
}

/** The sample's name, status (as a review leaves it) and how much work it holds (as edited). */
function Head() {
  const { sample } = useWorkspace();
  const work = useWork((state) => state.work);
  const status = useWork((state) => state.sample?.status ?? sample.status ?? "new");
  return (
    <div className="page-head">
      <h1>{sample.external_id ?? sample.id}</h1>
      <StatusBadge status={status} />
      <span className="muted">
        {[
          plural(sample.streams?.length ?? 0, "stream"),
          plural(work.annotations.length, "annotation"),
          plural(work.links.length, "link"),
          plural(work.entities.length, "entity", "entities"),
        ].join(" · ")}
      </span>
    </div>
  );
}

function Body({ back }: { back: string }) {
  const { sample, work } = useWorkspace();
  const { saver, editor } = useEditing();
  const leave = useCallback(() => {
    void (async () => {
      await saver.saveNow();
      const state = work.getState();
      if (state.conflict === null && !isDirty(state)) navigate(back);
      else
        editor
          .getState()
          .notify({ tone: "error", text: "The work is not saved yet: see the save state before leaving." });
    })();
  }, [saver, work, editor, back]);
  useEditingKeys(leave);
  return (
    <div className="workspace-body">
      {isPreferenceSample(sample) ? (
        <PreferenceView />
      ) : (
        <div className="panes">
          {(sample.streams ?? []).map((stream) => (
            <StreamPane key={stream.id} stream={stream} />
          ))}
        </div>
      )}
      <SidePanel />
    </div>
  );
}
