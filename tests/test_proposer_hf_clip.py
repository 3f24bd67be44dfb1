"""CLIP on a tiny random model that the fixture builds and saves: the clip-labels proposer
(a label from the request's list, a softmax confidence, the box kept) and the embedder
(cosine similarity in [-1, 1], the same crop whatever shape outlines it, the same text
whether a span or a transcript holds it, ``None`` where nothing can be compared), and the
embedding-divergence check running with it on the demo.

Random weights make the labels and similarities arbitrary; the tests check the contract
and compare with CLIP's own forward pass where a value can be computed independently."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from pydantic import ValidationError
from transformers import CLIPModel, CLIPProcessor

from conftest import MEDIA
from rosetta.core.checks import CheckContext, CheckSettings
from rosetta.core.checks.embedding_divergence import EmbeddingDivergence
from rosetta.core.checks.spec import Embedder
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import (
    Box,
    Classification,
    Geometry,
    Interval,
    Polygon,
    TextSpan,
    Track,
    TrackFrame,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.demo.build import demo_samples
from rosetta.proposers.hf_clip import ClipEmbedder, ClipLabelParameters, ClipLabels
from rosetta.proposers.image_input import mask_geometry
from rosetta.proposers.spec import MediaRef, Prompt, ProposalRequest, Proposer
from tiny_models import clip_model

CAT = MEDIA / "images" / "chelsea.png"  # 451 x 300
COFFEE = MEDIA / "images" / "coffee.png"
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
LABELS = ("cat", "cup", "astronaut", "flag")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip_model(tmp_path_factory.mktemp("clip-model"))


@pytest.fixture(scope="module")
def labels(folder: Path) -> ClipLabels:
    return ClipLabels(str(folder))


@pytest.fixture(scope="module")
def embedder(folder: Path) -> ClipEmbedder:
    return ClipEmbedder(str(folder))


def request(
    path: Path,
    prompt: Prompt | None = None,
    labels: tuple[str, ...] = LABELS,
    modality: Modality = Modality.IMAGE,
    template: str | None = None,
) -> ProposalRequest:
    stream = Stream(id=f"s-{path.stem}", name=path.name, modality=modality, uri=str(path))
    return ProposalRequest(
        sample_id="sample",
        stream=stream,
        media=MediaRef.local(str(path), path),
        prompt=prompt or Prompt(),
        labels=labels,
        parameters={"template": template} if template else {},
    )


def test_clip_labels_is_a_proposer() -> None:
    assert isinstance(ClipLabels(None), Proposer)
    assert ClipLabels.geometries == {"classification", "box"}


def test_a_whole_image_gets_one_of_the_labels(labels: ClipLabels) -> None:
    (proposals,) = labels.propose([request(CAT)])

    (proposal,) = proposals
    assert proposal.geometry == Classification()
    assert proposal.label in LABELS
    probabilities = proposal.details["probabilities"]
    assert set(probabilities) == set(LABELS)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert proposal.confidence == max(probabilities.values())
    assert probabilities[proposal.label] == proposal.confidence


def test_the_confidence_is_clips_softmax(labels: ClipLabels, folder: Path) -> None:
    """The probabilities equal those of CLIP's forward pass on the same image and texts."""
    (proposals,) = labels.propose([request(COFFEE, template="a {label} on a table")])

    model = CLIPModel.from_pretrained(folder, local_files_only=True)
    processor = CLIPProcessor.from_pretrained(folder, local_files_only=True)
    image = np.asarray(Image.open(COFFEE).convert("RGB"))
    texts = [f"a {label} on a table" for label in LABELS]
    inputs = processor(text=texts, images=[image], return_tensors="pt", padding=True)
    with torch.inference_mode():
        expected = model(**inputs).logits_per_image.softmax(dim=-1)[0].tolist()
    found = proposals[0].details["probabilities"]
    assert [found[label] for label in LABELS] == pytest.approx(expected, abs=1e-5)


def test_one_label_is_certain(labels: ClipLabels) -> None:
    (proposals,) = labels.propose([request(CAT, labels=("cat",))])
    assert (proposals[0].label, proposals[0].confidence) == ("cat", pytest.approx(1.0))


