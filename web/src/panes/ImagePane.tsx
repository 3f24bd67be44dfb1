import { useEffect, useMemo, useRef, useState } from "react";

import { mediaUrl } from "../app/api";
import { useEditor } from "../editing/EditingProvider";
import { ProposalBusy } from "../editing/ProposalTool";
import { Legend } from "../ui/Legend";
import { plural } from "../ui/plural";
import { useWidth } from "../ui/useWidth";
import { ImagePaneStage } from "./ImagePaneStage";
import type { PaneProps } from "./registry";
import type { Stream } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

type Loading = { state: "loading" } | { state: "done"; image: HTMLImageElement } | { state: "failed" };

/** The geometries the image pane draws. */
const DRAWN = new Set(["box", "polygon", "mask", "keypoints"]);

/** An image stream scaled to the pane's width with its boxes, polygons, masks and
 * keypoints: boxes and polygons drawn with the box and polygon tools, a model prompted
 * with the Model tool; all of them selected with the select tool, boxes and polygons
 * moved and resized, keypoints dragged. */
export function ImagePane({ stream }: PaneProps) {
  const annotations = useStreamAnnotations(stream.id);
  const tool = useEditor((state) => state.tool);
  const frame = useRef<HTMLDivElement>(null);
  const width = useWidth(frame);
  const loading = useImage(mediaUrl(stream.id));
  const shapes = useMemo(() => annotations.filter((a) => DRAWN.has(a.geometry.type)), [annotations]);
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
        data-tool={tool}
        style={{ aspectRatio: aspect(stream) }}
        role="img"
        aria-label={`${stream.name} with ${plural(shapes.length, "shape")} drawn`}
      >
        {image !== undefined && scale > 0 && (
          <ImagePaneStage streamId={stream.id} image={image} scale={scale} annotations={shapes} />
        )}
      </div>
      <ProposalBusy stream={stream.id} />
      <Legend labels={shapes.map((shape) => shape.label)} what="shape" />
    </>
  );
}

/** The image's width / height as probed, so the pane keeps its size while it loads. */
function aspect(stream: Stream): string | undefined {
  const { width, height } = stream.media ?? {};
  return width != null && height != null ? `${width} / ${height}` : undefined;
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
