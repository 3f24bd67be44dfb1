"""Projecting stored cuboids into stored camera streams, and proposing 3D box ↔ 2D box links.

The scene is KITTI's frame 000001 (the shared calibration and labels): a Velodyne stream
with the truck and the cyclist as cuboids, camera 2 with boxes drawn where KITTI's own
labels put them.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import insert_sample
from conftest import TESTER
from rosetta.core.calibration import Pose
from rosetta.core.clock import Clock
from rosetta.core.errors import NotFoundError, RosettaError, RuleViolation
from rosetta.core.geometry import Box, Cuboid, Track, TrackFrame
from rosetta.core.modality import Modality
from rosetta.core.projection import project_cuboid
from rosetta.core.schema import Annotation, MediaInfo, Project, Sample, Stream
from rosetta.formats.kitti import kitti_sensors, label_to_cuboid, read_calib, read_labels
from rosetta.services.projection import project_annotation, propose_box_links
from rosetta.store.events import history
from rosetta.store.records import load_sample
from rosetta.store.tables import links
from test_kitti import CALIB, KITTI_BBOXES, LABELS

CALIBRATION = read_calib(CALIB)
LIDAR, CAMERA = kitti_sensors(CALIBRATION)
TRUCK, CYCLIST = (label_to_cuboid(obj, CALIBRATION) for obj in read_labels(LABELS)[:2])


def _annotation(ident: str, stream: str, label: str, geometry: Box | Cuboid | Track) -> Annotation:
    return Annotation(id=ident, stream=stream, label=label, geometry=geometry, ontology_version=1)


def _kitti_box(left: float, top: float, right: float, bottom: float) -> Box:
    return Box(x=left, y=top, w=right - left, h=bottom - top)


def _streams(
    prefix: str, *, camera: Modality = Modality.IMAGE, clocks: bool = False
) -> list[Stream]:
    """The Velodyne and camera 2; the camera sensor leaves its image size to the media."""
    media = MediaInfo(width=1242, height=375)
    if camera is Modality.VIDEO:
        media = media.model_copy(update={"duration": 1.0, "frame_rate": "10", "frame_count": 10})
    return [
        Stream(
            id=f"{prefix}-velodyne",
            name="velodyne",
            modality=Modality.POINTCLOUD,
            uri="velodyne/000001.bin",
            sensor=LIDAR,
            clock=Clock(rate="10") if clocks else None,
        ),
        Stream(
            id=f"{prefix}-image_2",
            name="image_2",
            modality=camera,
            uri="image_2/000001.png",
            media=media,
            sensor=CAMERA.model_copy(update={"width": None, "height": None}),
            clock=Clock(rate="10", offset="0.05") if clocks else None,
        ),
        Stream(
            id=f"{prefix}-photo", name="photo", modality=Modality.IMAGE, uri="p.png", media=media
        ),
    ]


@pytest.fixture
def kitti(engine: Engine, project: Project) -> Project:
    """Sample "k1": the truck and cyclist cuboids; the cyclist's box, a DontCare region's box
    and the truck's box on camera 2, in that order."""
    annotations = [
        _annotation("truck", "k1-velodyne", "vehicle", TRUCK),
        _annotation("cyclist", "k1-velodyne", "car", CYCLIST),
        _annotation("cyclist-box", "k1-image_2", "car", _kitti_box(*KITTI_BBOXES["Car"])),
        _annotation("region-box", "k1-image_2", "thing", _kitti_box(500, 170, 590, 190)),
        _annotation("truck-box", "k1-image_2", "vehicle", _kitti_box(*KITTI_BBOXES["Truck"])),
    ]
    insert_sample(
        engine, project.id, Sample(id="k1", streams=_streams("k1"), annotations=annotations)
    )
    return project


def _links(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(links)).scalar_one())


