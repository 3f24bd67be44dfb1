"""CVAT for video 1.1 XML ("cvat-video"): read and write.

A file is one video: ``<annotations>``, ``<version>1.1</version>``, a ``<meta>`` block
(`rosetta.formats.cvat_xml`: labels, the task's ``start_frame``, ``stop_frame`` and
``frame_filter``, ``original_size``, ``<source>`` the video's name) and one ``<track id
label>`` per object, each holding its shape on each key frame (`rosetta.formats.cvat_video`
reads them).

**Frame numbers.** CVAT numbers the frames of a track by the video's own frame index:
a task over frames ``start_frame`` to ``stop_frame`` of the video taking every
``step``-th one (``frame_filter`` ``step=N``) annotates frames ``start_frame + k * step``,
and those are the numbers in the file. Rosetta frames are also the video's own 0-based
indices, so the numbers are kept as they are; a frame off that grid is an error naming the
line (CVAT cannot have made it), except an ``outside`` frame past ``stop_frame``, which
older CVAT versions write after a last shape and which says nothing (it is left out).
The grid is kept in the sample's ``metadata["cvat"]["task"]`` and written back; interpolation
between key frames is linear in either numbering, so key frames mean the same.

**Reading.** A source is one file or a folder of ``*.xml`` files (in name order); each file
is one sample ``<file stem>`` (``external_id``: the ``<source>`` video name, else the file
name) with one video stream ``<stem>.video`` whose URI is the ``<source>`` (relative to the
media root). Its width and height are ``original_size``; its frame count is
``stop_frame + 1`` (the video may be longer: a task ends where the file says; the frame
rate is unknown until the media is probed). A file without them is an error. A sample
holds all its annotations, so a file's tracks are read before its sample is yielded.

- a ``box`` or ``polygon`` track is a `Track` annotation ``<stem>.<track id>``: ``outside``
  and ``occluded`` per key frame, ``keyframe="0"`` frames (CVAT's interpolated ones, in a
  dense dump) marked ``interpolated``, not key frames;
- a ``points``, ``skeleton`` or ``mask`` track (no Rosetta track holds those) is an `Entity`
  ``<stem>.<track id>`` (the track's label) whose members are one annotation
  ``<stem>.<track id>.<frame>`` per key frame where the object is in view (`Keypoints` or
  `Mask` on that frame, `rosetta.formats.cvat_shapes`); its ``outside`` key frames are kept
  in ``metadata["cvat"]["outside"][<entity id>]``; its interpolated frames are left out
  (CVAT computes them from the key frames);
- ``polyline``, ``ellipse`` and ``cuboid`` tracks are kept as they are in
  ``metadata["cvat"]["kept_as_is"]`` and written back.

Labels are kept as written (an empty one takes ``ReadOptions.default_label``). Attributes
are typed by the meta's input types; CVAT writes every attribute on every frame: a track's
annotation carries the values of its first frame, and when a (mutable) value changes along
the track, every frame's values are kept in ``metadata["cvat"]["frame_attributes"][<id>]``.
A ``<track>``'s other XML attributes at non-default values (``source="auto"``,
``group_id``, ...) go to ``metadata["cvat"]["tracks"][<id>]``. A frame's ``z_order`` is not
kept (CVAT draws by it; it holds no annotation). Annotations are
``Source(kind="import", name="cvat-video")``.

**Writing** (`write_videos`): one ``<sample id>.xml`` per sample with a video (``<sample
id>.<stream id>.xml`` per video when a sample has several) whose meta has every class of
the ontology as a label and the task grid: the sample's own when every frame written lies
on it, else frames 0 to the last with step 1. Box and polygon tracks are written key frame
by key frame (interpolated frames with ``keyframe="0"``); an entity whose members are
boxes, polygons, keypoints or masks on distinct frames of the video is one track (after its
last member the object goes ``outside`` one step later, unless the metadata says where);
any other frame-bound shape is a track of its own frame, ``outside`` on the next, as CVAT
writes a shape in a video. Everything else (links, other entities, intervals, transcripts,
classifications, annotations on other streams) goes to ``sidecar.jsonl``.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Geometry, Keypoints, Mask, Polygon, Track, TrackFrame
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import (
    Annotation,
    Entity,
    JsonDict,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.formats.cvat_shapes import (
    Sidecar,
    cvat_metadata,
    entries,
    entry,
    flag,
    keypoint_names,
    shape_attributes,
    shape_element,
    shape_geometry,
)
from rosetta.formats.cvat_video import CvatTrack, read_video
from rosetta.formats.cvat_xml import (
    CvatMeta,
    Element,
    attribute_xml,
    element_xml,
    input_type,
    labels_xml,
    start_tag,
    text_element,
    xml_files,
)
from rosetta.formats.interchange import (
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)

NAME = "cvat-video"
SOURCE = Source(kind="import", name=NAME)
#: Track kinds read as an entity of one annotation per key frame.
_PER_FRAME = frozenset({"points", "skeleton", "mask"})
#: ``<track>`` XML attributes at their defaults (not kept).
_TRACK_DEFAULTS = {"source": "manual", "group_id": "0"}


@dataclass(frozen=True)
class Grid:
    """The frames of a CVAT task: ``start + k * step`` up to ``stop``."""

    start: int
    stop: int
    step: int

    def holds(self, frame: int) -> bool:
        """Whether `frame` is a frame of the task."""
        return self.start <= frame <= self.stop and (frame - self.start) % self.step == 0

    def describe(self) -> str:
        return f"a frame of the task: {self.start} + k * {self.step} up to {self.stop}"


def _frame(shape: Element) -> int:
    return int(shape.attrs["frame"])  # read_video has checked it


def _media(meta: CvatMeta, file: str) -> MediaInfo:
    missing = [
        name
        for name, value in (
            ("original_size/width", meta.width),
            ("original_size/height", meta.height),
            ("stop_frame", meta.stop_frame),
        )
        if value is None
    ]
    if missing:
        raise ImportFailed(
            file,
            meta.line,
            "<meta>",
            f"expected the task's {', '.join(missing)} in <meta> (the video's frame size "
            "and last frame), as CVAT writes them",
        )
    assert meta.stop_frame is not None
    return MediaInfo(width=meta.width, height=meta.height, frame_count=meta.stop_frame + 1)


def _on_grid(track: CvatTrack, grid: Grid, file: str) -> list[Element]:
    """The track's shapes, each checked to lie on the task's frames (an outside frame past
    the last is left out)."""
    kept = []
    for shape in track.shapes:
        frame = _frame(shape)
        if grid.holds(frame):
            kept.append(shape)
        elif not (frame > grid.stop and flag(shape, "outside", file)):
            raise ImportFailed(
                file, shape.line, f"<{shape.tag}> frame", f"expected {grid.describe()}, got {frame}"
            )
    return kept


@dataclass
class _Sample:
    """A video sample being read."""

    file: str
    stem: str
    stream: Stream
    meta: CvatMeta
    options: ReadOptions
    annotations: list[Annotation] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    parts: dict[str, Origin] = field(default_factory=dict)
    cvat: dict[str, JsonDict] = field(default_factory=dict)
    kept: list[JsonDict] = field(default_factory=list)

    def note(self, key: str, object_id: str, value: object) -> None:
        self.cvat.setdefault(key, {})[object_id] = value

    def label(self, track: CvatTrack, origin: Origin) -> str:
        if track.label:
            return track.label
        if self.options.default_label:
            return self.options.default_label
        raise origin.error(
            "label", "expected a label; the track has none (import with a default label)"
        )

    def annotation(self, origin: Origin, **fields: object) -> Annotation:
        try:
            annotation = Annotation.model_validate(
                {**fields, "stream": self.stream.id, "source": SOURCE}
            )
        except ValidationError as exc:
            raise origin.error("", exc.errors(include_url=False)[0]["msg"]) from None
        self.annotations.append(annotation)
        self.parts[annotation.id] = origin
        return annotation

    def add(self, track: CvatTrack, shapes: list[Element]) -> None:
        object_id = f"{self.stem}.{track.id}"
        origin = Origin(self.file, track.line, f'<track id="{track.id}">')
        shown = [
            s
            for s in shapes
            if s.attrs.get("keyframe", "1") == "1" and not flag(s, "outside", self.file)
        ]
        if not shown or (track.shape not in _PER_FRAME and track.geometry is None):
            # no Rosetta geometry, or never in view inside the task: kept as it is
            self.kept.append(Element("track", dict(track.attrs), 0, children=shapes).to_json())
            return
        label = self.label(track, origin)
        extras = {
            k: v
            for k, v in track.attrs.items()
            if k not in ("id", "label") and _TRACK_DEFAULTS.get(k) != v
        }
        if extras:
            self.note("tracks", object_id, extras)
        if track.geometry is not None:
            self._track(object_id, origin, label, track.geometry, shapes)
        else:
            self._per_frame(object_id, origin, label, shapes)

    def _track(
        self, object_id: str, origin: Origin, label: str, geometry: Track, shapes: list[Element]
    ) -> None:
        last = max((_frame(s) for s in shapes), default=-1)
        keyframes = [key for key in geometry.keyframes if key.frame <= last]
        values = {
            _frame(s): shape_attributes(s, label, self.meta, self.file)
            for s in shapes
            if not flag(s, "outside", self.file)
        }
        first = next(iter(values.values()), {})
        if any(v != first for v in values.values()):
            self.note("frame_attributes", object_id, {str(f): v for f, v in values.items()})
        self.annotation(
            origin,
            id=object_id,
            label=label,
            geometry=geometry.model_copy(update={"keyframes": keyframes}),
            attributes=first,
        )

    def _per_frame(self, object_id: str, origin: Origin, label: str, shapes: list[Element]) -> None:
        size = (self.stream.media.width or 0, self.stream.media.height or 0)
        members = []
        outside = []
        for shape in shapes:
            frame = _frame(shape)
            if shape.attrs.get("keyframe", "1") != "1":
                continue  # CVAT computes it from the key frames
            if flag(shape, "outside", self.file):
                outside.append(frame)
                continue
            at = Origin(self.file, shape.line, f"{origin.element} <{shape.tag} frame={frame}>")
            member = self.annotation(
                at,
                id=f"{object_id}.{frame}",
                label=label,
                geometry=shape_geometry(shape, self.file, size, frame),
                attributes=shape_attributes(shape, label, self.meta, self.file),
            )
            members.append(member.id)
        if outside:
            self.note("outside", object_id, outside)
        self.entities.append(Entity(id=object_id, label=label, members=members))
        self.parts[object_id] = origin

    def foreign(self) -> ForeignSample:
        cvat: JsonDict = {
            "task": {
                "start_frame": self.meta.start_frame or 0,
                "stop_frame": self.meta.stop_frame,
                "step": self.meta.step,
            },
            **self.cvat,
        }
        if self.kept:
            cvat["kept_as_is"] = self.kept
        origin = Origin(self.file, self.meta.line, "<annotations>")
        try:
            sample = Sample(
                id=self.stem,
                external_id=self.meta.source or Path(self.file).name,
                metadata={"cvat": cvat},
                streams=[self.stream],
                annotations=self.annotations,
                entities=self.entities,
            )
        except ValidationError as exc:
            raise origin.error("", exc.errors(include_url=False)[0]["msg"]) from None
        return ForeignSample(sample, origin, self.parts)


def read_file(path: Path, options: ReadOptions) -> ForeignSample:
    """The sample of one CVAT for video file (see the module)."""
    file = str(path)
    meta = CvatMeta()
    tracks: list[CvatTrack] = []
    for item in read_video(path):
        if isinstance(item, CvatMeta):
            meta = item
        else:
            tracks.append(item)
    media = _media(meta, file)
    assert meta.stop_frame is not None
    grid = Grid(meta.start_frame or 0, meta.stop_frame, meta.step)
    stream = Stream(
        id=f"{path.stem}.video",
        name="video",
        modality=Modality.VIDEO,
        uri=meta.source,
        media=media,
    )
    sample = _Sample(file, path.stem, stream, meta, options)
    seen: dict[str, int] = {}
    for track in tracks:
        if track.id in seen:
            raise ImportFailed(
                file,
                track.line,
                "<track> id",
                f"{track.id!r} given twice (first on line {seen[track.id]})",
            )
        seen[track.id] = track.line
        sample.add(track, _on_grid(track, grid, file))
    return sample.foreign()


def read_videos(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """Stream the samples of a CVAT for video file, or of each ``*.xml`` in a folder."""
    for path in xml_files(source):
        yield read_file(path, options)


# --- writing ---------------------------------------------------------------------------------

_FRAME_SHAPES = (Box, Polygon, Keypoints, Mask)


def _frame_of(annotation: Annotation) -> int | None:
    geometry = annotation.geometry
    return geometry.frame if isinstance(geometry, _FRAME_SHAPES) else None


def _grid(stream: Stream, frames: list[int], task: object) -> Grid:
    """The task's grid when every frame lies on it, else 0 to the last frame, step 1."""
    if isinstance(task, dict):
        try:
            grid = Grid(int(task["start_frame"]), int(task["stop_frame"]), int(task["step"]))
        except (KeyError, TypeError, ValueError):
            grid = None
        if grid is not None and grid.step >= 1 and all(grid.holds(f) for f in frames):
            return grid
    count = stream.media.frame_count
    last = max([*frames, (count - 1) if count else 0])
    return Grid(0, last, 1)


