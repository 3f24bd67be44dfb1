"""A project's pooled agreement on both backends: the demo's samples imported through the
importer with ada's work and a copy of it by bob, perturbed (the flag's box moved off, the
shuttle relabelled vehicle, a script mention linked to the wrong still, two shots shifted
by 125 ms, "flag" heard as "flat"), and a model's candidate that is nobody's work. Every
number is checked by hand and against the core functions on the same records."""

from typing import Any, TypeVar

import krippendorff
import numpy as np
import pytest
from sqlalchemy import Engine

from conftest import TESTER
from overlap_samples import CANDIDATE, SHIFT, with_bob
from rosetta.core.geometry import Box, Track, TranscriptSegment
from rosetta.core.link_agreement import sample_link_agreement, split_by_author, undirected_relations
from rosetta.core.ontology import Ontology
from rosetta.core.quality_model import (
    ClassAgreement,
    LinkAgreementSummary,
    ModalityAgreement,
    RelationAgreement,
)
from rosetta.core.region_agreement import region_agreement
from rosetta.core.reliability import coded, cohens_kappa
from rosetta.core.schema import Project, Sample
from rosetta.core.track_agreement import match_tracks
from rosetta.core.transcript_agreement import text_errors, transcript_text
from rosetta.demo.build import demo_samples, read_sentences
from rosetta.services.importer import import_samples
from rosetta.services.project_agreement import ProjectAgreement, _pooled_alpha, project_agreement

G = TypeVar("G")


@pytest.fixture
def doubled(engine: Engine, project: Project) -> list[Sample]:
    """The demo's samples with bob's copies, imported."""
    found = [with_bob(sample) for sample in demo_samples(project.ontology_version)]
    import_samples(engine, project.id, found, TESTER)
    return found


def _agreement(
    engine: Engine, project: Project, ontology: Ontology, **options: Any
) -> ProjectAgreement:
    with engine.connect() as connection:
        return project_agreement(connection, project.id, ontology, **options)


def _row(found: ProjectAgreement, modality: str, family: str) -> ModalityAgreement:
    (row,) = [m for m in found.within if (m.modality, m.family) == (modality, family)]
    return row


def _work(sample: Sample, who: str, stream: str, kind: type[G]) -> tuple[list[G], list[str]]:
    """One person's geometries of type `kind` on one stream, and their labels."""
    drawn = [a for a in split_by_author(sample)[who].annotations if a.stream == stream]
    return [g for a in drawn if isinstance(g := a.geometry, kind)], [
        a.label for a in drawn if isinstance(a.geometry, kind)
    ]


