/**
 * What the keys and buttons do to the work: each command acts on the workspace's stores
 * (work, focus, editor) and turns an edit the work refuses (`WorkError`) or a rule the
 * ontology would break into a notice for the person, changing nothing.
 */
import type { StoreApi } from "zustand/vanilla";

import type { OntologyIndex } from "../ontology/ontology";
import { WorkError } from "../work/edits";
import type { Annotation, LinkStatus, Sample } from "../work/objects";
import type { WorkState } from "../work/store";
import type { FocusState } from "../workspace/focus";
import type { EditorState } from "./editor";
import { groupPlan } from "./grouping";
import { linkEnds } from "./linking";
import type { Outcome } from "./reviewing";
import { nudge as nudged, type Size } from "./shapes";

/** The stores a command acts on. */
export interface CommandContext {
  readonly sample: Sample;
  readonly work: StoreApi<WorkState>;
  readonly focus: StoreApi<FocusState>;
  readonly editor: StoreApi<EditorState>;
  readonly ontology: OntologyIndex | null;
}

/** Run `edit`; a `WorkError` (or an `Error` of the ontology) becomes an error notice. */
export function attempt(context: CommandContext, edit: () => void): boolean {
  try {
    edit();
    return true;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    context.editor.getState().notify({ tone: "error", text: error.message });
    return false;
  }
}

function needOntology(context: CommandContext): OntologyIndex {
  if (context.ontology === null)
    throw new WorkError("the project's ontology is not loaded, so nothing can be labelled or linked");
  return context.ontology;
}

/** Undo (`back`) or redo the last step. A step that no longer applies (the sample changed
 * under it since) leaves the history with an error notice naming it and why. */
export function stepHistory(context: CommandContext, back: boolean): void {
  const store = context.work.getState();
  if ((back ? store.past : store.future).length === 0) return;
  if (back ? store.undo() : store.redo()) return;
  const steps = context.work
    .getState()
    .skipped.map((step) => `“${step.label}” (${step.reason})`)
    .join(", ");
  context.editor.getState().notify({
    tone: "error",
    text: `Could not ${back ? "undo" : "redo"} ${steps}: the step is dropped from the history.`,
  });
}

/** Delete the selected objects (links first, then entities, then annotations). */
export function deleteSelection(context: CommandContext): void {
  const selected = context.focus.getState().selected;
  if (selected.length === 0) return;
  attempt(context, () => {
    const store = context.work.getState;
    for (const kind of ["link", "entity", "annotation"] as const) {
      for (const id of selected) {
        const { work } = store();
        if (kind === "link" && work.links.some((l) => l.id === id)) store().deleteLink(id);
        if (kind === "entity" && work.entities.some((e) => e.id === id)) store().deleteEntity(id);
        if (kind === "annotation" && work.annotations.some((a) => a.id === id)) store().deleteAnnotation(id);
      }
    }
    context.focus.getState().select([]);
  });
}

/** Open the link menu for the two selected objects. */
export function linkSelection(context: CommandContext): void {
  attempt(context, () => {
    needOntology(context);
    const ends = linkEnds(context.focus.getState().selected, context.work.getState().work);
    if (typeof ends === "string") throw new WorkError(ends);
    context.editor.getState().askLink(ends);
  });
}

/** Group the selected annotations into an entity (new, or the one they share). */
export function groupSelection(context: CommandContext): void {
  attempt(context, () => {
    const store = context.work.getState();
    const plan = groupPlan(needOntology(context), store.work, context.focus.getState().selected);
    if (plan.kind === "refused") throw new WorkError(`cannot group: ${plan.reason}`);
    if (plan.kind === "add") {
      store.updateEntity(plan.entity, { members: plan.members });
      context.focus.getState().select([plan.entity]);
    } else {
      context.focus.getState().select([store.addEntity({ label: plan.label, members: [...plan.members] })]);
    }
  });
}

