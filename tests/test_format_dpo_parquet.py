"""DPO pairs as Parquet and ranked lists for reward models: the Parquet rows are the JSONL
rows (read back by pyarrow, and by `datasets` where it is installed), a Parquet file reads
back as the JSONL does, and ranked lists order candidates by their mean rank."""

from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from preference_samples import CAPTIONS, MODELS, PROMPT, preference_sample
from rosetta.core.ontology import Ontology
from rosetta.core.preference import Candidate, Judgement, PairVerdict
from rosetta.core.schema import Sample, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.preference import (
    read_dpo,
    read_dpo_parquet,
    write_dpo,
    write_dpo_parquet,
    write_ranked_lists,
)
from rosetta.formats.preference.ranked import judgement_ranks

ONTOLOGY = Ontology(name="t", classes=[])
SAMPLES = [preference_sample("p1", ("ann", "bob")), preference_sample("p2", ("cy",))]


def jsonl(path: Path) -> list[Any]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_the_parquet_rows_are_the_jsonl_rows(tmp_path: Path) -> None:
    report = write_dpo_parquet(SAMPLES, ONTOLOGY, tmp_path)
    write_dpo(SAMPLES, ONTOLOGY, tmp_path)
    assert report.files == ["dpo.parquet"] and report.samples == 2
    rows = pq.read_table(tmp_path / "dpo.parquet").to_pylist()
    lines = jsonl(tmp_path / "dpo.jsonl")
    assert len(lines) == 4
    absent = {"prompt": None, "images": None, "videos": None, "audios": None}
    assert rows == [absent | line for line in lines]
    assert rows[0]["prompt_media"] == [
        {"stream": "photo", "modality": "image", "uri": "images/astronaut.png"}
    ]
    meta = pq.read_schema(tmp_path / "dpo.parquet").metadata
    assert orjson.loads(meta[b"rosetta.ontology"]) == {"name": "t", "version": 1}


def test_the_parquet_file_reads_back_as_the_jsonl(tmp_path: Path) -> None:
    write_dpo_parquet(SAMPLES, ONTOLOGY, tmp_path)
    write_dpo(SAMPLES, ONTOLOGY, tmp_path)
    from_parquet = [f.sample for f in read_dpo_parquet(tmp_path / "dpo.parquet", ReadOptions())]
    from_jsonl = [f.sample for f in read_dpo(tmp_path / "dpo.jsonl", ReadOptions())]

    def values(sample: Sample) -> Any:
        return (
            [(s.name, s.modality, s.uri, s.text) for s in sample.streams],
            [c.model for c in sample.candidates],
            [(j.author, j.pairs) for j in sample.judgements],
        )

    assert [values(s) for s in from_parquet] == [values(s) for s in from_jsonl]
    assert values(from_parquet[0])[1] == [MODELS["large"], MODELS["small"]]


def test_datasets_loads_the_parquet_file(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    write_dpo_parquet(SAMPLES, ONTOLOGY, tmp_path)
    loaded = datasets.load_dataset(
        "parquet",
        data_files=str(tmp_path / "dpo.parquet"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert loaded.num_rows == 4
    assert loaded[0]["prompt"] == PROMPT
    assert loaded[0]["chosen"] == CAPTIONS["large"]
    assert loaded[0]["evaluators"] == ["ann", "bob"]


def test_a_conversation_is_written_as_its_prompt_text(tmp_path: Path) -> None:
    line = {
        "prompt": [{"role": "system", "content": "Short."}, {"role": "user", "content": "Hi?"}],
        "chosen": [{"role": "assistant", "content": "Hello."}],
        "rejected": [{"role": "assistant", "content": "Go away."}],
    }
    (tmp_path / "in.jsonl").write_bytes(orjson.dumps(line) + b"\n")
    samples = [f.sample for f in read_dpo(tmp_path / "in.jsonl", ReadOptions())]
    report = write_dpo_parquet(samples, ONTOLOGY, tmp_path)
    (row,) = pq.read_table(tmp_path / "dpo.parquet").to_pylist()
    assert (row["prompt"], row["chosen"], row["rejected"]) == ("Hi?", "Hello.", "Go away.")
    assert report.not_carried["conversations"].startswith("1 pair(s)")


def three(*judgements: Judgement) -> Sample:
    return Sample(
        id="s",
        streams=[
            Stream(id="s.q", name="prompt", modality="text", text="Q?"),
            *(Stream(id=f"s.{n}", name=n, modality="text", text=f"answer {n}") for n in "abc"),
        ],
        candidates=[Candidate(id=n, model=f"m-{n}", streams=[f"s.{n}"]) for n in "abc"],
        judgements=list(judgements),
    )


def test_ranks_come_from_tiers_or_from_pairs() -> None:
    assert judgement_ranks(Judgement(id="r", ranking=[["b"], ["a", "c"]])) == {
        "b": 1,
        "a": 2,
        "c": 2,
    }
    pairs = Judgement(
        id="p",
        pairs=[
            PairVerdict(a="a", b="b", choice="b"),
            PairVerdict(a="a", b="c", choice="tie"),
            PairVerdict(a="b", b="c", choice="a"),
        ],
    )
    assert judgement_ranks(pairs) == {"a": 2, "b": 1, "c": 2}


def test_ranked_lists_order_candidates_by_mean_rank(tmp_path: Path) -> None:
    sample = three(
        Judgement(id="j1", author="ann", ranking=[["b"], ["a"], ["c"]]),
        Judgement(id="j2", author="bob", ranking=[["a"], ["b"]]),
        Judgement(id="j3", author="cy", ranking=[["b", "a"]]),
    )
    unjudged = three().model_copy(update={"id": "t"})
    report = write_ranked_lists([sample, unjudged], ONTOLOGY, tmp_path)
    (line,) = jsonl(tmp_path / "ranked.jsonl")
    assert (line["sample"], line["prompt"], line["evaluators"]) == ("s", "Q?", ["ann", "bob", "cy"])
    # b: 1, 2, 1 -> 4/3; a: 2, 1, 1 -> 4/3 (tied: the sample's order, one rank); c: 3
    assert [
        (c["candidate"], c["model"], c["text"], c["rank"], c["mean_rank"], c["judgements"])
        for c in line["candidates"]
    ] == [
        ("a", "m-a", "answer a", 1, 4 / 3, 3),
        ("b", "m-b", "answer b", 1, 4 / 3, 3),
        ("c", "m-c", "answer c", 3, 3.0, 1),
    ]
    assert report.samples == 1
    assert report.not_carried == {
        "samples": "1 without ranked candidates not written to ranked.jsonl"
    }


def test_a_candidate_nobody_ranked_comes_last_without_rank(tmp_path: Path) -> None:
    write_ranked_lists([three(Judgement(id="j", ranking=[["c"], ["b"]]))], ONTOLOGY, tmp_path)
    (line,) = jsonl(tmp_path / "ranked.jsonl")
    assert [(c["candidate"], c["rank"], c["mean_rank"]) for c in line["candidates"]] == [
        ("c", 1, 1.0),
        ("b", 2, 2.0),
        ("a", None, None),
    ]
    assert line["evaluators"] == []