def test_regions_pool_matches_labels_and_classes(
    engine: Engine, project: Project, demo_ontology: Ontology, doubled: list[Sample]
) -> None:
    found = _agreement(engine, project, demo_ontology)
    samples = {s.id: s for s in doubled}
    assert [(m.modality, m.family) for m in found.within] == [
        ("audio", "segment"),
        ("audio", "transcript"),
        ("image", "classification"),
        ("image", "region"),
        ("text", "span"),
        ("video", "segment"),
        ("video", "track"),
    ]
    # the photo: astronaut and shuttle matched (IoU 1), the moved flag unmatched on both
    # sides; each of the three stills one box matched: 5 matched of 6 + 6 boxes
    image = _row(found, "image", "region")
    assert (image.samples, image.pairs, image.matched, image.unmatched) == (2, 2, 5, 2)
    assert image.f1 == 10 / 12
    assert image.mean_iou == 1.0
    assert image.label_agreement == 4 / 5
    ada = ["person", "spacecraft", "person", "cat", "cup"]
    bob = ["person", "vehicle", "person", "cat", "cup"]
    assert image.label_kappa == pytest.approx(cohens_kappa(ada, bob), abs=1e-9)
    # the same from the core on each image stream
    pooled = []
    for sample, stream in [
        ("portrait", "portrait.photo"),
        *(("slideshow", f"slideshow.still-{n}") for n in (1, 2, 3)),
    ]:
        (ada_boxes, ada_labels), (bob_boxes, bob_labels) = (
            _work(samples[sample], who, stream, Box) for who in ("ada", "bob")
        )
        pooled.append(region_agreement(ada_boxes, bob_boxes, ada_labels, bob_labels).matching)
    assert image.matched == sum(len(m.matches) for m in pooled)
    assert image.f1 == 2 * image.matched / sum(m.first_count + m.second_count for m in pooled)
    # the relabelled shuttle, counted both ways; the two matched persons twice each
    (confusion,) = [c for c in found.confusions if c.modality == "image"]
    assert confusion.labels == ["cat", "cup", "person", "scene", "spacecraft", "vehicle"]
    cell = {
        (a, b): confusion.counts[i][j]
        for i, a in enumerate(confusion.labels)
        for j, b in enumerate(confusion.labels)
    }
    assert cell["spacecraft", "vehicle"] == cell["vehicle", "spacecraft"] == 1
    assert cell["person", "person"] == 4
    assert sum(map(sum, confusion.counts)) == 2 * (5 + 1)
    classes = {(c.modality, c.label): c for c in found.classes}
    assert classes["image", "flag"] == ClassAgreement(
        modality="image", label="flag", agreed=0, disagreed=2, f1=0.0
    )
    assert classes["image", "spacecraft"].disagreed == classes["image", "vehicle"].disagreed == 1
    assert classes["image", "person"] == ClassAgreement(
        modality="image", label="person", agreed=2, disagreed=0, f1=1.0
    )
    scene = _row(found, "image", "classification")
    assert (scene.matched, scene.unmatched, scene.f1, scene.label_agreement) == (1, 0, 1.0, 1.0)
    assert scene.mean_iou is None and scene.label_kappa is None


def test_segments_transcripts_spans_and_tracks(
    engine: Engine, project: Project, demo_ontology: Ontology, doubled: list[Sample]
) -> None:
    found = _agreement(engine, project, demo_ontology)
    samples = {s.id: s for s in doubled}
    # the shots: two of three shifted by 125 ms, within the 0.2 s tolerance
    shots = _row(found, "video", "segment")
    assert (shots.matched, shots.unmatched, shots.f1) == (3, 0, 1.0)
    assert shots.boundary_deviation == pytest.approx(SHIFT, abs=1e-9)  # 4 of 6 boundaries
    assert shots.wer is None and shots.label_agreement == 1.0
    assert (
        _row(_agreement(engine, project, demo_ontology, tolerance=0.1), "video", "segment").matched
        == 1
    )
    # the speakers' turns: the model's candidate on spoken-2 is nobody's work
    turns = _row(found, "audio", "segment")
    assert (turns.samples, turns.pairs, turns.matched, turns.unmatched) == (4, 4, 4, 0)
    assert turns.boundary_deviation == 0.0
    # one word of 58 a side ("flag" heard "flat"), both ways round: 2 / 116
    sentences = read_sentences()
    words = 2 * sum(len(s.text.split()) for s in sentences)
    assert words == 58
    speech = _row(found, "audio", "transcript")
    assert speech.wer == 1 / words
    texts = [
        transcript_text(_work(samples[sample], "ada", stream, TranscriptSegment)[0])
        for sample, stream in [
            *((f"spoken-{n}", f"spoken-{n}.audio") for n in (1, 2, 3)),
            ("slideshow", "slideshow.narration"),
        ]
    ]
    characters = sum(text_errors(t, t).characters.reference_length for t in texts)
    assert speech.cer == 2 / (2 * characters)  # one letter each way
    assert (speech.matched, speech.unmatched, speech.boundary_deviation) == (6, 0, 0.0)
    spans = _row(found, "text", "span")
    assert (spans.samples, spans.matched, spans.unmatched, spans.f1, spans.mean_iou) == (
        2,
        5,
        0,
        1.0,
        1.0,
    )
    tracks = _row(found, "video", "track")
    ada, bob = (
        _work(samples["slideshow"], who, "slideshow.video", Track)[0] for who in ("ada", "bob")
    )
    core = match_tracks(ada, bob, last_frame=243)  # the video's 244 frames
    assert tracks.matched == len(core.matches) == 3
    assert tracks.mean_iou == pytest.approx(core.mean_score, abs=1e-9)
    assert tracks.mean_iou == 1.0


