"""The ``stale-links`` check over the demo's portrait: the stale link the demo build leaves
(its flag box corrected after the caption's link to it was confirmed), confirmed links
whose ends changed since, and links that are fine."""

from rosetta.core.checks import CheckContext, Finding, Severity
from rosetta.core.checks.stale_links import StaleLinks
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Link, Sample
from rosetta.demo.build import CORRECTED_BOX, demo_samples


def _portrait() -> Sample:
    return next(s for s in demo_samples() if s.id == "portrait")


def _confirmed(sample: Sample) -> Sample:
    """The portrait with both caption links confirmed at their ends' revisions (1)."""
    links = [
        link.model_copy(update={"status": "confirmed", "source_revision": 1, "target_revision": 1})
        for link in sample.links
    ]
    return sample.model_copy(update={"links": links})


def _revise(sample: Sample, ident: str, revision: int) -> Sample:
    return sample.model_copy(
        update={
            "annotations": [
                a.model_copy(update={"revision": revision}) if a.id == ident else a
                for a in sample.annotations
            ],
            "entities": [
                e.model_copy(update={"revision": revision}) if e.id == ident else e
                for e in sample.entities
            ],
        }
    )


def _run(sample: Sample, ontology: Ontology) -> list[Finding]:
    return list(StaleLinks().run(CheckContext(sample, ontology)))


def test_the_demo_builds_stale_link_names_the_corrected_box(demo_ontology: Ontology) -> None:
    """As `build_demo` leaves it: both links confirmed at revision 1, then the flag's box
    corrected (revision 2), which turned its link stale."""
    sample = _revise(_confirmed(_portrait()), CORRECTED_BOX, 2)
    sample = sample.model_copy(
        update={
            "links": [
                link.model_copy(update={"status": "stale"})
                if link.id == "portrait.mentions-flag"
                else link
                for link in sample.links
            ]
        }
    )
    assert _run(sample, demo_ontology) == [
        Finding(
            check="stale-links",
            severity=Severity.WARNING,
            sample="portrait",
            subjects=("portrait.mentions-flag", "portrait.says-flag", "portrait.flag"),
            message=(
                "link 'portrait.mentions-flag' (refers-to, 'portrait.says-flag' → "
                "'portrait.flag') is stale: its target 'portrait.flag' changed from "
                "revision 1 to 2"
            ),
            fix=(
                "look at 'portrait.flag', then re-confirm link 'portrait.mentions-flag' if it "
                "still holds or reject it"
            ),
            detail={
                "kind": "stale",
                "changed": [
                    {
                        "end": "target",
                        "id": "portrait.flag",
                        "confirmed_revision": 1,
                        "revision": 2,
                    }
                ],
            },
        )
    ]


def test_a_stale_link_without_recorded_revisions_still_shows(demo_ontology: Ontology) -> None:
    links = [
        link.model_copy(update={"status": "stale"}) if link.id.endswith("astronaut") else link
        for link in _portrait().links
    ]
    [finding] = _run(_portrait().model_copy(update={"links": links}), demo_ontology)
    assert finding.subjects == (
        "portrait.mentions-astronaut",
        "portrait.says-astronaut",
        "portrait.astronaut",
    )
    assert finding.message.endswith("is stale: an end changed after it was confirmed")
    assert finding.fix is not None
    assert finding.fix.startswith("look at 'portrait.says-astronaut' and 'portrait.astronaut'")
    assert finding.detail == {"kind": "stale", "changed": []}


def test_a_confirmed_link_whose_ends_changed_since(demo_ontology: Ontology) -> None:
    """Imported data: the link says confirmed, but both its ends moved on."""
    sample = _revise(
        _revise(_confirmed(_portrait()), "portrait.astronaut", 3), "portrait.says-astronaut", 2
    )
    [finding] = _run(sample, demo_ontology)
    assert finding.severity is Severity.WARNING
    assert finding.subjects[0] == "portrait.mentions-astronaut"
    assert finding.message == (
        "link 'portrait.mentions-astronaut' (refers-to, 'portrait.says-astronaut' → "
        "'portrait.astronaut') is confirmed but its source 'portrait.says-astronaut' changed "
        "from revision 1 to 2; its target 'portrait.astronaut' changed from revision 1 to 3 "
        "since"
    )
    assert finding.detail == {
        "kind": "endpoint-changed",
        "changed": [
            {
                "end": "source",
                "id": "portrait.says-astronaut",
                "confirmed_revision": 1,
                "revision": 2,
            },
            {"end": "target", "id": "portrait.astronaut", "confirmed_revision": 1, "revision": 3},
        ],
    }


def test_an_entity_end_is_judged_by_the_entitys_revision(demo_ontology: Ontology) -> None:
    to_entity = Link(
        id="portrait.flag-means",
        type="refers-to",
        source="portrait.says-flag",
        target="portrait.the-flag",
        status="confirmed",
        source_revision=1,
        target_revision=1,
    )
    sample = _confirmed(_portrait())
    sample = sample.model_copy(update={"links": [*sample.links, to_entity]})
    assert _run(sample, demo_ontology) == []
    [finding] = _run(_revise(sample, "portrait.the-flag", 4), demo_ontology)
    assert finding.subjects == ("portrait.flag-means", "portrait.says-flag", "portrait.the-flag")
    assert finding.detail["changed"] == [
        {"end": "target", "id": "portrait.the-flag", "confirmed_revision": 1, "revision": 4}
    ]


def test_links_that_are_current_proposed_or_rejected_are_fine(demo_ontology: Ontology) -> None:
    confirmed = _confirmed(_portrait())
    assert _run(confirmed, demo_ontology) == []
    # proposed links (as imported) and rejected ones record no revisions to compare
    assert _run(_revise(_portrait(), "portrait.flag", 2), demo_ontology) == []
    rejected = [link.model_copy(update={"status": "rejected"}) for link in confirmed.links]
    changed = _revise(confirmed.model_copy(update={"links": rejected}), "portrait.flag", 2)
    assert _run(changed, demo_ontology) == []
    for sample in demo_samples():
        assert _run(sample, demo_ontology) == []
