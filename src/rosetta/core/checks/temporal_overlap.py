"""temporal-overlap: linked things that should happen together do.

Two rules, over every link that is not rejected, between the annotations with a time that
its ends stand for (an entity end stands for its members; ends without a time, such as a
text span, are skipped; spans as `rosetta.core.checks.time_spans` defines them):

- a link whose type is one of `CheckSettings.synchronized_relations` says its ends happen
  at the same moment: one span lies inside the other, give or take
  `CheckSettings.temporal_tolerance` seconds at each end (a narrated line inside the shot
  it describes; a transcript segment on the same words' interval). Neither inside the
  other is a warning (a transcript shifted by half a second); spans that do not overlap at
  all are an error (synchronized with the wrong segment).
- any other link between a span on an audio stream and one on a video stream says the
  sound belongs to the pictures: the audio span must lie inside the video span, give or
  take the tolerance, else a warning.
"""

from collections.abc import Iterator
from fractions import Fraction
from typing import ClassVar

from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.checks.time_spans import Timed, TimeSpans
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Link
from rosetta.core.timebase import exact


def _subjects(link: Link, first: Annotation, second: Annotation) -> list[str]:
    """The link, the two annotations, then the entity ends they stand for."""
    subjects = [link.id, first.id, second.id]
    subjects += [end for end in (link.source, link.target) if end not in subjects]
    return subjects


def _seconds(value: Fraction) -> str:
    return f"{float(value):.3f} s"


def _describe(timed: Timed) -> str:
    return f"{timed.annotation.id} [{_seconds(timed.span.start)}, {_seconds(timed.span.end)})"


class TemporalOverlap:
    """Synchronized ends happen together; a linked audio event lies inside its video span."""

    name: ClassVar[str] = "temporal-overlap"
    description: ClassVar[str] = (
        "synchronized links join spans one of which lies inside the other (within the "
        "temporal tolerance); an audio span linked to a video span lies inside it"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One finding per pair of timed annotations a link joins that breaks a rule."""
        spans = TimeSpans(context.index)
        tolerance = exact(context.settings.temporal_tolerance)
        synchronized = set(context.settings.synchronized_relations)
        for link in context.sample.links:
            if link.status == "rejected":
                continue
            rule = self._synchronized if link.type in synchronized else self._audio_in_video
            targets = spans.behind(link.target)
            for first in spans.behind(link.source):
                for second in targets:
                    if first.annotation.id != second.annotation.id:
                        found = rule(context, link, first, second, tolerance)
                        if found is not None:
                            yield found

    def _synchronized(
        self, context: CheckContext, link: Link, first: Timed, second: Timed, tolerance: Fraction
    ) -> Finding | None:
        if first.span.inside(second.span, tolerance) or second.span.inside(first.span, tolerance):
            return None
        start_gap = abs(first.span.start - second.span.start)
        end_gap = abs(first.span.end - second.span.end)
        apart = first.span.overlaps(second.span)
        what = (
            f"start {_seconds(start_gap)} and end {_seconds(end_gap)} apart, neither inside "
            "the other"
            if apart
            else "do not overlap at all"
        )
        return context.finding(
            self.name,
            Severity.WARNING if apart else Severity.ERROR,
            _subjects(link, first.annotation, second.annotation),
            f"{link.type} {link.id} joins {_describe(first)} and {_describe(second)}, which "
            f"{what} (tolerance {_seconds(tolerance)})",
            fix="move the boundaries of one of them onto the other's, or remove the link",
            start_gap=float(start_gap),
            end_gap=float(end_gap),
            source_span=first.span.seconds(),
            target_span=second.span.seconds(),
        )

    def _audio_in_video(
        self, context: CheckContext, link: Link, first: Timed, second: Timed, tolerance: Fraction
    ) -> Finding | None:
        modalities = (
            context.index.modality_of(first.annotation),
            context.index.modality_of(second.annotation),
        )
        if modalities == (Modality.AUDIO, Modality.VIDEO):
            audio, video = first, second
        elif modalities == (Modality.VIDEO, Modality.AUDIO):
            audio, video = second, first
        else:
            return None
        if audio.span.inside(video.span, tolerance):
            return None
        before = max(video.span.start - audio.span.start, Fraction(0))
        after = max(audio.span.end - video.span.end, Fraction(0))
        return context.finding(
            self.name,
            Severity.WARNING,
            _subjects(link, audio.annotation, video.annotation),
            f"{link.type} {link.id} links the audio {_describe(audio)} to the video "
            f"{_describe(video)}, but the sound starts {_seconds(before)} before and ends "
            f"{_seconds(after)} after it (tolerance {_seconds(tolerance)})",
            fix="correct the boundaries of the sound or of the video span, or link the "
            "video span the sound belongs to",
            before=float(before),
            after=float(after),
            audio_span=audio.span.seconds(),
            video_span=video.span.seconds(),
        )
