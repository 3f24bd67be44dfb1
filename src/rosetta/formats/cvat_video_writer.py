"""Writing CVAT for video 1.1 XML: one file per video (`rosetta.formats.cvat_video_format`
says what maps to what).

One ``<sample id>.xml`` per sample with a video (``<stream id>.xml`` per video when a
sample has several) whose meta has every class of the ontology as a label and the task
grid: the sample's own when every frame written lies on it, else frames 0 to the last with
step 1. Box and polygon tracks are written key frame by key frame (interpolated frames with
``keyframe="0"``); an entity whose members are boxes, polygons, keypoints or masks on
distinct frames of the video is one track (after its last member the object goes
``outside`` one step later, unless the metadata says where); any other frame-bound shape is
a track of its own frame, ``outside`` on the next, as CVAT writes a shape in a video.
Everything else (links, other entities, intervals, transcripts, classifications,
annotations on other streams, samples without a video, what ``<meta>`` does not say of the
video stream: its frame rate, duration, ...) goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rosetta.core.geometry import Box, Geometry, Keypoints, Mask, Polygon, Track, TrackFrame
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, JsonDict, MediaInfo, Sample, Source, Stream
from rosetta.formats.cvat_shapes import (
    cvat_metadata,
    entries,
    entry,
    keypoint_names,
    shape_element,
)
from rosetta.formats.cvat_xml import (
    Grid,
    element_xml,
    input_type,
    labels_xml,
    shape_xml,
    start_tag,
    text_element,
    unlike_read_back,
)
from rosetta.formats.interchange import WriteReport
from rosetta.formats.not_carried import NotCarried, ReadBack
from rosetta.formats.safe_xml import Element

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
    """Writes one video's tracks, noting what its meta needs and, in `back`, the id each
    written record gets when the file (read back as the sample `stem`) is read."""

    sample: Sample
    grid: Grid
    cvat: JsonDict
    reserved: set[int]
    stem: str
    back: ReadBack
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

    def _open(self, object_id: str, label: str, source: Source) -> str:
        """Open a ``<track>``; the id of what it reads back as."""
        track_id = self.track_id(object_id)
        attrs = {
            "id": str(track_id),
            "label": label,
            "source": "auto" if source.kind == "model" else "manual",
            **{k: str(v) for k, v in entry(entry(self.cvat, "tracks"), object_id).items()},
        }
        self.parts.append(f"  {start_tag('track', attrs)}\n")
        return f"{self.stem}.{track_id}"

    def _written(self, annotation: Annotation, read_as: str) -> None:
        self.back.put(annotation.id, self.stem, read_as)
        unlike = unlike_read_back(annotation.attributes)
        if unlike:
            self.back.drop(annotation.id, "attributes", {"attributes": unlike})

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
        self.parts.append(shape_xml(element, attributes, "    "))

    def track(self, annotation: Annotation, track: Track) -> None:
        """A box or polygon track, key frame by key frame."""
        self._written(annotation, self._open(annotation.id, annotation.label, annotation.source))
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
        """Frame-bound shapes of one object (an entity, or one annotation) as a track; after
        the last, the object goes outside where the metadata says (else one step later,
        inside the task). Boxes and polygons read back as one `Track` annotation, other
        shapes as an entity of one annotation per frame."""
        members = sorted(members, key=lambda a: _frame_of(a) or 0)
        frames = [_frame_of(m) or 0 for m in members]
        outside = entry(self.cvat, "outside").get(object_id)
        if not isinstance(outside, list):
            after = frames[-1] + self.grid.step
            outside = [after] if after <= self.grid.stop else []
        ends = sorted(
            f for f in outside if isinstance(f, int) and f > frames[0] and f not in frames
        )
        read_as = self._open(object_id, members[0].label, members[0].source)
        one_track = isinstance(members[0].geometry, Box | Polygon)
        if object_id != members[0].id:  # an entity: its track, or its entity of frames
            self.back.put(object_id, self.stem, read_as)
        for part, at in zip(members, frames, strict=True):
            self._written(part, read_as if one_track else f"{read_as}.{at}")
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
) -> list[tuple[Entity, list[Annotation]]]:
    """The entities written as tracks: their members are frame-bound shapes of one kind and
    label on distinct frames of this video."""
    tracks = []
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
    return tracks


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
    source = text_element("source", _source(sample, stream), "    ")
    return f"  <meta>\n    <task>\n{task}    </task>\n{source}  </meta>\n"


def _source(sample: Sample, stream: Stream) -> str:
    """The ``<meta><source>`` of the video: its URI, else the sample's external id."""
    return stream.uri or sample.external_id or ""


def _read_back(stream: Stream, stem: str, grid: Grid, source: str) -> Stream:
    """The stream the file `stem` reads back as: ``<stem>.video`` at `source`, of the size
    `original_size` and the frame count ``stop_frame + 1`` say."""
    media = MediaInfo(
        width=stream.media.width, height=stream.media.height, frame_count=grid.stop + 1
    )
    return Stream(
        id=f"{stem}.video",
        name="video",
        modality=Modality.VIDEO,
        uri=source.strip() or None,
        media=media,
    )


def write_video(
    path: Path,
    sample: Sample,
    stream: Stream,
    ontology: Ontology,
    cvat: JsonDict,
    *,
    back: ReadBack,
) -> int:
    """Write the tracks of `stream` to `path`, noting in `back` the ids of what it holds
    when read back; how many annotations it holds."""
    stem = path.stem
    back.put(stream.id, stem, f"{stem}.video")
    on_stream = [a for a in sample.annotations if a.stream == stream.id]
    tracks = [a for a in on_stream if isinstance(a.geometry, Track) and a.geometry.kind != "cuboid"]
    shapes = {a.id: a for a in on_stream if _frame_of(a) is not None}
    entity_tracks = _entity_tracks(sample, shapes)
    frames = [_frame_of(a) or 0 for a in shapes.values()]
    frames += [
        k.frame for a in tracks if isinstance(a.geometry, Track) for k in a.geometry.keyframes
    ]
    grid = _grid(stream, frames, cvat.get("task"))
    back.drop_stream_fields(stream, _read_back(stream, stem, grid, _source(sample, stream)))
    kept = [Element.from_json(k) for k in entries(cvat, "kept_as_is")]
    reserved = {int(k.attrs["id"]) for k in kept if k.attrs.get("id", "").isdigit()}
    writer = _TrackWriter(sample, grid, cvat, reserved, stem, back)
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
    return writer.written


def write_videos(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write each sample's videos as CVAT for video files in `out`; what they cannot hold
    to ``not_carried.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    written = annotations = 0
    with NotCarried(out) as sidecar:
        for sample in samples:
            back = ReadBack()
            videos = [s for s in sample.streams if s.modality is Modality.VIDEO]
            for index, stream in enumerate(videos):
                name = f"{sample.id}.xml" if len(videos) == 1 else f"{stream.id}.xml"
                cvat = cvat_metadata(sample) if index == 0 else {}
                annotations += write_video(out / name, sample, stream, ontology, cvat, back=back)
                files.append(name)
            if videos:
                written += 1
                back.drop_sample_fields(sample, carried=("cvat",))
            sidecar.add(sample, back)
    return WriteReport(files + sidecar.files(), written, annotations, sidecar.report())
