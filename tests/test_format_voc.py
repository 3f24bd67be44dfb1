"""Pascal VOC XML: the real Datumaro file (parts, actions, flags), the 1-based pixel
conversion both ways, round trips through files and through a project, malformed files
and XML bombs, and labels that map to no class."""

from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select

from conftest import MEDIA, SHARED, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Polygon
from rosetta.core.ontology import parse_ontology
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.interchange import NOT_CARRIED, ForeignSample, Origin, ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.voc import read, write
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, links, samples

FIXTURE = SHARED / "fixtures" / "formats" / "pascal_voc" / "openvinotoolkit__datumaro"
XML = FIXTURE / "2007_000001.xml"
ACTIONS = (
    "other",
    "jumping",
    "phoning",
    "playinginstrument",
    "reading",
    "ridingbike",
    "ridinghorse",
    "running",
    "takingphoto",
    "usingcomputer",
    "walking",
)
FLAGS = [
    {"name": "pose", "type": "text"},
    {"name": "truncated", "type": "bool"},
    {"name": "difficult", "type": "bool"},
    {"name": "occluded", "type": "bool"},
]
ONTOLOGY = parse_ontology(
    {
        "classes": [
            {"name": "animal", "attributes": FLAGS},
            {"name": "cat", "parent": "animal"},
            {
                "name": "person",
                "attributes": FLAGS + [{"name": a, "type": "bool"} for a in ACTIONS],
            },
            {"name": "body-part"},
        ],
        "relations": [{"name": "part-of", "directed": True}],
    }
)


def _voc(body: str, size: str = "<size><width>20</width><height>10</height></size>") -> str:
    return (
        '<?xml version="1.0"?>\n<annotation>\n  <filename>x.jpg</filename>\n'
        f"  {size}\n{body}</annotation>\n"
    )


def _file(tmp_path: Path, text: str, name: str = "x.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path, options: ReadOptions | None = None) -> list[ForeignSample]:
    return list(read(path, options or ReadOptions()))


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, annotations, links)
        )


def test_the_datumaro_file() -> None:
    [foreign] = _read(XML)
    sample = foreign.sample
    assert (sample.id, sample.external_id) == ("2007_000001", "2007_000001.jpg")
    assert sample.metadata == {"voc": {"folder": "VOC2007", "segmented": True, "depth": 3}}
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri) == (
        "2007_000001.image",
        "image",
        "2007_000001.jpg",
    )
    assert stream.media == MediaInfo(width=20, height=10)
    imported = Source(kind="import", name="voc")
    assert [(a.id, a.label, a.geometry, a.attributes, a.source) for a in sample.annotations] == [
        # xmin 1 ymin 2 xmax 3 ymax 4: pixels 1..3 x 2..4 (1-based, inclusive)
        (
            "2007_000001.1",
            "cat",
            Box(x=0, y=1, w=3, h=3),
            {"pose": "Unspecified", "truncated": True, "difficult": False},
            imported,
        ),
        (
            "2007_000001.2",
            "person",
            Box(x=3, y=4, w=3, h=3),
            dict.fromkeys(ACTIONS[::2], True) | dict.fromkeys(ACTIONS[1::2], False),
            imported,
        ),
        # the head part: xmin 5.5 ymin 6 xmax 7.5 ymax 8
        ("2007_000001.2.1", "head", Box(x=4.5, y=5, w=3, h=3), {}, imported),
    ]
    assert sample.links == [
        Link(
            id="2007_000001.2.1.part-of",
            type="part-of",
            source="2007_000001.2.1",
            target="2007_000001.2",
        )
    ]
    assert foreign.origin_of("2007_000001.2") == Origin(str(XML), 23, "object[2]")
    assert foreign.origin_of("2007_000001.2.1") == Origin(str(XML), 31, "object[2].part[1]")
    assert foreign.origin_of("2007_000001.2.1.part-of").line == 31


def test_a_folder_reads_its_annotations_folder_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    for stem in ("b", "a"):
        _file(tmp_path / "Annotations", _voc(""), f"{stem}.xml")
    _file(tmp_path, "<not-voc/>", "other.xml")  # beside Annotations/: not read
    assert [f.sample.id for f in _read(tmp_path)] == ["a", "b"]


