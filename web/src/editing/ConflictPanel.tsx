import { useState } from "react";

import type { ConflictItem, Edit, Side } from "../work/merge";
import type { Conflict } from "../work/store";
import { useWork, useWorkspace } from "../workspace/Workspace";
import { attempt } from "./commands";
import { objectName } from "./describe";
import { Dialog } from "./Dialog";
import { useCommandContext, useEditing } from "./EditingProvider";

function change(edit: Edit | null, fields: readonly string[]): string {
  if (edit === null) return "left it as it was";
  if (edit !== "updated") return edit;
  return fields.length === 0 ? "updated it" : `changed ${fields.join(", ")}`;
}

/** A 409 on saving: what they changed against what I changed, object by object; where
 * both changed the same thing, I choose whose version stays. Then the work is rebased on
 * theirs and saved again (or mine is dropped). */
export function ConflictPanel() {
  const conflict = useWork((state) => state.conflict);
  if (conflict === null) return null;
  return <Panel conflict={conflict} />;
}

function Panel({ conflict }: { conflict: Conflict }) {
  const context = useCommandContext();
  const { sample } = useWorkspace();
  const { streams } = useEditing();
  const work = useWork((state) => state.work);
  const clashes = conflict.items.filter((item) => item.clash);
  const [choices, setChoices] = useState<Record<string, Side>>(() =>
    Object.fromEntries(clashes.map((item) => [item.id, "mine" as Side])),
  );

  const name = (item: ConflictItem): string => {
    const mine = objectName(item.id, work, streams);
    return mine !== item.id ? mine : `${item.kind} ${item.id}`;
  };
  const keep = (): void => {
    attempt(context, () => {
      const merged = context.work.getState().resolveConflict(choices);
      const dropped = merged.dropped.map((d) => `${d.kind} ${d.id} (${d.missing} is gone)`);
      const steps = context.work.getState().skipped.map((step) => `“${step.label}”`);
      context.editor.getState().notify({
        tone: "info",
        text: [
          dropped.length === 0 ? "Merged with their changes; saving." : `Merged; dropped ${dropped.join(", ")}.`,
          ...(steps.length === 0 ? [] : [`No longer undoable: ${steps.join(", ")}.`]),
        ].join(" "),
      });
    });
  };
  const discard = (): void => {
    context.work.getState().load(conflict.theirs, conflict.etag);
    context.focus.getState().clear();
    context.editor
      .getState()
      .notify({ tone: "info", text: "Your unsaved changes were dropped; this is the sample as saved now." });
  };

  return (
    <Dialog title="Someone else saved this sample meanwhile" className="conflict" onClose={() => undefined}>
      <p className="muted">
        Sample {sample.external_id ?? sample.id} changed since you opened it.{" "}
        {clashes.length === 0
          ? "Your changes and theirs do not touch the same things: keep both."
          : "Choose whose version to keep where you both changed the same thing."}
      </p>
      <table className="conflict-items">
        <thead>
          <tr>
            <th scope="col">Object</th>
            <th scope="col">They</th>
            <th scope="col">I</th>
            <th scope="col">Keep</th>
          </tr>
        </thead>
        <tbody>
          {conflict.items.map((item) => (
            <tr key={item.id} className={item.clash ? "clash" : undefined}>
              <th scope="row">{name(item)}</th>
              <td>{change(item.theirs, item.theirsFields)}</td>
              <td>{change(item.mine, item.mineFields)}</td>
              <td>
                {item.clash ? (
                  <span role="radiogroup" aria-label={`Whose version of ${name(item)}`}>
                    {(["mine", "theirs"] as const).map((side) => (
                      <label key={side}>
                        <input
                          type="radio"
                          name={`keep-${item.id}`}
                          checked={choices[item.id] === side}
                          onChange={() => setChoices({ ...choices, [item.id]: side })}
                        />
                        {side}
                      </label>
                    ))}
                  </span>
                ) : (
                  <span className="muted">both</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" onClick={keep}>
          Keep {clashes.length === 0 ? "both" : "my choices"} and save
        </button>
        <button type="button" className="quiet" onClick={discard}>
          Drop my changes
        </button>
      </div>
    </Dialog>
  );
}
