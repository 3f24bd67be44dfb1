"""The ``attribute-consistency`` check: the demo ontology's rule (frustrated speech and a
smiling person, synchronized or speaker and words) over the slideshow, and a rule over
entity members."""

from typing import Any

from rosetta.core.checks import CheckContext, Finding, Severity
from rosetta.core.checks.attribute_consistency import AttributeConsistency
from rosetta.core.geometry import Interval
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.demo.build import demo_samples


def _slideshow(**attributes: dict[str, Any]) -> Sample:
    """The slideshow with some annotations' attributes added (by id)."""
    sample = next(s for s in demo_samples() if s.id == "slideshow")
    return sample.model_copy(
        update={
            "annotations": [
                a.model_copy(update={"attributes": {**a.attributes, **attributes.get(a.id, {})}})
                for a in sample.annotations
            ]
        }
    )


def _run(sample: Sample, ontology: Ontology) -> list[Finding]:
    return list(AttributeConsistency().run(CheckContext(sample, ontology)))


def _with_rule(ontology: Ontology, rule: dict[str, Any]) -> Ontology:
    data = ontology.model_dump(by_alias=True)
    data["attribute_rules"].append(rule)
    return Ontology.model_validate(data)


def test_the_demo_breaks_no_attribute_rule(demo_ontology: Ontology) -> None:
    assert [rule.name for rule in demo_ontology.attribute_rules] == ["frustrated-but-smiling"]
    for sample in demo_samples():
        assert _run(sample, demo_ontology) == []


def test_frustrated_words_of_a_smiling_speaker(demo_ontology: Ontology) -> None:
    """The narrator smiles (``speaker``) while the first line sounds frustrated; the
    second line's neutral tone is fine."""
    sample = _slideshow(
        **{
            "slideshow.speaker": {"expression": "smile"},
            "slideshow.line-1": {"tone": "frustrated"},
            "slideshow.line-2": {"tone": "neutral"},
        }
    )
    assert _run(sample, demo_ontology) == [
        Finding(
            check="attribute-consistency",
            severity=Severity.WARNING,
            sample="slideshow",
            subjects=("slideshow.line-1", "slideshow.speaker"),
            message=(
                "attribute rule 'frustrated-but-smiling': 'slideshow.line-1' (speech) has tone "
                "'frustrated' but 'slideshow.speaker' (person), joined to it by "
                "'slideshow.said-1', has expression 'smile'"
            ),
            fix=(
                "correct tone of 'slideshow.line-1' or expression of 'slideshow.speaker', or "
                "take them apart if they are not one moment or thing"
            ),
            detail={
                "kind": "frustrated-but-smiling",
                "rule": "frustrated-but-smiling",
                "when": {
                    "annotation": "slideshow.line-1",
                    "label": "speech",
                    "attribute": "tone",
                    "value": "frustrated",
                },
                "excluded": {
                    "annotation": "slideshow.speaker",
                    "label": "person",
                    "attribute": "expression",
                    "value": "smile",
                },
                "via": ["slideshow.said-1"],
            },
        )
    ]


def test_a_smile_synchronized_with_frustrated_words(demo_ontology: Ontology) -> None:
    """A person seen smiling on the video during the first shot, ``synchronized-with``
    the frustrated first line: a conflict. The same line ``refers-to`` the astronaut's
    track, also smiling, but refers-to is not one of the rule's relations."""
    sample = _slideshow(
        **{
            "slideshow.line-1": {"tone": "frustrated"},
            "slideshow.track-1": {"expression": "smile"},
        }
    )
    assert _run(sample, demo_ontology) == []
    face = Annotation(
        id="slideshow.face-1",
        stream="slideshow.video",
        label="person",
        geometry=Interval(start=0, end=2),
        attributes={"expression": "smile"},
    )
    link = Link(
        id="slideshow.face-sync",
        type="synchronized-with",
        source="slideshow.face-1",
        target="slideshow.line-1",
    )
    sample = sample.model_copy(
        update={"annotations": [*sample.annotations, face], "links": [*sample.links, link]}
    )
    [finding] = _run(sample, demo_ontology)
    assert finding.subjects == ("slideshow.line-1", "slideshow.face-1")
    assert finding.detail["via"] == ["slideshow.face-sync"]
    assert finding.detail["excluded"] == {
        "annotation": "slideshow.face-1",
        "label": "person",
        "attribute": "expression",
        "value": "smile",
    }


def test_entity_members_and_links_pair_once(demo_ontology: Ontology) -> None:
    """A rule of this test: one person does not both smile and frown in the same-as
    views of them. The astronaut's box smiles, its track frowns: members of one entity
    and, here, also joined by a ``same-as`` link — one finding naming both."""
    ontology = _with_rule(
        demo_ontology,
        {
            "name": "smile-or-frown",
            "relations": ["same-as"],
            "when": {"class": "person", "attribute": "expression", "values": ["smile"]},
            "excludes": [{"class": "person", "attribute": "expression", "values": ["frown"]}],
        },
    )
    sample = _slideshow(
        **{
            "slideshow.still-1.astronaut": {"expression": "smile"},
            "slideshow.track-1": {"expression": "frown"},
        }
    )
    [alone] = _run(sample, ontology)
    assert alone.subjects == ("slideshow.still-1.astronaut", "slideshow.track-1")
    assert alone.detail["via"] == ["slideshow.astronaut"]
    same = Link(
        id="slideshow.same",
        type="same-as",
        source="slideshow.track-1",
        target="slideshow.still-1.astronaut",
    )
    [both] = _run(sample.model_copy(update={"links": [*sample.links, same]}), ontology)
    assert both.key == alone.key
    assert both.detail["via"] == ["slideshow.same", "slideshow.astronaut"]


def test_a_rule_without_relations_takes_any_link(demo_ontology: Ontology) -> None:
    ontology = _with_rule(
        demo_ontology,
        {
            "name": "frustrated-words-about-a-smile",
            "when": {"class": "speech", "attribute": "tone", "values": ["frustrated"]},
            "excludes": [
                {"class": "person", "attribute": "expression", "values": ["smile", "neutral"]}
            ],
        },
    )
    sample = _slideshow(
        **{
            "slideshow.line-1": {"tone": "frustrated"},
            "slideshow.track-1": {"expression": "neutral"},
        }
    )
    [finding] = _run(sample, ontology)
    assert finding.detail["kind"] == "frustrated-words-about-a-smile"
    assert finding.detail["via"] == ["slideshow.shows-1"]
    assert finding.detail["excluded"]["value"] == "neutral"
