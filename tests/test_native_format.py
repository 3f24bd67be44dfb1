"""The native JSONL format: lossless round trips and errors that name file, line and field."""

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosetta.core.errors import ImportFailed
from rosetta.core.schema import Sample
from rosetta.formats.native import (
    compact_json,
    dumps_sample,
    parse_sample,
    part_json,
    read_samples,
    write_sample,
)
from strategies import annotations, geometries, media, sample_strategy


@settings(max_examples=300)
@given(sample_strategy)
def test_write_then_read_gives_equal_values(sample: Sample) -> None:
    out = io.BytesIO()
    write_sample(out, sample)
    assert out.getvalue().count(b"\n") == 1
    [(line, read)] = list(read_samples(io.BytesIO(out.getvalue())))
    assert line == 1
    assert read == sample
    assert dumps_sample(read) == dumps_sample(sample)


@settings(max_examples=300)
@given(st.one_of(geometries, media, annotations.map(lambda a: a.source)))
def test_parts_are_written_as_orjson_writes_their_dump(part: Any) -> None:
    """The store's JSON text of a part is the same whichever serialiser wrote it."""
    assert part_json(part) == compact_json(part.model_dump(exclude_none=True))


@given(st.lists(sample_strategy, min_size=1, max_size=4))
def test_a_file_of_samples_reads_back_in_order(samples: list[Sample]) -> None:
    out = io.BytesIO()
    for sample in samples:
        write_sample(out, sample)
    assert [s for _, s in read_samples(io.BytesIO(out.getvalue()))] == samples


def _line(**overrides: Any) -> dict[str, Any]:
    box = {"type": "box", "x": 1, "y": 2, "w": 3, "h": 4}
    record: dict[str, Any] = {
        "id": "s1",
        "annotations": [
            {"id": "a0", "stream": None, "label": "scene", "geometry": {"type": "classification"}},
            {"id": "a1", "stream": "img", "label": "cup", "geometry": box},
        ],
    }
    record.update(overrides)
    return record


def test_writer_leaves_out_nulls_and_keeps_schema_order() -> None:
    sample = Sample.model_validate(_line())
    assert dumps_sample(sample) == (
        b'{"id":"s1","status":"new","metadata":{},"streams":[],"annotations":['
        b'{"id":"a0","stream":null,"label":"scene","geometry":{"type":"classification"},'
        b'"attributes":{},"revision":1,"source":{"kind":"human"},"flags":[]},'
        b'{"id":"a1","stream":"img","label":"cup","geometry":{"type":"box","x":1.0,"y":2.0,'
        b'"w":3.0,"h":4.0},"attributes":{},"revision":1,"source":{"kind":"human"},"flags":[]}],'
        b'"entities":[],"links":[]}'
    )


def _file(tmp_path: Path, *lines: bytes) -> Path:
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _failure(path: Path) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        list(read_samples(path))
    return caught.value


def test_blank_lines_are_skipped_and_numbered(tmp_path: Path) -> None:
    good = dumps_sample(Sample.model_validate(_line()))
    path = _file(tmp_path, good, b"", b"   ", good.replace(b'"s1"', b'"s2"'))
    assert [(n, s.id) for n, s in read_samples(path)] == [(1, "s1"), (4, "s2")]
    assert [(n, s.id) for n, s in read_samples(path, start_line=2)] == [(4, "s2")]
    with path.open("rb") as handle:
        assert [n for n, _ in read_samples(handle)] == [1, 4]


def test_a_truncated_line_names_file_and_line(tmp_path: Path) -> None:
    good = dumps_sample(Sample.model_validate(_line()))
    path = _file(tmp_path, good, good[: len(good) // 2])
    failure = _failure(path)
    assert (failure.file, failure.line, failure.field) == (str(path), 2, "")
    assert str(failure).startswith(f"{path}:2: not valid JSON")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (
            lambda r: r["annotations"][1]["geometry"].update(w=-3),
            "annotations[1].geometry.w",
            "greater than 0",
        ),
        (
            lambda r: r["annotations"][1]["geometry"].update(w="wide"),
            "annotations[1].geometry.w",
            "valid number",
        ),
        (
            lambda r: r["annotations"][1].update(colour="red"),
            "annotations[1].colour",
            "Extra inputs are not permitted",
        ),
        (lambda r: r["annotations"][0].pop("stream"), "annotations[0].stream", "required"),
        (
            lambda r: r["annotations"][1]["geometry"].update(type="circle"),
            "annotations[1].geometry",
            "does not match any of the expected tags",
        ),
        (lambda r: r.update(status="finished"), "status", "'new', 'in_progress'"),
        (
            lambda r: r["annotations"][0].update(geometry={"type": "span", "start": 5, "end": 2}),
            "annotations[0].geometry",
            "must be greater than start",
        ),
    ],
)
def test_a_schema_error_names_the_field_path(
    tmp_path: Path, change: Any, field: str, expected: str
) -> None:
    record = _line()
    change(record)
    path = _file(tmp_path, dumps_sample(Sample.model_validate(_line())), orjson.dumps(record))
    failure = _failure(path)
    assert (failure.line, failure.field) == (2, field)
    assert expected in failure.detail
    assert str(failure).startswith(f"{path}:2: {field}: ")


def test_nan_and_non_objects_are_refused() -> None:
    with pytest.raises(ImportFailed, match="NaN and Infinity"):
        parse_sample(b'{"id": "s", "metadata": {"x": NaN}}')
    with pytest.raises(ImportFailed, match="expected a JSON object"):
        parse_sample(b"[1, 2]", file="f.jsonl", line_number=7)
    assert parse_sample('{"id": "s", "metadata": {"x": "NaN"}}').metadata == {"x": "NaN"}
