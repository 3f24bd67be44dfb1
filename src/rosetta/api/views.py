"""What the sample page shows, computed from a sample record: shapes, text pieces, timelines.

Everything here is plain data for the template; no HTML is written in Python.
"""

import itertools
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rosetta.core.geometry import (
    Box,
    Interval,
    Keypoints,
    Polygon,
    TextSpan,
    Track,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, Link, Sample, Stream


def colour(label: str) -> str:
    """A stable colour for a class name."""
    return f"hsl({zlib.crc32(label.encode()) % 360} 75% 45%)"


@dataclass(frozen=True)
class Shape:
    """An annotation drawn over an image: a rectangle, a polygon or points (SVG coordinates)."""

    id: str
    label: str
    colour: str
    kind: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Piece:
    """A run of text and the spans covering all of it."""

    text: str
    spans: list[Annotation]

    @property
    def ids(self) -> str:
        """The covering spans' ids, space-separated."""
        return " ".join(span.id for span in self.spans)

    @property
    def title(self) -> str:
        """The covering spans' labels and ids."""
        return ", ".join(f"{span.label} ({span.id})" for span in self.spans)


@dataclass(frozen=True)
class TimeItem:
    """An interval or transcript segment on a stream's timeline, placed in percent."""

    annotation: Annotation
    start: float
    end: float
    left: float
    width: float
    colour: str
    text: str | None


@dataclass
class StreamView:
    """One stream and what is drawn on it, ready to render."""

    stream: Stream
    shapes: list[Shape] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    timeline: list[TimeItem] = field(default_factory=list)
    transcript: list[TimeItem] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    others: list[Annotation] = field(default_factory=list)


@dataclass(frozen=True)
class LinkView:
    """A link with readable descriptions of its ends; ``ends`` lists the annotation and entity
    ids it touches (an entity's members included), space-separated."""

    link: Link
    source: str
    target: str
    ends: str

    @property
    def stale(self) -> bool:
        """Whether an end changed since the link was confirmed."""
        return self.link.status == "stale"


@dataclass
class SampleView:
    """A whole sample for the page."""

    sample: Sample
    streams: list[StreamView]
    links: list[LinkView]
    entities: list[tuple[Entity, list[str]]]
    sample_labels: list[Annotation]


def text_pieces(text: str, spans: Iterable[Annotation]) -> list[Piece]:
    """`text` cut at every span boundary, each piece with the spans covering it (one sweep)."""
    starting: dict[int, list[Annotation]] = {0: [], len(text): []}
    ending: dict[int, list[Annotation]] = {}
    for span in spans:
        if isinstance(span.geometry, TextSpan):
            starting.setdefault(span.geometry.start, []).append(span)
            ending.setdefault(min(span.geometry.end, len(text)), []).append(span)
    cuts = sorted(starting.keys() | ending.keys())
    active: dict[str, Annotation] = {}
    pieces: list[Piece] = []
    for cut, following in itertools.pairwise(cuts):
        for span in ending.get(cut, ()):
            active.pop(span.id, None)
        for span in starting.get(cut, ()):
            active[span.id] = span
        if following > cut:
            pieces.append(Piece(text[cut:following], list(active.values())))
    return pieces


def _keyframes(geometry: Track | Box) -> list[dict[str, Any]]:
    if isinstance(geometry, Track):
        return [key.model_dump() for key in geometry.keyframes if not key.interpolated]
    box = {"x": geometry.x, "y": geometry.y, "w": geometry.w, "h": geometry.h}
    frame = geometry.frame or 0
    return [
        {"frame": frame, **box, "outside": False},
        {"frame": frame + 1, **box, "outside": True},
    ]


def _box_track(geometry: object) -> bool:
    """Whether the page can draw `geometry` as a box following the video (polygon and
    cuboid tracks wait for the workspace)."""
    return isinstance(geometry, Box) or (isinstance(geometry, Track) and geometry.shape is None)


def _time_item(annotation: Annotation, duration: float | None) -> TimeItem | None:
    geometry = annotation.geometry
    if not isinstance(geometry, Interval | TranscriptSegment):
        return None
    span = duration or geometry.end
    return TimeItem(
        annotation=annotation,
        start=geometry.start,
        end=geometry.end,
        left=100 * geometry.start / span,
        width=100 * (geometry.end - geometry.start) / span,
        colour=colour(annotation.label),
        text=geometry.text if isinstance(geometry, TranscriptSegment) else None,
    )


def _place(view: StreamView, annotation: Annotation) -> None:
    geometry = annotation.geometry
    tone = colour(annotation.label)
    modality = view.stream.modality
    if modality is Modality.IMAGE and isinstance(geometry, Box):
        view.shapes.append(
            Shape(
                annotation.id,
                annotation.label,
                tone,
                "rect",
                geometry.x,
                geometry.y,
                geometry.w,
                geometry.h,
            )
        )
    elif modality is Modality.IMAGE and isinstance(geometry, Polygon | Keypoints):
        points = [(p[0], p[1]) for p in geometry.points]
        kind = "polygon" if isinstance(geometry, Polygon) else "points"
        view.shapes.append(Shape(annotation.id, annotation.label, tone, kind, points=points))
    elif modality is Modality.VIDEO and _box_track(geometry):
        assert isinstance(geometry, Track | Box)
        keys = _keyframes(geometry)
        last = keys[-1]["frame"] - 1 if keys[-1]["outside"] else keys[-1]["frame"]
        view.tracks.append(
            {
                "id": annotation.id,
                "label": annotation.label,
                "colour": tone,
                "keyframes": keys,
                "first": keys[0]["frame"],
                "last": last,
            }
        )
    elif (item := _time_item(annotation, view.stream.media.duration)) is not None:
        (view.transcript if item.text is not None else view.timeline).append(item)
    elif not isinstance(geometry, TextSpan):
        view.others.append(annotation)


def _describe(
    ident: str,
    annotations: dict[str, Annotation],
    entities: dict[str, Entity],
    streams: dict[str, Stream],
) -> str:
    annotation = annotations.get(ident)
    if annotation is not None:
        stream = streams.get(annotation.stream or "")
        where = f"{stream.modality} {stream.name}" if stream else "sample"
        geometry = annotation.geometry
        quote = ""
        if isinstance(geometry, TextSpan) and stream is not None and stream.text is not None:
            quote = f" “{geometry.extract(stream.text)}”"
        elif isinstance(geometry, TranscriptSegment):
            quote = f" “{geometry.text}”"
        return f"{annotation.label} {geometry.type}{quote} on {where}"
    entity = entities.get(ident)
    if entity is not None:
        label = f"{entity.label} " if entity.label else ""
        return f"entity {label}of {len(entity.members)} annotations"
    return "(missing)"


def _ends(link: Link, entities: dict[str, Entity]) -> list[str]:
    ends = [link.source, link.target]
    for ident in (link.source, link.target):
        if ident in entities:
            ends.extend(entities[ident].members)
    return ends


def sample_view(sample: Sample) -> SampleView:
    """Everything the page shows about `sample`."""
    views = {stream.id: StreamView(stream) for stream in sample.streams}
    sample_level: list[Annotation] = []
    spans: dict[str, list[Annotation]] = {}
    for annotation in sample.annotations:
        view = views.get(annotation.stream or "")
        if view is None:
            sample_level.append(annotation)
        elif isinstance(annotation.geometry, TextSpan):
            spans.setdefault(view.stream.id, []).append(annotation)
        else:
            _place(view, annotation)
    for view in views.values():
        if view.stream.text is not None:
            view.pieces = text_pieces(view.stream.text, spans.get(view.stream.id, []))
        view.transcript.sort(key=lambda item: item.start)
        view.timeline.sort(key=lambda item: item.start)
    annotations = {a.id: a for a in sample.annotations}
    entities = {e.id: e for e in sample.entities}
    streams = {s.id: s for s in sample.streams}
    links = [
        LinkView(
            link,
            _describe(link.source, annotations, entities, streams),
            _describe(link.target, annotations, entities, streams),
            " ".join(_ends(link, entities)),
        )
        for link in sample.links
    ]
    members = [
        (entity, [_describe(m, annotations, entities, streams) for m in entity.members])
        for entity in sample.entities
    ]
    return SampleView(sample, list(views.values()), links, members, sample_level)
