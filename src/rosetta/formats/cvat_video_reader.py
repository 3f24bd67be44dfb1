"""Reading CVAT for video 1.1 XML: one sample per file (`rosetta.formats.cvat_video_format`
says what maps to what).

A source is one file or a folder of ``*.xml`` files (in name order); each file is one
sample ``<file stem>`` (``external_id``: the ``<source>`` video name, else the file name)
with one video stream ``<stem>.video`` whose URI is the ``<source>`` (relative to the media
root). Its width and height are ``original_size``; its frame count is ``stop_frame + 1``
(the video may be longer: a task ends where the file says; the frame rate is unknown until
the media is probed). A file without them is an error. A sample holds all its annotations,
so a file's tracks (`rosetta.formats.cvat_video`) are read before its sample is yielded.
Every frame must lie on the task's grid (`rosetta.formats.cvat_xml.Grid`), except an
``outside`` frame past ``stop_frame``, which is left out.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Track
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, JsonDict, MediaInfo, Sample, Source, Stream
from rosetta.formats.cvat_shapes import flag, shape_attributes, shape_geometry
from rosetta.formats.cvat_video import CvatTrack, read_video
from rosetta.formats.cvat_xml import CvatMeta, Grid, xml_files
from rosetta.formats.interchange import ForeignSample, Origin, ReadOptions
from rosetta.formats.not_carried import read_back_beside
from rosetta.formats.safe_xml import Element

NAME: Final = "cvat-video"
SOURCE: Final = Source(kind="import", name=NAME)
#: Track kinds read as an entity of one annotation per key frame.
_PER_FRAME: Final = frozenset({"points", "skeleton", "mask"})
#: ``<track>`` XML attributes at their defaults (not kept).
_TRACK_DEFAULTS: Final = {"source": "manual", "group_id": "0"}


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
    """Stream the samples of a CVAT for video file, or of each ``*.xml`` in a folder, with
    what the `rosetta.formats.not_carried` file beside them keeps (reading the folder: and
    the samples it keeps whole)."""
    samples = (read_file(path, options) for path in xml_files(source))
    yield from read_back_beside(samples, source)
