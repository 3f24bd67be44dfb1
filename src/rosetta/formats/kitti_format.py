"""KITTI object folders, read only: ``calib/``, ``label_2/`` and, when present,
``velodyne/`` and ``image_2/`` (the layout of the devkit's ``training/`` folder).

One sample per frame (a ``label_2/<frame>.txt``, in name order), id and ``external_id``
the frame's name (``000001``: KITTI names a frame's scan, image, labels and calibration
after it), with two streams:

- ``<frame>.velodyne``, a point cloud (``velodyne/<frame>.bin`` when it is there), its
  sensor the Velodyne, which is the sample's ego frame;
- ``<frame>.image_2``, the left colour camera (``image_2/<frame>.png``), its sensor from
  the calibration (`rosetta.formats.kitti.kitti_sensors`: extrinsic and ``P2``). Its size
  and MIME type are probed from the image (`rosetta.media.probe`; an image that cannot be
  read is an error naming the label file and the image); without the image the size is
  KITTI's usual 1242x375 and the sample's metadata says ``"kitti_image_size": "assumed"``.

A stream whose file is missing has no URI. URIs are relative to ``ReadOptions.media_root``
when the file is inside it, else absolute paths.

Each label row (line ``n``) becomes a `Cuboid` ``<frame>.<n>.cuboid`` on the point cloud
(`label_to_cuboid`: the bottom-face centre in rectified camera coordinates becomes the box
centre in the Velodyne frame) and a `Box` ``<frame>.<n>.box`` on the image (``left top
right bottom`` -> ``x y w h``), joined by the ``same-as`` link ``<frame>.<n>.same-as``
(cuboid -> box); both carry the label's ``truncated`` and ``occluded`` as attributes (what
KITTI's difficulty levels are made of). ``alpha`` is not kept: it is the viewing angle the
cuboid and the camera give. A ``DontCare`` row is a box alone, labelled ``DontCare``,
without attributes (a mapping can drop it). A row with a ``score`` column (a results file)
is a model candidate (``Source(kind="model", name="kitti", confidence=score)``), which
needs the score in [0, 1]; others are ``Source(kind="import", name="kitti")``.

The reader streams: one frame's two small files are read at a time.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Final

from rosetta.core.errors import ImportFailed
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import ForeignSample, FormatSpec, Origin, ReadOptions
from rosetta.formats.kitti import (
    HEIGHT,
    WIDTH,
    KittiObject,
    kitti_sensors,
    label_to_box,
    label_to_cuboid,
    read_calib,
    read_labels,
)
from rosetta.formats.text_lines import utf8_lines
from rosetta.formats.timed import record_id

#: The image file names a frame's camera image may have, in the order they are looked for.
_IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg")
#: Bytes per Velodyne point: x, y, z and reflectance as little-endian float32.
_POINT_BYTES: Final = 16
_SAME_AS: Final = "same-as"


def _image(
    folder: Path, frame: str, labels: Path, options: ReadOptions
) -> tuple[str | None, MediaInfo]:
    """The frame's camera image: its URI and probed media info (none and the usual size
    without); an image that cannot be probed is an error at the label file `labels`."""
    for suffix in _IMAGE_SUFFIXES:
        path = folder / "image_2" / f"{frame}{suffix}"
        if path.is_file():
            origin = Origin(str(labels), 0)
            media = probe_found(path, Modality.IMAGE, origin, "image_2", options)
            return options.uri_of(path), media
    return None, MediaInfo(width=WIDTH, height=HEIGHT)


def _scan(folder: Path, frame: str, options: ReadOptions) -> tuple[str | None, MediaInfo]:
    """The frame's Velodyne scan: its URI and media info (none without the file)."""
    path = folder / "velodyne" / f"{frame}.bin"
    if not path.is_file():
        return None, MediaInfo()
    size = path.stat().st_size
    if size % _POINT_BYTES:
        raise ImportFailed(
            str(path),
            0,
            "velodyne",
            f"expected float32 x y z reflectance points ({_POINT_BYTES} bytes each), "
            f"got {size} bytes",
        )
    return options.uri_of(path), MediaInfo(mime="application/octet-stream")