def test_links_pool_counts_and_alpha(
    engine: Engine, project: Project, demo_ontology: Ontology, doubled: list[Sample]
) -> None:
    found = _agreement(engine, project, demo_ontology)
    # 17 links a side; unmatched: the link to the moved flag and the one re-targeted
    assert (found.links.samples, found.links.pairs) == (5, 5)
    assert found.links.f1 == 30 / 34
    assert found.links.per_type == [
        RelationAgreement(type="refers-to", links=16, f1=12 / 16),
        RelationAgreement(type="speaker-of", links=12, f1=1.0),
        RelationAgreement(type="synchronized-with", links=6, f1=1.0),
    ]
    # the core on each sample: link units side by side, α by the krippendorff package
    undirected = undirected_relations(demo_ontology)
    results = [sample_link_agreement(split_by_author(s), undirected=undirected) for s in doubled]
    rows = [[value for r in results for value in r.link_units.values[who]] for who in (0, 1)]
    data, _ = coded(rows)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert found.links.alpha == pytest.approx(expected, abs=1e-9)
    assert found.links.f1 == 2 * sum(len(r.pairs[0].links.matched) for r in results) / 34
    alphas = [r.membership_alpha for r in results if r.membership_alpha is not None]
    assert found.links.entity_alpha == pytest.approx(float(np.mean(alphas)), abs=1e-9)
    # the flag's box and its mention are grouped by each, but the boxes differ: the shared
    # objects are grouped alike
    assert found.links.entity_f1 == 1.0


def test_batches_give_the_same_numbers(
    engine: Engine, project: Project, demo_ontology: Ontology, doubled: list[Sample]
) -> None:
    assert _agreement(engine, project, demo_ontology, batch=2) == _agreement(
        engine, project, demo_ontology
    )


def test_a_project_without_overlap(
    engine: Engine, project: Project, demo_ontology: Ontology
) -> None:
    alone = demo_samples(project.ontology_version)
    alone[1] = alone[1].model_copy(
        update={
            "annotations": [
                *alone[1].annotations,
                CANDIDATE.model_copy(update={"id": "spoken-1.whisper", "stream": "spoken-1.audio"}),
            ]
        }
    )
    import_samples(engine, project.id, alone, TESTER)
    found = _agreement(engine, project, demo_ontology)
    assert found == ProjectAgreement(
        within=[],
        classes=[],
        confusions=[],
        links=LinkAgreementSummary(
            samples=0,
            pairs=0,
            f1=None,
            alpha=None,
            per_type=[],
            entity_f1=None,
            entity_alpha=None,
        ),
    )


def test_link_alpha_pools_samples_of_different_annotators(demo_ontology: Ontology) -> None:
    """Nominal α counts the values each unit got, not who gave them: the pooled rows by
    position (each sample's i-th annotator) give the α of one row per annotator's name."""
    samples = {s.id: with_bob(s) for s in demo_samples()}
    slideshow = split_by_author(samples["slideshow"])
    spoken = split_by_author(samples["spoken-1"])
    works = [
        split_by_author(samples["portrait"]),
        {"bob": slideshow["bob"], "cy": slideshow["ada"]},
        {**spoken, "cy": spoken["bob"]},
    ]
    undirected = undirected_relations(demo_ontology)
    found = [sample_link_agreement(w, undirected=undirected).link_units for w in works]
    rows = [
        [
            value
            for units in found
            for value in (
                units.values[units.annotators.index(name)]
                if name in units.annotators
                else (None,) * len(units.units)
            )
        ]
        for name in ("ada", "bob", "cy")
    ]
    data, _ = coded(rows)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert 0 < expected < 1
    assert _pooled_alpha(found) == pytest.approx(expected, abs=1e-9)
