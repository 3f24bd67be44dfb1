"""order-consistency: narration tells events in the order they happen.

A *mention* is a text span (ordered by its start offset in its text stream) or a
transcript segment (ordered by its start time on its stream) at the source end of a link
whose type is one of `CheckSettings.mention_relations`; its *event* is what the link's
target stands for (itself or an entity's members) with a time span on an audio or video
stream (`rosetta.core.checks.time_spans`), the earliest when there are several. Rejected
links do not count. Within each narration stream the mentions are walked in narration
order; a mention whose event starts more than `CheckSettings.temporal_tolerance` seconds
before the previous mention's event is an inversion (a warning naming both mentions and
both events). One sort per stream: O(n log n).
"""

from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from itertools import pairwise
from typing import ClassVar, NamedTuple

from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.checks.time_spans import TimeSpans
from rosetta.core.geometry import TextSpan, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation
from rosetta.core.timebase import exact

#: The modalities events are on.
_EVENT_MODALITIES = frozenset({Modality.AUDIO, Modality.VIDEO})


class _Mention(NamedTuple):
    """A mention's place in its narration and the event it refers to."""

    position: tuple[Fraction, Fraction, str]
    mention: Annotation
    event_start: Fraction
    event: Annotation
    link: str

    @property
    def event_key(self) -> tuple[Fraction, str]:
        """The event's start, then its id: the earliest event is the least."""
        return self.event_start, self.event.id


def _position(mention: Annotation) -> tuple[Fraction, Fraction, str] | None:
    """Where a mention sits in its narration (start, end, id); ``None``: not a mention."""
    geometry = mention.geometry
    if isinstance(geometry, TextSpan):
        return Fraction(geometry.start), Fraction(geometry.end), mention.id
    if isinstance(geometry, TranscriptSegment):
        return exact(geometry.start), exact(geometry.end), mention.id
    return None


class OrderConsistency:
    """Mentions refer to their events in timeline order."""

    name: ClassVar[str] = "order-consistency"
    description: ClassVar[str] = (
        "mentions in a text or transcript refer to audio/video events in the order the "
        "events happen"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One warning per mention whose event starts before the previous mention's."""
        tolerance = exact(context.settings.temporal_tolerance)
        for stream, mentions in sorted(self._mentions(context).items()):
            ordered = sorted(mentions.values(), key=lambda m: m.position)
            for previous, current in pairwise(ordered):
                earlier = previous.event_start - current.event_start
                if earlier > tolerance:
                    yield self._inversion(context, stream, previous, current, earlier)

    def _mentions(self, context: CheckContext) -> dict[str, dict[str, _Mention]]:
        """The mentions of each narration stream by id, each with its earliest event."""
        spans = TimeSpans(context.index)
        relations = set(context.settings.mention_relations)
        found: dict[str, dict[str, _Mention]] = defaultdict(dict)
        for link in context.sample.links:
            if link.type not in relations or link.status == "rejected":
                continue
            events = [
                timed
                for timed in spans.behind(link.target)
                if context.index.modality_of(timed.annotation) in _EVENT_MODALITIES
            ]
            for mention in context.index.annotations_behind(link.source):
                position = _position(mention)
                if position is None or mention.stream is None:
                    continue
                known = found[mention.stream]
                for event in events:
                    if event.annotation.id == mention.id:
                        continue
                    candidate = _Mention(
                        position, mention, event.span.start, event.annotation, link.id
                    )
                    previous = known.get(mention.id)
                    if previous is None or candidate.event_key < previous.event_key:
                        known[mention.id] = candidate
        return found

    def _inversion(
        self,
        context: CheckContext,
        stream: str,
        previous: _Mention,
        current: _Mention,
        earlier: Fraction,
    ) -> Finding:
        return context.finding(
            self.name,
            Severity.WARNING,
            [current.mention.id, current.event.id, previous.mention.id, previous.event.id],
            f"{current.mention.id} comes after {previous.mention.id} in {stream}, but its "
            f"event {current.event.id} (at {float(current.event_start):.3f} s) starts "
            f"{float(earlier):.3f} s before {previous.event.id} "
            f"(at {float(previous.event_start):.3f} s)",
            fix="check that each mention is linked to the event it names; if the narration "
            "does tell them out of order, dismiss this finding",
            stream=stream,
            event_start=float(current.event_start),
            previous_event_start=float(previous.event_start),
            earlier_by=float(earlier),
            links=[current.link, previous.link],
        )
