import { Fragment } from "react";

import { Dialog } from "./Dialog";
import { useEditing, useEditor } from "./EditingProvider";
import { TRANSPORT_HELP, TRANSPORT_KEYS } from "../player/timecode";
import { KEYMAP, keyName } from "./keymap";

/** The `?` overlay: every key of the workspace and what it does (from `KEYMAP`). */
export function HelpOverlay() {
  const open = useEditor((state) => state.help);
  const { editor } = useEditing();
  if (!open) return null;
  return (
    <Dialog title="Keyboard" className="help" onClose={() => editor.getState().toggleHelp()}>
      <dl className="keys">
        {KEYMAP.map((entry) => (
          <Fragment key={entry.action}>
            <dt>
              {entry.keys.map((binding, i) => (
                <Fragment key={keyName(binding)}>
                  {i > 0 && " or "}
                  <kbd>{keyName(binding)}</kbd>
                </Fragment>
              ))}
            </dt>
            <dd>{entry.help}</dd>
          </Fragment>
        ))}
        <dt>
          <kbd>1</kbd>–<kbd>9</kbd>
        </dt>
        <dd>In the label picker and the link menu: pick the numbered choice</dd>
        {Object.entries(TRANSPORT_KEYS).map(([key, action]) => (
          <Fragment key={action}>
            <dt>
              <kbd>{key === " " ? "Space" : key.toUpperCase()}</kbd>
            </dt>
            <dd>{TRANSPORT_HELP[action]}</dd>
          </Fragment>
        ))}
      </dl>
      <p className="muted">
        Linking: select a span, Shift+click a shape (or the other way round), press <kbd>L</kbd> and pick the type. A
        text selection opens the label picker; so does a finished box or polygon.
      </p>
      <p className="muted">
        Tracks: select one on the paused video and move or resize its box: the frame shown becomes a key frame. Dashed
        boxes are interpolated; the strip under the video marks each track&apos;s key frames (click one to go there).
      </p>
      <p className="muted">
        Audio: drag on a waveform to draw an interval (the label picker names it). Click a region to select it (again:
        the one under it); drag a selected region to move it, its edges to resize it, <kbd>Esc</kbd> during a drag to
        put it back. A transcript segment keeps its words inside.
      </p>
      <p className="muted">
        Questions: unsure how to annotate something? Press <kbd>Q</kbd> (or &ldquo;Ask a senior&rdquo;) to ask about the
        sample, or about the one object selected. Answers show under Questions in the side panel; a good one may become a
        clarification of the class&apos;s guideline.
      </p>
      <p className="muted">
        Preference samples: <kbd>C</kbd> goes to the ranking; type the candidates&apos; letters best first (
        <kbd>=</kbd> ties the last with the one before, <kbd>Backspace</kbd> undoes; two candidates: the better one&apos;s
        letter or <kbd>=</kbd>, then <kbd>1</kbd>–<kbd>3</kbd> for how much better). <kbd>Tab</kbd> goes to the rubric
        (arrows move, digits score) and the rationale; <kbd>Esc</kbd> gives the keys back to the workspace,{" "}
        <kbd>Ctrl</kbd>+<kbd>S</kbd> saves. Once saved, select a phrase of your rationale, label it, Shift+click what it
        is about and press <kbd>L</kbd> to link them.
      </p>
      <p className="muted">
        Tasks: a sample opened with &ldquo;Next task&rdquo; (<kbd>N</kbd> on the sample list) shows the task bar: its
        stage, the time left on your lease and, when a reviewer sent it back, their comment. <kbd>Ctrl</kbd>+
        <kbd>Enter</kbd> saves, hands it in and opens your next task.
      </p>
    </Dialog>
  );
}
