/**
 * A training task's feedback against its gold answer, shown once it is submitted: the score
 * and each remark (what was missed, drawn extra or labelled otherwise than the reference); a
 * click on a remark about one of the person's objects selects it.
 */
import { useFocus, useWork, useWorkspace } from "./Workspace";
import { scoreText, type FeedbackKind, type Training } from "./tasks";

const KIND_NAMES: Readonly<Record<FeedbackKind, string>> = {
  wrong_label: "Label",
  missed: "Missed",
  extra: "Extra",
  link_missed: "Missed link",
  link_extra: "Extra link",
};

/** The feedback panel of a submitted training task. */
export function TrainingFeedback({ training }: { training: Training }) {
  const { focus } = useWorkspace();
  const work = useWork((state) => state.work);
  const selected = useFocus((state) => state.selected);
  const ids = new Set([...work.annotations, ...work.links, ...work.entities].map((item) => item.id));
  return (
    <section className="training-feedback side-section" aria-label="Training feedback">
      <h2>
        Training feedback <span className="score">Score {scoreText(training.score)}</span>
      </h2>
      {training.remarks.length === 0 ? (
        <p className="muted">Nothing to remark: the work matches the reference.</p>
      ) : (
        <ul className="object-list feedback-list">
          {training.remarks.map((item, index) => {
            const object = item.object !== null && ids.has(item.object) ? item.object : null;
            const text = (
              <>
                <span className={`badge feedback-${item.kind}`}>{KIND_NAMES[item.kind]}</span> {item.message}
              </>
            );
            return (
              <li key={`${index}-${item.kind}`} data-kind={item.kind}>
                {object === null ? (
                  <span className="feedback-item">{text}</span>
                ) : (
                  <button
                    type="button"
                    className="quiet object-button feedback-item"
                    aria-pressed={selected.includes(object)}
                    onMouseDown={(event) => event.preventDefault()}
                    onClick={() => focus.getState().select([object])}
                  >
                    {text}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p className="muted">
        <kbd>Ctrl</kbd>+<kbd>Enter</kbd> or &ldquo;Next task&rdquo; goes on to the next task.
      </p>
    </section>
  );
}
