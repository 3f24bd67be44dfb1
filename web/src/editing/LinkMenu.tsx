import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";

import type { OntologyIndex } from "../ontology/ontology";
import type { AllowedRelation } from "../ontology/relations";
import { useWork, useWorkspace } from "../workspace/Workspace";
import { attempt } from "./commands";
import { objectName } from "./describe";
import { Dialog } from "./Dialog";
import { useCommandContext, useEditing, useEditor } from "./EditingProvider";
import { GuidelineAside } from "./Guideline";
import { digitOf } from "./keymap";
import { linkChoices, linkOf } from "./linking";

/** The relation menu for the two selected objects: only the types the ontology allows
 * between them (numbered: a digit or Enter picks) with the highlighted one's guideline
 * beside them, and why the others are not offered. */
export function LinkMenu() {
  const ends = useEditor((state) => state.linking);
  const { ontology } = useEditing();
  if (ends === null || ontology === null) return null;
  return <Menu ends={ends} ontology={ontology} />;
}

function Menu({ ends, ontology }: { ends: { source: string; target: string }; ontology: OntologyIndex }) {
  const context = useCommandContext();
  const { sample } = useWorkspace();
  const { streams } = useEditing();
  const work = useWork((state) => state.work);
  const choices = useMemo(() => linkChoices(ontology, sample, work, ends), [ontology, sample, work, ends]);
  const [highlight, setHighlight] = useState(0);
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => list.current?.focus(), []);
  const close = (): void => context.editor.getState().askLink(null);
  const highlighted = choices.allowed[highlight]?.relation;

  const pick = (choice: AllowedRelation | undefined): void => {
    if (choice === undefined) return;
    attempt(context, () => {
      const link = linkOf(choices, choice);
      const id = context.work.getState().addLink(link);
      context.focus.getState().select([id]);
      close();
    });
  };
  const onKey = (event: KeyboardEvent<HTMLElement>): void => {
    const digit = digitOf(event);
    if (digit !== null) pick(choices.allowed[digit - 1]);
    else if (event.key === "ArrowDown") setHighlight((at) => Math.min(at + 1, choices.allowed.length - 1));
    else if (event.key === "ArrowUp") setHighlight((at) => Math.max(at - 1, 0));
    else if (event.key === "Enter") pick(choices.allowed[highlight]);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  };

  const name = (id: string): string => objectName(id, work, streams);
  return (
    <Dialog title="Link" className="link-menu guided" onClose={close}>
      <p className="ends">
        <span>{name(ends.source)}</span> <span aria-hidden="true">→</span> <span>{name(ends.target)}</span>
      </p>
      <div className="with-guideline">
        <ul ref={list} role="listbox" aria-label="Relation types" className="choices" tabIndex={0} onKeyDown={onKey}>
          {choices.allowed.map((choice, index) => (
            <li
              key={choice.relation.name}
              role="option"
              aria-selected={index === highlight}
              onMouseEnter={() => setHighlight(index)}
              onClick={() => pick(choice)}
            >
              <kbd>{index < 9 ? index + 1 : ""}</kbd>
              {choice.relation.name}
              {choice.reversed && (
                <span className="muted">
                  {" "}
                  (drawn the other way: {name(ends.target)} → {name(ends.source)})
                </span>
              )}
              {choice.relation.description != null && (
                <span className="muted description"> {choice.relation.description}</span>
              )}
            </li>
          ))}
          {choices.allowed.length === 0 && (
            <li className="muted">The ontology allows no relation type between these two.</li>
          )}
        </ul>
        <GuidelineAside subject={highlighted?.name ?? null} guideline={highlighted?.guideline ?? null} />
      </div>
      {choices.refused.length > 0 && (
        <details className="refused">
          <summary>Not offered ({choices.refused.length})</summary>
          <ul>
            {choices.refused.map((item) => (
              <li key={item.relation}>
                <strong>{item.relation}</strong>: {item.why}
              </li>
            ))}
          </ul>
        </details>
      )}
      <p className="hints muted">
        <kbd>1</kbd>–<kbd>9</kbd> or <kbd>Enter</kbd> pick · <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Esc</kbd> cancel
      </p>
    </Dialog>
  );
}
