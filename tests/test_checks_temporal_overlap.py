"""temporal-overlap and the time spans it reads, on the demo's narrated slideshow.

The slideshow's video runs at 25 fps (244 frames); each narrated line is
``synchronized-with`` its shot and ``refers-to`` the track of what the shot shows. Each
line starts with its shot and ends about 0.59 s before it: inside it, so the demo as built
has no finding.
"""

from collections.abc import Sequence
from fractions import Fraction
from importlib.metadata import entry_points

import pytest

from rosetta.core.checks import CheckContext, CheckSettings, Finding, Severity
from rosetta.core.checks.spec import SampleIndex
from rosetta.core.checks.temporal_overlap import TemporalOverlap
from rosetta.core.checks.time_spans import TimeSpan, TimeSpans
from rosetta.core.clock import Clock
from rosetta.core.geometry import Box, Track, TrackFrame, TranscriptSegment
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.demo.build import demo_samples

CHECK = TemporalOverlap()


@pytest.fixture(scope="module")
def slideshow() -> Sample:
    return next(sample for sample in demo_samples() if sample.id == "slideshow")


def _run(sample: Sample, ontology: Ontology, **settings: float) -> list[Finding]:
    return list(CHECK.run(CheckContext(sample, ontology, CheckSettings(**settings))))


def _shifted(sample: Sample, annotation_id: str, seconds: float) -> Sample:
    """`sample` with the transcript segment `annotation_id` (and its words) moved in time."""

    def moved(t: float) -> float:
        return round(t + seconds, 3)

    annotations = []
    for annotation in sample.annotations:
        segment = annotation.geometry
        if annotation.id == annotation_id:
            assert isinstance(segment, TranscriptSegment)
            words = [
                word.model_copy(update={"start": moved(word.start), "end": moved(word.end)})
                for word in segment.words or ()
            ]
            segment = segment.model_copy(
                update={"start": moved(segment.start), "end": moved(segment.end), "words": words}
            )
        annotations.append(annotation.model_copy(update={"geometry": segment}))
    return sample.model_copy(update={"annotations": annotations})


def _with(
    sample: Sample, *, annotations: Sequence[Annotation] = (), links: Sequence[Link] = ()
) -> Sample:
    return sample.model_copy(
        update={
            "annotations": [*sample.annotations, *annotations],
            "links": [*sample.links, *links],
        }
    )


def test_the_builtin_is_registered_under_its_name() -> None:
    (entry,) = entry_points(group="rosetta.checks", name="temporal-overlap")
    assert entry.load() is TemporalOverlap


def test_lines_inside_their_shots_are_synchronized(
    slideshow: Sample, demo_ontology: Ontology
) -> None:
    assert _run(slideshow, demo_ontology) == []


def test_a_line_shifted_out_of_its_shot(slideshow: Sample, demo_ontology: Ontology) -> None:
    """Line 1 spoken 0.9 s late runs 0.309 s past the end of its shot and of the track it
    refers to: neither span inside the other, beyond the 0.2 s tolerance."""
    found = _run(_shifted(slideshow, "slideshow.line-1", 0.9), demo_ontology)

    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            ("slideshow.sync-1", "slideshow.line-1", "slideshow.shot-1"),
            {
                "start_gap": 0.9,
                "end_gap": 0.309,
                "source_span": [0.9, 3.949],
                "target_span": [0.0, 3.64],
            },
        ),
        (
            Severity.WARNING,
            ("slideshow.shows-1", "slideshow.line-1", "slideshow.track-1"),
            {"before": 0.0, "after": 0.309, "audio_span": [0.9, 3.949], "video_span": [0.0, 3.64]},
        ),
    ]
    assert found[0].message == (
        "synchronized-with slideshow.sync-1 joins slideshow.line-1 [0.900 s, 3.949 s) and "
        "slideshow.shot-1 [0.000 s, 3.640 s), which start 0.900 s and end 0.309 s apart, "
        "neither inside the other (tolerance 0.200 s)"
    )


def test_nothing_within_the_tolerance(slideshow: Sample, demo_ontology: Ontology) -> None:
    # every line ends at most 0.591 s before its shot; each lies inside its track
    assert _run(slideshow, demo_ontology, temporal_tolerance=0.6) == []


def test_a_line_shifted_away_from_its_shot(slideshow: Sample, demo_ontology: Ontology) -> None:
    """Line 2 spoken 2 s late: still overlapping its shot (a warning), and its sound runs
    1.416 s past the track it refers to; 4 s late it no longer overlaps the shot (an error)."""
    late = _run(_shifted(slideshow, "slideshow.line-2", 2), demo_ontology, temporal_tolerance=0.6)
    assert [(f.severity, f.subjects, f.detail) for f in late] == [
        (
            Severity.WARNING,
            ("slideshow.sync-2", "slideshow.line-2", "slideshow.shot-2"),
            {
                "start_gap": 2.0,
                "end_gap": 1.416,
                "source_span": [5.64, 8.216],
                "target_span": [3.64, 6.8],
            },
        ),
        (
            Severity.WARNING,
            ("slideshow.shows-2", "slideshow.line-2", "slideshow.track-2"),
            {
                "before": 0.0,
                "after": 1.416,
                "audio_span": [5.64, 8.216],
                "video_span": [3.64, 6.8],  # key frames 91 to 169, outside from 170
            },
        ),
    ]

    later = _run(_shifted(slideshow, "slideshow.line-2", 4), demo_ontology, temporal_tolerance=0.6)
    assert [(f.severity, f.subjects) for f in later] == [
        (Severity.ERROR, ("slideshow.sync-2", "slideshow.line-2", "slideshow.shot-2")),
        (Severity.WARNING, ("slideshow.shows-2", "slideshow.line-2", "slideshow.track-2")),
    ]
    assert "do not overlap at all" in later[0].message
    assert later[0].detail["start_gap"] == 4.0 and later[1].detail["after"] == 3.416


