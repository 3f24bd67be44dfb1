import { VirtualList } from "../ui/VirtualList";
import { useWork } from "../workspace/Workspace";
import { entityName } from "./describe";
import { EscalationsPanel } from "./EscalationsPanel";
import { FindingsPanel } from "./FindingsPanel";
import { useCommandContext, useEditing, useEditor, useReviewer } from "./EditingProvider";
import { Inspector } from "./Inspector";
import { LinksList } from "./LinksList";
import { ReviewPanel, VerdictNote } from "./ReviewPanel";

/** Beside the panes: in review mode the sample's review (its verdict and each annotation's
 * state), else the verdict it got, if any; the selection in detail, every link of the
 * sample (where review mode accepts and rejects them), and its entities, the two lists
 * drawing only the rows in view; the QA checks' findings on it; the questions asked about
 * it (and asking one). */
export function SidePanel() {
  const context = useCommandContext();
  const { canReview } = useEditing();
  const links = useWork((state) => state.work.links);
  const entities = useWork((state) => state.work.entities);
  const review = useEditor((state) => state.review);
  const sampleReview = useReviewer((state) => state.review);
  return (
    <aside className="side" aria-label="Details">
      {canReview && review ? (
        <ReviewPanel />
      ) : (
        sampleReview?.verdict != null && (
          <section className="side-section" aria-label="Verdict on the sample">
            <VerdictNote review={sampleReview} />
          </section>
        )
      )}
      <Inspector />
      <FindingsPanel />
      <EscalationsPanel />
      <section className="side-section" aria-label="Links of the sample">
        <h2>
          Links <span className="muted">{links.length}</span>
          {review && <span className="badge review-on">review mode</span>}
        </h2>
        <LinksList links={links} label="All links" />
      </section>
      <section className="side-section" aria-label="Entities of the sample">
        <h2>
          Entities <span className="muted">{entities.length}</span>
        </h2>
        <VirtualList
          items={entities}
          itemKey={(entity) => entity.id}
          label="Entities"
          renderItem={(entity, row) => (
            <li {...row}>
              <button
                type="button"
                className="quiet object-button"
                onClick={(event) => context.focus.getState().select([entity.id], event.shiftKey)}
                onMouseEnter={() => context.focus.getState().hover([entity.id, ...(entity.members ?? [])])}
                onMouseLeave={() => context.focus.getState().hover([])}
              >
                {entityName(entity)}
              </button>
            </li>
          )}
          empty={<li className="muted">None yet: select annotations and press G.</li>}
        />
      </section>
    </aside>
  );
}
