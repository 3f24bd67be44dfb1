import { useEffect, useRef, useState } from "react";
import { Image as KonvaImage, Label, Layer, Line, Rect, Stage, Tag, Text } from "react-konva";

import { mediaUrl } from "../app/api";
import { labelColour } from "../ui/colour";
import { Legend } from "../ui/Legend";
import { plural } from "../ui/plural";
import { useWidth } from "../ui/useWidth";
import type { PaneProps } from "./registry";
import type { Annotation, Stream } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

type Loading = { state: "loading" } | { state: "done"; image: HTMLImageElement } | { state: "failed" };

/** An image stream scaled to the pane's width, its boxes and polygons drawn over it in a
 * Konva layer in image pixels (read only in this version). */
export function ImagePane({ stream }: PaneProps) {
  const annotations = useStreamAnnotations(stream.id);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  const loading = useImage(mediaUrl(stream.id));
  const shapes = annotations.filter((annotation) => {
    const { type } = annotation.geometry;
    return type === "box" || type === "polygon";
  });
  const image = loading.state === "done" ? loading.image : undefined;
  const scale = image !== undefined && width > 0 ? width / image.naturalWidth : 0;
  return (
    <>
      {loading.state === "failed" && (
        <p className="error" role="alert">
          Could not load the image {mediaUrl(stream.id)}.
        </p>
      )}
      <div
        ref={frame}
        className="image-frame"
        data-state={loading.state}
        style={{ aspectRatio: aspect(stream) }}
        role="img"
        aria-label={`${stream.name} with ${plural(shapes.length, "shape")} drawn`}
      >
        {image !== undefined && scale > 0 && (
          <Stage width={width} height={image.naturalHeight * scale}>
            <Layer scaleX={scale} scaleY={scale} listening={false}>
              <KonvaImage image={image} />
              {shapes.map((annotation) => (
                <Shape key={annotation.id} annotation={annotation} scale={scale} />
              ))}
            </Layer>
          </Stage>
        )}
      </div>
      <Legend labels={shapes.map((shape) => shape.label)} what="shape" />
    </>
  );
}

/** The image's width / height as probed, so the pane keeps its size while it loads. */
function aspect(stream: Stream): string | undefined {
  const { width, height } = stream.media ?? {};
  return width != null && height != null ? `${width} / ${height}` : undefined;
}

function Shape({ annotation, scale }: { annotation: Annotation; scale: number }) {
  const colour = labelColour(annotation.label);
  const geometry = annotation.geometry;
  const stroke = { stroke: colour, strokeWidth: 2 / scale };
  let corner: [number, number];
  let outline;
  if (geometry.type === "box") {
    corner = [geometry.x, geometry.y];
    outline = <Rect x={geometry.x} y={geometry.y} width={geometry.w} height={geometry.h} {...stroke} />;
  } else if (geometry.type === "polygon") {
    const xs = geometry.points.map((point) => point[0] ?? 0);
    const ys = geometry.points.map((point) => point[1] ?? 0);
    corner = [Math.min(...xs), Math.min(...ys)];
    outline = <Line points={geometry.points.flat()} closed {...stroke} />;
  } else {
    return null;
  }
  const size = 12 / scale;
  const tagHeight = size * 1.5;
  const tagY = corner[1] >= tagHeight ? corner[1] - tagHeight : corner[1];
  return (
    <>
      {outline}
      <Label x={corner[0]} y={tagY}>
        <Tag fill={colour} />
        <Text text={annotation.label} fontSize={size} padding={size * 0.25} fill="#fff" />
      </Label>
    </>
  );
}

/** An image element for `url` once it has loaded (the session cookie goes with it). */
function useImage(url: string): Loading {
  const [loading, setLoading] = useState<Loading>({ state: "loading" });
  useEffect(() => {
    let current = true;
    const image = new window.Image();
    setLoading({ state: "loading" });
    image.onload = () => current && setLoading({ state: "done", image });
    image.onerror = () => current && setLoading({ state: "failed" });
    image.src = url;
    return () => {
      current = false;
    };
  }, [url]);
  return loading;
}
