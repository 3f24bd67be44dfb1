"""DPO JSONL (`rosetta.formats.preference`): the real LLaMA-Factory v1 file and every
dialect read and written back as they were, Rosetta's own lines round trip with their
models and evaluators, the majority of several evaluators, media of the prompt, and bad
lines named by file, line and field."""

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import MEDIA, SHARED
from preference_samples import CAPTIONS, MODELS, PROMPT, preference_sample
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.preference import Candidate, Judgement, PairVerdict
from rosetta.core.schema import Sample, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.preference import read_dpo, write_dpo
from rosetta.formats.registry import format_spec

LLAMA_FACTORY = (
    SHARED / "fixtures" / "formats" / "preference" / "hiyouga__LLaMA-Factory" / "v1_dpo_demo.jsonl"
)
ONTOLOGY = Ontology(name="t", classes=[])


def lines_of(path: Path) -> list[Any]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def read(path: Path, options: ReadOptions | None = None) -> list[Sample]:
    return [foreign.sample for foreign in read_dpo(path, options or ReadOptions())]


def write_lines(tmp_path: Path, lines: list[Any], name: str = "pairs.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def texts(sample: Sample) -> dict[str, str | None]:
    return {stream.name: stream.text for stream in sample.streams}


def test_the_llama_factory_file_reads_and_writes_back_line_by_line(tmp_path: Path) -> None:
    original = lines_of(LLAMA_FACTORY)
    samples = read(LLAMA_FACTORY)
    assert len(samples) == len(original) == 10
    for sample, line in zip(samples, original, strict=True):
        user = line["chosen_messages"][1]["content"][0]["value"]
        assert texts(sample) == {
            "prompt": user,
            "chosen": line["chosen_messages"][-1]["content"][0]["value"],
            "rejected": line["rejected_messages"][-1]["content"][0]["value"],
        }
        chosen, rejected = sample.candidates
        (judgement,) = sample.judgements
        assert judgement.author is None
        assert judgement.pairs == [PairVerdict(a=chosen.id, b=rejected.id, choice="a")]
        # the system prompt and the loss weights stay with the sample
        system = sample.metadata["dpo"]["conversation"][0]
        assert system == line["chosen_messages"][0]
        assert chosen.metadata["dpo"]["messages"][0]["loss_weight"] == 1.0
    report = write_dpo(samples, ONTOLOGY, tmp_path)
    assert report.files == ["dpo.jsonl"] and report.samples == 10
    assert lines_of(tmp_path / "dpo.jsonl") == original


def test_the_llama_factory_file_written_as_trl_keeps_the_conversation(tmp_path: Path) -> None:
    samples = read(LLAMA_FACTORY)
    write_dpo(samples, ONTOLOGY, tmp_path, dialect="trl")
    first, original = lines_of(tmp_path / "dpo.jsonl")[0], lines_of(LLAMA_FACTORY)[0]
    assert first["prompt"] == [
        {"role": m["role"], "content": m["content"][0]["value"]}
        for m in original["chosen_messages"][:-1]
    ]
    assert first["chosen"] == [
        {"role": "assistant", "content": original["chosen_messages"][-1]["content"][0]["value"]}
    ]
    assert (first["sample"], first["evaluators"], first["agreement"]) == (
        "v1_dpo_demo.1",
        [],
        1.0,
    )


DIALECT_LINES = {
    "trl standard": {"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green.", "id": 7},
    "trl implicit prompt": {"chosen": "The sky is blue.", "rejected": "The sky is green."},
    "trl conversational": {
        "prompt": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What?"}]},
        ],
        "chosen": [{"role": "assistant", "content": "A cat."}],
        "rejected": [{"role": "assistant", "content": [{"type": "text", "text": "A dog."}]}],
        "images": ["cat.jpg"],
    },
    "alpaca": {
        "instruction": "Translate.",
        "input": "Bonjour",
        "chosen": "Hello",
        "rejected": "Goodbye",
        "system": "You translate.",
        "history": [["Hi", "Hello!"]],
    },
    "alpaca without input": {"instruction": "Count.", "chosen": "1 2", "rejected": "2 1"},
    "sharegpt": {
        "conversations": [
            {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": "Hello"},
            {"from": "human", "value": "Name a fruit."},
        ],
        "chosen": {"from": "gpt", "value": "Apple."},
        "rejected": {"from": "gpt", "value": "Carrot."},
        "system": "Answer in one word.",
        "tools": "[]",
    },
}
PROMPTS = {
    "trl standard": ("Sky?", "Blue.", "Green."),
    "trl implicit prompt": (None, "The sky is blue.", "The sky is green."),
    "trl conversational": ("What?", "A cat.", "A dog."),
    "alpaca": ("Translate.\nBonjour", "Hello", "Goodbye"),
    "alpaca without input": ("Count.", "1 2", "2 1"),
    "sharegpt": ("Name a fruit.", "Apple.", "Carrot."),
}


@pytest.mark.parametrize("name", sorted(DIALECT_LINES))
def test_every_dialect_reads_and_writes_back_as_it_was(tmp_path: Path, name: str) -> None:
    (tmp_path / "in").mkdir()
    (sample,) = read(write_lines(tmp_path / "in", [DIALECT_LINES[name]]))
    prompt, chosen, rejected = PROMPTS[name]
    assert texts(sample).get("prompt") == prompt
    assert (texts(sample)["chosen"], texts(sample)["rejected"]) == (chosen, rejected)
    write_dpo([sample], ONTOLOGY, tmp_path)
    assert lines_of(tmp_path / "dpo.jsonl") == [DIALECT_LINES[name]]


def test_a_conversational_prompt_image_is_a_prompt_stream(tmp_path: Path) -> None:
    shutil.copy(MEDIA / "images" / "chelsea.png", tmp_path / "cat.jpg")
    path = write_lines(tmp_path, [DIALECT_LINES["trl conversational"]])
    (sample,) = read(path, ReadOptions(media_root=tmp_path))
    image = next(s for s in sample.streams if s.modality == "image")
    assert (image.uri, image.media.width, image.media.height) == ("cat.jpg", 451, 300)
    assert image.id not in {sid for c in sample.candidates for sid in c.streams}


def test_rosetta_pairs_read_back_with_models_and_evaluators(tmp_path: Path) -> None:
    sample = preference_sample("p1", ("ann", "bob"))
    (tmp_path / "a").mkdir()
    write_dpo([sample], ONTOLOGY, tmp_path / "a")
    first = lines_of(tmp_path / "a" / "dpo.jsonl")
    # two evaluators: large > small (strength 3) and vlm > small; large ~ vlm tied: left out
    assert [(line["chosen"], line["rejected"]) for line in first] == [
        (CAPTIONS["large"], CAPTIONS["small"]),
        (CAPTIONS["vlm"], CAPTIONS["small"]),
    ]
    assert first[0] | {"chosen": "", "rejected": ""} == {
        "prompt": PROMPT,
        "chosen": "",
        "rejected": "",
        "images": ["images/astronaut.png"],
        "sample": "p1",
        "chosen_model": MODELS["large"],
        "rejected_model": MODELS["small"],
        "chosen_media": [],
        "rejected_media": [],
        "prompt_media": [{"stream": "photo", "modality": "image", "uri": "images/astronaut.png"}],
        "strength": 3,
        "evaluators": ["ann", "bob"],
        "agreement": 1.0,
    }
    samples = read(tmp_path / "a" / "dpo.jsonl", ReadOptions(media_root=MEDIA))
    chosen, rejected = samples[0].candidates
    assert (chosen.model, rejected.model) == (MODELS["large"], MODELS["small"])
    assert [(j.author, j.pairs[0].strength) for j in samples[0].judgements] == [
        ("ann", 3),
        ("bob", 3),
    ]
    image = next(s for s in samples[0].streams if s.modality == "image")
    assert (image.name, image.media.width) == ("photo", 512)
    (tmp_path / "b").mkdir()
    write_dpo(samples, ONTOLOGY, tmp_path / "b")
    assert lines_of(tmp_path / "b" / "dpo.jsonl") == first


def candidates_sample(*judgements: Judgement) -> Sample:
    streams = [
        Stream(id=f"s.{name}", name=name, modality="text", text=f"answer {name}") for name in "abc"
    ]
    return Sample(
        id="s",
        streams=[Stream(id="s.q", name="prompt", modality="text", text="Q?"), *streams],
        candidates=[Candidate(id=name, model=f"m-{name}", streams=[f"s.{name}"]) for name in "abc"],
        judgements=list(judgements),
    )


def verdicts(author: str, *pairs: tuple[str, str, str, int | None]) -> Judgement:
    return Judgement(
        id=f"j-{author}",
        author=author,
        pairs=[PairVerdict(a=a, b=b, choice=choice, strength=s) for a, b, choice, s in pairs],  # type: ignore[arg-type]
    )


THREE = candidates_sample(
    verdicts("ann", ("a", "b", "a", 2), ("a", "c", "tie", None), ("b", "c", "a", 1)),
    verdicts("bob", ("a", "b", "a", 3), ("a", "c", "tie", None), ("b", "c", "b", None)),
    verdicts("cy", ("a", "b", "b", 1), ("a", "c", "a", 2)),
)


def test_the_majority_of_three_evaluators_is_written(tmp_path: Path) -> None:
    report = write_dpo([THREE], ONTOLOGY, tmp_path)
    # a > b two votes to one; a ~ c tied by two of three; b ? c split one to one
    assert [
        {k: line[k] for k in ("chosen", "rejected", "strength", "evaluators", "agreement")}
        for line in lines_of(tmp_path / "dpo.jsonl")
    ] == [
        {
            "chosen": "answer a",
            "rejected": "answer b",
            "strength": 2,
            "evaluators": ["ann", "bob"],
            "agreement": 0.6667,
        }
    ]
    assert report.not_carried["split or tied pairs"].startswith("2 not written")


def test_each_judged_pair_is_a_line_when_asked(tmp_path: Path) -> None:
    report = write_dpo([THREE], ONTOLOGY, tmp_path, pairs="each")
    got = [
        (line["chosen_model"], line["rejected_model"], line["evaluators"], line["agreement"])
        for line in lines_of(tmp_path / "dpo.jsonl")
    ]
    assert got == [
        ("m-a", "m-b", ["ann"], None),
        ("m-b", "m-c", ["ann"], None),
        ("m-a", "m-b", ["bob"], None),
        ("m-c", "m-b", ["bob"], None),
        ("m-b", "m-a", ["cy"], None),
        ("m-a", "m-c", ["cy"], None),
    ]
    assert report.not_carried["ties"].startswith("2 not written")


def test_a_ranking_gives_pairs_and_unjudged_samples_give_none(tmp_path: Path) -> None:
    ranked = Judgement(id="r", author="dee", ranking=[["c"], ["a", "b"]])
    report = write_dpo(
        [candidates_sample(ranked), candidates_sample().model_copy(update={"id": "t"})],
        ONTOLOGY,
        tmp_path,
    )
    got = [
        (line["chosen_model"], line["rejected_model"]) for line in lines_of(tmp_path / "dpo.jsonl")
    ]
    assert got == [("m-c", "m-a"), ("m-c", "m-b")]
    assert report.samples == 1
    assert report.not_carried["split or tied pairs"].startswith("1 not written")


def test_rubric_scores_and_rationales_are_counted_as_not_carried(tmp_path: Path) -> None:
    report = write_dpo([preference_sample("p1", ("ann",))], ONTOLOGY, tmp_path)
    assert report.not_carried["rubric scores"].startswith("2 not written to dpo.jsonl")
    assert report.not_carried["rationales"].startswith("1 not written")
    assert report.not_carried["links"].startswith("1 not written")
    assert "rationales" in format_spec("dpo").not_carried


BAD_LINES = [
    (b'{"prompt": "Q", "rejected": "no"}', "chosen: missing"),
    (b'{"prompt": "Q", "chosen": 3, "rejected": "no"}', "chosen: expected a string or a list"),
    (
        b'{"prompt": ["Q"], "chosen": "yes", "rejected": "no"}',
        "prompt: expected a string, got list",
    ),
    (
        b'{"prompt": "Q", "chosen": "yes", "rejected": "no", "strength": 5}',
        "strength: expected 1, 2, 3",
    ),
    (
        b'{"prompt": "Q", "chosen": [{"role": "assistant"}], "rejected": []}',
        "chosen[0].content: expected",
    ),
    (
        b'{"prompt": "Q", "chosen": "y", "rejected": "n", "images": "a.png"}',
        "images: expected a list, got str",
    ),
    (b'{"question": "Q", "answer": "A"}', "no DPO dialect has these keys (answer, question)"),
    (b'{"prompt": "Q", "chosen": "yes", ', "not valid JSON"),
    (b"[1, 2]", "expected a JSON object, got list"),
    (
        b'{"chosen_messages": [{"role": "user", "content": [{"type": "text", "value": "Q"}]},'
        b' {"role": "assistant", "content": [{"type": "text", "value": 1}]}],'
        b' "rejected_messages": [{"role": "assistant", "content": []}]}',
        "chosen_messages[1].content[0].value: expected a string, got int",
    ),
    (
        b'{"chosen_messages": [{"role": "user", "content": [{"type": "text", "value": "Q"}]},'
        b' {"role": "assistant", "content": []}],'
        b' "rejected_messages": [{"role": "assistant", "content": []}]}',
        "rejected_messages: expected the same messages as chosen_messages before the last",
    ),
    (
        b'{"conversations": [], "chosen": "yes", "rejected": {}}',
        "chosen: expected an object, got str",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_a_bad_line_names_file_line_and_field(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"prompt": "Q", "chosen": "yes", "rejected": "no"}\n\n' + line + b"\n")
    with pytest.raises(ImportFailed) as failed:
        read(path)
    assert (failed.value.file, failed.value.line) == (str(path), 3)
    assert str(failed.value).startswith(f"{path}:3: {message}")


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    def samples() -> Any:
        yield THREE
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError):
        write_dpo(samples(), ONTOLOGY, tmp_path)
    assert list(tmp_path.iterdir()) == []
