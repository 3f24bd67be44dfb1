"""The KITTI object-folder reader (`rosetta.formats.kitti_format`): the real datumaro
fixture read with exact cuboids and boxes, the frame's media found and sized, errors that
name the file and line, and imports through `import_foreign` (labels mapped, nothing
written on any error)."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from conftest import MEDIA, SHARED, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Cuboid
from rosetta.core.ontology import Ontology
from rosetta.core.projection import cuboid_pose
from rosetta.core.schema import Link, MediaInfo, Sample, Source
from rosetta.formats.interchange import ForeignSample, ReadOptions
from rosetta.formats.kitti import cuboid_to_label, read_calib, read_labels
from rosetta.formats.kitti_format import read_kitti
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import import_foreign
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, events, links, samples, streams

KITTI = SHARED / "fixtures" / "formats" / "sensor" / "openvinotoolkit__datumaro" / "kitti_3d"
LABELS = KITTI / "label_2" / "000001.txt"
CALIB = KITTI / "calib" / "000001.txt"

ONTOLOGY = Ontology.model_validate(
    {
        "name": "kitti-test",
        "classes": [
            {"name": "vehicle"},
            *(
                {
                    "name": name,
                    "parent": "vehicle",
                    "attributes": [
                        {"name": "truncated", "type": "number", "min": 0, "max": 1},
                        {"name": "occluded", "type": "number", "min": 0, "max": 3},
                    ],
                }
                for name in ("car", "truck")
            ),
        ],
        "relations": [{"name": "same-as", "directed": False}],
    }
)
MAPPING = LabelMap(labels={"Car": "car", "Truck": "truck"}, drop=["DontCare"])


def read(folder: Path = KITTI, media_root: Path | None = None) -> list[ForeignSample]:
    return list(read_kitti(folder, ReadOptions(media_root=media_root)))


def rect_to_velo(point: tuple[float, float, float]) -> np.ndarray:
    """A point of the rectified camera-0 frame in the Velodyne frame, straight from the
    calibration file's matrices: ``(R0_rect · Tr_velo_to_cam)⁻¹``."""
    calib = read_calib(CALIB)
    matrix = np.eye(4)
    matrix[:3, :] = calib.r0_rect @ calib.tr_velo_to_cam
    velo: np.ndarray = (np.linalg.inv(matrix) @ np.array([*point, 1.0]))[:3]
    return velo


def test_the_real_fixture_gives_cuboids_boxes_and_links() -> None:
    [foreign] = read()
    sample = foreign.sample
    assert (sample.id, sample.external_id) == ("000001", "000001")
    assert sample.metadata == {"kitti_image_size": "assumed"}
    scan, image = sample.streams
    assert (scan.id, scan.modality, scan.uri) == ("000001.velodyne", "pointcloud", None)
    assert scan.sensor is not None and scan.sensor.frame == "velodyne"
    assert (image.id, image.modality, image.media.width, image.media.height) == (
        "000001.image_2",
        "image",
        1242,
        375,
    )
    assert image.sensor is not None and image.sensor.projection is not None
    assert image.sensor.projection[0] == (721.5377, 0.0, 609.5593, 44.85728)
    assert image.sensor.projection[2] == (0.0, 0.0, 1.0, 2.745884e-3)

    by_id = {a.id: a for a in sample.annotations}
    assert list(by_id) == [
        "000001.1.cuboid",
        "000001.1.box",
        "000001.2.cuboid",
        "000001.2.box",
        "000001.3.box",
    ]
    assert [(a.label, a.stream) for a in sample.annotations] == [
        ("Truck", "000001.velodyne"),
        ("Truck", "000001.image_2"),
        ("Car", "000001.velodyne"),
        ("Car", "000001.image_2"),
        ("DontCare", "000001.image_2"),
    ]
    # left top right bottom -> x y w h, exactly
    assert by_id["000001.1.box"].geometry == Box(x=600, y=150, w=30, h=40)
    assert by_id["000001.2.box"].geometry == Box(x=650, y=160, w=50, h=40)
    assert by_id["000001.3.box"].geometry == Box(x=500, y=170, w=90, h=20)
    assert by_id["000001.1.box"].attributes == {"truncated": 0.0, "occluded": 0}
    assert by_id["000001.2.cuboid"].attributes == {"truncated": 0.0, "occluded": 3}
    assert by_id["000001.3.box"].attributes == {}
    assert [a.source for a in sample.annotations] == [Source(kind="import", name="kitti")] * 5

    truck = by_id["000001.1.cuboid"].geometry
    car = by_id["000001.2.cuboid"].geometry
    assert isinstance(truck, Cuboid) and isinstance(car, Cuboid)
    # [length, width, height] from the row's h w l
    assert truck.size == (12.34, 2.63, 2.85) and car.size == (2.02, 0.60, 1.86)
    # the centre: the row's bottom-face centre lifted by half the height, in the Velodyne
    # frame (within 10 µm: the calibration's rotations, printed to 7 digits, are made
    # orthonormal before they are inverted)
    np.testing.assert_allclose(truck.center, rect_to_velo((0.47, 1.49 - 2.85 / 2, 69.44)), 0, 1e-5)
    np.testing.assert_allclose(car.center, rect_to_velo((4.59, 1.32 - 1.86 / 2, 45.84)), 0, 1e-5)
    np.testing.assert_allclose(
        truck.center, (69.70989988776151, -0.46262033844147277, 0.5834949768327041), 0, 1e-9
    )
    np.testing.assert_allclose(
        car.rotation, (0.010779299156859136, -0.010229556542033835, -0.020671882086749395), 0, 1e-9
    )
    # the length axis is the devkit's R_y(rotation_y) x axis, (cos ry, 0, -sin ry)
    for cuboid, ry in ((truck, -1.56), (car, -1.55)):
        axis = rect_to_velo((math.cos(ry), 0.0, -math.sin(ry))) - rect_to_velo((0.0, 0.0, 0.0))
        np.testing.assert_allclose(cuboid_pose(cuboid).matrix()[:3, 0], axis, 0, 1e-6)

    assert sample.links == [
        Link(
            id="000001.1.same-as", type="same-as", source="000001.1.cuboid", target="000001.1.box"
        ),
        Link(
            id="000001.2.same-as", type="same-as", source="000001.2.cuboid", target="000001.2.box"
        ),
    ]
    assert foreign.origin_of("000001.2.box").line == 2
    assert foreign.origin_of("000001.3.box").line == 3
    assert foreign.origin_of("000001.1.same-as").file == str(LABELS)