def _key_shape(track: Track, key: TrackFrame) -> Geometry:
    if track.kind == "polygon":
        assert key.points is not None
        return Polygon(points=key.points)
    assert key.x is not None and key.y is not None and key.w is not None and key.h is not None
    return Box(x=key.x, y=key.y, w=key.w, h=key.h)


@dataclass
class _TrackWriter:
    """Writes one video's tracks, noting what its meta needs."""

    sample: Sample
    grid: Grid
    cvat: JsonDict
    reserved: set[int]
    next_id: int = 0
    parts: list[str] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    skeletons: dict[str, list[str]] = field(default_factory=dict)
    mutable: set[str] = field(default_factory=set)
    written: int = 0

    def track_id(self, object_id: str) -> int:
        prefix, _, suffix = object_id.rpartition(".")
        if prefix == self.sample.id and suffix.isdigit() and int(suffix) not in self.reserved:
            self.reserved.add(int(suffix))
            return int(suffix)
        while self.next_id in self.reserved:
            self.next_id += 1
        self.reserved.add(self.next_id)
        return self.next_id

    def _note(self, label: str, attributes: JsonDict, geometry: Geometry) -> None:
        kinds = self.labels.setdefault(label, {})
        for name, value in attributes.items():
            kinds.setdefault(name, input_type(value))
        if isinstance(geometry, Keypoints):
            names = keypoint_names(geometry)
            if names is not None:
                known = self.skeletons.setdefault(label, [])
                known.extend(n for n in names if n not in known)

    def _open(self, object_id: str, label: str, source: Source) -> None:
        attrs = {
            "id": str(self.track_id(object_id)),
            "label": label,
            "source": "auto" if source.kind == "model" else "manual",
            **{k: str(v) for k, v in entry(entry(self.cvat, "tracks"), object_id).items()},
        }
        self.parts.append(f"  {start_tag('track', attrs)}\n")

    def _frame(
        self,
        geometry: Geometry,
        label: str,
        flags: dict[str, str],
        attributes: JsonDict,
    ) -> None:
        element = shape_element(geometry, {**flags, "z_order": "0"})
        assert element is not None
        if flags["outside"] == "1":
            for child in element.children:
                child.attrs["outside"] = "1"
        self._note(label, attributes, geometry)
        head = f"    {start_tag(element.tag, element.attrs)}\n"
        inner = "".join(element_xml(child, "      ") for child in element.children)
        values = "".join(f"      {attribute_xml(n, v)}\n" for n, v in attributes.items())
        self.parts.append(f"{head}{inner}{values}    </{element.tag}>\n")

    def track(self, annotation: Annotation, track: Track) -> None:
        """A box or polygon track, key frame by key frame."""
        self._open(annotation.id, annotation.label, annotation.source)
        per_frame = entry(entry(self.cvat, "frame_attributes"), annotation.id)
        for key in track.keyframes:
            attributes = entry(per_frame, str(key.frame)) or annotation.attributes
            if attributes != annotation.attributes:
                self.mutable.update(attributes)
            flags = {
                "frame": str(key.frame),
                "outside": "1" if key.outside else "0",
                "occluded": "1" if key.occluded else "0",
                "keyframe": "0" if key.interpolated else "1",
            }
            self._frame(_key_shape(track, key), annotation.label, flags, attributes)
        self.parts.append("  </track>\n")
        self.written += 1

    def shapes(self, object_id: str, members: list[Annotation]) -> None:
        """Frame-bound shapes of one object as a track; after the last, the object goes
        outside where the metadata says (else one step later, inside the task)."""
        members = sorted(members, key=lambda a: _frame_of(a) or 0)
        frames = [_frame_of(m) or 0 for m in members]
        outside = entry(self.cvat, "outside").get(object_id)
        if not isinstance(outside, list):
            after = frames[-1] + self.grid.step
            outside = [after] if after <= self.grid.stop else []
        ends = sorted(
            f for f in outside if isinstance(f, int) and f > frames[0] and f not in frames
        )
        self._open(object_id, members[0].label, members[0].source)
        events = sorted(
            [(f, m) for f, m in zip(frames, members, strict=True)] + [(f, None) for f in ends],
            key=lambda e: e[0],
        )
        previous = members[0]
        for frame, member in events:
            shown = member or previous
            flags = {
                "frame": str(frame),
                "outside": "0" if member else "1",
                "occluded": "0",
                "keyframe": "1",
            }
            geometry = shown.geometry.model_copy(update={"frame": frame})
            if member is not None and member.attributes != previous.attributes:
                self.mutable.update(member.attributes)
            self._frame(geometry, shown.label, flags, shown.attributes)
            previous = shown
        self.parts.append("  </track>\n")
        self.written += len(members)


