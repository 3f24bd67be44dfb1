import { useCallback, useEffect, useMemo, useRef, type MouseEvent } from "react";

import { useLoad } from "../app/useLoad";
import type { Fraction } from "../clock/fraction";
import type { SampleTimeline } from "../clock/timeline";
import { rowAt } from "../clock/timed";
import { loadMediaText } from "../player/loaders";
import "../player/player.css";
import {
  channelGroups,
  envelope,
  parseSensorCsv,
  secondsFromFirst,
  type ChannelGroup,
  type SensorTable,
} from "../player/series";
import { useClockListener } from "../player/usePlayback";
import { labelColour } from "../ui/colour";
import { LoadState } from "../ui/feedback";
import { useWidth } from "../ui/useWidth";
import { useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import type { Annotation } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

const CHART_HEIGHT = 90;
const PALETTE = ["#2e5bff", "#d92d20", "#12b76a", "#f79009", "#7a5af8", "#0ba5ec"];

interface Plot {
  readonly times: Float64Array;
  readonly groups: readonly ChannelGroup[];
  readonly constant: number;
  readonly start: number;
  readonly end: number;
}

/**
 * A sensor stream (IMU and the like) read from its CSV, each group of changing channels
 * plotted over the whole recording on the sample's timeline, its intervals shaded, and a
 * cursor at the master clock's time. Clicking a chart seeks the clock. For tests the root
 * carries `data-time` (the cursor's sample time) and `data-row` (the row nearest it).
 */
export function TimeSeriesPane({ stream }: PaneProps) {
  const { clock, timeline } = useWorkspace();
  const root = useRef<HTMLDivElement>(null);
  const loaded = useLoad(async (signal) => parseSensorCsv(await loadMediaText(stream.id, signal)), [stream.id]);
  const plot = useMemo(
    () => (loaded.state === "done" ? plotOf(loaded.data, timeline, stream.id) : null),
    [loaded, timeline, stream.id],
  );
  const annotations = useStreamAnnotations(stream.id);
  const intervals = useMemo(() => annotations.filter(({ geometry }) => geometry.type === "interval"), [annotations]);

  const moveCursor = useCallback(
    (time: Fraction) => {
      const element = root.current;
      if (element === null || plot === null) return;
      const t = time.toNumber();
      element.dataset.time = String(t);
      element.dataset.row = String(rowAt(plot.times, time) ?? "");
      const left = `${((t - plot.start) / (plot.end - plot.start)) * 100}%`;
      element.querySelectorAll<HTMLElement>(".cursor-line").forEach((line) => (line.style.left = left));
    },
    [plot],
  );
  useClockListener(moveCursor);

  if (plot === null) return <LoadState loaded={loaded} what="the sensor file" />;
  const seek = (event: MouseEvent<HTMLDivElement>): void => {
    const box = event.currentTarget.getBoundingClientRect();
    clock.seek(plot.start + ((event.clientX - box.left) / box.width) * (plot.end - plot.start));
  };
  return (
    <div ref={root} className="player series" data-rows={plot.times.length}>
      {plot.groups.map((group) => (
        <Chart key={group.title} group={group} plot={plot} intervals={intervals} onClick={seek} />
      ))}
      <p className="hints muted">
        {plot.times.length} rows · {plot.groups.reduce((sum, group) => sum + group.columns.length, 0)} channels drawn
        {plot.constant > 0 ? `, ${plot.constant} constant left out` : ""} · click a chart to seek
      </p>
    </div>
  );
}

/** Each row's sample time (the stream's clock, when it has one that fits the rows, else
 * seconds from the first stamp) and the channel groups. */
function plotOf(table: SensorTable, timeline: SampleTimeline, streamId: string): Plot {
  const clock = timeline.clock(streamId);
  const rows = table.stamps.length;
  const times =
    clock !== null && (clock.count === null || clock.count === rows)
      ? Float64Array.from({ length: rows }, (_, i) => timeline.timeOf(streamId, i).toNumber())
      : secondsFromFirst(table.stamps);
  const { groups, constant } = channelGroups(table);
  const start = times[0] ?? 0;
  const last = times[rows - 1] ?? start;
  return { times, groups, constant, start, end: last > start ? last : start + 1 };
}

interface ChartProps {
  readonly group: ChannelGroup;
  readonly plot: Plot;
  readonly intervals: readonly Annotation[];
  readonly onClick: (event: MouseEvent<HTMLDivElement>) => void;
}

/** One group of channels drawn on a canvas as min/max envelopes, one colour per channel. */
function Chart({ group, plot, intervals, onClick }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box);
  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (context === null || context === undefined || width === 0) return;
    const scale = window.devicePixelRatio || 1;
    const pixels = Math.round(width * scale);
    const height = CHART_HEIGHT * scale;
    context.canvas.width = pixels;
    context.canvas.height = height;
    context.clearRect(0, 0, pixels, height);
    const span = plot.end - plot.start;
    for (const annotation of intervals) {
      if (annotation.geometry.type !== "interval") continue;
      const left = ((annotation.geometry.start - plot.start) / span) * pixels;
      const right = ((annotation.geometry.end - plot.start) / span) * pixels;
      context.fillStyle = labelColour(annotation.label, 0.18);
      context.fillRect(left, 0, right - left, height);
    }
    const range = group.max - group.min || 1;
    const y = (value: number): number => height - 4 * scale - ((value - group.min) / range) * (height - 8 * scale);
    group.columns.forEach((column, k) => {
      const { low, high } = envelope(plot.times, column.values, plot.start, plot.end, pixels);
      context.strokeStyle = PALETTE[k % PALETTE.length] as string;
      context.lineWidth = scale;
      context.beginPath();
      let drawing = false;
      for (let x = 0; x < pixels; x += 1) {
        const top = high[x] as number;
        if (Number.isNaN(top)) continue;
        if (drawing) context.lineTo(x, y(top));
        else context.moveTo(x, y(top));
        context.lineTo(x, y(low[x] as number));
        drawing = true;
      }
      context.stroke();
    });
  }, [group, plot, intervals, width]);
  return (
    <div ref={box} className="series-chart" onClick={onClick} role="img" aria-label={`${group.title} over time`}>
      <canvas ref={canvas} />
      <span className="title">
        {group.title}:{" "}
        {group.columns.map((column, k) => (
          <span key={column.name} style={{ color: PALETTE[k % PALETTE.length] }}>
            {column.name.slice(column.name.lastIndexOf(".") + 1)}{" "}
          </span>
        ))}
      </span>
      <div className="cursor-line" />
    </div>
  );
}
