"""The ``entity-consistency`` check over the demo's entities and identity links: labels
that agree, drift (is-a related, info) and conflicts (unrelated, error)."""

from typing import Any

from rosetta.core.checks import CheckContext, CheckSettings, Finding, Severity
from rosetta.core.checks.entity_consistency import EntityConsistency
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Sample
from rosetta.demo.build import demo_samples


def _sample(name: str) -> Sample:
    return next(s for s in demo_samples() if s.id == name)


def _run(sample: Sample, ontology: Ontology, **settings: Any) -> list[Finding]:
    context = CheckContext(sample, ontology, CheckSettings(**settings))
    return list(EntityConsistency().run(context))


def _relabel(sample: Sample, **labels: str) -> Sample:
    return sample.model_copy(
        update={
            "annotations": [
                a.model_copy(update={"label": labels[a.id]}) if a.id in labels else a
                for a in sample.annotations
            ]
        }
    )


def _linked(sample: Sample, *links: Link) -> Sample:
    return sample.model_copy(update={"links": [*sample.links, *links]})


def test_the_demos_entities_and_links_agree(demo_ontology: Ontology) -> None:
    """Including the slideshow's ``refers-to`` links from each spoken line (``speech``,
    which labels only intervals and transcripts) to the track it names: words about a
    thing, not a view of it, so never compared."""
    slideshow = _sample("slideshow")
    assert {link.id for link in slideshow.links if link.type == "refers-to"} >= {
        "slideshow.shows-1",
        "slideshow.shows-2",
        "slideshow.shows-3",
    }
    for sample in demo_samples():
        assert _run(sample, demo_ontology) == []


def test_drift_names_the_finer_and_the_coarser_class(demo_ontology: Ontology) -> None:
    """The script calls the tabby cat an ``animal``; its box and track say ``cat``."""
    sample = _relabel(_sample("slideshow"), **{"slideshow.mention-2": "animal"})
    assert _run(sample, demo_ontology) == [
        Finding(
            check="entity-consistency",
            severity=Severity.INFO,
            sample="slideshow",
            subjects=("slideshow.still-2.cat", "slideshow.mention-2"),
            message=(
                "'slideshow.still-2.cat' (image) is labelled 'cat' and 'slideshow.mention-2' "
                "(text), the same thing, 'animal': they agree only at the coarser level"
            ),
            fix=(
                "label 'slideshow.mention-2' 'cat' too if that is what it shows, or "
                "'slideshow.still-2.cat' 'animal' if the finer class is not certain"
            ),
            detail={
                "kind": "drift",
                "finer": "cat",
                "coarser": "animal",
                "modalities": ["image", "text"],
            },
        )
    ]


def test_a_conflict_puts_the_odd_label_first(demo_ontology: Ontology) -> None:
    """The cup's script span labelled ``person``: one annotation against the box and the
    track, so the span is the one to look at."""
    sample = _relabel(_sample("slideshow"), **{"slideshow.mention-3": "person"})
    [finding] = _run(sample, demo_ontology)
    assert finding.severity is Severity.ERROR
    assert finding.subjects == ("slideshow.mention-3", "slideshow.still-3.cup")
    assert finding.detail == {
        "kind": "conflict",
        "labels": ["person", "cup"],
        "modalities": ["text", "image"],
    }
    assert finding.message == (
        "'slideshow.mention-3' (text) is labelled 'person' but 'slideshow.still-3.cup' "
        "(image), the same thing, 'cup': the classes are not is-a related"
    )


def test_identity_links_join_things_transitively(demo_ontology: Ontology) -> None:
    """A ``same-as`` from the shuttle's box to the flag's: the flag entity (box, caption
    span) and the shuttle are one thing now, ``spacecraft`` against two ``flag``s."""
    wrong = Link(
        id="portrait.wrong", type="same-as", source="portrait.shuttle", target="portrait.flag"
    )
    [finding] = _run(_linked(_sample("portrait"), wrong), demo_ontology)
    assert (finding.severity, finding.subjects, finding.detail) == (
        Severity.ERROR,
        ("portrait.shuttle", "portrait.flag"),
        {"kind": "conflict", "labels": ["spacecraft", "flag"], "modalities": ["image", "image"]},
    )
    # only the relation types the settings name join things
    assert _run(_linked(_sample("portrait"), wrong), demo_ontology, identity_relations=()) == []


def test_an_entity_end_stands_for_its_members(demo_ontology: Ontology) -> None:
    """A ``same-as`` from a new ``car`` box to the astronaut entity: a conflict with the
    entity's two ``person`` members (box and caption span), named by the first."""
    portrait = _sample("portrait")
    rover = Annotation(
        id="portrait.rover",
        stream="portrait.photo",
        label="car",
        geometry=Box(x=0, y=300, w=50, h=40),
    )
    sample = portrait.model_copy(update={"annotations": [*portrait.annotations, rover]})
    link = Link(
        id="portrait.is", type="same-as", source="portrait.rover", target="portrait.the-astronaut"
    )
    [finding] = _run(_linked(sample, link), demo_ontology)
    assert finding.subjects == ("portrait.rover", "portrait.astronaut")
    assert finding.detail["labels"] == ["car", "person"]


def test_words_and_a_view_of_one_kind_are_compared(demo_ontology: Ontology) -> None:
    """``speech`` may label an interval, so a ``same-as`` from a spoken line to the
    speaker's turn (a ``person`` interval) is a claim of identity, and a conflict."""
    link = Link(
        id="spoken-1.same", type="same-as", source="spoken-1.words", target="spoken-1.speaker"
    )
    [finding] = _run(_linked(_sample("spoken-1"), link), demo_ontology)
    assert finding.detail == {
        "kind": "conflict",
        "labels": ["speech", "person"],
        "modalities": ["audio", "audio"],
    }


def test_unknown_labels_are_left_to_conformance(demo_ontology: Ontology) -> None:
    sample = _relabel(_sample("slideshow"), **{"slideshow.mention-2": "kitten"})
    assert _run(sample, demo_ontology) == []


def test_a_large_entity_gives_one_finding_per_pair_of_labels(demo_ontology: Ontology) -> None:
    """3,000 members in two labels: compared by label, not member by member."""
    boxes = [
        Annotation(
            id=f"crowd.{n}",
            stream="portrait.photo",
            label="cat" if n % 3 else "animal",
            geometry=Box(x=n % 400, y=0, w=10, h=10),
        )
        for n in range(3000)
    ]
    crowd = Entity(id="crowd", members=[b.id for b in boxes])
    portrait = _sample("portrait")
    sample = portrait.model_copy(
        update={
            "annotations": [*portrait.annotations, *boxes],
            "entities": [*portrait.entities, crowd],
        }
    )
    [finding] = _run(sample, demo_ontology)
    assert finding.subjects == ("crowd.1", "crowd.0")
    assert finding.detail == {
        "kind": "drift",
        "finer": "cat",
        "coarser": "animal",
        "modalities": ["image", "image"],
    }
