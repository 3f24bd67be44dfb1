/** One mask that `make_mask_cases.py` encoded with pycocotools, and what it holds. */
export interface MaskCase {
  readonly name: string;
  /** `[height, width]`, as COCO writes it. */
  readonly size: readonly [number, number];
  /** COCO's compressed counts. */
  readonly counts: string;
  readonly area: number;
  /** The set pixels' bounding box `[x, y, w, h]` (all zero for an empty mask). */
  readonly bbox: readonly [number, number, number, number];
  /** How many pixels are set in each row, top to bottom. */
  readonly rows: readonly number[];
  /** How many pixels are set in each column, left to right. */
  readonly columns: readonly number[];
  /** Pixels `[x, y]` that are set, and some that are clear. */
  readonly inside: readonly (readonly [number, number])[];
  readonly outside: readonly (readonly [number, number])[];
  /** Small masks: the column-major runs, 0s first. */
  readonly runs: readonly number[] | null;
  /** Small masks: the rows, `#` set and `.` clear. */
  readonly picture: readonly string[] | null;
}
