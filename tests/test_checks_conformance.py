"""The ``ontology-conformance`` check: demo data read under later ontology versions (made
by the real migrations), a track imported from a real CVAT file, and perturbed labels,
attributes and links. Every broken rule is a finding whose kind is the rule's name."""

from typing import Any

from conftest import SHARED
from rosetta.core.checks import CheckContext, Finding, Severity
from rosetta.core.checks.conformance import OntologyConformance
from rosetta.core.ontology import Ontology
from rosetta.core.ontology_migration import parse_migration, plan_migration
from rosetta.core.schema import Annotation, Link, Sample, Source
from rosetta.demo.build import demo_samples
from rosetta.formats.cvat_video import read_tracks

CVAT = SHARED / "fixtures" / "formats" / "cvat_video" / "openvinotoolkit__datumaro"


def _sample(name: str) -> Sample:
    return next(s for s in demo_samples() if s.id == name)


def _run(sample: Sample, ontology: Ontology) -> list[Finding]:
    return list(OntologyConformance().run(CheckContext(sample, ontology)))


def _migrated(ontology: Ontology, *operations: dict[str, Any]) -> Ontology:
    upgraded, _ = plan_migration(ontology, parse_migration({"operations": list(operations)}))
    return upgraded


def _changed(ontology: Ontology, update: dict[str, Any]) -> Ontology:
    """`ontology` with some classes' or relations' fields changed (by name), validated."""
    data = ontology.model_dump(by_alias=True)
    for group in ("classes", "relations"):
        for item in data[group]:
            item.update(update.get(item["name"], {}))
    return Ontology.model_validate(data)


def _with(sample: Sample, **changes: dict[str, Any]) -> Sample:
    """`sample` with annotations and links changed by id (``{id: fields}``)."""
    return sample.model_copy(
        update={
            kind: [
                item.model_copy(update=changes.get(kind, {}).get(item.id, {}))
                for item in getattr(sample, kind)
            ]
            for kind in ("annotations", "links", "entities")
        }
    )


def test_the_demo_conforms_to_its_ontology(demo_ontology: Ontology) -> None:
    for sample in demo_samples():
        assert _run(sample, demo_ontology) == []


def test_data_made_before_a_class_was_deprecated(demo_ontology: Ontology) -> None:
    """Version 2 deprecates ``flag``: the portrait's flag box, its caption span and the
    entity joining them are warnings (still understood), each naming the rule."""
    ontology = _migrated(demo_ontology, {"op": "deprecate_class", "name": "flag"})
    assert ontology.version == 2
    found = _run(_sample("portrait"), ontology)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            ("portrait.flag",),
            {
                "kind": "label-deprecated",
                "fields": ["label"],
                "ontology_version": 2,
                "label": "flag",
                "made_under": 1,
            },
        ),
        (
            Severity.WARNING,
            ("portrait.says-flag",),
            {
                "kind": "label-deprecated",
                "fields": ["label"],
                "ontology_version": 2,
                "label": "flag",
                "made_under": 1,
            },
        ),
        (
            Severity.WARNING,
            ("portrait.the-flag",),
            {
                "kind": "label-deprecated",
                "fields": ["label"],
                "ontology_version": 2,
                "label": "flag",
            },
        ),
    ]
    assert found[0].message == "annotation 'portrait.flag': class 'flag' is deprecated"
    assert found[0].fix == "relabel annotation 'portrait.flag' with a current class"


def test_data_not_relabelled_after_a_rename(demo_ontology: Ontology) -> None:
    """``cup`` renamed ``mug``, but the slideshow was imported with the old name: every cup
    annotation and the entity are errors; the links stay fine (refers-to names no class)."""
    ontology = _migrated(demo_ontology, {"op": "rename_class", "from": "cup", "to": "mug"})
    found = _run(_sample("slideshow"), ontology)
    assert [(f.severity, f.subjects, f.detail["kind"]) for f in found] == [
        (Severity.ERROR, ("slideshow.still-3.cup",), "label-known"),
        (Severity.ERROR, ("slideshow.track-3",), "label-known"),
        (Severity.ERROR, ("slideshow.mention-3",), "label-known"),
        (Severity.ERROR, ("slideshow.cup",), "label-known"),
    ]
    assert found[0].message == (
        "annotation 'slideshow.still-3.cup': 'cup' is not a class of ontology version 2"
    )
    assert found[3].message == "entity 'slideshow.cup': 'cup' is not a class of the ontology"


def test_a_track_imported_from_a_real_cvat_file(demo_ontology: Ontology) -> None:
    """The datumaro CVAT-for-video fixture's box track, labelled ``II``, put on the
    slideshow's video: an unknown class, the annotation's other rules not checked."""
    track = next(t for t in read_tracks(CVAT / "annotations.xml") if t.geometry is not None)
    assert track.geometry is not None
    imported = Annotation(
        id="slideshow.cvat-0",
        stream="slideshow.video",
        label=track.label,
        geometry=track.geometry,
        attributes={"occluded": True, "anything": 1},
        source=Source(kind="import", name="cvat"),
    )
    slideshow = _sample("slideshow")
    sample = slideshow.model_copy(update={"annotations": [*slideshow.annotations, imported]})
    assert _run(sample, demo_ontology) == [
        Finding(
            check="ontology-conformance",
            severity=Severity.ERROR,
            sample="slideshow",
            subjects=("slideshow.cvat-0",),
            message="annotation 'slideshow.cvat-0': 'II' is not a class of ontology version 1",
            fix=(
                "relabel annotation 'slideshow.cvat-0' with a class of the ontology "
                "(or add the class)"
            ),
            detail={
                "kind": "label-known",
                "fields": ["label"],
                "ontology_version": 1,
                "label": "II",
                "made_under": None,
            },
        )
    ]


