"""The export builds its lines in SQL: they must be the bytes `dumps_sample` writes, for any
stored records, on SQLite and PostgreSQL."""

import io
import unicodedata

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from builders import insert_sample
from rosetta.core.geometry import Classification, TextSpan
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Project, Sample, Stream
from rosetta.formats.native import dumps_sample
from rosetta.services.exporter import CHUNK, export_jsonl
from rosetta.store.tables import annotations, entities, entity_members, links, samples, streams
from strategies import sample_strategy

#: Characters whose escaping differs between JSON writers, and numbers at their limits.
AWKWARD = '"\\/\b\f\n\r\t\x00\x01\x1f\x7f\x80\xa0\u2028\u2029\ufeff\U0001f469\u200d\U0001f680'
#: The awkward characters an id may hold (`rosetta.core.schema.Id`: no '/' and no controls).
AWKWARD_ID = "".join(c for c in AWKWARD if c != "/" and unicodedata.category(c) != "Cc")
#: Those a text column may hold (`rosetta.core.ids.Text`: no NUL; JSON payloads keep it).
AWKWARD_TEXT = AWKWARD.replace("\x00", "")


def _awkward_sample() -> Sample:
    text = AWKWARD_TEXT * 3
    return Sample(
        id=AWKWARD_ID,
        external_id=AWKWARD_TEXT,
        metadata={AWKWARD: [2**63 - 1, -(2**63), 1e300, 5e-324, -0.0, 0.1, None, True]},
        streams=[
            Stream(
                id="text",
                name=AWKWARD_TEXT,
                modality="text",
                uri=AWKWARD_TEXT,
                text=text,
                media=MediaInfo(length=len(text), codec=AWKWARD),
            )
        ],
        annotations=[
            Annotation(
                id="span",
                stream="text",
                label=AWKWARD_TEXT,
                geometry=TextSpan(start=0, end=3),
                attributes={AWKWARD: AWKWARD},
                revision=2**31 - 1,
                ontology_version=2**31 - 1,
                author=AWKWARD_TEXT,
                flags=[AWKWARD],
            ),
            Annotation(id="scene", stream=None, label="scene", geometry=Classification()),
        ],
        entities=[Entity(id="e", label=AWKWARD_TEXT, members=["scene", "span"], author="")],
        links=[
            Link(
                id="l",
                type=AWKWARD_TEXT,
                source="span",
                target="e",
                attributes={"": AWKWARD},
                source_revision=0,
                target_revision=2**31 - 1,
                author=AWKWARD_TEXT,
            )
        ],
    )


def _storable(batch: list[Sample]) -> list[Sample]:
    """`batch` made fit for the tables: ids unique in their table, the streams and members
    that annotations and entities name existing, revisions in 32 bits."""
    stored = []
    for number, sample in enumerate(batch):

        def unique(ident: str, kind: str, index: int, number: int = number) -> str:
            return f"{ident}~{number}{kind}{index}"

        stream_ids = [unique(s.id, "s", i) for i, s in enumerate(sample.streams)]
        annotation_ids = [unique(a.id, "a", i) for i, a in enumerate(sample.annotations)]
        stored.append(
            sample.model_copy(
                update={
                    "id": unique(sample.id, "", 0),
                    "external_id": None
                    if sample.external_id is None
                    else unique(sample.external_id, "x", 0),
                    "streams": [
                        s.model_copy(update={"id": ident})
                        for s, ident in zip(sample.streams, stream_ids, strict=True)
                    ],
                    "annotations": [
                        a.model_copy(
                            update={
                                "id": ident,
                                "stream": stream_ids[i % len(stream_ids)]
                                if stream_ids and a.stream is not None
                                else None,
                                "revision": min(a.revision, 2**31 - 1),
                            }
                        )
                        for i, (a, ident) in enumerate(
                            zip(sample.annotations, annotation_ids, strict=True)
                        )
                    ],
                    "entities": [
                        e.model_copy(
                            update={
                                "id": unique(e.id, "e", i),
                                "members": annotation_ids[i : i + len(e.members)],
                            }
                        )
                        for i, e in enumerate(sample.entities)
                    ],
                    "links": [
                        link.model_copy(update={"id": unique(link.id, "l", i)})
                        for i, link in enumerate(sample.links)
                    ],
                }
            )
        )
    return stored


def _clear(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in (links, entity_members, entities, annotations, streams, samples):
            connection.execute(delete(table))


def _export(engine: Engine, project_id: str) -> bytes:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out)
    return out.getvalue()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(batch=[_awkward_sample()])
@given(batch=st.lists(sample_strategy, min_size=1, max_size=3))
def test_export_writes_the_bytes_of_dumps_sample(
    engine: Engine, project: Project, batch: list[Sample]
) -> None:
    stored = _storable(batch)
    try:
        for sample in stored:
            insert_sample(engine, project.id, sample)
        assert _export(engine, project.id) == b"".join(dumps_sample(s) + b"\n" for s in stored)
    finally:
        _clear(engine)


def test_export_counts_and_pages_through_chunks(engine: Engine, project: Project) -> None:
    """More samples than a chunk, some with nothing in them: every line in pk order, counted."""
    count = CHUNK + 3
    stored = [
        insert_sample(
            engine,
            project.id,
            Sample(
                id=f"s{i}",
                annotations=[
                    Annotation(
                        id=f"s{i}.{j}", stream=None, label="scene", geometry=Classification()
                    )
                    for j in range(i % 3)
                ],
                entities=[Entity(id=f"s{i}.e", members=[])] if i % 2 else [],
                links=[Link(id=f"s{i}.l", type="same-as", source="a", target="b")]
                if i % 5 == 0
                else [],
            ),
        )
        for i in range(count)
    ]
    seen: list[int] = []
    out = io.BytesIO()
    report = export_jsonl(engine, project.id, out, progress=seen.append)
    assert out.getvalue() == b"".join(dumps_sample(s) + b"\n" for s in stored)
    assert [orjson.loads(line)["id"] for line in out.getvalue().splitlines()[:3]] == [
        "s0",
        "s1",
        "s2",
    ]
    assert (report.samples, report.annotations, report.entities, report.links) == (
        count,
        sum(i % 3 for i in range(count)),
        count // 2,
        len(range(0, count, 5)),
    )
    assert seen == [CHUNK, count]
