/**
 * Short names for the work's objects, for lists, menus and messages: what an annotation
 * is and where ("person box on photo", "flag span “flag” on caption"), an entity's label
 * and size, a link's type and ends.
 */
import type { Annotation, Entity, Link, Work } from "../work/objects";
import { CodePointIndex } from "../text/offsets";

/** What the names need of a stream: its name and, for text, its text when known. */
export interface StreamInfo {
  readonly name: string;
  readonly text?: string | null;
}

const EXCERPT = 40;

function quoted(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const cut = Array.from(flat);
  return `“${cut.length > EXCERPT ? `${cut.slice(0, EXCERPT - 1).join("")}…` : flat}”`;
}

function number(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** What an annotation's geometry holds, in a few words ("“astronaut”", "96×512 at 0,0"). */
export function geometryDetail(annotation: Annotation, stream: StreamInfo | undefined): string {
  const g = annotation.geometry;
  switch (g.type) {
    case "span": {
      const text = stream?.text;
      if (text == null) return `[${g.start}, ${g.end})`;
      const index = new CodePointIndex(text);
      if (g.end > index.length) return `[${g.start}, ${g.end})`;
      return quoted(text.slice(index.toUtf16(g.start), index.toUtf16(g.end)));
    }
    case "box":
      return `${number(g.w)}×${number(g.h)} at ${number(g.x)},${number(g.y)}`;
    case "polygon":
      return `${g.points.length} points`;
    case "interval":
      return `${number(g.start)}–${number(g.end)} s`;
    case "transcript":
      return quoted(g.text);
    case "track":
      return `${g.keyframes.length} key frames`;
    default:
      return "";
  }
}

/** An annotation's name: label, geometry kind, stream ("person box on photo"). */
export function annotationName(annotation: Annotation, streams: ReadonlyMap<string, StreamInfo>): string {
  const stream = annotation.stream === null ? undefined : streams.get(annotation.stream);
  const where = stream === undefined ? "" : ` on ${stream.name}`;
  const detail =
    annotation.geometry.type === "span" || annotation.geometry.type === "transcript"
      ? ` ${geometryDetail(annotation, stream)}`
      : "";
  return `${annotation.label} ${annotation.geometry.type}${detail}${where}`;
}

/** An entity's name: its label and how many members. */
export function entityName(entity: Entity): string {
  const count = (entity.members ?? []).length;
  return `entity ${entity.label ?? "(no label)"} of ${count} ${count === 1 ? "annotation" : "annotations"}`;
}

/** The name of any object of `work` by id (its id when it is not there). */
export function objectName(id: string, work: Work, streams: ReadonlyMap<string, StreamInfo>): string {
  const annotation = work.annotations.find((a) => a.id === id);
  if (annotation !== undefined) return annotationName(annotation, streams);
  const entity = work.entities.find((e) => e.id === id);
  if (entity !== undefined) return entityName(entity);
  const link = work.links.find((l) => l.id === id);
  if (link !== undefined) return linkName(link, work, streams);
  return id;
}

/** A link's name: its type and ends ("refers-to: person span “astronaut” → person box"). */
export function linkName(link: Link, work: Work, streams: ReadonlyMap<string, StreamInfo>): string {
  return `${link.type}: ${objectName(link.source, work, streams)} → ${objectName(link.target, work, streams)}`;
}