def _entity_tracks(
    sample: Sample, shapes: dict[str, Annotation]
) -> tuple[list[tuple[Entity, list[Annotation]]], list[Entity]]:
    """The entities written as tracks (members: frame-bound shapes of one kind and label on
    distinct frames of this video) and the others."""
    tracks, others = [], []
    taken: set[str] = set()
    for entity in sample.entities:
        members = [shapes.get(m) for m in entity.members]
        found = [m for m in members if m is not None]
        kinds = {m.geometry.type for m in found}
        labels = {m.label for m in found}
        frames = [_frame_of(m) for m in found]
        if (
            found
            and len(found) == len(members)
            and len(kinds) == 1
            and len(labels) == 1
            and entity.label in (None, *labels)
            and len(set(frames)) == len(frames)
            and not taken.intersection(entity.members)
        ):
            tracks.append((entity, found))
            taken.update(entity.members)
        else:
            others.append(entity)
    return tracks, others


def _meta(sample: Sample, stream: Stream, grid: Grid, labels: str) -> str:
    size = (grid.stop - grid.start) // grid.step + 1
    task = (
        text_element("name", sample.id, "      ")
        + text_element("size", size, "      ")
        + text_element("mode", "interpolation", "      ")
        + text_element("overlap", 0, "      ")
        + text_element("start_frame", grid.start, "      ")
        + text_element("stop_frame", grid.stop, "      ")
        + text_element("frame_filter", f"step={grid.step}" if grid.step > 1 else "", "      ")
        + labels
        + "      <original_size>\n"
        + text_element("width", stream.media.width or 0, "        ")
        + text_element("height", stream.media.height or 0, "        ")
        + "      </original_size>\n"
    )
    source = text_element("source", stream.uri or sample.external_id or "", "    ")
    return f"  <meta>\n    <task>\n{task}    </task>\n{source}  </meta>\n"


