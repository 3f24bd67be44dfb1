"""The mention checks over the demo's captioned portrait and narrated slideshow:
``unlinked-mentions`` (a span that names something seen but points nowhere) and
``partial-alignment`` (what a linked caption leaves unmentioned, and words naming
nothing seen). Also: the registry serves the checks of this family by name."""

from rosetta.core.checks import Check, CheckContext, Finding, Severity
from rosetta.core.checks.mentions import PartialAlignment, UnlinkedMentions
from rosetta.core.geometry import Box, TextSpan
from rosetta.core.ontology import Ontology
from rosetta.core.ontology_migration import parse_migration, plan_migration
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.demo.build import demo_samples
from rosetta.services.check_registry import available_checks, select_checks


def _sample(name: str) -> Sample:
    return next(s for s in demo_samples() if s.id == name)


def _unlinked(sample: Sample, ontology: Ontology) -> list[Finding]:
    return list(UnlinkedMentions().run(CheckContext(sample, ontology)))


def _partial(sample: Sample, ontology: Ontology) -> list[Finding]:
    return list(PartialAlignment().run(CheckContext(sample, ontology)))


def _without(sample: Sample, *ids: str) -> Sample:
    """`sample` without the links and entities named."""
    return sample.model_copy(
        update={
            "links": [link for link in sample.links if link.id not in ids],
            "entities": [entity for entity in sample.entities if entity.id not in ids],
        }
    )


def _span(sample: Sample, ident: str, stream: str, words: str, label: str) -> Annotation:
    text = next(s.text for s in sample.streams if s.id == stream) or ""
    start = text.index(words)
    return Annotation(
        id=ident, stream=stream, label=label, geometry=TextSpan(start=start, end=start + len(words))
    )


def _adding(sample: Sample, *annotations: Annotation, links: tuple[Link, ...] = ()) -> Sample:
    return sample.model_copy(
        update={
            "annotations": [*sample.annotations, *annotations],
            "links": [*sample.links, *links],
        }
    )


def test_the_demos_mentions_are_all_linked(demo_ontology: Ontology) -> None:
    for sample in demo_samples():
        assert _unlinked(sample, demo_ontology) == []


def test_a_span_linked_to_nothing_names_the_region_to_link(demo_ontology: Ontology) -> None:
    """The caption's "flag" without its link and its entity."""
    sample = _without(_sample("portrait"), "portrait.mentions-flag", "portrait.the-flag")
    assert _unlinked(sample, demo_ontology) == [
        Finding(
            check="unlinked-mentions",
            severity=Severity.WARNING,
            sample="portrait",
            subjects=("portrait.says-flag", "portrait.flag"),
            message=(
                "span 'portrait.says-flag' ('flag') names a flag but is linked to no region; "
                "'portrait.flag' (flag, a box on 'portrait.photo') may be what it names"
            ),
            fix="link span 'portrait.says-flag' to region 'portrait.flag' with refers-to",
            detail={
                "label": "flag",
                "candidate": "portrait.flag",
                "candidate_label": "flag",
                "candidates": 1,
            },
        )
    ]


def test_a_link_or_an_entity_reaches_a_region(demo_ontology: Ontology) -> None:
    """The script's "tabby cat": its link to the still's box gone, it still reaches the
    box through the entity holding both; without the entity, a link to the track (the
    same cat), or to the entity, reaches it too."""
    slideshow = _sample("slideshow")
    assert _unlinked(_without(slideshow, "slideshow.names-2"), demo_ontology) == []
    bare = _without(slideshow, "slideshow.names-2", "slideshow.cat")
    [finding] = _unlinked(bare, demo_ontology)
    assert finding.subjects == ("slideshow.mention-2", "slideshow.still-2.cat")
    assert finding.detail["candidates"] == 2
    to_track = Link(
        id="x", type="refers-to", source="slideshow.mention-2", target="slideshow.track-2"
    )
    assert _unlinked(_adding(bare, links=(to_track,)), demo_ontology) == []
    to_entity = Link(id="y", type="refers-to", source="slideshow.mention-2", target="slideshow.cat")
    entity_only = _without(slideshow, "slideshow.names-2")
    entity_only = entity_only.model_copy(
        update={
            "entities": [
                e.model_copy(update={"members": ["slideshow.still-2.cat"]})
                if e.id == "slideshow.cat"
                else e
                for e in entity_only.entities
            ]
        }
    )
    assert len(_unlinked(entity_only, demo_ontology)) == 1
    assert _unlinked(_adding(entity_only, links=(to_entity,)), demo_ontology) == []
    # a link of a type that is no mention relation does not count
    same = to_track.model_copy(update={"type": "same-as"})
    assert len(_unlinked(_adding(bare, links=(same,)), demo_ontology)) == 1


