"""projection-overlap on KITTI's frame 000001 (the shared calibration and labels).

The Velodyne stream holds the truck and the cyclist as cuboids; camera 2 holds boxes
where KITTI's own labels put them (`test_kitti.KITTI_BBOXES`), each linked ``same-as`` to
its cuboid. The projections of the cuboids overlap those boxes by IoU above 0.85.
"""

from collections.abc import Sequence
from importlib.metadata import entry_points

import pytest

from rosetta.core.checks import CheckContext, CheckSettings, Finding, Severity
from rosetta.core.checks.projection_overlap import ProjectionOverlap
from rosetta.core.clock import Clock
from rosetta.core.geometry import Box, Cuboid, Track, TrackFrame
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.projection import box_iou, project_cuboid
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Stream
from rosetta.formats.kitti import kitti_sensors, label_to_cuboid, read_calib, read_labels
from test_kitti import CALIB, KITTI_BBOXES, LABELS

CALIBRATION = read_calib(CALIB)
LIDAR, CAMERA = kitti_sensors(CALIBRATION)
TRUCK, CYCLIST = (label_to_cuboid(obj, CALIBRATION) for obj in read_labels(LABELS)[:2])
CHECK = ProjectionOverlap()


def _kitti_box(left: float, top: float, right: float, bottom: float, **frame: int) -> Box:
    return Box(x=left, y=top, w=right - left, h=bottom - top, **frame)


def _streams(camera: Modality = Modality.IMAGE, *, clocks: bool = False) -> list[Stream]:
    """The Velodyne and camera 2 (its image size left to the media), and a photo without
    calibration."""
    media = MediaInfo(width=1242, height=375)
    if camera is Modality.VIDEO:
        media = media.model_copy(update={"duration": 1.0, "frame_rate": "10", "frame_count": 10})
    return [
        Stream(
            id="velodyne",
            name="velodyne",
            modality=Modality.POINTCLOUD,
            sensor=LIDAR,
            clock=Clock(rate="10") if clocks else None,
        ),
        Stream(
            id="image_2",
            name="image_2",
            modality=camera,
            media=media,
            sensor=CAMERA.model_copy(update={"width": None, "height": None}),
            clock=Clock(rate="10", offset="0.05") if clocks else None,
        ),
        Stream(id="photo", name="photo", modality=Modality.IMAGE, media=media),
    ]


def _annotation(ident: str, stream: str, geometry: Box | Cuboid | Track) -> Annotation:
    return Annotation(id=ident, stream=stream, label="vehicle", geometry=geometry)


def _same(source: str, target: str, link_type: str = "same-as") -> Link:
    return Link(id=f"{source}={target}", type=link_type, source=source, target=target)


def _sample(
    annotations: Sequence[Annotation],
    links: Sequence[Link],
    entities: Sequence[Entity] = (),
    *,
    camera: Modality = Modality.IMAGE,
    clocks: bool = False,
) -> Sample:
    return Sample(
        id="kitti-000001",
        streams=_streams(camera, clocks=clocks),
        annotations=list(annotations),
        links=list(links),
        entities=list(entities),
    )


def _run(sample: Sample, ontology: Ontology, **settings: float) -> list[Finding]:
    return list(CHECK.run(CheckContext(sample, ontology, CheckSettings(**settings))))


KITTI_SCENE = [
    _annotation("truck", "velodyne", TRUCK),
    _annotation("cyclist", "velodyne", CYCLIST),
    _annotation("truck-box", "image_2", _kitti_box(*KITTI_BBOXES["Truck"])),
    _annotation("cyclist-box", "image_2", _kitti_box(*KITTI_BBOXES["Car"])),
]


def test_the_builtin_is_registered_under_its_name() -> None:
    (entry,) = entry_points(group="rosetta.checks", name="projection-overlap")
    assert entry.load() is ProjectionOverlap


def test_cuboids_linked_to_their_kitti_boxes(demo_ontology: Ontology) -> None:
    # either direction of the link; an entity end stands for its members
    links = [_same("truck", "truck-box"), _same("cyclist-box", "the-cyclist")]
    entity = Entity(id="the-cyclist", members=["cyclist"])
    assert _run(_sample(KITTI_SCENE, links, [entity]), demo_ontology) == []


