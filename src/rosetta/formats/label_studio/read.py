"""Reading a Label Studio JSON export: tasks -> `ForeignSample`s (`rosetta.formats.label_studio`
says what maps to what).

The intermediate is Label Studio's own: a task's objects (``to_name``, and the data field
each shows) and, per annotation or prediction, its results grouped by region id into
`_Region`s (a shape, its labels, the controls that describe it), before they become
Rosetta records. Tasks are read one at a time (`document.tasks`); errors name the file,
the task's line and the element path (``tasks[3].annotations[0].result[2]: value.x``).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Classification, Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.found_media import confined, probe_found
from rosetta.formats.interchange import CARD_FILES, ForeignSample, Origin, ReadOptions
from rosetta.formats.label_studio.document import (
    JsonObject,
    as_list,
    as_number,
    as_object,
    as_size,
    as_text,
    checked,
    ident,
    plain,
    tasks,
)
from rosetta.formats.label_studio.media import (
    file_name,
    find_local,
    guess_modality,
    is_reference,
)
from rosetta.formats.label_studio.shapes import Kept, shape_geometry
from rosetta.formats.not_carried import read_back_beside

#: Shape result types drawn on images.
IMAGE_SHAPES = frozenset(
    {
        "rectanglelabels",
        "rectangle",
        "polygonlabels",
        "polygon",
        "keypointlabels",
        "keypoint",
        "brushlabels",
        "brush",
        "ellipselabels",
        "ellipse",
        "vectorlabels",
        "vector",
    }
)
#: Shape result types drawn on videos.
VIDEO_SHAPES = frozenset({"videorectangle"})
#: Controls whose value describes a region (sharing its id) or the whole task.
CONTROLS = frozenset({"choices", "textarea", "number", "rating", "datetime"})
#: Every result type the reader takes.
SUPPORTED = IMAGE_SHAPES | VIDEO_SHAPES | CONTROLS | {"labels", "relation"}
#: The relation type of a Label Studio relation drawn without a label.
UNLABELLED_RELATION = "relation"
#: The source name of imported annotations (and of predictions without a model version).
FORMAT = "label-studio"


def read_label_studio(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of the Label Studio export `source` (a ``.json`` file, or a folder of
    them), one per task, with what the `rosetta.formats.not_carried` file beside them
    keeps."""
    files = (
        sorted(path for path in source.glob("*.json") if path.name not in CARD_FILES)
        if source.is_dir()
        else [source]
    )
    if not files:
        raise ImportFailed(str(source), 0, "", "expected a Label Studio .json export or a folder")
    samples = (
        _Task(path, line, element, task, options).sample()
        for path in files
        for line, element, task in tasks(path)
    )
    yield from read_back_beside(samples, source)


@dataclass
class _Object:
    """A Label Studio object tag (``to_name``) and the task's data field it shows."""

    to_name: str
    key: str
    results: list[tuple[str, JsonObject]] = field(default_factory=list)  # (where, result)


@dataclass
class _Region:
    """The results of one annotation sharing one region id: the shape, its labels, and
    the controls that describe it."""

    id: str
    shape: JsonObject | None = None
    shape_at: int = 0
    labels: list[str] = field(default_factory=list)
    controls: list[tuple[int, JsonObject]] = field(default_factory=list)