def _source(obj: KittiObject, origin: Origin) -> Source:
    if obj.score is None:
        return Source(kind="import", name="kitti")
    if not 0.0 <= obj.score <= 1.0:
        raise origin.error("score", f"expected a confidence in [0, 1], got {obj.score}")
    return Source(kind="model", name="kitti", confidence=obj.score)


def read_frame(folder: Path, labels: Path, options: ReadOptions) -> ForeignSample:
    """The sample of one frame: its label file `labels` and the frame's files in `folder`."""
    frame = labels.stem
    calib_path = folder / "calib" / f"{frame}.txt"
    if not calib_path.is_file():
        raise ImportFailed(
            str(labels), 0, "calib", f"expected the frame's calibration {calib_path}: not found"
        )
    calib = read_calib(calib_path)
    image_uri, image_media = _image(folder, frame, labels, options)
    scan_uri, scan_media = _scan(folder, frame, options)
    assert image_media.width is not None and image_media.height is not None
    lidar, camera = kitti_sensors(calib, 2, image_media.width, image_media.height)
    where = Origin(str(labels), 0)
    scan_id, image_id = record_id(where, frame, "velodyne"), record_id(where, frame, "image_2")
    streams = [
        Stream(
            id=scan_id,
            name="velodyne",
            modality=Modality.POINTCLOUD,
            uri=scan_uri,
            media=scan_media,
            sensor=lidar,
        ),
        Stream(
            id=image_id,
            name="image_2",
            modality=Modality.IMAGE,
            uri=image_uri,
            media=image_media,
            sensor=camera,
        ),
    ]
    annotations: list[Annotation] = []
    links: list[Link] = []
    parts: dict[str, Origin] = {}
    with utf8_lines(labels) as lines:
        numbers = [n for n, text in enumerate(lines, start=1) if text.strip()]
    for number, obj in zip(numbers, read_labels(labels), strict=True):
        origin = Origin(str(labels), number, obj.type)
        source = _source(obj, origin)
        box_id = record_id(origin, frame, str(number), "box")
        if obj.is_dontcare:
            annotations.append(
                Annotation(
                    id=box_id,
                    stream=image_id,
                    label=obj.type,
                    geometry=label_to_box(obj),
                    source=source,
                )
            )
            parts[box_id] = origin
            continue
        attributes = {"truncated": obj.truncated, "occluded": obj.occluded}
        cuboid_id = record_id(origin, frame, str(number), "cuboid")
        link_id = record_id(origin, frame, str(number), _SAME_AS)
        annotations.append(
            Annotation(
                id=cuboid_id,
                stream=scan_id,
                label=obj.type,
                geometry=label_to_cuboid(obj, calib),
                attributes=attributes,
                source=source,
            )
        )
        annotations.append(
            Annotation(
                id=box_id,
                stream=image_id,
                label=obj.type,
                geometry=label_to_box(obj),
                attributes=dict(attributes),
                source=source,
            )
        )
        links.append(Link(id=link_id, type=_SAME_AS, source=cuboid_id, target=box_id))
        parts.update({cuboid_id: origin, box_id: origin, link_id: origin})
    sample = Sample(
        id=frame,
        external_id=frame,
        metadata={} if image_uri is not None else {"kitti_image_size": "assumed"},
        streams=streams,
        annotations=annotations,
        links=links,
    )
    return ForeignSample(sample, Origin(str(labels), 0), parts)


def read_kitti(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The frames of the KITTI object folder `source`, one sample each, in name order."""
    label_dir = source / "label_2"
    if not label_dir.is_dir() or not (source / "calib").is_dir():
        raise ImportFailed(
            str(source),
            0,
            "label_2",
            "expected a KITTI object folder holding label_2/ and calib/ "
            "(and optionally velodyne/ and image_2/)",
        )
    for labels in sorted(label_dir.glob("*.txt")):
        yield read_frame(source, labels, options)


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="kitti",
        title="KITTI object labels with calibration (label_2/, calib/), read only",
        read=read_kitti,
    ),
)