def test_every_attribute_problem_of_an_annotation_is_reported(demo_ontology: Ontology) -> None:
    """A flag with a colour outside the enum and two attributes its class lacks, and a
    transcript missing the language a later version requires: one finding per rule."""
    ontology = _changed(
        demo_ontology,
        {
            "speech": {
                "attributes": [
                    {"name": "language", "type": "text", "required": True},
                    {"name": "tone", "type": "enum", "values": ["neutral"]},
                ]
            }
        },
    )
    portrait = _with(
        _sample("portrait"),
        annotations={"portrait.flag": {"attributes": {"colour": "blue", "size": 3, "role": "x"}}},
    )
    found = _run(portrait, ontology)
    assert [(f.severity, f.subjects, f.detail["kind"], f.detail["fields"]) for f in found] == [
        (Severity.ERROR, ("portrait.flag",), "attribute-value", ["attributes.colour"]),
        (
            Severity.ERROR,
            ("portrait.flag",),
            "attribute-known",
            ["attributes.size", "attributes.role"],
        ),
    ]
    assert found[0].message == (
        "annotation 'portrait.flag': expected one of ['red', 'orange', 'green', 'white', "
        "'black', 'brown', 'other'], got 'blue'"
    )
    assert found[1].fix == (
        "remove attribute 'size' from annotation 'portrait.flag'; "
        "remove attribute 'role' from annotation 'portrait.flag'"
    )
    spoken = _with(
        _sample("spoken-1"),
        annotations={"spoken-1.words": {"attributes": {"tone": "frustrated"}}},
    )
    found = _run(spoken, ontology)
    assert [(f.subjects, f.detail["kind"], f.message) for f in found] == [
        (
            ("spoken-1.words",),
            "attribute-value",
            "annotation 'spoken-1.words': expected one of ['neutral'], got 'frustrated'",
        ),
        (
            ("spoken-1.words",),
            "attribute-required",
            "annotation 'spoken-1.words': 'speech' requires 'language'",
        ),
    ]


def test_a_deprecated_label_with_a_geometry_its_class_does_not_allow(
    demo_ontology: Ontology,
) -> None:
    ontology = _migrated(demo_ontology, {"op": "deprecate_class", "name": "speech"})
    portrait = _with(
        _sample("portrait"),
        annotations={"portrait.shuttle": {"label": "speech", "attributes": {"tone": "sad"}}},
    )
    found = _run(portrait, ontology)
    assert [(f.severity, f.detail["kind"], f.message) for f in found] == [
        (
            Severity.WARNING,
            "label-deprecated",
            "annotation 'portrait.shuttle': class 'speech' is deprecated",
        ),
        (
            Severity.ERROR,
            "label-geometry",
            "annotation 'portrait.shuttle': class 'speech' allows ['interval', 'transcript'], "
            "not box",
        ),
        (
            Severity.ERROR,
            "attribute-value",
            "annotation 'portrait.shuttle': expected one of ['neutral', 'happy', "
            "'frustrated'], got 'sad'",
        ),
    ]


def test_links_of_unknown_or_deprecated_types_and_broken_ends(demo_ontology: Ontology) -> None:
    ontology = _changed(demo_ontology, {"refers-to": {"deprecated": True}})
    portrait = _sample("portrait")
    reversed_link = {"source": "portrait.astronaut", "target": "portrait.says-astronaut"}
    broken = Link(
        id="portrait.flag-speaks",
        type="speaker-of",
        source="portrait.astronaut",
        target="portrait.flag",
    )
    unknown = Link(
        id="portrait.near", type="next-to", source="portrait.flag", target="portrait.shuttle"
    )
    sample = _with(portrait, links={"portrait.mentions-astronaut": reversed_link})
    sample = sample.model_copy(update={"links": [*sample.links, broken, unknown]})
    found = _run(sample, ontology)
    assert [(f.severity, f.subjects, f.detail["kind"]) for f in found] == [
        (
            Severity.WARNING,
            ("portrait.mentions-astronaut", "portrait.astronaut", "portrait.says-astronaut"),
            "relation-deprecated",
        ),
        (
            Severity.ERROR,
            ("portrait.mentions-astronaut", "portrait.astronaut", "portrait.says-astronaut"),
            "link-direction",
        ),
        (
            Severity.WARNING,
            ("portrait.mentions-flag", "portrait.says-flag", "portrait.flag"),
            "relation-deprecated",
        ),
        (
            Severity.ERROR,
            ("portrait.flag-speaks", "portrait.astronaut", "portrait.flag"),
            "link-endpoint",
        ),
        (Severity.ERROR, ("portrait.near", "portrait.flag", "portrait.shuttle"), "relation-known"),
    ]
    by_kind = {(f.subjects[0], f.detail["kind"]): f for f in found}
    direction = by_kind["portrait.mentions-astronaut", "link-direction"]
    assert direction.fix == "reverse link 'portrait.mentions-astronaut'"
    endpoint = by_kind["portrait.flag-speaks", "link-endpoint"]
    assert endpoint.message == (
        "link 'portrait.flag-speaks': 'speaker-of' target: geometry must be one of "
        "['transcript', 'interval'], not box"
    )
    assert endpoint.detail == {
        "kind": "link-endpoint",
        "fields": ["target"],
        "ontology_version": 1,
        "type": "speaker-of",
    }