def test_a_missing_size_is_probed_from_the_image_under_the_media_root(tmp_path: Path) -> None:
    body = "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>451</xmax><ymax>300</ymax></bndbox></object>\n"
    text = _voc(body, size="").replace("x.jpg", "chelsea.png")
    [foreign] = _read(_file(tmp_path, text), ReadOptions(media_root=MEDIA / "images"))
    [stream] = foreign.sample.streams
    assert stream.uri == "chelsea.png"
    assert stream.media == MediaInfo(width=451, height=300, mime="image/png")
    assert foreign.sample.annotations[0].geometry == Box(x=0, y=0, w=451, h=300)


def test_a_found_image_is_probed_and_must_have_the_stated_size(tmp_path: Path) -> None:
    options = ReadOptions(media_root=MEDIA / "images")
    stated = "<size><width>640</width><height>427</height><depth>3</depth></size>"
    text = _voc("", size=stated).replace("x.jpg", "rocket.jpg")
    [foreign] = _read(_file(tmp_path, text), options)
    assert foreign.sample.streams[0].uri == "rocket.jpg"
    assert foreign.sample.streams[0].media == MediaInfo(width=640, height=427, mime="image/jpeg")
    path = _file(tmp_path, _voc("").replace("x.jpg", "rocket.jpg"), "wrong.xml")  # 20x10
    with pytest.raises(ImportFailed) as caught:
        _read(path, options)
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        str(path),
        2,
        "annotation: size",
    )
    assert caught.value.detail == (
        f"<size> says 20x10 but the image {MEDIA / 'images' / 'rocket.jpg'} is 640x427"
    )


def test_a_found_image_that_cannot_be_probed_names_the_file_and_the_image(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8 not a JPEG")
    path = _file(tmp_path, _voc(""))
    with pytest.raises(ImportFailed) as caught:
        _read(path)
    assert (caught.value.file, caught.value.field) == (str(path), "annotation: filename")
    assert f"{tmp_path / 'x.jpg'}: not readable as an image" in caught.value.detail


def test_a_missing_size_without_the_image_names_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, _voc("", size="<size><width>0</width><height>0</height></size>"))
    with pytest.raises(ImportFailed) as caught:
        _read(path)
    assert (caught.value.file, caught.value.line) == (str(path), 2)
    assert "annotation: size: expected <size> with <width> and <height>" in str(caught.value)


def test_read_write_read_gives_the_same_records(tmp_path: Path) -> None:
    first = [f.sample for f in _read(XML)]
    report = write(first, ONTOLOGY, tmp_path / "out")
    assert (report.files, report.samples, report.annotations) == (["Annotations/"], 1, 3)
    assert report.not_carried == {}
    assert not (tmp_path / "out" / NOT_CARRIED).exists()
    again = [f.sample for f in _read(tmp_path / "out")]
    assert again == first


def test_boxes_are_written_one_based_inclusive(tmp_path: Path) -> None:
    stream = Stream(
        id="s.img",
        name="image",
        modality="image",
        uri="/data/s.png",
        media=MediaInfo(width=640, height=480),
    )
    whole = Annotation(id="w", stream="s.img", label="car", geometry=Box(x=0, y=0, w=640, h=480))
    odd = Annotation(
        id="o", stream="s.img", label="car", geometry=Box(x=10.25, y=0.5, w=0.5, h=1 / 3)
    )
    write([Sample(id="s", streams=[stream], annotations=[whole, odd])], ONTOLOGY, tmp_path)
    text = (tmp_path / "Annotations" / "s.xml").read_text(encoding="utf-8")
    assert "<filename>s.png</filename>" in text
    assert (
        "<xmin>1</xmin>\n      <ymin>1</ymin>\n      <xmax>640</xmax>\n      <ymax>480</ymax>"
        in text
    )
    assert "<xmin>11.25</xmin>\n      <ymin>1.5</ymin>\n      <xmax>10.75</xmax>" in text
    read_back = [a.geometry for a in _read(tmp_path)[0].sample.annotations]
    assert read_back[0] == whole.geometry
    assert isinstance(read_back[1], Box)
    assert (read_back[1].x, read_back[1].y, read_back[1].w) == (10.25, 0.5, 0.5)
    assert read_back[1].h == pytest.approx(1 / 3, abs=1e-12)


