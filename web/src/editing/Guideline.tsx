/**
 * A class's or relation type's guideline as annotators read it (`core/ontology.Guideline`):
 * its plain text, the examples of what it covers and of what it does not, and the
 * clarifications added since. An example's `media` is a sample of the project (and what to
 * select in it), linked in a new tab so nothing being drawn here is lost; nothing is
 * fetched from it.
 */
import { samplePath } from "../app/router";
import type { Guideline, GuidelineExample } from "../ontology/ontology";

/** The paragraphs of a guideline's text: blank lines separate them. */
function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n/).map((part) => part.trim()).filter((part) => part !== "");
}

/** Examples of what a guideline covers (`positive`) or of what it does not (`negative`). */
function Examples({
  title,
  examples,
  tone,
}: {
  title: string;
  examples: readonly GuidelineExample[];
  tone: "positive" | "negative";
}) {
  if (examples.length === 0) return null;
  return (
    <>
      <h4>{title}</h4>
      <ul className={`examples ${tone}`} aria-label={title}>
        {examples.map((example, index) => (
          <li key={index}>
            <span className="mark" aria-hidden="true">
              {tone === "positive" ? "✓" : "✗"}
            </span>{" "}
            {example.note}
            {example.media != null && (
              <>
                {" "}
                <a
                  href={samplePath(example.media.sample, undefined, example.media.select ?? undefined)}
                  target="_blank"
                  rel="noopener"
                >
                  see it in {example.media.sample}
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A guideline's text, examples, counter-examples and clarifications (oldest first). */
export function GuidelineText({ guideline }: { guideline: Guideline }) {
  const clarifications = guideline.clarifications ?? [];
  return (
    <div className="guideline">
      {paragraphs(guideline.text).map((paragraph, index) => (
        <p key={index}>{paragraph}</p>
      ))}
      <Examples title="Examples" examples={guideline.positive ?? []} tone="positive" />
      <Examples title="Counter-examples" examples={guideline.negative ?? []} tone="negative" />
      {clarifications.length > 0 && (
        <>
          <h4>Clarifications</h4>
          <dl className="clarifications">
            {clarifications.map((item, index) => (
              <div key={index}>
                <dt>
                  <time dateTime={item.date}>{item.date}</time> {item.question}
                </dt>
                <dd>{item.answer}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </div>
  );
}

/** The guideline of `subject` (a class or relation type) beside a dialog's list of them;
 * `from` names the ancestor class it is inherited from, when it is. */
export function GuidelineAside({
  subject,
  guideline,
  from,
}: {
  subject: string | null;
  guideline: Guideline | null;
  from?: string;
}) {
  return (
    <aside className="guideline-aside" aria-label="Guideline">
      {subject === null ? (
        <p className="muted">Nothing to pick.</p>
      ) : (
        <>
          <h3>{subject}</h3>
          {from !== undefined && from !== subject && <p className="muted">The guideline of {from}:</p>}
          {guideline === null ? (
            <p className="muted">No guideline for {subject}.</p>
          ) : (
            <GuidelineText guideline={guideline} />
          )}
        </>
      )}
    </aside>
  );
}

/** A closed "Guideline" disclosure that shows the guideline of `subject` on demand; `from`
 * names the ancestor class it is inherited from, when it is. */
export function GuidelineDisclosure({
  subject,
  guideline,
  from,
}: {
  subject: string;
  guideline: Guideline;
  from?: string;
}) {
  return (
    <details className="guideline-disclosure">
      <summary>
        Guideline
        {from !== undefined && from !== subject && <span className="muted"> of {from}</span>}
      </summary>
      <GuidelineText guideline={guideline} />
    </details>
  );
}
