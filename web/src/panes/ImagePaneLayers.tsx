/**
 * What the image pane's two annotation layers hold: every annotation at rest (masks under
 * the shapes, larger shapes under smaller ones), and the lit copies of the selected and
 * hovered ones. The layer at rest does not depend on the selection, so selecting redraws
 * the lit layer alone.
 */
import { memo } from "react";

import type { ReviewMark } from "../editing/reviewing";
import type { Size } from "../editing/shapes";
import type { Annotation, Link } from "../work/objects";
import { KeypointsView } from "./ImagePaneKeypoints";
import { MaskView } from "./ImagePaneMasks";
import { ShapeView, type Look, type ShapeHandlers, type ViewProps } from "./ImagePaneShapes";

/** What both layers take: the annotations in drawing order and how to draw them. */
interface LayerProps {
  readonly annotations: readonly Annotation[];
  readonly stale: ReadonlyMap<string, readonly Link[]>;
  readonly marks: ReadonlyMap<string, ReviewMark>;
  readonly scale: number;
  readonly size: Size;
  readonly editable: boolean;
  readonly handlers: ShapeHandlers;
}

/** The active keypoint: which point of which annotation was pressed last. */
export interface ActivePoint {
  readonly id: string;
  readonly index: number;
}

const AT_REST = { selected: false, hovered: false };

/** An annotation drawn by the view of its geometry. */
function AnnotationView(props: ViewProps & { readonly active: number | null }) {
  switch (props.annotation.geometry.type) {
    case "mask":
      return <MaskView {...props} />;
    case "keypoints":
      return <KeypointsView {...props} />;
    default:
      return <ShapeView {...props} />;
  }
}

function lookOf(props: LayerProps, annotation: Annotation, lit: Pick<Look, "selected" | "hovered">): Look {
  return { ...lit, flagged: props.stale.has(annotation.id), review: props.marks.get(annotation.id) ?? null };
}

/** Every annotation at rest; re-rendered when the work or the pane changes, never for a
 * selection (each annotation's view re-renders only when its own props change). */
export const RestingAnnotations = memo(function RestingAnnotations(props: LayerProps) {
  const { annotations, scale, size, editable, handlers } = props;
  return (
    <>
      {annotations.map((annotation) => (
        <AnnotationView
          key={annotation.id}
          annotation={annotation}
          look={lookOf(props, annotation, AT_REST)}
          scale={scale}
          size={size}
          editable={editable}
          handlers={handlers}
          active={null}
        />
      ))}
    </>
  );
});

/** The lit copies of the selected and hovered annotations. */
export function LitAnnotations(
  props: LayerProps & {
    readonly selected: readonly string[];
    readonly hovered: readonly string[];
    readonly active: ActivePoint | null;
  },
) {
  const { annotations, selected, hovered, active, scale, size, editable, handlers } = props;
  return (
    <>
      {annotations
        .filter((annotation) => selected.includes(annotation.id) || hovered.includes(annotation.id))
        .map((annotation) => (
          <AnnotationView
            key={annotation.id}
            annotation={annotation}
            look={lookOf(props, annotation, {
              selected: selected.includes(annotation.id),
              hovered: hovered.includes(annotation.id),
            })}
            scale={scale}
            size={size}
            editable={editable}
            handlers={handlers}
            active={active?.id === annotation.id ? active.index : null}
          />
        ))}
    </>
  );
}
