/**
 * The pane that shows each modality. A pane gets its stream and reads everything else
 * (the work, the clock, the focus) from the workspace (`workspace/Workspace`).
 */
import type { ComponentType } from "react";

import { AudioPane } from "./AudioPane";
import { ImagePane } from "./ImagePane";
import { PointCloudPane } from "./PointCloudPane";
import type { Stream } from "./sample";
import { TextPane } from "./TextPane";
import { TimeSeriesPane } from "./TimeSeriesPane";
import { VideoPane } from "./VideoPane";

/** What every pane is given. */
export interface PaneProps {
  readonly stream: Stream;
}

/** The pane of each modality. */
export const PANES: Readonly<Record<Stream["modality"], ComponentType<PaneProps>>> = {
  text: TextPane,
  image: ImagePane,
  audio: AudioPane,
  video: VideoPane,
  timeseries: TimeSeriesPane,
  pointcloud: PointCloudPane,
};
