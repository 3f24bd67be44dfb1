"""Hostile files for every importer: hypothesis mutates a small valid document of each
format (its values replaced by plausible and by hostile ones, its records dropped or
doubled, its bytes flipped, cut and spliced) and imports it into a real store. The import
must succeed or fail with a domain error that says where (`ImportFailed`, `RuleViolation`,
`UnmappedLabels`), never any other exception; a failed import leaves every table of the
store as it was, and a successful one stores no NaN or infinite number.

The number of examples per format and kind of mutation is bounded here
(``ROSETTA_FUZZ_EXAMPLES``, default 12); ``make fuzz`` runs many more.
"""

import json
import math
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import Engine, func, select

from conftest import SHARED, TESTER
from foreign_formats import project_samples
from rosetta.core.errors import ImportFailed, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.services.format_io import import_foreign
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import create_project
from rosetta.store.tables import metadata

EXAMPLES = int(os.environ.get("ROSETTA_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
#: The errors an import may fail with: each names the file (and line or element) or the
#: object, the field and what was expected.
DOMAIN_ERRORS = (ImportFailed, RuleViolation, UnmappedLabels)
#: The foreign labels of the seeds onto the demo ontology.
MAPPING = LabelMap(
    labels={"default": "person", "cue": "speech", "Car": "car", "Truck": "vehicle"},
    drop=["DontCare"],
    attributes={"truncated": None, "occluded": None},
)
CALIB = SHARED / "fixtures" / "formats" / "sensor" / "openvinotoolkit__datumaro" / "kitti_3d"

#: Plausible and hostile values for a number, a string or any field.
HOSTILE_NUMBERS = st.sampled_from(
    [0, -1, -1e9, 1e308, 2**63, 2**64 + 1, 10**400, math.nan, math.inf, -math.inf, 1e-320, -0.0]
)
NUMBERS = st.integers(-5, 50) | st.floats(-5, 50) | HOSTILE_NUMBERS
STRINGS = st.text(max_size=12) | st.sampled_from(
    ["", "nan", "inf", "-1", "1e309", "NaN", "../../etc/passwd", "<script>x</script>", "\x00"]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | STRINGS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(STRINGS, inner, max_size=3),
    max_leaves=8,
)


@dataclass(frozen=True)
class Seed:
    """A small valid import of a format: its files (path -> bytes), the one whose text is
    mutated and what to import (`source`, a file or the folder ``.``)."""

    format: str
    files: dict[str, bytes]
    target: str
    source: str = "."


def _png(width: int, height: int) -> bytes:
    from io import BytesIO

    out = BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


ELAN = """<?xml version="1.0" encoding="UTF-8"?>
<ANNOTATION_DOCUMENT AUTHOR="" DATE="2020-01-01T00:00:00+00:00" FORMAT="3.0" VERSION="3.0">
<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>
<TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/><TIME_SLOT TIME_SLOT_ID="ts2"
 TIME_VALUE="1000"/><TIME_SLOT TIME_SLOT_ID="ts3" TIME_VALUE="1500"/></TIME_ORDER>
<TIER LINGUISTIC_TYPE_REF="default" TIER_ID="A"><ANNOTATION><ALIGNABLE_ANNOTATION
 ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" TIME_SLOT_REF2="ts2"><ANNOTATION_VALUE>hello</ANNOTATION_VALUE>
</ALIGNABLE_ANNOTATION></ANNOTATION><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a2"
 TIME_SLOT_REF1="ts2" TIME_SLOT_REF2="ts3"><ANNOTATION_VALUE>world</ANNOTATION_VALUE>
</ALIGNABLE_ANNOTATION></ANNOTATION></TIER>
<LINGUISTIC_TYPE GRAPHIC_REFERENCES="false" LINGUISTIC_TYPE_ID="default" TIME_ALIGNABLE="true"/>
</ANNOTATION_DOCUMENT>
"""
TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "person"
        xmin = 0
        xmax = 2
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 1
            text = "hi"
        intervals [2]:
            xmin = 1
            xmax = 2
            text = "there"
"""

SEEDS = {
    seed.format: seed
    for seed in [
        Seed(
            "native",
            {
                "samples.jsonl": _json(
                    {
                        "id": "s1",
                        "external_id": "s1",
                        "streams": [
                            {"id": "t", "name": "caption", "modality": "text", "text": "hello cat"}
                        ],
                        "annotations": [
                            {
                                "id": "a",
                                "stream": "t",
                                "label": "cat",
                                "geometry": {"type": "span", "start": 6, "end": 9},
                            }
                        ],
                    }
                )
                + b"\n"
            },
            "samples.jsonl",
            "samples.jsonl",
        ),
        Seed(
            "coco",
            {
                "instances.json": _json(
                    {
                        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
                        "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "cat"}],
                        "annotations": [
                            {
                                "id": 1,
                                "image_id": 1,
                                "category_id": 1,
                                "bbox": [1, 1, 4, 4],
                                "area": 16,
                                "iscrowd": 0,
                            },
                            {
                                "id": 2,
                                "image_id": 1,
                                "category_id": 2,
                                "segmentation": [[1, 1, 5, 1, 5, 5]],
                                "bbox": [1, 1, 4, 4],
                                "iscrowd": 0,
                            },
                        ],
                    }
                )
            },
            "instances.json",
            "instances.json",
        ),
        Seed(
            "label-studio",
            {
                "tasks.json": _json(
                    [
                        {
                            "id": 1,
                            "data": {"image": "a.jpg", "text": "a cat"},
                            "annotations": [
                                {
                                    "id": 1,
                                    "result": [
                                        {
                                            "id": "r1",
                                            "type": "rectanglelabels",
                                            "from_name": "label",
                                            "to_name": "image",
                                            "original_width": 20,
                                            "original_height": 10,
                                            "value": {
                                                "x": 10,
                                                "y": 10,
                                                "width": 20,
                                                "height": 20,
                                                "rotation": 0,
                                                "rectanglelabels": ["person"],
                                            },
                                        },
                                        {
                                            "id": "r2",
                                            "type": "labels",
                                            "from_name": "ner",
                                            "to_name": "text",
                                            "value": {
                                                "start": 2,
                                                "end": 5,
                                                "text": "cat",
                                                "labels": ["cat"],
                                            },
                                        },
                                    ],
                                }
                            ],
                        }
                    ]
                )
            },
            "tasks.json",
            "tasks.json",
        ),
        Seed(
            "dpo",
            {
                "pairs.jsonl": _json({"prompt": "Say hi", "chosen": "hi", "rejected": "go away"})
                + b"\n"
                + _json(
                    {
                        "conversations": [{"from": "human", "value": "Name a cat"}],
                        "chosen": {"from": "gpt", "value": "Tom"},
                        "rejected": {"from": "gpt", "value": "Rex"},
                    }
                )
                + b"\n"
            },
            "pairs.jsonl",
            "pairs.jsonl",
        ),
        Seed(
            "voc",
            {
                "a.xml": b"<annotation><filename>a.jpg</filename><size><width>20</width>"
                b"<height>10</height><depth>3</depth></size><object><name>person</name>"
                b"<truncated>0</truncated><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"
                b"<ymax>5</ymax></bndbox></object></annotation>"
            },
            "a.xml",
            "a.xml",
        ),
        Seed(
            "cvat-images",
            {
                "annotations.xml": b'<annotations><version>1.1</version><image id="0" name="a.jpg"'
                b' width="20" height="10"><box label="person" xtl="1" ytl="1" xbr="5" ybr="5"'
                b' occluded="0" z_order="0"/><polygon label="cat" points="1,1;5,1;5,5"'
                b' occluded="0"/><points label="person" points="2,2;3,3" occluded="0"/>'
                b"</image></annotations>"
            },
            "annotations.xml",
            "annotations.xml",
        ),
        Seed(
            "cvat-video",
            {
                "annotations.xml": b"<annotations><version>1.1</version><meta><task><size>10</size>"
                b"<start_frame>0</start_frame><stop_frame>9</stop_frame><original_size><width>20"
                b"</width><height>10</height></original_size></task></meta>"
                b'<track id="0" label="person"><box frame="0" xtl="1" ytl="1" xbr="5" ybr="5"'
                b' outside="0" occluded="0" keyframe="1"/><box frame="3" xtl="2" ytl="2" xbr="6"'
                b' ybr="6" outside="1" occluded="0" keyframe="1"/></track></annotations>'
            },
            "annotations.xml",
            "annotations.xml",
        ),
        Seed("elan", {"talk.eaf": ELAN.encode()}, "talk.eaf", "talk.eaf"),
        Seed(
            "srt",
            {
                "talk.srt": b"1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,500 --> "
                b"00:00:03,000\nworld\n"
            },
            "talk.srt",
            "talk.srt",
        ),
        Seed(
            "webvtt",
            {
                "talk.vtt": b"WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bob>hello\n\nx\n00:02.500 --> "
                b"00:03.000 align:start\nworld\n"
            },
            "talk.vtt",
            "talk.vtt",
        ),
        Seed("textgrid", {"talk.TextGrid": TEXTGRID.encode()}, "talk.TextGrid", "talk.TextGrid"),
        Seed(
            "kitti",
            {
                "label_2/000001.txt": b"Car 0.00 0 -1.65 650 160 700 200 1.86 0.60 2.02 4.59 1.32"
                b" 45.84 -1.55\nDontCare -1 -1 -10 500 170 590 190 -1 -1 -1 -1000 -1000 -1000 -10\n",
                "calib/000001.txt": (CALIB / "calib" / "000001.txt").read_bytes(),
            },
            "label_2/000001.txt",
        ),
        Seed(
            "yolo",
            {
                "data.yaml": b"path: .\ntrain: images/train\nnames:\n  0: person\n  1: cat\n",
                "images/train/1.png": _png(20, 10),
                "labels/train/1.txt": b"0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.3 0.1 0.2 0.5\n",
            },
            "labels/train/1.txt",
        ),
    ]
}
JSON_FORMATS = ["native", "coco", "label-studio", "dpo"]
XML_FORMATS = ["voc", "cvat-images", "cvat-video", "elan"]
TEXT_FORMATS = ["srt", "webvtt", "textgrid", "kitti", "yolo"]


# -- mutations ---------------------------------------------------------------------------


def _json_mutated(data: st.DataObject, document: Any) -> Any:
    """`document` with one to three of its values replaced, removed or doubled."""
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_json_paths(document, ()))
        path = data.draw(st.sampled_from(paths))
        document = _json_edit(data, document, path)
    return document


def _json_paths(node: Any, path: tuple[Any, ...]) -> Any:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_paths(value, (*path, index))


def _json_edit(data: st.DataObject, node: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        action = data.draw(st.sampled_from(["replace", "drop", "double"]))
        if action == "replace" or not isinstance(node, (dict, list)):
            return data.draw(JSON_VALUES)
        if isinstance(node, list):
            return [] if action == "drop" else node + node
        return {} if action == "drop" else {**node, data.draw(STRINGS): data.draw(JSON_VALUES)}
    head, rest = path[0], path[1:]
    copy = dict(node) if isinstance(node, dict) else list(node)
    if not rest and data.draw(st.booleans()):
        if isinstance(copy, dict):
            del copy[head]
        else:
            copy.insert(head, copy[head])
        return copy
    copy[head] = _json_edit(data, node[head], rest)
    return copy


def _json_bytes(document: Any, lines: bool) -> bytes:
    def dump(value: Any) -> str:
        # 10**400 and 1e309 written as the numbers they are, NaN and Infinity as Python's
        # json writes them (neither is JSON)
        return json.dumps(value, allow_nan=True)

    if lines:
        return "\n".join(dump(line) for line in document).encode() + b"\n"
    return dump(document).encode()


def mutate_json(data: st.DataObject, text: bytes) -> bytes:
    """A mutation of a JSON document or of JSON lines."""
    lines = text.endswith(b"\n")  # JSON lines end with one; the seeds' documents do not
    document = [json.loads(line) for line in text.splitlines()] if lines else json.loads(text)
    mutated = _json_mutated(data, document)
    if lines and not isinstance(mutated, list):
        mutated = [mutated]
    return _json_bytes(mutated, lines)


XML_VALUES = NUMBERS.map(str) | STRINGS.map(
    lambda text: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)
)


def mutate_xml(data: st.DataObject, text: bytes) -> bytes:
    """A mutation of an XML document: attribute values and texts replaced, attributes and
    elements removed or doubled (the seeds are ours: ElementTree parses them)."""
    root = ET.fromstring(text)
    elements = list(root.iter())
    for _ in range(data.draw(st.integers(1, 3))):
        element = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(["attribute", "text", "drop-attribute", "child"]))
        if action == "attribute" and element.attrib:
            name = data.draw(st.sampled_from(sorted(element.attrib)))
            element.set(name, data.draw(XML_VALUES))
        elif action == "drop-attribute" and element.attrib:
            del element.attrib[data.draw(st.sampled_from(sorted(element.attrib)))]
        elif action == "child" and len(element):
            child = data.draw(st.sampled_from(list(element)))
            if data.draw(st.booleans()):
                element.remove(child)
            else:
                element.append(ET.fromstring(ET.tostring(child)))
        else:
            element.text = data.draw(XML_VALUES)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def mutate_text(data: st.DataObject, text: bytes) -> bytes:
    """A mutation of a line-based text file: tokens replaced, lines dropped, doubled or
    swapped."""
    lines = text.decode().split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["token", "token", "drop", "double", "swap"]))
        if action == "token":
            tokens = re.split(r"([\s,:=]+)", lines[index])
            at = data.draw(st.integers(0, len(tokens) - 1))
            tokens[at] = data.draw(XML_VALUES | st.sampled_from(["-->", "00:00:99,999", "\ufeff"]))
            lines[index] = "".join(tokens)
        elif action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])
        else:
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    return "\n".join(lines).encode()


def mutate_bytes(data: st.DataObject, text: bytes) -> bytes:
    """Raw byte damage: bytes flipped, cut out, inserted (invalid UTF-8 among them) or the
    file truncated."""
    buffer = bytearray(text)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, max(len(buffer) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if action == "flip" and buffer:
            buffer[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del buffer[at : at + data.draw(st.integers(1, 16))]
        elif action == "insert":
            extra = data.draw(
                st.binary(min_size=1, max_size=8)
                | st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80"])
            )
            buffer[at:at] = extra
        else:
            del buffer[at:]
    return bytes(buffer)


STRUCTURAL: dict[str, Callable[[st.DataObject, bytes], bytes]] = {
    **dict.fromkeys(JSON_FORMATS, mutate_json),
    **dict.fromkeys(XML_FORMATS, mutate_xml),
    **dict.fromkeys(TEXT_FORMATS, mutate_text),
}


# -- the store ---------------------------------------------------------------------------


def store_dump(engine: Engine) -> dict[str, int]:
    """How many rows each table of the store holds (the ``imports`` table, where a native
    import records that it failed, left out)."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "imports"
        }


_PROJECTS = count()


def import_hostile(
    engine: Engine, ontology: Ontology, folder: Path, seed: Seed, text: bytes
) -> None:
    """Write the seed with `text` as its target file into `folder` and import it into a new
    project; the import succeeds or fails with a domain error and writes nothing."""
    shutil.rmtree(folder, ignore_errors=True)
    for name, content in {**seed.files, seed.target: text}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    project = create_project(engine, f"fuzz-{next(_PROJECTS)}", ontology, TESTER)
    before = store_dump(engine)
    try:
        if seed.format == "native":
            import_jsonl(engine, project.id, folder / seed.source, TESTER, new_ids=True)
        else:
            import_foreign(
                engine,
                project.id,
                seed.format,
                folder / seed.source,
                TESTER,
                mapping=MAPPING,
                new_ids=True,
            )
    except DOMAIN_ERRORS as error:
        assert str(error).strip()
        if isinstance(error, ImportFailed):
            assert error.file
        assert store_dump(engine) == before, f"a failed import wrote: {error}"
    else:
        for sample in project_samples(engine, project.id):
            assert not list(_not_finite(sample.model_dump())), sample


def _not_finite(value: Any) -> Iterator[float]:
    """The numbers in `value` (JSON-like) that are NaN or infinite."""
    if isinstance(value, float) and not math.isfinite(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _not_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _not_finite(item)


def _run(
    engine: Engine,
    ontology: Ontology,
    tmp_path: Path,
    name: str,
    mutate: Callable[[st.DataObject, bytes], bytes],
) -> None:
    seed = SEEDS[name]

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        text = mutate(data, seed.files[seed.target])
        import_hostile(engine, ontology, tmp_path / "in", seed, text)

    run()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_imports(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    seed = SEEDS[name]
    project = create_project(engine, "seed", demo_ontology, TESTER)
    for path, content in seed.files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    if name == "native":
        written = import_jsonl(engine, project.id, tmp_path / seed.source, TESTER).samples_written
    else:
        done = import_foreign(
            engine, project.id, name, tmp_path / seed.source, TESTER, mapping=MAPPING
        )
        written = done.imported.samples_written
    assert written >= 1


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_structural_mutations_import_or_fail_cleanly(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    _run(engine, demo_ontology, tmp_path, name, STRUCTURAL[name])


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_byte_damage_imports_or_fails_cleanly(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    _run(engine, demo_ontology, tmp_path, name, mutate_bytes)
