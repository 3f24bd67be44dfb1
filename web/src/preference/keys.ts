/**
 * The judgement panel's keys, read only while a part of the panel has the focus (`C`
 * focuses it from anywhere in the workspace), so they never reach the workspace's own
 * keymap: in the ranking, the candidates' letters rank them next, `=` ties the last with
 * the one before, Backspace undoes; a two-candidate sample's pair takes its letters (or
 * `=`, a tie) and 1–3 for the strength; in the rubric grid the arrows move and digits
 * score. Esc gives the keys back to the workspace.
 */
import type { KeyPress } from "../editing/keymap";

/** The letter a candidate is shown with, by its place in the order shown (A, B, C…). */
export function letterOf(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `#${index + 1}`;
}

/** What a key asks of the ranking (or of a two-candidate sample's pair). */
export type RankingCommand =
  | { readonly kind: "rank"; readonly index: number }
  | { readonly kind: "tie" }
  | { readonly kind: "undo" }
  | { readonly kind: "strength"; readonly value: 1 | 2 | 3 }
  | { readonly kind: "leave" };

/** What a key asks of the rubric grid. */
export type RubricCommand =
  | { readonly kind: "move"; readonly rows: number; readonly columns: number }
  | { readonly kind: "score"; readonly value: number }
  | { readonly kind: "clear" }
  | { readonly kind: "leave" };

function plain(press: KeyPress): boolean {
  return !(press.ctrlKey || press.metaKey || press.altKey);
}

/** The candidate index a letter names among `count` candidates, or `null`. */
function candidateIndex(key: string, count: number): number | null {
  if (!/^[a-z]$/i.test(key)) return null;
  const index = key.toUpperCase().charCodeAt(0) - 65;
  return index < count ? index : null;
}

/** What `press` asks of the ranking of `count` candidates, or `null` (not the panel's key). */
export function rankingCommand(press: KeyPress, count: number): RankingCommand | null {
  if (press.key === "Escape") return { kind: "leave" };
  if (!plain(press)) return null;
  if (press.key === "=") return { kind: "tie" };
  if (press.key === "Backspace") return { kind: "undo" };
  if (press.key === "1" || press.key === "2" || press.key === "3") {
    return { kind: "strength", value: Number(press.key) as 1 | 2 | 3 };
  }
  const index = candidateIndex(press.key, count);
  return index === null ? null : { kind: "rank", index };
}

const MOVES: Readonly<Record<string, readonly [number, number]>> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

/** What `press` asks of the rubric grid, or `null` (not the grid's key). */
export function rubricCommand(press: KeyPress): RubricCommand | null {
  if (press.key === "Escape") return { kind: "leave" };
  if (!plain(press)) return null;
  const move = MOVES[press.key];
  if (move !== undefined) return { kind: "move", rows: move[0], columns: move[1] };
  if (/^[0-9]$/.test(press.key)) return { kind: "score", value: Number(press.key) };
  if (press.key === "Backspace" || press.key === "Delete") return { kind: "clear" };
  return null;
}

/** The cell `(row, column)` moved by `by` inside a grid of `rows` × `columns`. */
export function moveCell(
  cell: { readonly row: number; readonly column: number },
  by: { readonly rows: number; readonly columns: number },
  rows: number,
  columns: number,
): { row: number; column: number } {
  const clamp = (value: number, size: number): number => Math.min(Math.max(value, 0), Math.max(size - 1, 0));
  return { row: clamp(cell.row + by.rows, rows), column: clamp(cell.column + by.columns, columns) };
}
