"""The native JSONL format: lossless round trips and errors that name file, line and field."""

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import (
    Box,
    Classification,
    Cuboid,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    Rle,
    TextSpan,
    Track,
    TrackFrame,
    TranscriptSegment,
    Word,
)
from rosetta.core.modality import Modality
from rosetta.core.schema import (
    Annotation,
    Entity,
    Link,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.formats.native import (
    compact_json,
    dumps_sample,
    parse_sample,
    part_json,
    read_samples,
    write_sample,
)

finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0, exclude_min=True, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0, max_value=1)
int64 = st.integers(-(2**63), 2**63 - 1)
ids = st.text(min_size=1, max_size=12)
texts = st.text(max_size=30)
maybe_text = st.none() | texts
frame = st.none() | st.integers(0, 10**6)

json_values = st.recursive(
    st.none() | st.booleans() | int64 | finite | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=10,
)
json_objects = st.dictionaries(texts, json_values, max_size=4)


@st.composite
def spans(draw: st.DrawFn) -> TextSpan:
    start = draw(st.integers(0, 10**6))
    return TextSpan(start=start, end=start + draw(st.integers(1, 1000)))


@st.composite
def intervals(draw: st.DrawFn) -> tuple[float, float]:
    start = draw(st.floats(min_value=0, max_value=1e6))
    return start, start + draw(st.floats(min_value=1e-3, max_value=1e3))


@st.composite
def transcripts(draw: st.DrawFn) -> TranscriptSegment:
    start, end = draw(intervals())
    fractions = draw(st.lists(unit, max_size=6))
    points = sorted(min(end, max(start, start + f * (end - start))) for f in fractions)
    words = [
        Word(text=draw(texts), start=points[i], end=points[i + 1])
        for i in range(0, len(points) - 1, 2)
    ]
    return TranscriptSegment(
        start=start, end=end, text=draw(texts), words=draw(st.sampled_from([None, words]))
    )


@st.composite
def tracks(draw: st.DrawFn) -> Track:
    frames = sorted(draw(st.lists(st.integers(0, 10**5), min_size=1, max_size=4, unique=True)))
    return Track(
        keyframes=[
            TrackFrame(
                frame=f,
                x=draw(finite),
                y=draw(finite),
                w=draw(positive),
                h=draw(positive),
                outside=draw(st.booleans()),
            )
            for f in frames
        ]
    )


@st.composite
def keypoints(draw: st.DrawFn) -> Keypoints:
    points = draw(
        st.lists(st.tuples(finite, finite, st.sampled_from([0, 1, 2])), min_size=1, max_size=4)
    )
    names = draw(st.none() | st.lists(texts, min_size=len(points), max_size=len(points)))
    return Keypoints(points=points, names=names, frame=draw(frame))


geometries = st.one_of(
    spans(),
    st.builds(Box, x=finite, y=finite, w=positive, h=positive, frame=frame),
    st.builds(
        Polygon,
        points=st.lists(st.tuples(finite, finite), min_size=3, max_size=6),
        frame=frame,
    ),
    st.builds(
        Mask,
        rle=st.builds(
            Rle, size=st.tuples(st.integers(1, 4096), st.integers(1, 4096)), counts=texts
        ),
        frame=frame,
    ),
    keypoints(),
    intervals().map(lambda se: Interval(start=se[0], end=se[1])),
    tracks(),
    st.builds(
        Cuboid,
        center=st.tuples(finite, finite, finite),
        size=st.tuples(positive, positive, positive),
        rotation=st.tuples(finite, finite, finite),
    ),
    st.just(Classification()),
    transcripts(),
)

media = st.builds(
    MediaInfo,
    width=st.none() | st.integers(1, 10**5),
    height=st.none() | st.integers(1, 10**5),
    duration=st.none() | st.floats(min_value=0, allow_infinity=False),
    frame_rate=st.none()
    | st.tuples(st.integers(1, 10**6), st.integers(1, 10**4)).map(
        lambda nd: str(Fraction(nd[0], nd[1]))
    ),
    frame_count=st.none() | st.integers(0, 10**7),
    sample_rate=st.none() | st.integers(1, 10**6),
    channels=st.none() | st.integers(1, 64),
    length=st.none() | st.integers(0, 10**9),
    codec=maybe_text,
    mime=maybe_text,
)

streams = st.builds(
    Stream,
    id=ids,
    name=ids,
    modality=st.sampled_from(list(Modality)),
    uri=maybe_text,
    text=maybe_text,
    media=media,
)

annotations = st.builds(
    Annotation,
    id=ids,
    stream=st.none() | ids,
    label=ids,
    geometry=geometries,
    attributes=json_objects,
    revision=st.integers(1, 2**31),
    ontology_version=st.none() | st.integers(1, 1000),
    author=maybe_text,
    source=st.builds(
        Source,
        kind=st.sampled_from(["human", "model", "import"]),
        name=maybe_text,
        version=maybe_text,
        confidence=st.none() | unit,
    ),
    flags=st.lists(texts, max_size=3),
)

sample_strategy = st.builds(
    Sample,
    id=ids,
    external_id=st.none() | texts,
    status=st.sampled_from(["new", "in_progress", "review", "done"]),
    metadata=json_objects,
    streams=st.lists(streams, max_size=3),
    annotations=st.lists(annotations, max_size=5),
    entities=st.lists(
        st.builds(
            Entity,
            id=ids,
            label=st.none() | ids,
            members=st.lists(ids, max_size=3),
            revision=st.integers(1, 100),
            author=maybe_text,
        ),
        max_size=2,
    ),
    links=st.lists(
        st.builds(
            Link,
            id=ids,
            type=ids,
            source=ids,
            target=ids,
            status=st.sampled_from(["proposed", "confirmed", "stale", "rejected"]),
            attributes=json_objects,
            revision=st.integers(1, 100),
            source_revision=st.none() | st.integers(1, 100),
            target_revision=st.none() | st.integers(1, 100),
            author=maybe_text,
        ),
        max_size=3,
    ),
)


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
