import type { MouseEvent } from "react";

import type { Annotation, Entity, Link } from "../work/objects";
import { useFocus, useWork } from "../workspace/Workspace";
import { attempt, relabelSelection } from "./commands";
import { AttributeForm } from "./AttributeForm";
import { CandidateActions } from "./CandidateActions";
import { annotationName, entityName, geometryDetail, linkName, objectName } from "./describe";
import { useCommandContext, useEditing, useEditor } from "./EditingProvider";
import { shownStatus } from "./flags";
import { GuidelineDisclosure } from "./Guideline";
import { LinksList } from "./LinksList";
import { ObjectHistory } from "./ObjectHistory";
import { ReviewControls, ReviewNote } from "./ReviewPanel";
import { useLinkStatuses, useStaleLinks } from "./useWorkViews";

/** A button naming an object of the work that selects it (Shift: adds it). */
function ObjectButton({ id }: { id: string }) {
  const context = useCommandContext();
  const { streams } = useEditing();
  const work = useWork((state) => state.work);
  const pick = (event: MouseEvent): void => context.focus.getState().select([id], event.shiftKey);
  return (
    <button type="button" className="quiet object-button" onClick={pick}>
      {objectName(id, work, streams)}
    </button>
  );
}

/** What is selected, in detail: an annotation's label (its class's guideline on demand),
 * a model's provenance (and the decision about its candidate), attributes, stale flags,
 * review decision, entity and links (accepted or rejected here in review mode); a link's
 * ends and status (likewise; its type's guideline on demand); an entity's members; for
 * reviewers, the object's history; or the list of a larger selection and what can be
 * done with it. */
export function Inspector() {
  const { canReview } = useEditing();
  const reviewing = useEditor((state) => state.review) && canReview;
  const selected = useFocus((state) => state.selected);
  const work = useWork((state) => state.work);
  const only = selected.length === 1 ? selected[0] : undefined;
  const annotation = work.annotations.find((a) => a.id === only);
  const link = work.links.find((l) => l.id === only);
  const entity = work.entities.find((e) => e.id === only);
  return (
    <section className="side-section inspector" aria-label="Selection">
      <h2>Selection</h2>
      {selected.length === 0 && (
        <p className="muted">
          Nothing selected. Click a shape or a highlighted span; select text to label it; <kbd>?</kbd> lists the keys.
        </p>
      )}
      {annotation !== undefined && <AnnotationDetails annotation={annotation} />}
      {link !== undefined && <LinkDetails link={link} />}
      {entity !== undefined && <EntityDetails entity={entity} />}
      {selected.length > 1 && (
        <>
          <ul className="object-list" aria-label="Selected">
            {selected.map((id) => (
              <li key={id}>
                <ObjectButton id={id} />
              </li>
            ))}
          </ul>
          <p className="muted">
            <kbd>L</kbd> link the two · <kbd>G</kbd> group into an entity · <kbd>E</kbd> label · <kbd>Del</kbd> delete
          </p>
          {reviewing && <ReviewControls />}
        </>
      )}
    </section>
  );
}

function AnnotationDetails({ annotation }: { annotation: Annotation }) {
  const context = useCommandContext();
  const { ontology, streams, canReview } = useEditing();
  const reviewing = useEditor((state) => state.review) && canReview;
  const work = useWork((state) => state.work);
  const stale = useStaleLinks().get(annotation.id) ?? [];
  const links = work.links.filter((l) => l.source === annotation.id || l.target === annotation.id);
  const entities = work.entities.filter((e) => (e.members ?? []).includes(annotation.id));
  const stream = annotation.stream === null ? undefined : streams.get(annotation.stream);
  const guided = ontology?.guidelineOf(annotation.label) ?? null;
  return (
    <div className="details" data-annotation={annotation.id}>
      <h3>{annotationName(annotation, streams)}</h3>
      <p>
        <span className="chip">{annotation.geometry.type}</span> {geometryDetail(annotation, stream)}{" "}
        <button type="button" className="quiet" onClick={() => relabelSelection(context)}>
          Change label <kbd>E</kbd>
        </button>
      </p>
      {guided !== null && <GuidelineDisclosure subject={annotation.label} {...guided} />}
      <CandidateActions annotation={annotation} />
      {stale.length > 0 && (
        <ul className="flags" aria-label="Flags">
          {stale.map((l) => (
            <li key={l.id} className="stale">
              ⚠ stale link: {linkName(l, work, streams)}
            </li>
          ))}
        </ul>
      )}
      {(annotation.flags ?? []).length > 0 && <p className="stale">Flagged: {(annotation.flags ?? []).join("; ")}</p>}
      <ReviewNote id={annotation.id} />
      {reviewing && <ReviewControls />}
      {ontology !== null && <AttributeForm annotation={annotation} ontology={ontology} />}
      {entities.map((e) => (
        <p key={e.id}>
          In <ObjectButton id={e.id} />
        </p>
      ))}
      <h3>Links</h3>
      <LinksList links={links} from={annotation.id} label={`Links of ${annotation.label}`} />
      <ObjectHistory id={annotation.id} revision={annotation.revision} />
    </div>
  );
}

function LinkDetails({ link }: { link: Link }) {
  const context = useCommandContext();
  const { canReview, ontology } = useEditing();
  const review = useEditor((state) => state.review);
  const status = shownStatus(link, useLinkStatuses());
  const guideline = ontology?.relation(link.type)?.guideline ?? null;
  return (
    <div className="details" data-link={link.id}>
      <h3>{link.type} link</h3>
      <p>
        <ObjectButton id={link.source} /> → <ObjectButton id={link.target} />
      </p>
      <p>
        Status <span className={`badge link-${status.status}`}>{status.status}</span>
        {status.reason !== null && <span className="muted"> after saving: {status.reason}</span>}
      </p>
      {guideline !== null && <GuidelineDisclosure subject={link.type} guideline={guideline} />}
      {canReview && review && (
        <p className="verdict">
          <button
            type="button"
            onClick={() => attempt(context, () => context.work.getState().setLinkStatus(link.id, "confirmed"))}
          >
            Accept <kbd>A</kbd>
          </button>{" "}
          <button
            type="button"
            onClick={() => attempt(context, () => context.work.getState().setLinkStatus(link.id, "rejected"))}
          >
            Reject <kbd>X</kbd>
          </button>
        </p>
      )}
      <ObjectHistory id={link.id} revision={link.revision} />
    </div>
  );
}

function EntityDetails({ entity }: { entity: Entity }) {
  const work = useWork((state) => state.work);
  const links = work.links.filter((l) => l.source === entity.id || l.target === entity.id);
  return (
    <div className="details" data-entity={entity.id}>
      <h3>{entityName(entity)}</h3>
      <ul className="object-list" aria-label="Members">
        {(entity.members ?? []).map((id) => (
          <li key={id}>
            <ObjectButton id={id} />
          </li>
        ))}
      </ul>
      <h3>Links</h3>
      <LinksList links={links} from={entity.id} label={`Links of ${entity.label ?? "the entity"}`} />
      <ObjectHistory id={entity.id} revision={entity.revision} />
    </div>
  );
}