def test_a_box_is_labelled_and_kept(labels: ClipLabels) -> None:
    box = Box(x=100.5, y=50, w=200, h=150.25)
    (proposals,) = labels.propose([request(CAT, Prompt(box=box))])

    assert proposals[0].geometry == box
    assert proposals[0].label in LABELS


def test_a_box_over_the_whole_image_is_the_image(labels: ClipLabels) -> None:
    whole, boxed = labels.propose(
        [request(CAT), request(CAT, Prompt(box=Box(x=-5, y=-5, w=500, h=400)))]
    )
    assert boxed[0].details["probabilities"] == pytest.approx(whole[0].details["probabilities"])


def test_a_batch_gives_what_each_request_gives_alone(labels: ClipLabels) -> None:
    requests = [
        request(CAT, labels=("cat", "cup")),
        request(COFFEE, Prompt(box=Box(x=100, y=100, w=300, h=200))),
        request(COFFEE, labels=("astronaut", "cat", "flag")),
    ]
    together = labels.propose(requests)
    alone = [labels.propose([one])[0] for one in requests]

    assert [p[0].label for p in together] == [p[0].label for p in alone]
    for batched, single in zip(together, alone, strict=True):
        assert batched[0].confidence == pytest.approx(single[0].confidence, abs=1e-5)


def test_a_video_box_is_on_the_prompts_frame(labels: ClipLabels) -> None:
    prompt = Prompt(box=Box(x=10, y=10, w=100, h=100), frame=120)
    (proposals,) = labels.propose([request(VIDEO, prompt, modality=Modality.VIDEO)])

    assert proposals[0].geometry == Box(x=10, y=10, w=100, h=100, frame=120)


def test_clear_errors(labels: ClipLabels, tmp_path: Path) -> None:
    with pytest.raises(RuleViolation, match="chooses among the ontology's classes"):
        labels.propose([request(CAT, labels=())])
    with pytest.raises(RuleViolation, match="outside the 451x300 image"):
        labels.propose([request(CAT, Prompt(box=Box(x=500, y=0, w=10, h=10)))])
    with pytest.raises(ValidationError, match=r"must contain '\{label\}'"):
        ClipLabelParameters(template="a photo")
    missing = tmp_path / "clip-vit"
    assert f"{str(missing)!r} does not exist" in (ClipLabels(str(missing)).unavailable() or "")
    with pytest.raises(RosettaError, match="no model configured for clip-labels"):
        ClipLabels(None).propose([request(CAT)])


def annotation(ident: str, stream: str, geometry: Geometry) -> Annotation:
    return Annotation(id=ident, stream=stream, label="cat", geometry=geometry)


@pytest.fixture(scope="module")
def cat_sample() -> Sample:
    """A cat photo, a caption and a video, with words and regions outlined several ways."""
    rows, cols = np.mgrid[0:300, 0:451]
    face = (cols >= 150) & (cols < 300) & (rows >= 40) & (rows < 200)
    return Sample(
        id="cat",
        streams=[
            Stream(id="photo", name="photo", modality=Modality.IMAGE, uri=str(CAT)),
            Stream(id="caption", name="caption", modality=Modality.TEXT, text="A tabby cat."),
            Stream(id="video", name="video", modality=Modality.VIDEO, uri=VIDEO.as_uri()),
            Stream(id="audio", name="audio", modality=Modality.AUDIO, uri=str(MEDIA / "audio")),
        ],
        annotations=[
            annotation("span", "caption", TextSpan(start=2, end=11)),
            annotation("said", "audio", TranscriptSegment(start=0, end=1, text="tabby cat")),
            annotation("box", "photo", Box(x=150, y=40, w=150, h=160)),
            annotation(
                "polygon", "photo", Polygon(points=[(150, 40), (300, 120), (150, 200), (225, 40)])
            ),
            annotation("mask", "photo", mask_geometry(face)),
            annotation("outside", "photo", Box(x=600, y=0, w=10, h=10)),
            annotation("on-video", "video", Box(x=20, y=20, w=200, h=150, frame=120)),
            annotation("no-frame", "video", Box(x=20, y=20, w=200, h=150)),
            annotation(
                "track",
                "video",
                Track(
                    keyframes=[
                        TrackFrame(frame=100, x=0, y=0, w=5, h=5, outside=True),
                        TrackFrame(frame=120, x=20, y=20, w=200, h=150),
                    ]
                ),
            ),
            annotation("speaking", "audio", Interval(start=0, end=1)),
        ],
    )


