"""A preference sample's candidates and judgements through formats that have no place for
them (`rosetta.formats.not_carried`): written to ``not_carried.jsonl`` under the ids they
get when read back, every reference renamed, and put back by the reader; kept for the
record when their streams are read back into two samples; counted by the Parquet export."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import DEMO_ONTOLOGY
from preference_samples import preference_sample
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.preference import Candidate, Judgement
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.core.validation import check_preference
from rosetta.formats import parquet
from rosetta.formats.coco import read_coco, write_coco
from rosetta.formats.interchange import NOT_CARRIED, ReadOptions
from rosetta.formats.registry import format_spec
from rosetta.services.projects import load_ontology_file

ONTOLOGY: Ontology = load_ontology_file(DEMO_ONTOLOGY)
JUDGES = ("ann", "bob")


def _lines(folder: Path, *kinds: str) -> list[dict[str, Any]]:
    lines = [orjson.loads(line) for line in (folder / NOT_CARRIED).read_bytes().splitlines()]
    return [line for line in lines if line["kind"] in kinds]


def _by_model(sample: Sample) -> tuple[list[Any], list[Any]]:
    """The sample's candidates (model, version, metadata, streams by name and text) and
    judgements (every candidate named by its model, the rationale by its text): what must
    survive a round trip, whatever the ids."""
    streams = {stream.id: stream for stream in sample.streams}
    model = {candidate.id: candidate.model for candidate in sample.candidates}

    def candidate(c: Candidate) -> Any:
        named = [(streams[s].name, streams[s].text) for s in c.streams]
        return [c.model, c.model_version, c.metadata, named]

    def judgement(j: Judgement) -> Any:
        return [
            j.author,
            [model[c] for c in j.presented],
            [[model[p.a], model[p.b], p.choice, p.strength] for p in j.pairs],
            [[model[c] for c in tier] for tier in j.ranking],
            [[model[s.candidate], s.criterion, s.value] for s in j.scores],
            None if j.rationale is None else streams[j.rationale].text,
        ]

    return [candidate(c) for c in sample.candidates], [judgement(j) for j in sample.judgements]


@pytest.mark.parametrize("name", ["coco", "voc", "cvat-images", "label-studio"])
def test_candidates_and_judgements_come_back_with_their_references(
    tmp_path: Path, name: str
) -> None:
    spec = format_spec(name)
    assert spec.write is not None and spec.read is not None
    sample = preference_sample("pref", JUDGES)
    report = spec.write([sample], ONTOLOGY, tmp_path)
    assert report.not_carried["candidates"].startswith(f"3 written to {NOT_CARRIED}")
    assert report.not_carried["judgements"].startswith(f"2 written to {NOT_CARRIED}")

    [back] = [foreign.sample for foreign in spec.read(tmp_path, ReadOptions())]
    assert _by_model(back) == _by_model(sample)
    check_preference(back, ONTOLOGY)  # every reference names a record of the sample read back
    # the rationale's phrases still cite the caption span, across the renamed ids
    phrases = {a.id for a in back.annotations if a.label == "rationale-phrase"}
    rationales = {j.rationale for j in back.judgements}
    assert {a.stream for a in back.annotations if a.id in phrases} == rationales
    assert sum(link.source in phrases for link in back.links if link.type == "cites") == 2


def test_the_lines_name_the_ids_read_back(tmp_path: Path) -> None:
    sample = preference_sample("pref", JUDGES)
    write_coco([sample], ONTOLOGY, tmp_path)
    streams = {line["record"]["text"]: line["record"]["id"] for line in _lines(tmp_path, "stream")}
    candidates = _lines(tmp_path, "candidate")
    assert {line["sample"] for line in candidates} == {"instances.1"}
    ids = [line["record"]["id"] for line in candidates]
    assert ids == ["instances.1.candidate.1", "instances.1.candidate.2", "instances.1.candidate.3"]
    small, large, vlm = ids
    assert candidates[1]["record"] == {
        "id": large,
        "model": "captioner-large",
        "streams": [streams["An astronaut in an orange suit beside a flag."]],
        "metadata": {"temperature": 0.7},
    }
    ann, _ = _lines(tmp_path, "judgement")
    assert ann["sample"] == "instances.1"
    record = ann["record"]
    assert "revision" not in record  # a new judgement where it is read back
    assert (record["id"], record["author"]) == ("instances.1.judgement.1", "ann")
    assert record["presented"] == [vlm, small, large]
    assert record["pairs"] == [
        {"a": large, "b": small, "choice": "a", "strength": 3},
        {"a": vlm, "b": large, "choice": "tie"},
    ]
    assert record["ranking"] == [[large, vlm], [small]]
    assert [s["candidate"] for s in record["scores"]] == [large, small]
    rationale = next(
        line["record"]["id"]
        for line in _lines(tmp_path, "stream")
        if line["record"]["name"] == "rationale"
    )
    assert record["rationale"] == rationale


def _image(ident: str) -> Stream:
    return Stream(
        id=ident,
        name=ident,
        modality="image",
        uri=f"{ident}.png",
        media=MediaInfo(width=20, height=20),
    )


def test_candidates_in_two_samples_read_back_are_kept_for_the_record(tmp_path: Path) -> None:
    """Two image candidates become two COCO images, two samples read back: no one sample
    holds them, so they and the judgement keep their ids, in no sample."""
    sample = Sample(
        id="s",
        streams=[_image("left"), _image("right")],
        candidates=[
            Candidate(id="c-left", model="painter-a", streams=["left"]),
            Candidate(id="c-right", model="painter-b", streams=["right"]),
        ],
        judgements=[Judgement(id="j", author="ann", ranking=[["c-right"], ["c-left"]])],
    )
    report = write_coco([sample], ONTOLOGY, tmp_path)
    assert "3 record(s)" in report.not_carried["not read back"]
    lines = _lines(tmp_path, "candidate", "judgement")
    assert [(line["sample"], line["record"]["id"]) for line in lines] == [
        (None, "c-left"),
        (None, "c-right"),
        (None, "j"),
    ]
    assert lines[2]["record"]["ranking"] == [["c-right"], ["c-left"]]
    back = [foreign.sample for foreign in read_coco(tmp_path, ReadOptions())]
    assert len(back) == 2
    assert all(not s.candidates and not s.judgements for s in back)


def test_a_sample_the_format_cannot_hold_keeps_them_whole(tmp_path: Path) -> None:
    """A preference sample of text alone is no COCO image: it goes whole, read back as it
    was when the folder is read."""
    sample = preference_sample("pref", JUDGES)
    text_only = sample.model_copy(
        update={"streams": [s for s in sample.streams if s.modality == "text"]}
    )
    write_coco([text_only], ONTOLOGY, tmp_path)
    assert [line["kind"] for line in _lines(tmp_path, "sample", "candidate", "judgement")] == [
        "sample"
    ]
    [back] = [foreign.sample for foreign in read_coco(tmp_path, ReadOptions())]
    assert (back.candidates, back.judgements) == (text_only.candidates, text_only.judgements)


def test_a_candidate_line_that_cannot_be_put_back_names_its_line(tmp_path: Path) -> None:
    sample = preference_sample("pref", JUDGES)
    write_coco([sample], ONTOLOGY, tmp_path)
    path = tmp_path / NOT_CARRIED
    lines = path.read_bytes().splitlines()
    number = next(n for n, line in enumerate(lines, 1) if b'"kind":"candidate"' in line)
    broken = orjson.loads(lines[number - 1])
    broken["record"]["streams"] = []
    lines[number - 1] = orjson.dumps(broken)
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(ImportFailed) as failed:
        list(read_coco(tmp_path, ReadOptions()))
    assert (failed.value.file, failed.value.line) == (str(path), number)
    assert failed.value.field.endswith("candidates[0].streams")


def test_the_parquet_export_counts_what_it_leaves_out(tmp_path: Path) -> None:
    report = parquet.write_parquet([preference_sample("pref", JUDGES)], ONTOLOGY, tmp_path)
    assert report.not_carried == {
        "candidates": f"3 {parquet.NOT_WRITTEN}",
        "judgements": f"2 {parquet.NOT_WRITTEN}",
    }
    assert NOT_CARRIED not in report.files
