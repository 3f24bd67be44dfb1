"""order-consistency on the demo's narrated slideshow.

Each narrated line (a transcript segment on the narration) ``refers-to`` the track of
what its shot shows: line 1 → track 1 at 0 s, line 2 → track 2 at 3.64 s, line 3 →
track 3 at 6.8 s. The script's spans name the stills (no time) and are no mentions of
events until linked to something on the timeline.
"""

from collections.abc import Sequence
from importlib.metadata import entry_points

import pytest

from rosetta.core.checks import CheckContext, CheckSettings, Finding, Severity
from rosetta.core.checks.order_consistency import OrderConsistency
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Link, Sample
from rosetta.demo.build import demo_samples

CHECK = OrderConsistency()


@pytest.fixture(scope="module")
def slideshow() -> Sample:
    return next(sample for sample in demo_samples() if sample.id == "slideshow")


def _run(sample: Sample, ontology: Ontology, **settings: float) -> list[Finding]:
    return list(CHECK.run(CheckContext(sample, ontology, CheckSettings(**settings))))


def _retargeted(sample: Sample, targets: dict[str, str], extra: Sequence[Link] = ()) -> Sample:
    """`sample` with the links in `targets` pointing at new targets, and `extra` links."""
    links = [
        link.model_copy(update={"target": targets[link.id]}) if link.id in targets else link
        for link in sample.links
    ]
    return sample.model_copy(update={"links": [*links, *extra]})


def test_the_builtin_is_registered_under_its_name() -> None:
    (entry,) = entry_points(group="rosetta.checks", name="order-consistency")
    assert entry.load() is OrderConsistency


def test_the_narration_follows_the_timeline(slideshow: Sample, demo_ontology: Ontology) -> None:
    assert _run(slideshow, demo_ontology) == []


def test_lines_that_refer_to_events_out_of_order(
    slideshow: Sample, demo_ontology: Ontology
) -> None:
    """Line 1 refers to track 3 (6.8 s), line 3 to track 1 (0 s): line 2's track (3.64 s)
    comes 3.16 s before line 1's, and line 3's 3.64 s before line 2's."""
    swapped = _retargeted(
        slideshow,
        {"slideshow.shows-1": "slideshow.track-3", "slideshow.shows-3": "slideshow.track-1"},
    )
    found = _run(swapped, demo_ontology)

    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            ("slideshow.line-2", "slideshow.track-2", "slideshow.line-1", "slideshow.track-3"),
            {
                "stream": "slideshow.narration",
                "event_start": 3.64,
                "previous_event_start": 6.8,
                "earlier_by": 3.16,
                "links": ["slideshow.shows-2", "slideshow.shows-1"],
            },
        ),
        (
            Severity.WARNING,
            ("slideshow.line-3", "slideshow.track-1", "slideshow.line-2", "slideshow.track-2"),
            {
                "stream": "slideshow.narration",
                "event_start": 0.0,
                "previous_event_start": 3.64,
                "earlier_by": 3.64,
                "links": ["slideshow.shows-3", "slideshow.shows-2"],
            },
        ),
    ]
    assert found[0].message == (
        "slideshow.line-2 comes after slideshow.line-1 in slideshow.narration, but its event "
        "slideshow.track-2 (at 3.640 s) starts 3.160 s before slideshow.track-3 (at 6.800 s)"
    )
    # within a tolerance of 4 s neither counts as an inversion
    assert _run(swapped, demo_ontology, temporal_tolerance=4) == []


def test_script_spans_naming_entities_out_of_order(
    slideshow: Sample, demo_ontology: Ontology
) -> None:
    """Spans of the script, ordered by offset: "astronaut" (3) refers to the cup entity,
    whose only timed member is track 3 (6.8 s); "cup" (105) to the astronaut entity
    (track 1, 0 s). "tabby cat" (55) names only its still, so it is not on the walk."""

    def link(span: str, entity: str) -> Link:
        return Link(id=f"{span}-means-{entity}", type="refers-to", source=span, target=entity)

    in_order = [
        link("slideshow.mention-1", "slideshow.astronaut"),
        link("slideshow.mention-3", "slideshow.cup"),
    ]
    assert _run(_retargeted(slideshow, {}, in_order), demo_ontology) == []

    crossed = [
        link("slideshow.mention-1", "slideshow.cup"),
        link("slideshow.mention-3", "slideshow.astronaut"),
    ]
    found = _run(_retargeted(slideshow, {}, crossed), demo_ontology)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            (
                "slideshow.mention-3",
                "slideshow.track-1",
                "slideshow.mention-1",
                "slideshow.track-3",
            ),
            {
                "stream": "slideshow.script",
                "event_start": 0.0,
                "previous_event_start": 6.8,
                "earlier_by": 6.8,
                "links": [
                    "slideshow.mention-3-means-slideshow.astronaut",
                    "slideshow.mention-1-means-slideshow.cup",
                ],
            },
        )
    ]


def test_a_mention_takes_its_earliest_event(slideshow: Sample, demo_ontology: Ontology) -> None:
    """Line 1 also refers to shot 3 (6.8 s); its earliest event is still track 1 (0 s), so
    line 2 (track 2, 3.64 s) is in order."""
    extra = Link(id="l1-s3", type="refers-to", source="slideshow.line-1", target="slideshow.shot-3")
    assert _run(_retargeted(slideshow, {}, [extra]), demo_ontology) == []


@pytest.mark.parametrize(
    ("link_type", "status", "inverted"),
    [
        ("refers-to", "confirmed", True),
        ("refers-to", "rejected", False),
        ("same-as", "confirmed", False),  # not a mention relation
    ],
)
def test_only_mention_links_that_stand_count(
    slideshow: Sample, demo_ontology: Ontology, link_type: str, status: str, inverted: bool
) -> None:
    """Line 3 also referring to track 1 (0 s) puts its earliest event 3.64 s before line 2's."""
    extra = Link(
        id="l3-t1",
        type=link_type,
        source="slideshow.line-3",
        target="slideshow.track-1",
        status=status,
    )
    found = _run(_retargeted(slideshow, {}, [extra]), demo_ontology)
    expected = (
        [("slideshow.line-3", "slideshow.track-1", "slideshow.line-2", "slideshow.track-2")]
        if inverted
        else []
    )
    assert [f.subjects for f in found] == expected
    if inverted:
        assert found[0].detail["earlier_by"] == 3.64
        assert found[0].detail["links"] == ["l3-t1", "slideshow.shows-2"]
