"""The same boxes come out whichever format carries them: one image's boxes, built once,
are written as Pascal VOC, YOLO, CVAT for images and COCO and read back, each to within
1e-6 px of what was written. Each reader is given the writer's output folder and the
image's folder as the media root."""

from pathlib import Path

import pytest

from conftest import MEDIA
from rosetta.core.geometry import Box
from rosetta.core.ontology import parse_ontology
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.registry import format_spec

IMAGE = MEDIA / "images" / "rocket.jpg"  # 640x427
WIDTH, HEIGHT = 640, 427
ONTOLOGY = parse_ontology({"classes": [{"name": n} for n in ("cat", "person", "cup", "flag")]})
#: Boxes with at most two decimals (CVAT writes two): one inside, the whole image, one on
#: the bottom edge, and one smaller than a pixel.
BOXES = {
    "cat": Box(x=12.25, y=7.5, w=100.75, h=80.5),
    "person": Box(x=0, y=0, w=WIDTH, h=HEIGHT),
    "cup": Box(x=300.5, y=200.25, w=39.5, h=226.75),
    "flag": Box(x=600.75, y=1, w=0.5, h=0.25),
}


def _sample() -> Sample:
    stream = Stream(
        id="rocket.img",
        name="image",
        modality="image",
        uri=str(IMAGE),
        media=MediaInfo(width=WIDTH, height=HEIGHT),
    )
    return Sample(
        id="rocket",
        external_id="rocket.jpg",
        streams=[stream],
        annotations=[
            Annotation(id=f"rocket.{label}", stream=stream.id, label=label, geometry=box)
            for label, box in BOXES.items()
        ],
    )


@pytest.mark.parametrize("name", ["voc", "yolo", "cvat-images", "coco"])
def test_the_same_boxes_come_back(name: str, tmp_path: Path) -> None:
    spec = format_spec(name)
    assert spec.read is not None
    assert spec.write is not None
    report = spec.write([_sample()], ONTOLOGY, tmp_path)
    assert (report.samples, report.annotations) == (1, len(BOXES))
    [foreign] = list(spec.read(tmp_path, ReadOptions(media_root=IMAGE.parent)))
    [stream] = foreign.sample.streams
    assert (stream.media.width, stream.media.height) == (WIDTH, HEIGHT)
    read_back = {a.label: a.geometry for a in foreign.sample.annotations}
    assert sorted(read_back) == sorted(BOXES)
    for label, box in BOXES.items():
        got = read_back[label]
        assert isinstance(got, Box), label
        assert (got.x, got.y, got.w, got.h) == pytest.approx((box.x, box.y, box.w, box.h), abs=1e-6)
