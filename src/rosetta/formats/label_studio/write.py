"""Writing samples as a Label Studio JSON import (`rosetta.formats.label_studio` says what
maps to what).

The writer streams: each sample becomes one task, written to ``tasks.json`` as soon as it
is made. Beside it go ``label_config.xml`` (a labeling configuration naming every object,
control, label and relation the tasks use, so that a Label Studio project made from it
imports them) and, when something could not be carried, ``not_carried.jsonl``
(`rosetta.formats.not_carried`: under the ids the reader gives the task's regions,
``<file stem>.<task id>.<a|p><annotation or prediction id>.<region id>``). Percentages are
written as raw JSON number text (`orjson.Fragment`), as `coords` chooses them; an ellipse
or a vector path read from Label Studio is written back as one while its geometry is the
one its kept numbers give.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from rosetta.core.geometry import (
    Box,
    Classification,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    TextSpan,
    Track,
    TrackFrame,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import AttributeType, Ontology
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Stream
from rosetta.core.tracks import shape_at
from rosetta.formats.interchange import WriteReport
from rosetta.formats.label_studio.coords import (
    as_rotated_rect,
    ellipse_points,
    percent_of,
    rotated_corners,
    to_pixels,
)
from rosetta.formats.label_studio.document import ident
from rosetta.formats.label_studio.media import guess_modality
from rosetta.formats.label_studio.rle import rle_to_brush
from rosetta.formats.not_carried import NotCarried, ReadBack

JsonObject = dict[str, Any]
Kept = dict[str, list[str | None]]

TASKS = "tasks.json"
CONFIG = "label_config.xml"

#: The object tag of each modality Label Studio shows.
OBJECT_TAGS = {
    Modality.IMAGE: "Image",
    Modality.AUDIO: "Audio",
    Modality.VIDEO: "Video",
    Modality.TEXT: "Text",
}
#: The control tag of each result type.
CONTROL_TAGS = {
    "rectanglelabels": "RectangleLabels",
    "polygonlabels": "PolygonLabels",
    "keypointlabels": "KeyPointLabels",
    "brushlabels": "BrushLabels",
    "labels": "Labels",
    "choices": "Choices",
    "textarea": "TextArea",
    "number": "Number",
    "videorectangle": "VideoRectangle",
    "ellipselabels": "EllipseLabels",
    "vectorlabels": "VectorLabels",
}
#: A keypoint's drawn radius, in percent of the image's width (Label Studio's ``width``).
KEYPOINT_RADIUS = orjson.Fragment(b"1")


class _Config:
    """What the tasks use: objects, controls with their labels, relation types."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[str, str]] = {}  # to_name -> (tag, data key)
        self.controls: dict[tuple[str, str], tuple[str, set[str], bool]] = {}
        self.relations: set[str] = set()

    def control(
        self, name: str, kind: str, to_name: str, values: Iterable[str] = (), region: bool = False
    ) -> None:
        _, seen, _ = self.controls.setdefault((name, to_name), (kind, set(), region))
        seen.update(values)

    def xml(self) -> str:
        lines = ["<View>"]
        for to_name, (tag, key) in self.objects.items():
            lines.append(f"  <{tag} name={quoteattr(to_name)} value={quoteattr('$' + key)}/>")
        for (name, to_name), (kind, values, region) in self.controls.items():
            tag = CONTROL_TAGS[kind]
            head = f"  <{tag} name={quoteattr(name)} toName={quoteattr(to_name)}"
            if region:
                head += ' perRegion="true"'
            if kind == "choices":
                head += ' choice="multiple"'
            if kind == "vectorlabels":
                head += ' closable="true"'
            if kind == "videorectangle" or not values:
                lines.append(head + "/>")
                continue
            child = "Choice" if kind == "choices" else "Label"
            lines.append(head + ">")
            lines += [f"    <{child} value={quoteattr(value)}/>" for value in sorted(values)]
            lines.append(f"  </{tag}>")
        if self.relations:
            lines.append("  <Relations>")
            lines += [f"    <Relation value={quoteattr(r)}/>" for r in sorted(self.relations)]
            lines.append("  </Relations>")
        lines.append("</View>")
        return "\n".join(lines) + "\n"