def by_id(sample: Sample, ident: str) -> Annotation:
    return next(a for a in sample.annotations if a.id == ident)


def test_the_embedder_is_an_embedder(embedder: ClipEmbedder, folder: Path) -> None:
    checked: Embedder = embedder
    assert checked.name == f"clip {folder.name}"
    assert embedder.unavailable() is None


def test_similarity_is_clips_cosine_of_the_crop_and_the_words(
    embedder: ClipEmbedder, cat_sample: Sample, folder: Path
) -> None:
    found = embedder.similarity(cat_sample, by_id(cat_sample, "span"), by_id(cat_sample, "box"))

    model = CLIPModel.from_pretrained(folder, local_files_only=True)
    processor = CLIPProcessor.from_pretrained(folder, local_files_only=True)
    crop = np.asarray(Image.open(CAT).convert("RGB"))[40:200, 150:300]
    inputs = processor(text=["tabby cat"], images=[crop], return_tensors="pt")
    with torch.inference_mode():
        output = model(**inputs)
        expected = float(output.logits_per_image[0, 0] / model.logit_scale.exp())
    assert found == pytest.approx(expected, abs=1e-5)
    assert -1 <= expected <= 1


def test_one_crop_whatever_outlines_it_and_one_text_whatever_holds_it(
    embedder: ClipEmbedder, cat_sample: Sample
) -> None:
    """The box, the polygon and the mask share a bounding box; the span and the transcript
    segment say the same words; the order of the two annotations does not matter."""

    def similarity(first: str, second: str) -> float | None:
        return embedder.similarity(cat_sample, by_id(cat_sample, first), by_id(cat_sample, second))

    reference = similarity("span", "box")
    assert reference is not None
    for words in ("span", "said"):
        for region in ("box", "polygon", "mask"):
            assert similarity(words, region) == pytest.approx(reference, abs=1e-5)
            assert similarity(region, words) == pytest.approx(reference, abs=1e-5)


def test_video_regions_are_read_on_their_frame(embedder: ClipEmbedder, cat_sample: Sample) -> None:
    on_video = embedder.similarity(
        cat_sample, by_id(cat_sample, "span"), by_id(cat_sample, "on-video")
    )
    track = embedder.similarity(cat_sample, by_id(cat_sample, "said"), by_id(cat_sample, "track"))
    assert on_video is not None
    assert -1 <= on_video <= 1
    assert track == pytest.approx(on_video, abs=1e-5)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("span", "speaking"),  # an interval has no pixels
        ("span", "said"),  # two words
        ("box", "mask"),  # two regions
        ("span", "outside"),  # a box off the image
        ("span", "no-frame"),  # a box on a video without a frame
    ],
)
def test_pairs_it_cannot_compare_are_none(
    embedder: ClipEmbedder, cat_sample: Sample, first: str, second: str
) -> None:
    assert (
        embedder.similarity(cat_sample, by_id(cat_sample, first), by_id(cat_sample, second)) is None
    )


def test_the_embedding_check_runs_with_it_on_the_demo(
    embedder: ClipEmbedder, demo_ontology: Ontology
) -> None:
    """Every refers-to link of the demo joins words to a box or a track the embedder can
    compare: all are warnings above similarity 1, none below -1."""
    check = EmbeddingDivergence()
    for sample in demo_samples():
        mentions = [link for link in sample.links if link.type == "refers-to"]
        strict = CheckContext(
            sample, demo_ontology, CheckSettings(embedding_similarity=1.0), embedder
        )
        lenient = CheckContext(
            sample, demo_ontology, CheckSettings(embedding_similarity=-1.0), embedder
        )
        warned = list(check.run(strict))
        assert sorted(f.subjects[0] for f in warned) == sorted(link.id for link in mentions)
        assert all(-1 <= f.detail["similarity"] < 1 for f in warned)
        assert list(check.run(lenient)) == []