def test_the_cuboid_turns_back_into_the_same_label() -> None:
    """Velodyne-frame cuboid -> KITTI row (`cuboid_to_label`) gives the row's 3D values."""
    [foreign] = read()
    calib = read_calib(CALIB)
    cuboids = [a for a in foreign.sample.annotations if isinstance(a.geometry, Cuboid)]
    for annotation, row in zip(cuboids, read_labels(LABELS)[:2], strict=True):
        assert isinstance(annotation.geometry, Cuboid)
        back = cuboid_to_label(annotation.geometry, calib, annotation.label)
        np.testing.assert_allclose(back.location, row.location, 0, 1e-9)
        np.testing.assert_allclose(back.dimensions, row.dimensions, 0, 1e-12)
        assert back.rotation_y == pytest.approx(row.rotation_y, abs=1e-9)


def copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "kitti"
    shutil.copytree(KITTI, folder)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def test_the_frames_image_and_scan_are_found_and_the_image_probed(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "image_2").mkdir()
    shutil.copy(MEDIA / "images" / "chelsea.png", folder / "image_2" / "000001.png")
    (folder / "velodyne").mkdir()
    points = np.array([[10.0, 1.0, -1.5, 0.3], [20.0, -2.0, 0.0, 0.9]], dtype="<f4")
    (folder / "velodyne" / "000001.bin").write_bytes(points.tobytes())

    [inside] = read(folder, media_root=tmp_path)
    [absolute] = read(folder)

    scan, image = inside.sample.streams
    assert (scan.uri, scan.media.mime) == ("kitti/velodyne/000001.bin", "application/octet-stream")
    assert image.uri == "kitti/image_2/000001.png"
    assert image.media == MediaInfo(width=451, height=300, mime="image/png")  # the PNG's own
    assert image.sensor is not None and (image.sensor.width, image.sensor.height) == (451, 300)
    assert inside.sample.metadata == {}
    assert (
        absolute.sample.streams[1].uri == (folder / "image_2" / "000001.png").resolve().as_posix()
    )


def test_an_image_that_cannot_be_probed_names_the_label_file_and_the_image(
    tmp_path: Path,
) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "image_2").mkdir()
    (folder / "image_2" / "000001.jpg").write_bytes(b"\xff\xd8 not a JPEG")
    with pytest.raises(ImportFailed) as failed:
        read(folder)
    assert (failed.value.file, failed.value.field) == (
        str(folder / "label_2" / "000001.txt"),
        "image_2",
    )
    assert f"{folder / 'image_2' / '000001.jpg'}: not readable as an image" in failed.value.detail


