import type { KeyboardEvent } from "react";
import { useStore, type StoreApi } from "zustand";

import { clearScore, scoreKey, setScore, type Criterion } from "./draft";
import type { JudgingState } from "./judging";
import { moveCell, rubricCommand } from "./keys";

/** The words of `criterion`'s scale: "1 wrong · 3 partly right · 5 all true". */
function scaleWords(criterion: Criterion): string {
  const named = Object.entries(criterion.labels)
    .map(([point, label]) => [Number(point), label] as const)
    .sort(([a], [b]) => a - b)
    .map(([point, label]) => `${point} ${label}`);
  return named.length > 0 ? named.join(" · ") : `${criterion.low} to ${criterion.high}`;
}

/**
 * The rubric: the ontology's criteria (rows) × the candidates (columns). With the grid
 * focused (Tab from the ranking), the arrows move the current cell and a digit scores it
 * (refused off the criterion's scale), Backspace or Delete clears it; a click picks a cell.
 */
export function RubricGrid({
  judging,
  ids,
  letters,
  criteria,
}: {
  judging: StoreApi<JudgingState>;
  ids: readonly string[];
  letters: ReadonlyMap<string, string>;
  criteria: readonly Criterion[];
}) {
  const scores = useStore(judging, (state) => state.draft.scores);
  const cell = useStore(judging, (state) => state.cell);
  const onKeyDown = (event: KeyboardEvent<HTMLTableElement>): void => {
    const command = rubricCommand(event);
    if (command === null) return;
    event.preventDefault();
    event.stopPropagation();
    const state = judging.getState();
    const criterion = criteria[state.cell.row];
    const candidate = ids[state.cell.column];
    if (command.kind === "leave") event.currentTarget.blur();
    else if (command.kind === "move") state.setCell(moveCell(state.cell, command, criteria.length, ids.length));
    else if (criterion === undefined || candidate === undefined) return;
    else if (command.kind === "score") state.edit((draft) => setScore(draft, candidate, criterion, command.value));
    else state.edit((draft) => clearScore(draft, candidate, criterion.name));
  };
  const current = criteria[cell.row];
  return (
    <div className="rubric">
      <table className="rubric-grid" role="grid" aria-label="Rubric" tabIndex={0} onKeyDown={onKeyDown}>
        <thead>
          <tr>
            <th scope="col">Criterion</th>
            {ids.map((id) => (
              <th key={id} scope="col">
                {letters.get(id)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {criteria.map((criterion, row) => (
            <tr key={criterion.name}>
              <th scope="row" title={criterion.description ?? undefined}>
                {criterion.name}{" "}
                <span className="muted">
                  {criterion.low}–{criterion.high}
                </span>
              </th>
              {ids.map((id, column) => {
                const value = scores[scoreKey(id, criterion.name)];
                const here = cell.row === row && cell.column === column;
                return (
                  <td
                    key={id}
                    role="gridcell"
                    aria-selected={here}
                    aria-label={`${criterion.name} of ${letters.get(id) ?? id}`}
                    data-candidate={id}
                    data-criterion={criterion.name}
                    className={here ? "current" : undefined}
                    title={value === undefined ? undefined : criterion.labels[String(value)]}
                    onClick={() => judging.getState().setCell({ row, column })}
                  >
                    {value ?? "·"}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {current !== undefined && (
        <p className="muted rubric-scale">
          {current.name}: {scaleWords(current)} · arrows move, digits score
        </p>
      )}
    </div>
  );
}