def test_the_likeliest_region_same_class_then_unmentioned(demo_ontology: Ontology) -> None:
    """A second, unlinked "cat" mention labelled ``animal``: an ``animal`` box on the
    still beats the ``cat`` box and track (same class first); of two ``animal`` boxes the
    one no mention reaches yet comes first."""
    slideshow = _sample("slideshow")
    animal = _span(slideshow, "slideshow.animal", "slideshow.script", "cat", "animal")
    [finding] = _unlinked(_adding(slideshow, animal), demo_ontology)
    assert (finding.detail["candidate"], finding.detail["candidates"]) == (
        "slideshow.still-2.cat",
        2,
    )
    named = Annotation(
        id="slideshow.box-a",
        stream="slideshow.still-2",
        label="animal",
        geometry=Box(x=0, y=0, w=50, h=50),
    )
    free = named.model_copy(update={"id": "slideshow.box-b"})
    other = _span(slideshow, "slideshow.beast", "slideshow.script", "tabby", "animal")
    names = Link(id="z", type="refers-to", source="slideshow.beast", target="slideshow.box-a")
    sample = _adding(slideshow, animal, named, free, other, links=(names,))
    [finding] = _unlinked(sample, demo_ontology)
    assert finding.subjects == ("slideshow.animal", "slideshow.box-b")
    assert finding.detail == {
        "label": "animal",
        "candidate": "slideshow.box-b",
        "candidate_label": "animal",
        "candidates": 4,
    }


def test_partial_alignment_of_the_demo(demo_ontology: Ontology) -> None:
    """The portrait's caption is linked to the photo but does not name the shuttle
    model; the slideshow's script names everything its stills and video show."""
    found = [f for sample in demo_samples() for f in _partial(sample, demo_ontology)]
    assert found == [
        Finding(
            check="partial-alignment",
            severity=Severity.INFO,
            sample="portrait",
            subjects=("portrait.shuttle",),
            message=(
                "region 'portrait.shuttle' (spacecraft) on 'portrait.photo' is not mentioned "
                "in the linked text 'portrait.caption'"
            ),
            fix=(
                "link the words naming 'portrait.shuttle' to it, or add a span for them if "
                "the text names it"
            ),
            detail={
                "kind": "region-without-mention",
                "label": "spacecraft",
                "texts": ["portrait.caption"],
            },
        )
    ]


def test_a_mention_of_something_no_region_shows(demo_ontology: Ontology) -> None:
    """Version 2 adds ``clothing``; the caption's "orange suit" labelled so has no region
    of a compatible class: the mention is partial-alignment's, not unlinked-mentions'."""
    migration = parse_migration(
        {"operations": [{"op": "add_class", "class": {"name": "clothing", "parent": "thing"}}]}
    )
    ontology, _ = plan_migration(demo_ontology, migration)
    portrait = _sample("portrait")
    suit = _span(portrait, "portrait.suit", "portrait.caption", "orange suit", "clothing")
    sample = _adding(portrait, suit)
    assert _unlinked(sample, ontology) == []
    found = _partial(sample, ontology)
    assert [f.subjects for f in found] == [("portrait.shuttle",), ("portrait.suit",)]
    assert found[1].severity is Severity.INFO
    assert found[1].message == (
        "span 'portrait.suit' ('orange suit') names a clothing, but no region of the sample "
        "shows one"
    )
    assert found[1].detail == {
        "kind": "mention-without-region",
        "label": "clothing",
        "visuals": ["portrait.photo"],
    }


def test_no_alignment_without_a_link_between_text_and_image(demo_ontology: Ontology) -> None:
    """Without the caption's links and entities nothing joins caption and photo: no
    partial alignment to report, but both spans are unlinked mentions."""
    bare = _without(
        _sample("portrait"),
        "portrait.mentions-astronaut",
        "portrait.mentions-flag",
        "portrait.the-astronaut",
        "portrait.the-flag",
    )
    assert _partial(bare, demo_ontology) == []
    assert [f.subjects for f in _unlinked(bare, demo_ontology)] == [
        ("portrait.says-astronaut", "portrait.astronaut"),
        ("portrait.says-flag", "portrait.flag"),
    ]


def test_the_registry_serves_these_checks() -> None:
    names = [
        "attribute-consistency",
        "entity-consistency",
        "ontology-conformance",
        "partial-alignment",
        "stale-links",
        "unlinked-mentions",
    ]
    checks = select_checks(names)
    assert [check.name for check in checks] == names
    for check in checks:
        assert isinstance(check, Check)
        assert available_checks()[check.name] is check
        assert check.description
        assert check.needs_embedder is False
