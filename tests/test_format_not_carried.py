"""One layout for what a format cannot carry (`rosetta.formats.not_carried`): where each
record goes, what a record joining two samples read back becomes, an earlier export's file
removed, and the errors of a file that cannot be put back, naming its line."""

from pathlib import Path

import orjson
import pytest

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Stream
from rosetta.formats.coco import read_coco, write_coco
from rosetta.formats.interchange import NOT_CARRIED, ReadOptions
from rosetta.formats.voc import read as read_voc
from rosetta.formats.voc import write as write_voc

ONTOLOGY = Ontology.model_validate(
    {
        "name": "kept",
        "classes": [{"name": "cat"}, {"name": "dog"}],
        "relations": [{"name": "same-as", "directed": False}],
    }
)


def _two_images() -> Sample:
    """One sample, two images (two samples when read back), a link across them and one
    on the first."""

    def image(name: str) -> Stream:
        return Stream(
            id=f"s.{name}",
            name=name,
            modality="image",
            uri=f"{name}.png",
            media=MediaInfo(width=20, height=20),
        )

    def box(ident: str, stream: str) -> Annotation:
        return Annotation(id=ident, stream=stream, label="cat", geometry=Box(x=1, y=1, w=5, h=5))

    return Sample(
        id="s",
        streams=[image("left"), image("right")],
        annotations=[box("a", "s.left"), box("b", "s.left"), box("c", "s.right")],
        links=[
            Link(id="near", type="same-as", source="a", target="b"),
            Link(id="across", type="same-as", source="a", target="c"),
        ],
    )


def _lines(folder: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in (folder / NOT_CARRIED).read_bytes().splitlines()]


def test_a_record_joining_two_samples_read_back_is_kept_for_the_record_only(
    tmp_path: Path,
) -> None:
    report = write_coco([_two_images()], ONTOLOGY, tmp_path)
    assert report.not_carried["links"] == f"2 written to {NOT_CARRIED}"
    assert "1 record(s)" in report.not_carried["not read back"]
    near, across = _lines(tmp_path)
    assert (near["sample"], near["record"]) == (
        "instances.1",
        {
            "id": "instances.1.link.1",
            "type": "same-as",
            "source": "instances.1.1",
            "target": "instances.1.2",
            "status": "proposed",
            "attributes": {},
        },
    )
    # its ends are in two samples read back: the original ids, and no sample
    assert across["sample"] is None
    assert (across["record"]["id"], across["record"]["target"]) == ("across", "c")
    left, right = (f.sample for f in read_coco(tmp_path, ReadOptions()))
    assert [k.id for k in left.links] == ["instances.1.link.1"]
    assert right.links == []


def test_an_earlier_exports_file_is_removed(tmp_path: Path) -> None:
    (tmp_path / NOT_CARRIED).write_text('{"sample": "x", "kind": "sample", "record": {}}\n')
    sample = _two_images().model_copy(update={"links": []})
    report = write_voc([sample], ONTOLOGY, tmp_path)
    assert NOT_CARRIED not in report.files
    assert not (tmp_path / NOT_CARRIED).exists()


@pytest.mark.parametrize(
    ("line", "field", "detail"),
    [
        (b"{not json", "", "not valid JSON"),
        (b"[1, 2]", "", 'expected an object {"sample", "kind", "record"}'),
        (b'{"sample": "left", "kind": "label", "record": {}}', "kind", "expected one of"),
        (b'{"sample": "left", "kind": "link", "record": 3}', "record", "expected an object"),
        (
            b'{"sample": "left", "kind": "fields", "record": {"id": "left.1"}}',
            "record",
            'expected {"id": ..., "fields": {...}}',
        ),
        (
            b'{"sample": "left", "kind": "fields", "record": {"id": "left.9", "fields": {}}}',
            "record.id",
            "'left.9' is no record of the sample read back",
        ),
        (
            b'{"sample": "left", "kind": "annotation", "record": {"id": "x", "label": "cat"}}',
            "annotations[1].stream",
            "Field required",
        ),
    ],
)
def test_a_line_that_cannot_be_put_back_names_its_line(
    tmp_path: Path, line: bytes, field: str, detail: str
) -> None:
    sample = _two_images().model_copy(update={"streams": _two_images().streams[:1], "links": []})
    sample = sample.model_copy(update={"annotations": sample.annotations[:1]})
    write_voc([sample], ONTOLOGY, tmp_path)  # read back as the sample "left"
    (tmp_path / NOT_CARRIED).write_bytes(b"\n" + line + b"\n")
    with pytest.raises(ImportFailed) as failed:
        list(read_voc(tmp_path, ReadOptions()))
    error = failed.value
    assert (error.file, error.line) == (str(tmp_path / NOT_CARRIED), 2)
    assert error.field.endswith(field)
    assert detail in error.detail
