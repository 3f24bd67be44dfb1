import { useVirtualizer } from "@tanstack/react-virtual";
import { Fragment, useRef, type CSSProperties, type ReactNode } from "react";

/** What a row of a `VirtualList` spreads on its `<li>`: the ref that measures it, its index
 * and where it is drawn. */
export interface RowProps {
  readonly ref: (element: Element | null) => void;
  readonly "data-index": number;
  readonly style: CSSProperties;
}

interface VirtualListProps<T> {
  readonly items: readonly T[];
  /** A stable key of an item (its object's id). */
  readonly itemKey: (item: T) => string;
  /** The list's accessible name. */
  readonly label: string;
  /** The `<li>` of an item, with `row` spread on it. */
  readonly renderItem: (item: T, row: RowProps) => ReactNode;
  /** What the list shows with no items (an `<li>`). */
  readonly empty: ReactNode;
  /** About how tall a row is, in pixels, before it is measured. */
  readonly estimate?: number;
}

/** The space between two rows, in pixels (`.object-list`'s gap). */
const GAP = 2;

/**
 * An `.object-list` of `items` in a box of its own (`.virtual-list`, at most half the
 * view tall) that draws only the rows in view, each measured, so a sample with thousands
 * of links or entities keeps the side panel light.
 */
export function VirtualList<T>({ items, itemKey, label, renderItem, empty, estimate = 28 }: VirtualListProps<T>) {
  const box = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => box.current,
    estimateSize: () => estimate,
    getItemKey: (index) => {
      const item = items[index];
      return item === undefined ? index : itemKey(item);
    },
    gap: GAP,
    overscan: 6,
  });
  return (
    <div ref={box} className="virtual-list">
      <ul
        className="object-list"
        aria-label={label}
        style={items.length === 0 ? undefined : { height: virtualizer.getTotalSize() }}
      >
        {virtualizer.getVirtualItems().map((row) => (
          <Fragment key={row.key}>
            {renderItem(items[row.index] as T, {
              ref: virtualizer.measureElement,
              "data-index": row.index,
              style: { transform: `translateY(${row.start}px)` },
            })}
          </Fragment>
        ))}
        {items.length === 0 && empty}
      </ul>
    </div>
  );
}