def test_a_results_file_gives_model_candidates(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    rows = LABELS.read_text().splitlines()
    (folder / "label_2" / "000001.txt").write_text(f"{rows[0]} 0.875\n{rows[1]} 0.5\n")
    [foreign] = read(folder)
    assert [a.source for a in foreign.sample.annotations] == [
        Source(kind="model", name="kitti", confidence=0.875)
    ] * 2 + [Source(kind="model", name="kitti", confidence=0.5)] * 2

    (folder / "label_2" / "000001.txt").write_text(f"{rows[0]} 0.875\n{rows[1]} 3.2\n")
    with pytest.raises(ImportFailed) as failed:
        read(folder)
    assert (failed.value.file, failed.value.line) == (str(folder / "label_2" / "000001.txt"), 2)
    assert "Car: score" in str(failed.value) and "[0, 1], got 3.2" in str(failed.value)


@pytest.mark.parametrize(
    ("break_it", "file", "line", "expected"),
    [
        (
            lambda f: (f / "label_2" / "000001.txt").write_text("Car 0 0 -1.6 650 160 700 200\n"),
            "label_2/000001.txt",
            1,
            "expected 15 values",
        ),
        (
            lambda f: (f / "label_2" / "000001.txt").write_text(
                LABELS.read_text().replace("2.63", "2.6x")
            ),
            "label_2/000001.txt",
            1,
            "dimensions.width: expected a finite number, got '2.6x'",
        ),
        (
            lambda f: (f / "calib" / "000001.txt").unlink(),
            "label_2/000001.txt",
            0,
            "expected the frame's calibration",
        ),
        (
            lambda f: (f / "calib" / "000001.txt").write_text(
                "\n".join(CALIB.read_text().splitlines()[:4])
            ),
            "calib/000001.txt",
            4,
            "R0_rect: missing",
        ),
        (
            lambda f: shutil.rmtree(f / "calib"),
            "",
            0,
            "expected a KITTI object folder holding label_2/ and calib/",
        ),
    ],
)
def test_malformed_folders_name_the_file_line_and_what_was_expected(
    tmp_path: Path, break_it: object, file: str, line: int, expected: str
) -> None:
    folder = copy_fixture(tmp_path)
    assert callable(break_it)
    break_it(folder)
    with pytest.raises(ImportFailed) as failed:
        read(folder)
    assert failed.value.file == str(folder / file) if file else str(folder)
    assert failed.value.line == line
    assert expected in str(failed.value)


def test_a_scan_that_is_not_float32_points_is_refused(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "velodyne").mkdir()
    (folder / "velodyne" / "000001.bin").write_bytes(b"\0" * 20)
    with pytest.raises(ImportFailed, match=r"16 bytes each\), got 20 bytes") as failed:
        read(folder)
    assert failed.value.file == str(folder / "velodyne" / "000001.bin")


# --- through import_foreign --------------------------------------------------------------------


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, streams, annotations, links, events)
        )


def stored(engine: Engine, project_id: str) -> list[Sample]:
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def test_unmapped_labels_are_listed_and_a_mapping_imports(engine: Engine) -> None:
    project = create_project(engine, "kitti", ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "kitti", KITTI, TESTER)
    assert [(u.label, u.count, u.first.line, u.closest[:1]) for u in unmapped.value.labels] == [
        ("Car", 2, 2, ("car",)),
        ("Truck", 2, 1, ("truck",)),
        ("DontCare", 1, 3, ()),
    ]
    assert counts(engine) == before

    done = import_foreign(engine, project.id, "kitti", KITTI, TESTER, mapping=MAPPING)
    assert done.dropped == {"DontCare": 1}
    assert (done.imported.samples_written, done.imported.annotations, done.imported.links) == (
        1,
        4,
        2,
    )
    [sample] = stored(engine, project.id)
    [foreign] = read()
    read_back = {a.id: a for a in foreign.sample.annotations}
    for annotation in sample.annotations:
        original = read_back[annotation.id]
        assert annotation.geometry == original.geometry
        assert annotation.label == original.label.lower()
        assert annotation.attributes == original.attributes
        assert annotation.source == Source(kind="import", name="kitti")
    assert [(link.source, link.target, link.type) for link in sample.links] == [
        ("000001.1.cuboid", "000001.1.box", "same-as"),
        ("000001.2.cuboid", "000001.2.box", "same-as"),
    ]
    assert sample.streams == foreign.sample.streams

    again = import_foreign(engine, project.id, "kitti", KITTI, TESTER, mapping=MAPPING)
    assert (again.imported.samples_written, again.imported.samples_skipped) == (0, 1)


def test_a_bad_frame_after_a_good_one_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "kitti", ONTOLOGY, TESTER)
    folder = copy_fixture(tmp_path)
    shutil.copy(CALIB, folder / "calib" / "000002.txt")
    # the box runs past the right edge of the 1242 px image
    (folder / "label_2" / "000002.txt").write_text(
        "Car 0.00 0 -1.65 1200 160 1250 200 1.86 0.60 2.02 4.59 1.32 45.84 -1.55\n"
    )
    before = counts(engine)
    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, "kitti", folder, TESTER, mapping=MAPPING)
    assert (failed.value.file, failed.value.line) == (str(folder / "label_2" / "000002.txt"), 1)
    assert "inside-bounds" in str(failed.value) and "1242x375" in str(failed.value)
    assert counts(engine) == before


def test_a_rule_broken_by_one_object_names_its_line(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "kitti", ONTOLOGY, TESTER)
    folder = copy_fixture(tmp_path)
    labels = folder / "label_2" / "000001.txt"
    labels.write_text(LABELS.read_text().replace("650 160 700 200", "1200 160 1250 200"))
    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, "kitti", folder, TESTER, mapping=MAPPING)
    assert (failed.value.file, failed.value.line) == (str(labels), 2)
