import { useMemo, useState, type KeyboardEvent } from "react";

import { classTree, flatten, searchClasses, type ClassNode } from "../ontology/classTree";
import type { GeometryKind, OntologyIndex } from "../ontology/ontology";
import { labelColour } from "../ui/colour";
import { useWork } from "../workspace/Workspace";
import { applyLabel } from "./commands";
import { digitOf } from "./keymap";
import type { LabelRequest } from "./editor";
import { useCommandContext, useEditing, useEditor } from "./EditingProvider";
import { Dialog } from "./Dialog";
import { GuidelineAside } from "./Guideline";

interface Row {
  readonly node: ClassNode;
  readonly depth: number;
  /** Its hotkey (1–9), if it has one. */
  readonly hotkey: number | null;
}

/** The geometry kinds of what is being labelled. */
function kindsOf(request: LabelRequest, geometryOf: (id: string) => GeometryKind | undefined): GeometryKind[] {
  if (request.for === "new") return [request.geometry.type];
  return [...new Set(request.ids.flatMap((id) => geometryOf(id) ?? []))];
}

/** The picker's rows: the class tree (ancestors kept as context), or the search results. */
function rowsOf(ontology: OntologyIndex, kinds: readonly GeometryKind[], query: string): Row[] {
  const tree = classTree(ontology, kinds.length === 1 ? { geometry: kinds[0] as GeometryKind } : {});
  const fits = (node: ClassNode): boolean =>
    node.selectable && kinds.every((kind) => ontology.allowsGeometry(node.name, kind));
  const nodes = query.trim() === "" ? flatten(tree) : searchClasses(tree, query);
  let next = 1;
  return nodes.map((node) => {
    const hotkey = fits(node) && next <= 9 ? next++ : null;
    return {
      node: fits(node) ? node : { ...node, selectable: false },
      depth: query.trim() === "" ? node.path.length - 1 : 0,
      hotkey,
    };
  });
}

/** The label picker: the project's classes that may label the geometry (the is-a tree,
 * search, 1–9 hotkeys, ↑↓ and Enter), for a new annotation or to relabel the selection,
 * with the guideline of the highlighted class beside them. */
export function LabelPicker() {
  const request = useEditor((state) => state.labelling);
  const { ontology } = useEditing();
  if (request === null || ontology === null) return null;
  return <Picker request={request} ontology={ontology} />;
}

function Picker({ request, ontology }: { request: LabelRequest; ontology: OntologyIndex }) {
  const context = useCommandContext();
  const annotations = useWork((state) => state.work.annotations);
  const [query, setQuery] = useState("");
  const [highlight, setHighlight] = useState(0);
  const kinds = useMemo(
    () => kindsOf(request, (id) => annotations.find((a) => a.id === id)?.geometry.type),
    [request, annotations],
  );
  const rows = useMemo(() => rowsOf(ontology, kinds, query), [ontology, kinds, query]);
  const choices = rows.filter((row) => row.node.selectable);
  const chosen = choices[Math.min(highlight, choices.length - 1)];
  const guided = chosen === undefined ? null : ontology.guidelineOf(chosen.node.name);
  const title =
    request.for === "new"
      ? `Label the new ${request.geometry.type}`
      : `New label for ${request.ids.length === 1 ? "the annotation" : `${request.ids.length} annotations`}`;

  const pick = (node: ClassNode | undefined): void => {
    if (node !== undefined) applyLabel(context, node.name);
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>): void => {
    const digit = digitOf(event);
    if (digit !== null) pick(rows.find((row) => row.hotkey === digit)?.node);
    else if (event.key === "ArrowDown") setHighlight((at) => Math.min(at + 1, choices.length - 1));
    else if (event.key === "ArrowUp") setHighlight((at) => Math.max(at - 1, 0));
    else if (event.key === "Enter") pick(chosen?.node);
    else if (event.key === "Escape") context.editor.getState().askLabel(null);
    else return;
    event.preventDefault();
  };

  return (
    <Dialog title={title} className="picker guided" onClose={() => context.editor.getState().askLabel(null)}>
      <input
        autoFocus
        aria-label="Search the classes"
        placeholder="Search the classes…"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setHighlight(0);
        }}
        onKeyDown={onKey}
      />
      <div className="with-guideline">
        <ul role="listbox" aria-label="Classes" className="choices">
          {rows.map((row) => (
            <li
              key={row.node.path.join("/")}
              role="option"
              aria-selected={row.node === chosen?.node}
              aria-disabled={!row.node.selectable}
              className={row.node.selectable ? undefined : "context"}
              style={{ paddingLeft: `${0.5 + row.depth * 1.1}rem` }}
              onMouseDown={(event) => event.preventDefault()}
              onMouseEnter={() => row.node.selectable && setHighlight(choices.indexOf(row))}
              onClick={() => row.node.selectable && pick(row.node)}
            >
              <kbd className={row.hotkey === null ? "blank" : undefined}>{row.hotkey ?? ""}</kbd>
              <span className="swatch" style={{ background: labelColour(row.node.name) }} />
              {row.node.name}
              {query.trim() !== "" && row.node.path.length > 1 && (
                <span className="muted"> in {row.node.path.slice(0, -1).join(" › ")}</span>
              )}
              {row.node.description !== null && <span className="muted description"> {row.node.description}</span>}
            </li>
          ))}
          {choices.length === 0 && (
            <li className="muted">
              No class of the ontology may label a {kinds.join(" or ")}
              {query === "" ? "" : ` matching “${query}”`}.
            </li>
          )}
        </ul>
        <GuidelineAside
          subject={chosen?.node.name ?? null}
          guideline={guided?.guideline ?? null}
          from={guided?.from}
        />
      </div>
      <p className="hints muted">
        <kbd>1</kbd>–<kbd>9</kbd> pick · <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Enter</kbd> pick · <kbd>Esc</kbd> cancel
      </p>
    </Dialog>
  );
}