/** Open the label picker for the selected annotations. */
export function relabelSelection(context: CommandContext): void {
  attempt(context, () => {
    needOntology(context);
    const annotations = new Set(context.work.getState().work.annotations.map((a) => a.id));
    const ids = context.focus.getState().selected.filter((id) => annotations.has(id));
    if (ids.length === 0) throw new WorkError("select the annotations to label first");
    context.editor.getState().askLabel({ for: "relabel", ids });
  });
}

/** Open the label picker for a new annotation of `geometry` on stream `stream`. */
export function askNewLabel(context: CommandContext, stream: string, geometry: Annotation["geometry"]): void {
  attempt(context, () => {
    needOntology(context);
    context.editor.getState().askLabel({ for: "new", stream, geometry });
  });
}

/** Give `label` to the annotations the picker was opened for (keeping the attributes it defines),
 * or make the new annotation it was opened for. */
export function applyLabel(context: CommandContext, label: string): void {
  const request = context.editor.getState().labelling;
  if (request === null) return;
  attempt(context, () => {
    const store = context.work.getState();
    if (request.for === "new") {
      const id = store.addAnnotation({ stream: request.stream, label, geometry: request.geometry });
      context.focus.getState().select([id]);
    } else {
      // the attributes the new class does not define would be refused: they go
      const defined = needOntology(context).attributesOf(label);
      for (const id of request.ids) {
        const attributes = store.work.annotations.find((a) => a.id === id)?.attributes ?? {};
        const kept = Object.fromEntries(Object.entries(attributes).filter(([name]) => defined.has(name)));
        store.updateAnnotation(id, { label, attributes: kept });
      }
    }
    context.editor.getState().askLabel(null);
  });
}

/** The size of every image stream of the sample, by id. */
export function imageSizes(sample: Sample): Map<string, Size> {
  const sizes = new Map<string, Size>();
  for (const stream of sample.streams ?? []) {
    const { width, height } = stream.media ?? {};
    if (stream.modality === "image" && width != null && height != null) sizes.set(stream.id, { width, height });
  }
  return sizes;
}

/** Move the selected boxes, polygons and keypoints by `dx, dy` pixels (one undo step per run of moves). */
export function nudgeSelection(context: CommandContext, dx: number, dy: number): boolean {
  const selected = context.focus.getState().selected;
  const sizes = imageSizes(context.sample);
  const shapes = context.work
    .getState()
    .work.annotations.filter(
      (a) =>
        selected.includes(a.id) &&
        a.stream !== null &&
        sizes.has(a.stream) &&
        (a.geometry.type === "box" || a.geometry.type === "polygon" || a.geometry.type === "keypoints"),
    );
  if (shapes.length === 0) return false;
  attempt(context, () => {
    for (const shape of shapes) {
      const size = sizes.get(shape.stream as string) as Size;
      context.work
        .getState()
        .updateAnnotation(
          shape.id,
          { geometry: nudged(shape.geometry, dx, dy, size) },
          { coalesce: `nudge ${shape.id}` },
        );
    }
  });
  return true;
}

/**
 * Review: accept or reject the selection. Selected links take the status (`confirmed` or
 * `rejected`, saved with the work); the selected annotations go to `decide` (sent as review
 * decisions, `reviewing.ts`).
 */
export function reviewSelection(
  context: CommandContext,
  outcome: Outcome,
  decide: (annotations: readonly string[], outcome: Outcome) => void,
): void {
  const { work } = context.work.getState();
  const selected = context.focus.getState().selected;
  const links = selected.filter((id) => work.links.some((l) => l.id === id));
  const annotations = selected.filter((id) => work.annotations.some((a) => a.id === id));
  attempt(context, () => {
    if (links.length + annotations.length === 0) {
      throw new WorkError("select the annotations or links to review first");
    }
    const status: LinkStatus = outcome === "accepted" ? "confirmed" : "rejected";
    for (const id of links) context.work.getState().setLinkStatus(id, status);
    if (annotations.length > 0) decide(annotations, outcome);
  });
}