def test_zero_based_coordinates_are_read_as_edges_only_when_asked(tmp_path: Path) -> None:
    body = (
        "<object><name>cat</name>\n<bndbox><xmin>0</xmin><ymin>2</ymin>"
        "<xmax>20</xmax><ymax>7.5</ymax></bndbox></object>\n"
    )
    path = _file(tmp_path, _voc(body))
    with pytest.raises(ImportFailed, match="read with the zero_based_pixels option"):
        _read(path)
    [foreign] = _read(path, ReadOptions(zero_based_pixels=True))
    [box] = foreign.sample.annotations
    assert box.geometry == Box(x=0, y=2, w=20, h=5.5)
    empty = body.replace("<xmax>20</xmax>", "<xmax>0</xmax>")
    with pytest.raises(ImportFailed, match=r"expected xmax > xmin and ymax > ymin"):
        _read(_file(tmp_path, _voc(empty)), ReadOptions(zero_based_pixels=True))


def test_attribute_values_voc_would_change_come_back_as_they_were(tmp_path: Path) -> None:
    stream = Stream(
        id="s.img", name="image", modality="image", media=MediaInfo(width=10, height=10)
    )
    values = {
        "pose": "Left",  # VOC's own: as it is
        "parked": True,
        "count": 3,
        "tags": ["a", "b"],  # a list: written as text, read back from the sidecar
        "ratio": 2.0,  # a whole float: read back as 2, the sidecar gives 2.0
        "code": "007",  # text that reads as a number
        "name": " padded ",
    }
    box = Annotation(
        id="b", stream="s.img", label="cat", geometry=Box(x=1, y=1, w=2, h=2), attributes=values
    )
    write([Sample(id="s", streams=[stream], annotations=[box])], ONTOLOGY, tmp_path)
    [kept] = [orjson.loads(line) for line in (tmp_path / NOT_CARRIED).read_bytes().splitlines()]
    assert kept["record"] == {
        "id": "s.1",
        "fields": {
            "attributes": {
                "tags": ["a", "b"],
                "ratio": 2.0,
                "code": "007",
                "name": " padded ",
            }
        },
    }
    [foreign] = _read(tmp_path)
    [again] = foreign.sample.annotations
    assert again.attributes == values
    assert type(again.attributes["ratio"]) is float


def test_parts_links_and_what_voc_cannot_hold(tmp_path: Path) -> None:
    stream = Stream(
        id="p.img",
        name="image",
        modality="image",
        uri="p.png",
        media=MediaInfo(width=100, height=100),
    )
    box = Box(x=10, y=10, w=50, h=80)
    records = [
        Annotation(
            id="body",
            stream="p.img",
            label="person",
            geometry=box,
            attributes={"occluded": True, "note": "far", "zoom": 2},
        ),
        Annotation(
            id="head", stream="p.img", label="body-part", geometry=Box(x=20, y=10, w=10, h=10)
        ),
        Annotation(id="eye", stream="p.img", label="body-part", geometry=Box(x=22, y=12, w=2, h=2)),
        Annotation(
            id="shape",
            stream="p.img",
            label="person",
            geometry=Polygon(points=[(0, 0), (5, 0), (0, 5)]),
        ),
    ]
    sample = Sample(
        id="p",
        streams=[stream],
        annotations=records,
        entities=[Entity(id="e", members=["body", "shape"])],
        links=[
            Link(id="l1", type="part-of", source="head", target="body"),
            Link(id="l2", type="part-of", source="eye", target="head"),
            Link(id="l3", type="part-of", source="head", target="shape"),  # not a box: sidecar
            Link(id="l4", type="same-as", source="body", target="shape"),
        ],
    )
    report = write([sample], ONTOLOGY, tmp_path)
    assert report.files == ["Annotations/", NOT_CARRIED]
    assert report.annotations == 3
    assert report.not_carried == {
        "entities": f"1 written to {NOT_CARRIED} (VOC holds boxes and part-of links only)",
        "links": f"2 written to {NOT_CARRIED} (VOC holds boxes and part-of links only)",
        "polygon annotations": f"1 written to {NOT_CARRIED} (VOC holds boxes and part-of links only)",
    }
    kept = [orjson.loads(line) for line in (tmp_path / NOT_CARRIED).read_bytes().splitlines()]
    # ids derived from the files; references are the ids read back
    assert [(k["sample"], k["kind"], k["record"]["id"]) for k in kept] == [
        ("p", "annotation", "p.annotation.1"),
        ("p", "entity", "p.entity.1"),
        ("p", "link", "p.link.1"),
        ("p", "link", "p.link.2"),
    ]
    assert kept[0]["record"]["stream"] == "p.image"
    assert kept[1]["record"]["members"] == ["p.1", "p.annotation.1"]
    assert (kept[2]["record"]["source"], kept[2]["record"]["target"]) == (
        "p.1.1",
        "p.annotation.1",
    )
    [foreign] = _read(tmp_path)
    read_back = foreign.sample
    assert [(a.id, a.label, a.geometry, a.attributes) for a in read_back.annotations] == [
        ("p.1", "person", box, {"occluded": True, "note": "far", "zoom": 2}),
        ("p.1.1", "body-part", Box(x=20, y=10, w=10, h=10), {}),
        ("p.1.1.1", "body-part", Box(x=22, y=12, w=2, h=2), {}),
        ("p.annotation.1", "person", Polygon(points=[(0, 0), (5, 0), (0, 5)]), {}),
    ]
    assert [(k.type, k.source, k.target) for k in read_back.links] == [
        ("part-of", "p.1.1", "p.1"),
        ("part-of", "p.1.1.1", "p.1.1"),
        ("part-of", "p.1.1", "p.annotation.1"),
        ("same-as", "p.1", "p.annotation.1"),
    ]
    assert read_back.entities == [Entity(id="p.entity.1", members=["p.1", "p.annotation.1"])]
    assert foreign.origin_of("p.annotation.1") == Origin(str(tmp_path / NOT_CARRIED), 1, "sample p")
    assert foreign.origin_of("p.1.1.1").element == "object[1].part[1].part[1]"