def write_video(
    path: Path, sample: Sample, stream: Stream, ontology: Ontology, cvat: JsonDict
) -> tuple[int, list[Annotation], list[Entity]]:
    """Write the tracks of `stream` to `path`: how many annotations, and the annotations
    and entities of the sample on this stream that it could not hold."""
    on_stream = [a for a in sample.annotations if a.stream == stream.id]
    tracks = [a for a in on_stream if isinstance(a.geometry, Track) and a.geometry.kind != "cuboid"]
    shapes = {a.id: a for a in on_stream if _frame_of(a) is not None}
    track_ids = {a.id for a in tracks}
    left = [a for a in on_stream if a.id not in shapes and a.id not in track_ids]
    entity_tracks, other_entities = _entity_tracks(sample, shapes)
    frames = [_frame_of(a) or 0 for a in shapes.values()]
    frames += [
        k.frame for a in tracks if isinstance(a.geometry, Track) for k in a.geometry.keyframes
    ]
    grid = _grid(stream, frames, cvat.get("task"))
    kept = [Element.from_json(k) for k in entries(cvat, "kept_as_is")]
    reserved = {int(k.attrs["id"]) for k in kept if k.attrs.get("id", "").isdigit()}
    writer = _TrackWriter(sample, grid, cvat, reserved)
    in_tracks = {m for _, members in entity_tracks for m in (a.id for a in members)}
    for annotation in tracks:
        assert isinstance(annotation.geometry, Track)
        writer.track(annotation, annotation.geometry)
    for entity, members in entity_tracks:
        writer.shapes(entity.id, members)
    for annotation in shapes.values():
        if annotation.id not in in_tracks:
            writer.shapes(annotation.id, [annotation])
    writer.parts.extend(element_xml(k, "  ") for k in kept)
    labels = labels_xml(
        ontology, used=writer.labels, skeletons=writer.skeletons, mutable=writer.mutable
    )
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n')
        handle.write("  <version>1.1</version>\n")
        handle.write(_meta(sample, stream, grid, labels))
        handle.writelines(writer.parts)
        handle.write("</annotations>\n")
    return writer.written, left, other_entities