def test_rejected_links_say_nothing(slideshow: Sample, demo_ontology: Ontology) -> None:
    shifted = _shifted(slideshow, "slideshow.line-2", 4)
    links = [
        link.model_copy(update={"status": "rejected"}) if link.id.endswith("-2") else link
        for link in shifted.links
    ]
    assert (
        _run(shifted.model_copy(update={"links": links}), demo_ontology, temporal_tolerance=0.6)
        == []
    )


def test_an_entity_end_stands_for_its_timed_members(
    slideshow: Sample, demo_ontology: Ontology
) -> None:
    """The astronaut entity holds a still's box and a script span (no time) and track 1
    ([0, 3.64) s): line 2, which starts when track 1 ends, does not overlap it."""
    link = Link(
        id="line-2-is-astronaut",
        type="synchronized-with",
        source="slideshow.line-2",
        target="slideshow.astronaut",
    )
    found = _run(_with(slideshow, links=[link]), demo_ontology, temporal_tolerance=0.6)
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.ERROR,
            ("line-2-is-astronaut", "slideshow.line-2", "slideshow.track-1", "slideshow.astronaut"),
            {
                "start_gap": 3.64,
                "end_gap": 2.576,
                "source_span": [3.64, 6.216],
                "target_span": [0.0, 3.64],
            },
        )
    ]


def test_a_framed_box_lasts_one_frame(slideshow: Sample, demo_ontology: Ontology) -> None:
    """A box on video frame 100 is [4.00, 4.04) s: a sound linked to it must lie there."""
    box = Annotation(
        id="cup-frame-100",
        stream="slideshow.video",
        label="cup",
        geometry=Box(x=80, y=5, w=150, h=180, frame=100),
    )
    spans = TimeSpans(SampleIndex(_with(slideshow, annotations=[box])))
    assert spans.of(box) == TimeSpan(Fraction(4), Fraction(101, 25))

    link = Link(id="said-at-100", type="refers-to", source="slideshow.line-2", target=box.id)
    found = _run(
        _with(slideshow, annotations=[box], links=[link]), demo_ontology, temporal_tolerance=0.6
    )
    assert [(f.severity, f.subjects, f.detail) for f in found] == [
        (
            Severity.WARNING,
            ("said-at-100", "slideshow.line-2", "cup-frame-100"),
            {
                "before": 0.36,
                "after": 2.176,
                "audio_span": [3.64, 6.216],
                "video_span": [4.0, 4.04],
            },
        )
    ]


def test_time_spans_of_tracks_and_timeless_annotations(slideshow: Sample) -> None:
    index = SampleIndex(slideshow)
    spans = TimeSpans(index)
    # a track in view to its last key frame holds to the stream's end (frame 243 of 244)
    assert spans.of(index.annotations["slideshow.track-3"]) == TimeSpan(
        Fraction(34, 5), Fraction(244, 25)
    )
    assert spans.of(index.annotations["slideshow.mention-1"]) is None  # a text span
    assert spans.of(index.annotations["slideshow.still-1.astronaut"]) is None  # a still image
    assert [timed.annotation.id for timed in spans.behind("slideshow.cup")] == ["slideshow.track-3"]


def test_frames_on_a_timestamp_table(slideshow: Sample) -> None:
    """Frames on a table clock run from their tick to the next; the last one, whose end is
    not recorded, as long as the one before it. A track never in view has no time."""
    table = Clock(ticks=[0, 3000, 6000, 10000], time_base="1/90000")
    video = slideshow.streams[0].model_copy(update={"clock": table})
    track = Track(
        keyframes=[
            TrackFrame(frame=1, x=0, y=0, w=10, h=10),
            TrackFrame(frame=3, x=0, y=0, w=10, h=10),
        ]
    )
    gone = Track(keyframes=[TrackFrame(frame=1, x=0, y=0, w=10, h=10, outside=True)])
    annotations = [
        Annotation(id="seen", stream=video.id, label="cup", geometry=track),
        Annotation(id="gone", stream=video.id, label="cup", geometry=gone),
        Annotation(
            id="past-the-table",
            stream=video.id,
            label="cup",
            geometry=Box(x=0, y=0, w=1, h=1, frame=4),
        ),
    ]
    sample = Sample(id="table", streams=[video], annotations=annotations)
    spans = TimeSpans(SampleIndex(sample))
    by_id = {a.id: a for a in annotations}
    assert spans.of(by_id["seen"]) == TimeSpan(Fraction(3000, 90000), Fraction(14000, 90000))
    assert spans.of(by_id["gone"]) is None
    assert spans.of(by_id["past-the-table"]) is None