def write_label_studio(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write `samples` into the folder `out` as ``tasks.json`` (one task per sample) with
    ``label_config.xml`` and, where needed, ``not_carried.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    config = _Config()
    count = written = 0
    with NotCarried(out) as sidecar, (out / TASKS).open("wb") as tasks:
        tasks.write(b"[")
        for count, sample in enumerate(samples, start=1):
            back = ReadBack()
            task = _Task(sample, ontology, config, back)
            tasks.write((b",\n" if count > 1 else b"\n") + orjson.dumps(task.json(count)))
            sidecar.add(sample, back)
            written += task.written
        tasks.write(b"\n]\n")
    (out / CONFIG).write_text(config.xml(), encoding="utf-8")
    files = [TASKS, CONFIG, *sidecar.files()]
    return WriteReport(files, count, written, sidecar.report())


class _Task:
    """One sample as a Label Studio task."""

    def __init__(self, sample: Sample, ontology: Ontology, config: _Config, back: ReadBack):
        self.sample = sample
        self.ontology = ontology
        self.config = config
        self.back = back
        stored = sample.metadata.get("label_studio")
        self.ls: JsonObject = stored if isinstance(stored, dict) else {}
        self.streams = {stream.id: stream for stream in sample.streams}
        # a task's data keys its streams by name: a later stream of a name taken (the
        # rationales of two judgements) goes to the sidecar with what is drawn on it
        names = {stream.name: stream.id for stream in reversed(sample.streams)}
        self.shadowed = {stream.id for stream in sample.streams} - set(names.values())
        self.written = 0
        self.read_as = ""  # the sample's id when read back (``<file stem>.<task id>``)

    def json(self, index: int) -> JsonObject:
        task_id = self.ls.get("task", index)
        self.read_as = ident(Path(TASKS).stem, str(task_id))
        data: JsonObject = dict(self.ls.get("data", {}))
        urls = self.ls.get("urls", {})
        shown = []
        for stream in self.sample.streams:
            if stream.modality in OBJECT_TAGS and stream.id not in self.shadowed:
                inline = stream.modality is Modality.TEXT and stream.text is not None
                data[stream.name] = urls.get(stream.name) or (stream.text if inline else stream.uri)
                self.config.objects[self.to_name(stream)] = (
                    OBJECT_TAGS[stream.modality],
                    stream.name,
                )
                shown.append(stream)
        task: JsonObject = {"id": task_id, "data": data}
        if self.sample.external_id is not None:
            task["meta"] = {"external_id": self.sample.external_id}
        annotations, predictions = self.groups()
        task["annotations"] = annotations
        task["predictions"] = predictions
        drawn = {a.stream for a in self.sample.annotations if a.id in self.back.ids}
        for stream in shown:  # read back when drawn on, or when it names its media's kind
            value = data[stream.name]
            if stream.id in drawn or (isinstance(value, str) and guess_modality(value)):
                self.back.put(stream.id, self.read_as, ident(self.read_as, stream.name))
        self.back.drop_sample_fields(self.sample, carried=("label_studio",))
        return task

    def to_name(self, stream: Stream) -> str:
        names = self.ls.get("objects", {})
        return str(names.get(stream.name, stream.name))

    def region(self, annotation_id: str) -> str:
        """The region id of an annotation: its id without the sample's id before it."""
        prefix = self.sample.id + "."
        return annotation_id.removeprefix(prefix) if annotation_id != prefix else annotation_id

    def from_name(self, stream: Stream, kind: str) -> str:
        controls = self.ls.get("controls", {})
        to_name = self.to_name(stream)
        return str(controls.get(f"{to_name}:{kind}") or f"{to_name}_{kind}")

    # -- annotations and predictions --

    def groups(self) -> tuple[list[JsonObject], list[JsonObject]]:
        """Human and imported annotations, one Label Studio annotation per author; model
        annotations, one prediction per model and version; each link a relation in the
        group that holds both its regions (else in the sidecar)."""
        grouped: dict[tuple[str, ...], list[Annotation]] = defaultdict(list)
        for annotation in self.sample.annotations:
            source = annotation.source
            if source.kind == "model":
                key: tuple[str, ...] = ("p", source.name or "", source.version or "")
            else:
                key = ("a", annotation.author or "")
            grouped[key].append(annotation)
        results: dict[tuple[str, ...], list[JsonObject]] = {}
        written: dict[str, tuple[str, ...]] = {}  # annotation id -> its group
        for key, members in grouped.items():
            results[key] = []
            for annotation in members:
                made = self.results(annotation)
                if made:
                    written[annotation.id] = key
                results[key] += made
        relations: dict[tuple[str, ...], list[Link]] = defaultdict(list)
        for link in self.sample.links:
            key = written.get(link.source, ("",))
            if written.get(link.target) == key:
                results[key].append(self.relation(link))
                relations[key].append(link)
        annotations: list[JsonObject] = []
        predictions: list[JsonObject] = []
        for key, result in results.items():
            if key[0] == "a":
                number = len(annotations) + 1
                annotations.append({"id": number, "result": result, **_annotator(key[1])})
            else:
                number = len(predictions) + 1
                version = key[1] + (f"@{key[2]}" if key[2] else "")
                predictions.append({"id": number, "model_version": version, "result": result})
            group = f"{key[0]}{number}"  # the reader's ids: <sample>.<group>.<region>
            for annotation_id, its in written.items():
                if its == key:
                    read_as = ident(self.read_as, group, self.region(annotation_id))
                    self.back.put(annotation_id, self.read_as, read_as)
            for k, link in enumerate(relations[key]):
                self.back.put(link.id, self.read_as, ident(self.read_as, f"{group}.rel{k}"))
        return annotations, predictions

    def relation(self, link: Link) -> JsonObject:
        self.config.relations.add(link.type)
        relation = self.ontology.relation_map.get(link.type)
        directed = relation.directed if relation is not None else True
        details: JsonObject = {"attributes": link.attributes} if link.attributes else {}
        if link.status != "proposed":
            details["status"] = link.status
        if details:  # Label Studio relations have no attributes or status
            self.back.drop(link.id, "link details", details)
        return {
            "type": "relation",
            "from_id": self.region(link.source),
            "to_id": self.region(link.target),
            "direction": "right" if directed else "bi",
            "labels": [link.type],
        }

    def results(self, annotation: Annotation) -> list[JsonObject]:
        """The results of one annotation (its shape, then its attributes); none, and the
        annotation in the sidecar, when Label Studio cannot hold it."""
        stream = self.streams.get(annotation.stream or "") or (
            self.sample.streams[0] if self.sample.streams else None
        )
        made = (
            None
            if stream is None or stream.modality not in OBJECT_TAGS or stream.id in self.shadowed
            else self.shape(annotation, stream)
        )
        if made is None:  # Label Studio has no place for this geometry on this stream
            return []
        assert stream is not None
        self.written += 1
        kind, value, extra = made
        head = {
            "id": self.region(annotation.id),
            "from_name": self.from_name(stream, kind),
            "to_name": self.to_name(stream),
            "type": kind,
        }
        first = {**head, **extra, "value": value}
        if annotation.source.confidence is not None:
            first["score"] = annotation.source.confidence
        results = [first]
        if isinstance(annotation.geometry, TranscriptSegment):
            results.append(self.transcript(annotation, stream, head))
        if not isinstance(annotation.geometry, Classification):
            results += self.attributes(annotation, stream, head)
        return results

    def shape(
        self, annotation: Annotation, stream: Stream
    ) -> tuple[str, JsonObject, JsonObject] | None:
        """(result type, value, other fields) of an annotation's geometry, or ``None``."""
        geometry = annotation.geometry
        label = annotation.label
        to_name = self.to_name(stream)
        kept = self.ls.get("percent", {}).get(annotation.id, {})
        modality = stream.modality
        if isinstance(geometry, Classification):
            return self.classification(annotation, stream)
        if isinstance(geometry, Interval | TranscriptSegment) and modality is Modality.AUDIO:
            self.config.control(self.from_name(stream, "labels"), "labels", to_name, [label])
            return "labels", {"start": geometry.start, "end": geometry.end, "labels": [label]}, {}
        if isinstance(geometry, TextSpan) and modality is Modality.TEXT:
            self.config.control(self.from_name(stream, "labels"), "labels", to_name, [label])
            text = geometry.extract(stream.text or "")
            value = {"start": geometry.start, "end": geometry.end, "text": text, "labels": [label]}
            return "labels", value, {}
        if isinstance(geometry, Track) and modality is Modality.VIDEO:
            return self.track(annotation, geometry, stream, kept)
        if modality is not Modality.IMAGE or getattr(geometry, "frame", None) is not None:
            return None
        width, height = stream.media.width, stream.media.height
        if width is None or height is None:
            return None
        extra = {"original_width": width, "original_height": height, "image_rotation": 0}
        numbers = iter(kept.get("", []))
        if isinstance(geometry, Box):
            kind = "rectanglelabels"
            value = _rectangle(
                (geometry.x, geometry.y, geometry.w, geometry.h), (width, height), numbers
            )
        elif isinstance(geometry, Polygon) and (
            drawn := _ellipse(geometry.points, (width, height), kept.get("e"))
        ):
            kind, value = "ellipselabels", drawn
        elif isinstance(geometry, Polygon | Keypoints) and (
            path := _vector(geometry, (width, height), kept.get("v"), numbers)
        ):
            kind, value = "vectorlabels", path
        elif isinstance(geometry, Polygon) and (
            turned := self.turned(geometry.points, (width, height), kept.get("r"))
        ):
            kind, value = "rectanglelabels", turned
        elif isinstance(geometry, Polygon):
            kind = "polygonlabels"
            value = {
                "points": [
                    [
                        _percent(x, width, next(numbers, None)),
                        _percent(y, height, next(numbers, None)),
                    ]
                    for x, y in geometry.points
                ],
                "closed": True,
            }
        elif isinstance(geometry, Keypoints) and len(geometry.points) == 1:
            kind = "keypointlabels"
            x, y, _ = geometry.points[0]
            value = {
                "x": _percent(x, width, next(numbers, None)),
                "y": _percent(y, height, next(numbers, None)),
                "width": KEYPOINT_RADIUS,
            }
        elif isinstance(geometry, Mask):
            kind = "brushlabels"
            value = {"format": "rle", "rle": rle_to_brush(geometry.rle)}
        else:
            return None
        value[kind] = [label]
        self.config.control(self.from_name(stream, kind), kind, to_name, [label])
        return kind, value, extra

    def turned(
        self,
        points: list[tuple[float, float]],
        size: tuple[int, int],
        kept: list[str | None] | None,
        *,
        any_rectangle: bool = False,
    ) -> JsonObject | None:
        """A rectangle's value with its ``rotation`` for a polygon that is a rotated
        rectangle: the file's own numbers while they still give exactly these corners;
        else, for a track (`any_rectangle`), the rectangle found in the corners."""
        width, height = size
        if kept is not None and len(kept) == 5 and None not in kept:
            x, y, w, h, degrees = (Decimal(number) for number in kept if number is not None)
            corners = rotated_corners(
                to_pixels(x, width),
                to_pixels(y, height),
                to_pixels(w, width),
                to_pixels(h, height),
                float(degrees),
            )
            if corners == [tuple(point) for point in points]:
                return {
                    name: orjson.Fragment(str(number).encode())
                    for name, number in zip(
                        ("x", "y", "width", "height", "rotation"),
                        (x, y, w, h, degrees),
                        strict=True,
                    )
                }
        rect = as_rotated_rect(points) if any_rectangle else None
        if rect is None:
            return None
        x0, y0, w0, h0, angle = rect
        value = _rectangle((x0, y0, w0, h0), size, iter(()))
        value["rotation"] = angle
        return value

    def classification(
        self, annotation: Annotation, stream: Stream
    ) -> tuple[str, JsonObject, JsonObject]:
        """A classification: a text area, number or the like when it carries one attribute
        named as its label (what the reader makes of those), else a choice."""
        label = annotation.label
        to_name = self.to_name(stream)
        value = annotation.attributes.get(label)
        if len(annotation.attributes) == 1 and isinstance(value, str):
            self.config.control(label, "textarea", to_name)
            return "textarea", {"text": [value]}, {"from_name": label}
        if (
            len(annotation.attributes) == 1
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            self.config.control(label, "number", to_name)
            return "number", {"number": value}, {"from_name": label}
        if annotation.attributes:  # Label Studio choices have no attributes
            attributes = {"attributes": annotation.attributes}
            self.back.drop(annotation.id, "classification attributes", attributes)
        self.config.control(self.from_name(stream, "choices"), "choices", to_name, [label])
        return "choices", {"choices": [label]}, {}

    def transcript(self, annotation: Annotation, stream: Stream, head: JsonObject) -> JsonObject:
        geometry = annotation.geometry
        assert isinstance(geometry, TranscriptSegment)
        name = self.from_name(stream, "transcript")
        self.config.control(name, "textarea", head["to_name"], region=True)
        if geometry.words:  # Label Studio transcripts have no word timings
            whole = geometry.model_dump(mode="json", exclude_none=True)
            self.back.drop(annotation.id, "word timings", {"geometry": whole})
        value = {"start": geometry.start, "end": geometry.end, "text": [geometry.text]}
        return {**head, "from_name": name, "type": "textarea", "value": value}

    def attributes(
        self, annotation: Annotation, stream: Stream, head: JsonObject
    ) -> list[JsonObject]:
        """An annotation's attributes as controls on its region: choices for enums and
        lists, a text area for text, a number for numbers; booleans go to the sidecar."""
        known = annotation.label in self.ontology.class_map
        definitions = self.ontology.attributes_of(annotation.label) if known else {}
        results = []
        item: JsonObject
        for name, value in annotation.attributes.items():
            definition = definitions.get(name)
            if isinstance(value, bool):  # Label Studio has no true/false control
                self.back.drop(
                    annotation.id, "true/false attributes", {"attributes": {name: value}}
                )
                continue
            if isinstance(value, list) or (
                definition is not None and definition.type is AttributeType.ENUM
            ):
                values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
                kind, item = "choices", {"choices": values}
            elif isinstance(value, int | float):
                kind, item, values = "number", {"number": value}, []
            else:
                kind, item, values = "textarea", {"text": [str(value)]}, []
            self.config.control(name, kind, head["to_name"], values, region=True)
            results.append({**head, "from_name": name, "type": kind, "value": item})
        return results

    def track(
        self,
        annotation: Annotation,
        track: Track,
        stream: Stream,
        kept: Kept,
    ) -> tuple[str, JsonObject, JsonObject] | None:
        """A box track (or one of rotated rectangles) as a ``videorectangle``: key frames
        1-based; an outside key frame disables the key frame before it (adding one on the
        frame before, interpolated, when that is not a key frame)."""
        media = stream.media
        width, height, rate = media.width, media.height, media.fps()
        if width is None or height is None or rate is None or track.kind == "cuboid":
            return None
        sequence: list[JsonObject] = []
        last: int | None = None  # the frame of the last visible key frame written
        for key in (k for k in track.keyframes if k.is_key):
            if not key.outside:
                item = self.frame(track, key, media, kept)
                if item is None:
                    return None
                sequence.append(item)
                last = key.frame
                continue
            if last is None:
                continue  # the object is absent already
            if last != key.frame - 1:
                before = shape_at(track, key.frame - 1)
                assert isinstance(before, Box | Polygon)
                fields = (
                    {"points": before.points}
                    if isinstance(before, Polygon)
                    else before.model_dump(include={"x", "y", "w", "h"})
                )
                item = self.frame(track, TrackFrame(frame=key.frame - 1, **fields), media, {})
                if item is None:
                    return None
                sequence.append(item)
            sequence[-1]["enabled"] = False
            last = None
        label = annotation.label
        to_name = self.to_name(stream)
        self.config.control(self.from_name(stream, "videorectangle"), "videorectangle", to_name)
        self.config.control(self.from_name(stream, "labels"), "labels", to_name, [label])
        value = {
            "framesCount": media.frame_count,
            "duration": media.duration,
            "sequence": sequence,
            "labels": [label],
        }
        return "videorectangle", value, {}

    def frame(
        self, track: Track, key: TrackFrame, media: MediaInfo, kept: Kept
    ) -> JsonObject | None:
        """A ``sequence`` item for a visible key frame; ``None`` when a polygon track's
        frame is not a rotated rectangle."""
        width, height, rate = media.width, media.height, media.fps()
        assert width is not None and height is not None and rate is not None
        numbers = iter(kept.get(str(key.frame), []))
        if track.kind == "polygon":
            turned = self.turned(
                key.points or [], (width, height), kept.get(f"r{key.frame}"), any_rectangle=True
            )
            if turned is None:
                return None
            value = turned
        else:
            assert (
                key.x is not None and key.y is not None and key.w is not None and key.h is not None
            )
            value = _rectangle((key.x, key.y, key.w, key.h), (width, height), numbers)
        item = {"frame": key.frame + 1, "enabled": True, "time": float((key.frame + 1) / rate)}
        return {**item, **value}


def _annotator(author: str) -> JsonObject:
    """Who made an annotation, as Label Studio imports it: ``completed_by`` by e-mail or
    by user id (as read from Label Studio), else the name in ``created_username`` (Label
    Studio then credits the person who imports it)."""
    if "@" in author:
        return {"completed_by": {"email": author}}
    if author.isdigit():
        return {"completed_by": int(author)}
    return {"created_username": author} if author else {}


def _rectangle(
    box: tuple[float, float, float, float], size: tuple[int, int], kept: Iterator[str | None]
) -> JsonObject:
    """An unrotated rectangle's value (``x, y, width, height`` in percent) for a box in
    pixels, with the kept numbers where they still fit."""
    x, y, w, h = box
    width, height = size
    return {
        "x": _percent(x, width, next(kept, None)),
        "y": _percent(y, height, next(kept, None)),
        "width": _percent(w, width, next(kept, None)),
        "height": _percent(h, height, next(kept, None)),
        "rotation": 0,
    }


def _ellipse(
    points: list[tuple[float, float]], size: tuple[int, int], kept: list[str | None] | None
) -> JsonObject | None:
    """An ellipse's value, from the file's own numbers while the polygon is still the one
    they give (`ellipse_points`); else ``None``."""
    if kept is None or len(kept) != 5 or None in kept:
        return None
    x, y, rx, ry, degrees = (Decimal(number) for number in kept if number is not None)
    width, height = size
    drawn = ellipse_points(
        to_pixels(x, width),
        to_pixels(y, height),
        to_pixels(rx, width),
        to_pixels(ry, height),
        float(degrees),
    )
    if drawn != [tuple(point) for point in points]:
        return None
    names = ("x", "y", "radiusX", "radiusY", "rotation")
    return {
        name: orjson.Fragment(str(n).encode())
        for name, n in zip(names, (x, y, rx, ry, degrees), strict=True)
    }


def _vector(
    geometry: Polygon | Keypoints,
    size: tuple[int, int],
    kept: list[str | None] | None,
    numbers: Iterator[str | None],
) -> JsonObject | None:
    """A vector path's value (`kept`: ``"closed"`` or ``"open"``, then the vertices' ids),
    for the polygon or the keypoints read from one, while the vertices are as many; else
    ``None``."""
    if kept is None or len(kept) < 2 or None in kept:
        return None
    closed, ids = kept[0] == "closed", [str(ident) for ident in kept[1:]]
    if closed != isinstance(geometry, Polygon) or len(ids) != len(geometry.points):
        return None
    width, height = size
    vertices = []
    for index, point in enumerate(geometry.points):
        vertices.append(
            {
                "id": ids[index],
                "x": _percent(point[0], width, next(numbers, None)),
                "y": _percent(point[1], height, next(numbers, None)),
                "prevPointId": ids[index - 1] if index else None,
                "isBezier": False,
            }
        )
    return {"vertices": vertices, "closed": closed}


def _percent(pixels: float, size: int, kept: str | None) -> orjson.Fragment:
    """`percent_of` as a raw JSON number."""
    return orjson.Fragment(percent_of(pixels, size, kept).encode())