def write_videos(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write each sample's videos as CVAT for video files (and ``sidecar.jsonl``) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    sidecar = Sidecar(out / "sidecar.jsonl")
    files: list[str] = []
    written = annotations = without_video = 0
    try:
        for sample in samples:
            videos = [s for s in sample.streams if s.modality is Modality.VIDEO]
            if not videos:
                without_video += 1
                continue
            ids = {s.id for s in videos}
            left = [a for a in sample.annotations if a.stream not in ids]
            entities: dict[str, Entity] | None = None  # those no video wrote
            for index, stream in enumerate(videos):
                name = f"{sample.id}.xml" if len(videos) == 1 else f"{stream.id}.xml"
                cvat = cvat_metadata(sample) if index == 0 else {}
                count, rest, others = write_video(out / name, sample, stream, ontology, cvat)
                files.append(name)
                annotations += count
                left += rest
                unwritten = {e.id: e for e in others}
                entities = (
                    unwritten
                    if entities is None
                    else {k: e for k, e in entities.items() if k in unwritten}
                )
            sidecar.add(sample, left, list((entities or {}).values()), sample.links)
            written += 1
    finally:
        files += sidecar.close()
    not_carried = sidecar.report()
    if without_video:
        not_carried["samples without a video"] = f"{without_video} not written"
    return WriteReport(files, written, annotations, not_carried)


SPECS = (
    FormatSpec(
        name=NAME,
        title="CVAT for video 1.1 XML",
        read=read_videos,
        write=write_videos,
        not_carried=(
            "links",
            "entities other than per-frame shapes of one object",
            "intervals, transcripts and classifications",
            "annotations on non-video streams",
        ),
    ),
)