def test_project_annotation_matches_the_core_projection(engine: Engine, kitti: Project) -> None:
    with engine.connect() as connection:
        projection = project_annotation(connection, "truck", "k1-image_2")
    # the sensor had no image size: the stream's media gave it
    assert projection == project_cuboid(TRUCK, LIDAR, CAMERA)
    assert projection is not None
    box = projection.box
    left, top, right, bottom = KITTI_BBOXES["Truck"]
    assert abs(box.x - left) < 1 and abs(box.x + box.w - right) < 1
    assert abs(box.y - top) < 1 and abs(box.y + box.h - bottom) < 1


def test_project_annotation_refuses_what_it_cannot_project(engine: Engine, kitti: Project) -> None:
    empty = Sample(id="k2", streams=_streams("k2"))
    insert_sample(engine, kitti.id, empty)
    with engine.connect() as connection:
        with pytest.raises(RosettaError, match="'truck-box' is a box, not a cuboid or a cuboid"):
            project_annotation(connection, "truck-box", "k1-image_2")
        with pytest.raises(RosettaError, match="'k1-photo' has no camera calibration"):
            project_annotation(connection, "truck", "k1-photo")
        with pytest.raises(NotFoundError, match="k2-image_2"):
            project_annotation(connection, "truck", "k2-image_2")  # another sample's camera
        with pytest.raises(NotFoundError, match="annotation"):
            project_annotation(connection, "nothing", "k1-image_2")


def test_ego_motion_between_the_sweep_and_the_video_frame(engine: Engine, project: Project) -> None:
    # The rig drives forward (the Velodyne's x) at 10 m/s; the LiDAR sweeps at 10 Hz from
    # t = 0, the camera films at 10 fps from t = 0.05: frame 2 is at t = 0.25.
    poses = [Pose(t=0, translation=(0.0, 0.0, 0.0)), Pose(t=1, translation=(10.0, 0.0, 0.0))]
    sample = Sample(
        id="m1",
        ego_poses=poses,
        streams=_streams("m1", camera=Modality.VIDEO, clocks=True),
        annotations=[_annotation("moving-cyclist", "m1-velodyne", "car", CYCLIST)],
    )
    insert_sample(engine, project.id, sample)

    with engine.connect() as connection:
        projection = project_annotation(connection, "moving-cyclist", "m1-image_2", frame=2)

    expected = project_cuboid(CYCLIST, LIDAR, CAMERA, poses=poses, t_source=0, t_camera="0.25")
    assert expected is not None and projection is not None
    assert projection.box == expected.box.model_copy(update={"frame": 2})
    assert projection.polygon.frame == 2
    # 2.5 m closer than the sweep saw it: centre depth 45.8 m -> 43.3 m
    still = project_cuboid(CYCLIST, LIDAR, CAMERA)
    assert still is not None
    assert still.depth - projection.depth == pytest.approx(2.5, abs=0.01)
    assert projection.box.h > still.box.h


def test_a_cuboid_track_is_projected_at_the_sweep_nearest_the_frame(
    engine: Engine, project: Project
) -> None:
    """The cyclist's cuboid drifts 1 m along the Velodyne's y between key sweeps 0 and 8;
    camera frame 3 (t = 0.35 s) is nearest sweep 3 (ties go to the earlier): 3/8 m."""
    x, y, z = CYCLIST.center

    def key(sweep: int, shift: float, *, outside: bool = False) -> TrackFrame:
        return TrackFrame(
            frame=sweep,
            center=(x, y + shift, z),
            size=CYCLIST.size,
            rotation=CYCLIST.rotation,
            outside=outside,
        )

    track = Track(shape="cuboid", keyframes=[key(0, 0.0), key(8, 1.0), key(9, 1.0, outside=True)])
    sample = Sample(
        id="t1",
        streams=_streams("t1", camera=Modality.VIDEO, clocks=True),
        annotations=[_annotation("cyclist-track", "t1-velodyne", "car", track)],
    )
    insert_sample(engine, project.id, sample)

    with engine.connect() as connection:
        seen = project_annotation(connection, "cyclist-track", "t1-image_2", frame=3)
        gone = project_annotation(connection, "cyclist-track", "t1-image_2", frame=9)

    at_sweep_3 = CYCLIST.model_copy(update={"center": (x, y + 3 / 8, z)})
    expected = project_cuboid(at_sweep_3, LIDAR, CAMERA, t_source="0.3", t_camera="0.35")
    assert expected is not None and seen is not None
    assert seen.box.model_dump(exclude={"frame"}) == pytest.approx(
        expected.box.model_dump(exclude={"frame"})
    )
    assert seen.box.frame == 3
    assert gone is None  # the track is outside from sweep 9