@pytest.mark.parametrize(
    ("body", "line", "where", "expected"),
    [
        ("<object>\n<name>cat</name>\n</object>\n", 5, "object[1].bndbox", "expected <bndbox>"),
        (
            "<object><name>cat</name>\n<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>a</xmax><ymax>3</ymax></bndbox></object>\n",
            6,
            "object[1].bndbox.xmax",
            "expected a number, got 'a'",
        ),
        (
            "<object><name>cat</name>\n<bndbox>\n<xmin>0</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>\n",
            7,
            "object[1].bndbox.xmin",
            "expected at least 1 (VOC pixel coordinates are 1-based), got 0",
        ),
        (
            "<object><name>cat</name>\n<bndbox><xmin>5</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>\n",
            6,
            "object[1].bndbox",
            "expected xmax >= xmin and ymax >= ymin",
        ),
        (
            "<object><name>cat</name>\n<difficult>2</difficult>"
            "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>\n",
            6,
            "object[1].difficult",
            "expected 0 or 1, got '2'",
        ),
        (
            "<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>\n",
            5,
            "object[1]: name",
            "expected the object's class in <name>",
        ),
        ("<object><name>cat</name>\n</objet>\n", 6, "", "not well-formed XML: mismatched tag"),
    ],
)
def test_malformed_files_name_the_line_and_element(
    tmp_path: Path, body: str, line: int, where: str, expected: str
) -> None:
    path = _file(tmp_path, _voc(body))
    with pytest.raises(ImportFailed) as caught:
        _read(path)
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert f"{where}: {expected}" in str(caught.value)