def test_a_box_beside_its_cuboid_is_a_warning(demo_ontology: Ontology) -> None:
    """The truck's box moved right by 60 % of its width overlaps the projection by about
    0.25; the cyclist's box linked to the truck barely at all. A link that does not say
    the two are one thing (``synchronized-with``) is not checked."""
    left, top, right, bottom = KITTI_BBOXES["Truck"]
    shift = 0.6 * (right - left)
    moved = _annotation(
        "moved-box", "image_2", _kitti_box(left + shift, top, right + shift, bottom)
    )
    links = [
        _same("truck", "moved-box"),
        _same("truck", "cyclist-box"),
        _same("cyclist", "truck-box", "synchronized-with"),
    ]
    found = _run(_sample([*KITTI_SCENE, moved], links), demo_ontology)

    projected = project_cuboid(TRUCK, LIDAR, CAMERA)
    assert projected is not None
    seen = [projected.box.x, projected.box.y, projected.box.w, projected.box.h]
    ious = [
        float(box_iou(seen, [b.x, b.y, b.w, b.h])[0, 0])
        for b in (moved.geometry, KITTI_SCENE[3].geometry)
        if isinstance(b, Box)
    ]
    assert ious[0] == pytest.approx(0.25, abs=0.02) and ious[1] == 0.0
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            (link.id, "truck", box),
            {"iou": iou, "projected_box": seen, "camera": "image_2", "frame": 0, "sweep": 0},
        )
        for link, box, iou in zip(links[:2], ("moved-box", "cyclist-box"), ious, strict=True)
    ]
    assert found[0].message == (
        f"truck projected into image_2 overlaps the box moved-box it is linked to by IoU "
        f"{ious[0]:.2f}, below 0.30"
    )
    # a lower threshold accepts the moved box
    lenient = _run(_sample([*KITTI_SCENE, moved], links), demo_ontology, projection_iou=0.2)
    assert [f.subjects[2] for f in lenient] == ["cyclist-box"]


def test_a_cuboid_the_camera_cannot_see_is_an_error(demo_ontology: Ontology) -> None:
    """A car 20 m behind the Velodyne is behind camera 2; a box without a calibrated camera
    ("photo") is not checked."""
    behind = _annotation("behind", "velodyne", Cuboid(center=(-20, 0, 0), size=(4, 2, 1.5)))
    photo_box = _annotation("photo-box", "photo", Box(x=0, y=0, w=10, h=10))
    links = [_same("behind", "truck-box"), _same("truck", "photo-box")]
    found = _run(_sample([*KITTI_SCENE, behind, photo_box], links), demo_ontology)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.ERROR,
            ("behind=truck-box", "behind", "truck-box"),
            {"camera": "image_2", "frame": 0, "sweep": 0},
        )
    ]
    assert found[0].message == (
        "same-as behind=truck-box joins behind and the box truck-box in image_2, but the "
        "camera does not see the cuboid: it lies outside the camera's view (sweep 0)"
    )


def test_a_cuboid_track_is_taken_at_the_box_frame(demo_ontology: Ontology) -> None:
    """The cyclist tracked over sweeps 0 to 8 at 10 Hz, outside from sweep 9; camera 2
    films at 10 fps from 0.05 s. Frame 3 (0.35 s) takes sweep 3, where the box drawn at
    the projection fits; frame 9 (0.95 s) takes sweep 9, where the track is outside."""

    def key(sweep: int, *, outside: bool = False) -> TrackFrame:
        return TrackFrame(
            frame=sweep,
            center=CYCLIST.center,
            size=CYCLIST.size,
            rotation=CYCLIST.rotation,
            outside=outside,
        )

    track = Track(shape="cuboid", keyframes=[key(0), key(8), key(9, outside=True)])
    fits = project_cuboid(CYCLIST, LIDAR, CAMERA, t_source="0.3", t_camera="0.35")
    assert fits is not None
    annotations = [
        _annotation("cyclist-track", "velodyne", track),
        _annotation("box-3", "image_2", fits.box.model_copy(update={"frame": 3})),
        _annotation("box-9", "image_2", fits.box.model_copy(update={"frame": 9})),
    ]
    links = [_same("cyclist-track", "box-3"), _same("cyclist-track", "box-9")]
    found = _run(_sample(annotations, links, camera=Modality.VIDEO, clocks=True), demo_ontology)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.ERROR,
            ("cyclist-track=box-9", "cyclist-track", "box-9"),
            {"camera": "image_2", "frame": 9, "sweep": 9},
        )
    ]
    assert "the track is outside (sweep 9)" in found[0].message
