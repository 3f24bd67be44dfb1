/**
 * The Model tool's bar under the toolbar (shown while the tool is in use): the proposer to
 * ask (those that take clicks or a box on images or video frames; one that cannot run
 * here is offered disabled, its reason as the tooltip, and counted with the reasons), the
 * class of what it proposes, the points clicked so far (Enter sends them, Esc clears
 * them), the request under way and why the last one failed. `ProposalBusy` marks the
 * pane a model works on.
 */
import { useEffect, useId, useMemo } from "react";
import { useStore } from "zustand";

import { plural } from "../ui/plural";
import { useActionKey } from "./useEditingKeys";
import { useEditing, useEditor } from "./EditingProvider";
import {
  classesFor,
  pointerProposers,
  usableClass,
  usableProposer,
  type ProposalState,
  type ProposerInfo,
} from "./proposals";

const FINISH = ["finish"] as const;

/** What `select` picks of the proposals' state. */
export function useProposals<T>(select: (state: ProposalState) => T): T {
  return useStore(useEditing().proposals.state, select);
}

/** The installed proposers (read once per workspace); `null` while they load. */
export function useProposers(): readonly ProposerInfo[] | null {
  const { proposals } = useEditing();
  const all = useProposals((state) => state.proposers);
  useEffect(() => {
    void proposals.list();
  }, [proposals]);
  return all;
}

/** The options of a select of proposers: one that cannot run here disabled, with the
 * reason as its tooltip (the description of one that can). */
export function ProposerOptions({ offered }: { offered: readonly ProposerInfo[] }) {
  return (
    <>
      {offered.map((p) => (
        <option key={p.name} value={p.name} disabled={p.unavailable !== null} title={p.unavailable ?? p.description}>
          {p.unavailable === null ? p.name : `${p.name} (unavailable)`}
        </option>
      ))}
    </>
  );
}

/** The Model tool's bar, while the tool is in use. */
export function ProposalTool() {
  const tool = useEditor((state) => state.tool);
  return tool === "model" ? <ModelBar /> : null;
}

function ModelBar() {
  const { proposals, ontology } = useEditing();
  const all = useProposers();
  const listError = useProposals((state) => state.listError);
  const chosen = useProposals((state) => state.proposer);
  const label = useProposals((state) => state.label);
  const points = useProposals((state) => state.points);
  const busy = useProposals((state) => state.busy);
  const error = useProposals((state) => state.error);
  const modelId = useId();
  const classId = useId();
  const offered = useMemo(() => pointerProposers(all ?? []), [all]);
  const proposer = offered.find((p) => p.name === chosen) ?? null;
  const classes = useMemo(
    () => (ontology === null || proposer === null ? [] : classesFor(ontology, proposer)),
    [ontology, proposer],
  );

  // the first proposer that can run, and a class it may propose, until the person chooses
  useEffect(() => {
    const state = proposals.state.getState();
    const usable = usableProposer(offered, state.proposer);
    if (usable !== null && usable !== state.proposer) state.choose(usable);
  }, [offered, proposals]);
  useEffect(() => {
    if (ontology === null || proposer === null) return;
    const usable = usableClass(ontology, proposer, proposals.state.getState().label);
    if (usable !== null && usable !== proposals.state.getState().label) proposals.state.getState().setLabel(usable);
  }, [ontology, proposer, proposals]);
  // the points clicked belong to the tool: leaving it drops them
  useEffect(() => () => void proposals.state.getState().clearPoints(), [proposals]);
  useActionKey(FINISH, () => {
    const clicked = proposals.state.getState().points;
    if (clicked === null) return false;
    void proposals.askWithPointer(clicked.stream, null, clicked.frame);
    return true;
  });

  const unavailable = offered.filter((p) => p.unavailable !== null);
  const positive = points?.points.filter((p) => p.positive).length ?? 0;
  const negative = (points?.points.length ?? 0) - positive;
  return (
    <div className="model-bar" role="group" aria-label="Model tool" aria-busy={busy !== null}>
      <label htmlFor={modelId}>Model</label>
      <select
        id={modelId}
        value={proposer?.name ?? ""}
        disabled={all === null}
        onChange={(event) => proposals.state.getState().choose(event.target.value)}
      >
        {proposer === null && <option value="">{all === null ? "Loading…" : "None can run here"}</option>}
        <ProposerOptions offered={offered} />
      </select>
      <label htmlFor={classId}>Class</label>
      <select
        id={classId}
        value={label ?? ""}
        disabled={classes.length === 0}
        onChange={(event) => proposals.state.getState().setLabel(event.target.value)}
      >
        {classes.length === 0 && <option value="">No class fits</option>}
        {classes.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <span className="muted hint">
        {points === null ? (
          <>Click the thing (Shift or Alt: off it) then Enter, or drag a box around it.</>
        ) : (
          <>
            {plural(positive, "point")} on, {negative} off{" "}
            <button
              type="button"
              className="quiet"
              onClick={() => void proposals.askWithPointer(points.stream, null, points.frame)}
            >
              Send <kbd>Enter</kbd>
            </button>
            <button type="button" className="quiet" onClick={() => proposals.state.getState().clearPoints()}>
              Clear <kbd>Esc</kbd>
            </button>
          </>
        )}
      </span>
      {busy !== null && (
        <span className="proposal-busy" role="status">
          {busy.proposer} is working…
        </span>
      )}
      {listError !== null && (
        <span className="error" role="alert">
          Could not read the models: {listError}
        </span>
      )}
      {error !== null && busy === null && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
      {unavailable.length > 0 && (
        <span
          className="muted unavailable"
          title={unavailable.map((p) => `${p.name}: ${p.unavailable ?? ""}`).join("\n")}
        >
          {unavailable.length} unavailable
        </span>
      )}
    </div>
  );
}

/** Over the pane of stream `stream` while a model works on it. */
export function ProposalBusy({ stream }: { stream: string }) {
  const busy = useProposals((state) => (state.busy?.stream === stream ? state.busy.proposer : null));
  if (busy === null) return null;
  return (
    <p className="pane-busy" role="status" aria-label={`${busy} is working`}>
      Asking {busy}…
    </p>
  );
}