def test_a_file_that_is_not_voc(tmp_path: Path) -> None:
    path = _file(tmp_path, '<?xml version="1.0"?>\n\n<annotations/>\n')
    with pytest.raises(
        ImportFailed, match=r"x.xml:3: expected a Pascal VOC <annotation>, found <annotations>"
    ):
        _read(path)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE annotation [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<annotation><filename>&lol3;</filename></annotation>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<annotation><filename>&secret;</filename></annotation>
"""


@pytest.mark.parametrize(
    ("text", "line", "entity"),
    [(BILLION_LAUGHS, 3, "lol"), (EXTERNAL, 2, "secret")],
    ids=["billion-laughs", "external"],
)
def test_entity_declarations_are_refused(tmp_path: Path, text: str, line: int, entity: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ImportFailed) as caught:
        _read(path)
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert "are not allowed" in str(caught.value)
    assert entity in str(caught.value)


# --- through a project -----------------------------------------------------------------------


def test_an_unmapped_label_is_listed_and_a_mapping_imports_it(engine: Engine) -> None:
    project = create_project(engine, "voc", ONTOLOGY, TESTER)
    with pytest.raises(UnmappedLabels) as caught:
        import_foreign(engine, project.id, "voc", XML, TESTER)
    [unmapped] = caught.value.labels
    assert (unmapped.label, unmapped.count) == ("head", 1)
    assert unmapped.first == Origin(str(XML), 31, "object[2].part[1]")
    assert _count(engine) == (0, 0, 0)
    done = import_foreign(
        engine, project.id, "voc", XML, TESTER, mapping=LabelMap(labels={"head": "body-part"})
    )
    assert (done.imported.samples_written, done.imported.annotations, done.imported.links) == (
        1,
        3,
        1,
    )
    [(_, line)] = list(sample_lines(engine, project.id))
    stored = Sample.model_validate_json(line)
    assert [(a.label, a.geometry) for a in stored.annotations] == [
        ("cat", Box(x=0, y=1, w=3, h=3)),
        ("person", Box(x=3, y=4, w=3, h=3)),
        ("body-part", Box(x=4.5, y=5, w=3, h=3)),
    ]
    assert [(k.type, k.source, k.target) for k in stored.links] == [
        ("part-of", "2007_000001.2.1", "2007_000001.2")
    ]


def test_a_bad_file_in_a_folder_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "voc", ONTOLOGY, TESTER)
    good = "<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object>\n"
    _file(tmp_path, _voc(good), "a.xml")
    bad = _file(tmp_path, _voc(good.replace("<xmax>3", "<xmax>30")), "b.xml")
    with pytest.raises(ImportFailed) as caught:
        import_foreign(engine, project.id, "voc", tmp_path, TESTER)
    assert caught.value.file == str(bad)
    assert "geometry: box x=0.0 y=0.0 w=30.0 h=3.0 must lie inside the 20x10 image" in str(
        caught.value
    )
    assert _count(engine) == (0, 0, 0)


def test_export_then_import_keeps_boxes_labels_attributes_and_parts(
    engine: Engine, tmp_path: Path
) -> None:
    source = create_project(engine, "source", ONTOLOGY, TESTER)
    image = MEDIA / "images" / "chelsea.png"
    stream = Stream(
        id="c.img",
        name="image",
        modality="image",
        uri=str(image),
        media=MediaInfo(width=451, height=300),
    )
    original = Sample(
        id="c",
        external_id="chelsea",
        streams=[stream],
        annotations=[
            Annotation(
                id="c.cat",
                stream="c.img",
                label="cat",
                geometry=Box(x=142.25, y=20.5, w=300, h=279.5),
                attributes={"truncated": True, "pose": "Frontal"},
            ),
            Annotation(
                id="c.person",
                stream="c.img",
                label="person",
                geometry=Box(x=0, y=0, w=100.125, h=200),
                attributes={"walking": True, "difficult": False},
            ),
            Annotation(
                id="c.head",
                stream="c.img",
                label="body-part",
                geometry=Box(x=30, y=5, w=40, h=45.5),
            ),
        ],
        links=[Link(id="c.l", type="part-of", source="c.head", target="c.person")],
    )
    import_samples(engine, source.id, [original], TESTER)
    report = export_foreign(engine, source.id, "voc", tmp_path / "out")
    assert (report.samples, report.annotations, report.not_carried) == (1, 3, {})
    target = create_project(engine, "target", ONTOLOGY, TESTER)
    import_foreign(
        engine,
        target.id,
        "voc",
        tmp_path / "out",
        TESTER,
        options=ReadOptions(media_root=image.parent),
    )
    [(_, line)] = list(sample_lines(engine, target.id))
    back = Sample.model_validate_json(line)
    assert back.external_id == "chelsea.png"
    assert back.streams[0].uri == "chelsea.png"
    assert back.streams[0].media.width == 451
    assert [(a.label, a.geometry, a.attributes) for a in back.annotations] == [
        (a.label, a.geometry, a.attributes) for a in original.annotations
    ]
    by_id = {a.id: a.label for a in back.annotations}
    assert [(k.type, by_id[k.source], by_id[k.target]) for k in back.links] == [
        ("part-of", "body-part", "person")
    ]
