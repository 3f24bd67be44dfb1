"""embedding-divergence on the demo, with a small real embedder: colour words against the
mean colour of the image region they are linked to.

The demo's own spans ("astronaut", "flag", "tabby cat", "cup") name no colour, so the
embedder cannot compare them; the tests link the coloured phrases of the demo's texts
("orange suit", "green eyes", "red saucer") to the demo's boxes.
"""

import colorsys
import math
import re
from collections.abc import Sequence
from importlib.metadata import entry_points

import numpy as np
import pytest
from PIL import Image

from rosetta.core.checks import CheckContext, CheckSettings, Finding, Severity, applies
from rosetta.core.checks.embedding_divergence import EmbeddingDivergence
from rosetta.core.geometry import Box, TextSpan, TranscriptSegment
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.demo.build import demo_samples

CHECK = EmbeddingDivergence()

#: Hues of colour words, degrees on the HSV wheel.
HUES = {"red": 0.0, "orange": 30.0, "yellow": 60.0, "green": 120.0, "blue": 240.0}


class MeanColourEmbedder:
    """Similarity of colour words and a box's pixels: the cosine of the angle between the
    hue of the box's mean colour and the word's hue (the best word when several).

    ``None`` when the words name no colour, the region is not a box on an image file, or
    the box's mean colour is too grey (saturation below 0.15) to have a hue.
    """

    name = "mean-colour-hue"

    def similarity(self, sample: Sample, first: Annotation, second: Annotation) -> float | None:
        streams = {stream.id: stream for stream in sample.streams}
        words = self._text(streams[first.stream or ""].text or "", first)
        hues = [HUES[w] for w in re.findall(r"[a-z]+", words.lower()) if w in HUES]
        box, stream = second.geometry, streams.get(second.stream or "")
        if not hues or not isinstance(box, Box) or stream is None or stream.uri is None:
            return None
        with Image.open(stream.uri) as image:
            crop = image.convert("RGB").crop((box.x, box.y, box.x + box.w, box.y + box.h))
        mean = np.asarray(crop, dtype=np.float64).reshape(-1, 3).mean(axis=0) / 255
        hue, saturation, _ = colorsys.rgb_to_hsv(*mean)
        if saturation < 0.15:
            return None
        return max(math.cos(math.radians(hue * 360 - word)) for word in hues)

    @staticmethod
    def _text(text: str, words: Annotation) -> str:
        if isinstance(words.geometry, TextSpan):
            return words.geometry.extract(text)
        if isinstance(words.geometry, TranscriptSegment):
            return words.geometry.text
        return ""


EMBEDDER = MeanColourEmbedder()


@pytest.fixture(scope="module")
def samples() -> dict[str, Sample]:
    return {sample.id: sample for sample in demo_samples()}


def _phrase(sample: Sample, stream_id: str, phrase: str) -> Annotation:
    """A span over `phrase` in the text stream `stream_id`."""
    text = next(stream.text for stream in sample.streams if stream.id == stream_id) or ""
    start = text.index(phrase)
    return Annotation(
        id=phrase.replace(" ", "-"),
        stream=stream_id,
        label="thing",
        geometry=TextSpan(start=start, end=start + len(phrase)),
    )


def _linked(sample: Sample, pairs: Sequence[tuple[Annotation, str]]) -> Sample:
    """`sample` with each span added and linked ``refers-to`` its target."""
    links = [
        Link(id=f"{span.id}->{target}", type="refers-to", source=span.id, target=target)
        for span, target in pairs
    ]
    return sample.model_copy(
        update={
            "annotations": [*sample.annotations, *(span for span, _ in pairs)],
            "links": [*sample.links, *links],
        }
    )


def _run(sample: Sample, ontology: Ontology, **settings: float) -> list[Finding]:
    context = CheckContext(sample, ontology, CheckSettings(**settings), EMBEDDER)
    return list(CHECK.run(context))


def test_the_builtin_is_registered_under_its_name() -> None:
    (entry,) = entry_points(group="rosetta.checks", name="embedding-divergence")
    assert entry.load() is EmbeddingDivergence


def test_it_runs_only_with_an_embedder(samples: dict[str, Sample], demo_ontology: Ontology) -> None:
    portrait = samples["portrait"]
    assert not applies(CHECK, CheckContext(portrait, demo_ontology))
    assert applies(CHECK, CheckContext(portrait, demo_ontology, embedder=EMBEDDER))


def test_colour_words_that_match_their_regions(
    samples: dict[str, Sample], demo_ontology: Ontology
) -> None:
    """The orange suit fills most of the astronaut's box (mean hue 12.6°); the cup's box
    is mostly the red saucer and brown espresso (21.1°). The demo's own spans name no
    colour, so they are skipped."""
    portrait = samples["portrait"]
    suit = _phrase(portrait, "portrait.caption", "orange suit")
    slideshow = samples["slideshow"]
    saucer = _phrase(slideshow, "slideshow.script", "red saucer")

    assert EMBEDDER.similarity(portrait, suit, _get(portrait, "portrait.astronaut")) == (
        pytest.approx(0.954, abs=1e-3)
    )
    assert EMBEDDER.similarity(slideshow, saucer, _get(slideshow, "slideshow.still-3.cup")) == (
        pytest.approx(0.933, abs=1e-3)
    )
    assert _run(_linked(portrait, [(suit, "portrait.astronaut")]), demo_ontology) == []
    assert _run(_linked(slideshow, [(saucer, "slideshow.cup")]), demo_ontology) == []


def test_green_eyes_linked_to_a_tabby_cat_is_a_warning(
    samples: dict[str, Sample], demo_ontology: Ontology
) -> None:
    """ "green eyes" linked to the whole cat's box, whose mean colour is tabby brown (hue
    25°): cos(25° - 120°) = -0.088. Linked to the cat's entity, the entity's box is
    compared (its script span and video track are not boxes on an image)."""
    slideshow = samples["slideshow"]
    eyes = _phrase(slideshow, "slideshow.script", "green eyes")
    found = _run(_linked(slideshow, [(eyes, "slideshow.cat")]), demo_ontology)

    similarity = EMBEDDER.similarity(slideshow, eyes, _get(slideshow, "slideshow.still-2.cat"))
    assert similarity == pytest.approx(-0.088, abs=1e-3)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            ("green-eyes->slideshow.cat", "green-eyes", "slideshow.still-2.cat"),
            {"similarity": similarity, "embedder": "mean-colour-hue"},
        )
    ]
    assert found[0].message == (
        "green-eyes and the box slideshow.still-2.cat it is linked to by "
        "green-eyes->slideshow.cat are dissimilar to mean-colour-hue: similarity -0.09, "
        "below 0.20"
    )
    # a project that tolerates less similar pairs
    linked = _linked(slideshow, [(eyes, "slideshow.cat")])
    assert _run(linked, demo_ontology, embedding_similarity=-0.5) == []


def _get(sample: Sample, annotation_id: str) -> Annotation:
    return next(a for a in sample.annotations if a.id == annotation_id)