def test_proposed_links_join_each_cuboid_to_its_box(engine: Engine, kitti: Project) -> None:
    proposed = propose_box_links(engine, TESTER, "k1", "k1-image_2")

    pairs = {(link.source, link.target) for link in proposed}
    assert pairs == {("truck", "truck-box"), ("cyclist", "cyclist-box")}
    for link in proposed:
        assert (link.type, link.status, link.revision) == ("same-as", "proposed", 1)
        assert link.attributes["model"] == "projection"
        assert link.attributes["iou"] > 0.85
    with engine.connect() as connection:
        assert load_sample(connection, "k1").links == proposed
        [event] = history(connection, proposed[0].id)
    assert (event.action, event.actor) == ("create", TESTER.name)

    # asking again proposes nothing new; a rejected or confirmed pair is never re-proposed
    assert propose_box_links(engine, TESTER, "k1", "k1-image_2") == []
    assert _links(engine) == 2


def test_boxes_that_overlap_too_little_get_no_link(engine: Engine, kitti: Project) -> None:
    # the truck's box moved right by 60 % of its width: IoU 0.4 / 1.6 = 0.25
    left, top, right, bottom = KITTI_BBOXES["Truck"]
    shift = 0.6 * (right - left)
    moved = _kitti_box(left + shift, top, right + shift, bottom)
    sample = Sample(
        id="k3",
        streams=_streams("k3"),
        annotations=[
            _annotation("truck-3", "k3-velodyne", "vehicle", TRUCK),
            _annotation("moved-box", "k3-image_2", "vehicle", moved),
        ],
    )
    insert_sample(engine, kitti.id, sample)
    assert propose_box_links(engine, TESTER, "k3", "k3-image_2") == []
    [link] = propose_box_links(engine, TESTER, "k3", "k3-image_2", min_iou=0.2)
    assert link.attributes["iou"] == pytest.approx(0.25, abs=0.02)


def test_a_relation_that_refuses_cuboids_writes_nothing(engine: Engine, kitti: Project) -> None:
    # refers-to runs from text spans, transcripts and intervals to image regions
    with pytest.raises(RuleViolation, match="refers-to"):
        propose_box_links(engine, TESTER, "k1", "k1-image_2", relation="refers-to")
    assert _links(engine) == 0
    with pytest.raises(NotFoundError, match="elsewhere"):
        propose_box_links(engine, TESTER, "k1", "elsewhere")


@pytest.fixture
def client(engine: Engine, kitti: Project) -> Iterator[TestClient]:
    with client_as(engine) as client:
        yield client


def test_projection_route(client: TestClient, engine: Engine, kitti: Project) -> None:
    body = client.get("/api/annotations/truck/projection", params={"stream": "k1-image_2"}).json()
    expected = project_cuboid(TRUCK, LIDAR, CAMERA)
    assert expected is not None
    assert body == expected.model_dump(mode="json")
    assert len(body["corners"]) == 8 and len(body["polygon"]["points"]) >= 4

    behind = Cuboid(center=(-20, 0, 0), size=(4, 2, 1.5))
    sample = Sample(
        id="k4",
        streams=_streams("k4"),
        annotations=[_annotation("behind", "k4-velodyne", "car", behind)],
    )
    insert_sample(engine, kitti.id, sample)
    response = client.get("/api/annotations/behind/projection", params={"stream": "k4-image_2"})
    assert response.status_code == 200 and response.json() is None

    missing = client.get("/api/annotations/truck/projection", params={"stream": "nope"})
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    assert client.get("/api/annotations/truck/projection").status_code == 422