class _Task:
    """One task read into a sample."""

    def __init__(
        self, file: Path, line: int, element: str, task: Any, options: ReadOptions
    ) -> None:
        self.file = file
        self.line = line
        self.element = element
        self.options = options
        self.origin = Origin(str(file), line, element)
        self.task = as_object(task, self.origin, "task")
        task_id = self.task.get("id")
        index = element.partition("[")[2].rstrip("]") or "0"
        self.key = str(task_id) if task_id is not None else f"t{index}"
        self.sample_id = ident(file.stem, self.key)
        self.streams: dict[str, Stream] = {}  # by data key
        self.objects: dict[str, _Object] = {}  # by to_name
        self.annotations: list[Annotation] = []
        self.links: list[Link] = []
        self.parts: dict[str, Origin] = {}
        self.kept: dict[str, Kept] = {}
        self.self_relations: list[JsonObject] = []
        self.controls: dict[str, str] = {}

    def at(self, element: str) -> Origin:
        return Origin(str(self.file), self.line, f"{self.element}.{element}")

    # -- the whole task --

    def sample(self) -> ForeignSample:
        data_value = self.task.get("data", {})
        data = as_object(data_value, self.origin, "data") if data_value is not None else {}
        groups = [
            (f"annotations[{i}]", "a", item)
            for i, item in enumerate(
                as_list(self.task.get("annotations", []), self.origin, "annotations")
            )
        ] + [
            (f"predictions[{i}]", "p", item)
            for i, item in enumerate(
                as_list(self.task.get("predictions", []), self.origin, "predictions")
            )
        ]
        if not groups and not data:
            raise self.origin.error(
                "data",
                "expected a Label Studio task: 'data' with annotations or predictions "
                "(a JSON-MIN or CSV export cannot be read; export as JSON)",
            )
        results = [
            (where, kind, as_object(item, self.origin, where)) for where, kind, item in groups
        ]
        for where, _, item in results:
            for r, result in enumerate(as_list(item.get("result", []), self.at(where), "result")):
                self._object_of(
                    as_object(result, self.at(where), f"result[{r}]"), f"{where}.result[{r}]", data
                )
        self._streams(data)
        for where, kind, item in results:
            self._annotation(where, kind, item)
        metadata = self._metadata(data)
        sample = Sample(
            id=self.sample_id,
            external_id=self._external_id(),
            metadata=metadata,
            streams=list(self.streams.values()),
            annotations=self.annotations,
            links=self.links,
        )
        return ForeignSample(sample, self.origin, self.parts)

    def _external_id(self) -> str:
        meta = self.task.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("external_id"), str):
            return str(meta["external_id"])
        for stream in self.streams.values():
            if stream.uri is not None:
                return file_name(self.task["data"][stream.name]) or self.sample_id
        return self.sample_id

    def _metadata(self, data: JsonObject) -> JsonObject:
        record: JsonObject = {}
        if "id" in self.task:
            record["task"] = plain(self.task["id"])
        rest = {key: plain(value) for key, value in data.items() if key not in self.streams}
        urls = {
            key: data[key]
            for key, stream in self.streams.items()
            if stream.uri is not None and stream.uri != data[key]
        }
        names = {o.key: o.to_name for o in self.objects.values() if o.key != o.to_name}
        for name, value in (
            ("data", rest),
            ("urls", urls),
            ("objects", names),
            ("controls", self.controls),
            ("percent", self.kept),
            ("self_relations", self.self_relations),
        ):
            if value:
                record[name] = value
        return {"label_studio": record} if record else {}

    # -- objects and streams --

    def _object_of(self, result: JsonObject, where: str, data: JsonObject) -> None:
        """Note the object tag `result` is drawn on and the data field it shows."""
        kind = result.get("type")
        origin = self.at(where)
        if not isinstance(kind, str) or kind not in SUPPORTED:
            raise origin.error(
                "type",
                f"Label Studio result type {kind!r} has no Rosetta record "
                f"(supported: {', '.join(sorted(SUPPORTED))})",
            )
        if kind == "relation":
            return
        as_object(result.get("value"), origin, "value")
        to_name = as_text(result.get("to_name"), origin, "to_name")
        found = self.objects.get(to_name)
        if found is None:
            found = _Object(to_name, self._data_key(to_name, result, data, origin))
            self.objects[to_name] = found
        found.results.append((where, result))

    def _data_key(self, to_name: str, result: JsonObject, data: JsonObject, origin: Origin) -> str:
        if to_name in data:
            return to_name
        source = result.get("source")
        if isinstance(source, str) and source.startswith("$") and source[1:] in data:
            return source[1:]
        media = [key for key, value in data.items() if isinstance(value, str)]
        if len(media) == 1:
            return media[0]
        raise origin.error(
            "to_name",
            f"the object {to_name!r} names no field of the task's data "
            f"(fields: {sorted(data) or 'none'}); give the task the data it was labelled on",
        )

    def _streams(self, data: JsonObject) -> None:
        shown: dict[str, list[_Object]] = {}
        for obj in self.objects.values():
            shown.setdefault(obj.key, []).append(obj)
        for key, value in data.items():
            if key not in shown and isinstance(value, str) and guess_modality(value) is not None:
                shown[key] = []
        for key, objects in shown.items():
            self.streams[key] = self._stream(key, data[key], objects)

    def _stream(self, key: str, value: Any, objects: list[_Object]) -> Stream:
        origin, where = self.origin, f"data.{key}"
        if not isinstance(value, str):
            raise origin.error(where, f"expected the media's URL or the text, got {value!r:.40}")
        results = [pair for obj in objects for pair in obj.results]
        modality = self._modality(value, [result for _, result in results], origin, where)
        stream_id = ident(self.sample_id, key)
        if modality is Modality.TEXT and not is_reference(value):
            return Stream(
                id=stream_id,
                name=key,
                modality=modality,
                text=value,
                media=MediaInfo(length=len(value)),
            )
        media = self._stated_media(modality, results)
        local = find_local(value, self.file, self.options)
        uri = value
        if local is not None:
            uri = self.options.uri_of(local)
            if modality is Modality.TEXT:
                text = confined(local, self.options, origin, where).read_text(encoding="utf-8")
                return Stream(
                    id=stream_id,
                    name=key,
                    modality=modality,
                    uri=uri,
                    text=text,
                    media=MediaInfo(length=len(text)),
                )
            if media is None:
                media = probe_found(local, modality, origin, where, self.options)
        elif modality is Modality.TEXT:
            raise origin.error(where, f"the text at {value!r} was not found under the media root")
        return Stream(
            id=stream_id, name=key, modality=modality, uri=uri, media=media or MediaInfo()
        )

    def _modality(
        self, value: str, results: list[JsonObject], origin: Origin, where: str
    ) -> Modality:
        kinds = {result.get("type") for result in results}
        found: set[Modality] = set()
        if kinds & IMAGE_SHAPES:
            found.add(Modality.IMAGE)
        if kinds & VIDEO_SHAPES:
            found.add(Modality.VIDEO)
        guessed = guess_modality(value) if is_reference(value) else Modality.TEXT
        spans = [r for r in results if r.get("type") == "labels" and "start" in r.get("value", {})]
        if spans and not found:
            if guessed is Modality.TEXT or any("text" in r["value"] for r in spans):
                found.add(Modality.TEXT)
            else:
                found.add(guessed or Modality.AUDIO)
        if len(found) > 1:
            raise origin.error(where, f"drawn on as {' and '.join(sorted(found))} at once")
        if found:
            return found.pop()
        if guessed is None:
            raise origin.error(
                where, f"cannot tell whether {value!r} is an image, audio, video or text"
            )
        return guessed

    def _stated_media(
        self, modality: Modality, results: list[tuple[str, JsonObject]]
    ) -> MediaInfo | None:
        """The media info the results state: an image's ``original_width`` and
        ``original_height``, audio's ``original_length``; ``None`` when none does. Every
        result must agree with the first."""
        stated: MediaInfo | None = None
        for where, result in results:
            origin = self.at(where)
            if modality is Modality.IMAGE and "original_width" in result:
                width = as_size(result["original_width"], origin, "original_width")
                height = as_size(result.get("original_height"), origin, "original_height")
                media = MediaInfo(width=width, height=height)
            elif modality is Modality.AUDIO and "original_length" in result:
                length = as_number(result["original_length"], origin, "original_length")
                media = MediaInfo(duration=float(length))
            else:
                continue
            if stated is None:
                stated = media
            elif media != stated:
                raise origin.error(
                    "original_width" if modality is Modality.IMAGE else "original_length",
                    f"the results disagree on the media: {media} after {stated}",
                )
        return stated

    # -- annotations --

    def _annotation(self, where: str, kind: str, item: JsonObject) -> None:
        origin = self.at(where)
        label_key = (
            f"{kind}{item['id']}"
            if "id" in item
            else f"{kind}-{where.partition('[')[2].rstrip(']')}"
        )
        if kind == "p":
            version = item.get("model_version")
            name = str(version) if version not in (None, "") else FORMAT
            score = item.get("score")
            source = Source(kind="model", name=name, confidence=self._score(score, origin, "score"))
            author = None
        else:
            source = Source(kind="import", name=FORMAT)
            author = self._author(item)
        regions: dict[str, _Region] = {}
        relations: list[tuple[int, JsonObject]] = []
        for r, result in enumerate(item.get("result", [])):
            if result.get("type") == "relation":
                relations.append((r, result))
                continue
            region_id = str(result["id"]) if result.get("id") not in (None, "") else f"r{r}"
            region = regions.setdefault(region_id, _Region(region_id))
            self._add(region, r, result, origin)
        made: dict[str, str] = {}  # Label Studio region id -> Rosetta annotation id
        for region in regions.values():
            first = self._region(region, where, label_key, source, author)
            if first is not None:
                made[region.id] = first
        for k, (r, result) in enumerate(relations):
            self._relation(
                result,
                self.at(f"{where}.result[{r}]"),
                name=f"{label_key}.rel{k}",
                made=made,
                author=author,
            )

    def _author(self, item: JsonObject) -> str | None:
        completed = item.get("completed_by")
        if isinstance(completed, dict):
            email = completed.get("email")
            return str(email) if email else str(completed.get("id"))
        if completed is not None:
            return str(completed)
        name = item.get("created_username")
        return str(name) if name else None

    def _score(self, value: Any, origin: Origin, where: str) -> float | None:
        if value is None:
            return None
        score = float(as_number(value, origin, where))
        if not 0 <= score <= 1:
            raise origin.error(where, f"expected a score from 0 to 1, got {score}")
        return score

    def _add(self, region: _Region, r: int, result: JsonObject, origin: Origin) -> None:
        kind = result["type"]
        value = as_object(result.get("value"), origin, f"result[{r}].value")
        if kind in CONTROLS:
            region.controls.append((r, result))
            return
        labels = value.get(kind if kind.endswith("labels") else "labels", [])
        for label in as_list(labels, origin, f"result[{r}].value.{kind}"):
            text = as_text(label, origin, f"result[{r}].value.{kind}")
            if text not in region.labels:
                region.labels.append(text)
        shaped = kind != "labels" or "start" in value
        if shaped and region.shape is None:
            region.shape, region.shape_at = result, r

    def _region(
        self, region: _Region, where: str, label_key: str, source: Source, author: str | None
    ) -> str | None:
        """Annotations for `region` (one per label); the first one's id."""
        if region.shape is None:
            if region.labels:
                raise self.at(where).error(
                    f"result (id {region.id!r})", "expected the shape its labels are on"
                )
            for r, control in region.controls:
                self._whole(
                    control,
                    f"{where}.result[{r}]",
                    name=f"{label_key}.{region.id}",
                    source=source,
                    author=author,
                )
            return None
        origin = self.at(f"{where}.result[{region.shape_at}]")
        shape = region.shape
        obj = self.objects[shape["to_name"]]
        stream = self.streams[obj.key]
        self.controls.setdefault(f"{obj.to_name}:{shape['type']}", str(shape.get("from_name", "")))
        kept: Kept = {}
        geometry = shape_geometry(shape, stream, origin, kept)
        timed = isinstance(geometry, Interval)
        attributes, transcript = self._described(region, where, obj, timed=timed)
        if transcript is not None and isinstance(geometry, Interval):
            geometry = checked(
                lambda: TranscriptSegment(start=geometry.start, end=geometry.end, text=transcript),
                origin,
                "value",
            )
        labels = region.labels or (
            [self.options.default_label] if self.options.default_label else []
        )
        if not labels:
            raise origin.error(
                f"value.{shape['type']}",
                "expected a label (or a default label for unlabelled regions)",
            )
        confidence = self._score(shape.get("score"), origin, "score")
        if confidence is not None:
            source = source.model_copy(update={"confidence": confidence})
        first = ident(self.sample_id, label_key, region.id)
        for n, label in enumerate(labels):
            annotation_id = (
                first if n == 0 else ident(self.sample_id, label_key, region.id, str(n + 1))
            )
            self._add_annotation(
                origin,
                id=annotation_id,
                stream=stream.id,
                label=label,
                geometry=geometry,
                attributes=attributes,
                author=author,
                source=source,
            )
            if any(value is not None for values in kept.values() for value in values):
                self.kept[annotation_id] = kept
        return first

    def _add_annotation(self, origin: Origin, **fields: Any) -> None:
        annotation = checked(partial(Annotation, **fields), origin, "value")
        self.annotations.append(annotation)
        self.parts[annotation.id] = origin

    def _described(
        self, region: _Region, where: str, obj: _Object, *, timed: bool
    ) -> tuple[JsonObject, str | None]:
        """A region's attributes (its controls, by name) and, for a time interval, the text
        of its first text area as the transcript."""
        attributes: JsonObject = {}
        transcript: str | None = None
        for r, control in region.controls:
            origin = self.at(f"{where}.result[{r}]")
            name = as_text(control.get("from_name"), origin, "from_name")
            value = self._control_value(control, origin)
            if control["type"] == "textarea" and transcript is None and timed:
                transcript = value
                self.controls.setdefault(f"{obj.to_name}:transcript", name)
            else:
                attributes[name] = value
        return attributes, transcript

    def _control_value(self, control: JsonObject, origin: Origin) -> Any:
        kind = control["type"]
        value = as_object(control.get("value"), origin, "value")
        if kind == "choices":
            choices = [
                as_text(c, origin, "value.choices")
                for c in as_list(value.get("choices"), origin, "value.choices")
            ]
            return choices[0] if len(choices) == 1 else choices
        if kind == "textarea":
            lines = [
                as_text(t, origin, "value.text")
                for t in as_list(value.get("text"), origin, "value.text")
            ]
            return "\n".join(lines)
        if kind in ("number", "rating"):
            number = as_number(value.get(kind), origin, f"value.{kind}")
            return int(number) if number == int(number) else float(number)
        return as_text(value.get(kind), origin, f"value.{kind}")

    def _whole(
        self, control: JsonObject, where: str, *, name: str, source: Source, author: str | None
    ) -> None:
        """A control on the whole task (`name`: its id inside the annotation): choices
        become classifications of the stream; a text area on audio or video a transcript
        of all of it; any other control a classification labelled with the control's name,
        its value the attribute of that name."""
        origin = self.at(where)
        obj = self.objects[control["to_name"]]
        stream = self.streams[obj.key]
        kind = control["type"]
        control_name = as_text(control.get("from_name"), origin, "from_name")
        value = self._control_value(control, origin)
        items: list[tuple[str, Any, JsonObject]]
        if kind == "choices":
            self.controls.setdefault(f"{obj.to_name}:choices", control_name)
            choices = value if isinstance(value, list) else [value]
            items = [(choice, Classification(), {}) for choice in choices]
        elif kind == "textarea" and stream.modality in (Modality.AUDIO, Modality.VIDEO):
            duration = stream.media.duration
            if duration is None:
                raise origin.error(
                    "value.text",
                    f"a transcript of all of {stream.uri!r} needs its length: no file for it "
                    "under the media root",
                )
            segment = checked(
                lambda: TranscriptSegment(start=0, end=duration, text=value), origin, "value"
            )
            items = [(control_name, segment, {})]
        else:
            items = [(control_name, Classification(), {control_name: value})]
        confidence = self._score(control.get("score"), origin, "score")
        if confidence is not None:
            source = source.model_copy(update={"confidence": confidence})
        for n, (label, geometry, attributes) in enumerate(items):
            annotation_id = ident(self.sample_id, name, *([str(n + 1)] if n else []))
            self._add_annotation(
                origin,
                id=annotation_id,
                stream=stream.id,
                label=label,
                geometry=geometry,
                attributes=attributes,
                author=author,
                source=source,
            )

    def _relation(
        self,
        result: JsonObject,
        origin: Origin,
        *,
        name: str,
        made: Mapping[str, str],
        author: str | None,
    ) -> None:
        """A relation's links (one per label), its ends the regions' first annotations;
        `name` is the relation's id inside the annotation."""
        ends = []
        for end in ("from_id", "to_id"):
            region = result.get(end)
            if str(region) not in made:
                raise origin.error(end, f"{region!r} is no region of this annotation")
            ends.append(made[str(region)])
        direction = result.get("direction", "right")
        if direction not in ("right", "left", "bi"):
            raise origin.error("direction", f"expected 'right', 'left' or 'bi', got {direction!r}")
        source, target = ends if direction != "left" else ends[::-1]
        if source == target:
            self.self_relations.append(plain(result))  # Rosetta links join two things
            return
        labels = as_list(result.get("labels", []), origin, "labels") or [UNLABELLED_RELATION]
        for n, label in enumerate(labels):
            link_id = ident(self.sample_id, name, *([str(n + 1)] if n else []))
            self.links.append(
                Link(
                    id=link_id,
                    type=as_text(label, origin, "labels"),
                    source=source,
                    target=target,
                    author=author,
                )
            )
            self.parts[link_id] = origin
