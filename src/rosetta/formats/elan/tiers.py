"""The tiers an ELAN writer puts a sample's annotations in (`Layout`): the tiers of
``metadata["elan"]`` first (an annotation stays in its tier while its label, speaker and
parent still fit it), then tiers made from label, speaker and parent; and the ELAN id and
time span (whole milliseconds) of each annotation."""

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.schema import Annotation, Sample
from rosetta.formats import timed
from rosetta.formats.elan.document import ASSOCIATED_WITH, PART_OF, SYMBOLIC, relation_of
from rosetta.formats.not_carried import ReadBack

_NCNAME: Final = re.compile(r"[A-Za-z_][\w.\-]*")


@dataclass
class OutTier:
    """A tier being written: its type, constraint, vocabulary, participant, parent and
    annotator, and its annotations (an independent tier's spans kept sorted)."""

    id: str
    type: str
    constraint: str | None
    vocabulary: str | None
    participant: str | None
    parent: str | None
    annotator: str | None
    members: list[Annotation] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # an independent tier's spans, sorted
    ends: list[int] = field(default_factory=list)


class Layout:
    """Which tier each written annotation goes to, and the ELAN id it gets: the tiers of
    ``metadata["elan"]`` first (an annotation stays in its tier while its label, speaker
    and parent still fit it), then tiers made from label, speaker and parent."""

    def __init__(self, sample: Sample, annotations: list[Annotation]) -> None:
        elan = sample.metadata.get("elan")
        self.saved: dict[str, Any] = elan if isinstance(elan, dict) else {}
        self.types: dict[str, dict[str, Any]] = {
            name: dict(kind) for name, kind in (self.saved.get("types") or {}).items()
        }
        self.spans = {a.id: _span_ms(a) for a in annotations}
        self.speakers = timed.speaker_names(sample)
        self.speaker_of: dict[str, tuple[str, str]] = {}  # annotation -> (name, link id)
        self.parent_of: dict[str, tuple[str, str, str]] = {}  # child -> (parent, type, link)
        for link in sample.links:
            if link.target not in self.spans:
                continue
            if link.type == timed.SPEAKER_RELATION and link.source in self.speakers:
                self.speaker_of.setdefault(link.target, (self.speakers[link.source], link.id))
            elif link.type in (PART_OF, ASSOCIATED_WITH) and link.source in self.spans:
                self.parent_of.setdefault(link.source, (link.target, link.type, link.id))
        self.elan_ids = _elan_ids(sample.id, annotations)
        self.tiers: dict[str, OutTier] = {}
        self.tier_of: dict[str, OutTier] = {}
        ordered = sorted(annotations, key=lambda a: (self.spans[a.id][0], -self.spans[a.id][1]))
        self._place_saved(ordered)
        self._place_derived([a for a in ordered if a.id not in self.tier_of])

    def _place_saved(self, ordered: list[Annotation]) -> None:
        by_elan = {self.elan_ids[a.id]: a for a in ordered}
        saved_tiers = [t for t in self.saved.get("tiers") or [] if isinstance(t, dict)]
        position = {self.elan_ids[a.id]: index for index, a in enumerate(ordered)}
        pending = saved_tiers
        while pending:
            ready = [t for t in pending if t.get("parent") in (None, *self.tiers)]
            if not ready:  # parents that are not tiers: the rest become independent
                ready = pending
            for saved in ready:
                listed = [i for i in saved.get("annotations", []) if i in by_elan]
                members = [by_elan[i] for i in sorted(listed, key=position.__getitem__)]
                self._saved_tier(saved, members)
            pending = [t for t in pending if t["id"] not in self.tiers]
        self.tiers = {t["id"]: self.tiers[t["id"]] for t in saved_tiers}  # the document's order

    def _saved_tier(self, saved: dict[str, Any], members: list[Annotation]) -> None:
        kind = self.types.get(saved.get("type", ""), {})
        vocabulary = kind.get("vocabulary")
        constraint = kind.get("constraint")
        parent = saved.get("parent") if saved.get("parent") in self.tiers else None
        if parent is None:
            constraint = None
        if vocabulary is not None:
            type_id = saved["type"]
            members = [a for a in members if isinstance(a.geometry, Interval)]
            label = None
        else:
            labels = Counter(a.label for a in members)
            label = labels.most_common(1)[0][0] if labels else saved["type"]
            type_id = self._type_for(label, constraint, saved["type"])
        tier = OutTier(
            id=saved["id"],
            type=type_id,
            constraint=constraint,
            vocabulary=vocabulary,
            participant=saved.get("participant"),
            parent=parent,
            annotator=saved.get("annotator"),
        )
        self.tiers[tier.id] = tier
        for annotation in members:
            if (label is None or annotation.label == label) and self._fits(annotation, tier):
                self._put(annotation, tier)

    def _fits(self, annotation: Annotation, tier: OutTier) -> bool:
        """Whether the annotation can sit in `tier` and read back the same: its speaker
        is the tier's participant (independent tiers), its parent link leads into the
        parent tier with the tier's relation and it lies inside (symbolic: spans) its
        parent (dependent tiers), and it overlaps no other annotation of the tier."""
        if tier.parent is None:
            speaker = self.speaker_of.get(annotation.id, (None, ""))[0]
            return speaker == tier.participant and not _overlaps(tier, self.spans[annotation.id])
        found = self.parent_of.get(annotation.id)
        if found is None or found[1] != relation_of(tier.constraint):
            return False
        target = self.tier_of.get(found[0])
        if target is None or target.id != tier.parent:
            return False
        (start, end), (parent_start, parent_end) = self.spans[annotation.id], self.spans[found[0]]
        if tier.constraint in SYMBOLIC:
            return (start, end) == (parent_start, parent_end)
        return parent_start <= start and end <= parent_end

    def _place_derived(self, waiting: list[Annotation]) -> None:
        final = False
        while waiting:
            left = [a for a in waiting if not self._derived(a, final=final)]
            final = len(left) == len(waiting)
            waiting = left

    def _derived(self, annotation: Annotation, *, final: bool) -> bool:
        """Put the annotation into a tier of its label, speaker and parent tier (made when
        missing); ``False`` while its parent has no tier yet (unless `final`)."""
        parent_tier, constraint = None, None
        found = self.parent_of.get(annotation.id)
        if found is not None:
            target = self.tier_of.get(found[0])
            if target is None and not final:
                return False
            if target is not None:
                span, parent_span = self.spans[annotation.id], self.spans[found[0]]
                if found[1] == ASSOCIATED_WITH and span == parent_span:
                    constraint = "Symbolic_Association"
                elif found[1] == PART_OF and parent_span[0] <= span[0] <= span[1] <= parent_span[1]:
                    constraint = "Included_In"
                parent_tier = target.id if constraint else None
        speaker = None if parent_tier else self.speaker_of.get(annotation.id, (None, ""))[0]
        base = annotation.label if speaker is None else f"{annotation.label} ({speaker})"
        type_id = self._type_for(annotation.label, constraint)
        for number in itertools.count(1):
            name = base if number == 1 else f"{base} {number}"
            tier = self.tiers.get(name)
            if tier is None:
                tier = OutTier(name, type_id, constraint, None, speaker, parent_tier, None)
                self.tiers[name] = tier
            if (tier.type, tier.parent, tier.participant) == (
                type_id,
                parent_tier,
                speaker,
            ) and self._fits(annotation, tier):
                self._put(annotation, tier)
                return True
        raise AssertionError("unreachable")

    def _type_for(self, label: str, constraint: str | None, original: str | None = None) -> str:
        """The linguistic type for `label` on tiers with `constraint`: named `label`, else
        (a type of that name has another constraint or a vocabulary) the tier's `original`
        type, else ``label (constraint)``."""
        names = [label, *([original] if original else []), f"{label} ({constraint})"]
        for name in [*names, f"{label} (independent)"]:
            known = self.types.get(name)
            if known is None:
                self.types[name] = {"constraint": constraint} if constraint else {}
                return name
            if known.get("constraint") == constraint and known.get("vocabulary") is None:
                return name
        raise RosettaError(f"no linguistic type name left for label {label!r}")

    def _put(self, annotation: Annotation, tier: OutTier) -> None:
        tier.members.append(annotation)
        self.tier_of[annotation.id] = tier
        if tier.parent is None:
            start, end = self.spans[annotation.id]
            at = bisect.bisect(tier.starts, start)
            tier.starts.insert(at, start)
            tier.ends.insert(at, end)

    def put_read_back(self, sample: Sample, stem: str, back: ReadBack) -> None:
        """Note in `back` the ids the written annotations, the links the tiers carry
        (participants and parent references) and the speakers get when the document (the
        sample `stem`) is read back: ``<stem>.<ELAN id>``, ``<annotation>.speaker-<n>``,
        ``<annotation>.parent``, ``<stem>.speaker-<n>`` (speakers numbered in the order of
        the independent tiers they speak on)."""
        order: dict[str, int] = {}
        for tier in self.tiers.values():
            if tier.parent is None and tier.participant is not None:
                order.setdefault(tier.participant, len(order) + 1)
        for annotation_id, tier in self.tier_of.items():
            read_as = f"{stem}.{self.elan_ids[annotation_id]}"
            back.put(annotation_id, stem, read_as)
            if tier.parent is None:
                speaker = self.speaker_of.get(annotation_id)
                if speaker is not None and speaker[0] == tier.participant:
                    back.put(speaker[1], stem, f"{read_as}.speaker-{order[speaker[0]]}")
            else:
                back.put(self.parent_of[annotation_id][2], stem, f"{read_as}.parent")
        timed.put_speakers(back, sample, stem, order)


def _elan_ids(sample_id: str, annotations: list[Annotation]) -> dict[str, str]:
    """ELAN annotation ids: the record id without ``<sample id>.`` where that is a valid
    XML id (as read), else ``a<n>`` after the highest such number."""
    prefix = f"{sample_id}."
    chosen: dict[str, str] = {}
    for annotation in annotations:
        rest = annotation.id.removeprefix(prefix)
        if annotation.id.startswith(prefix) and _NCNAME.fullmatch(rest):
            chosen.setdefault(annotation.id, rest)
    taken = set(chosen.values())
    numbers = (int(m.group(1)) for t in taken if (m := re.fullmatch(r"a(\d+)", t)))
    counter = itertools.count(max(numbers, default=0) + 1)
    for annotation in annotations:
        if annotation.id not in chosen:
            chosen[annotation.id] = f"a{next(counter)}"
    return chosen


def _span_ms(annotation: Annotation) -> tuple[int, int]:
    geometry = annotation.geometry
    assert isinstance(geometry, Interval | TranscriptSegment)
    start = timed.ms_of_seconds(geometry.start)
    return start, max(timed.ms_of_seconds(geometry.end), start + 1)


def _overlaps(tier: OutTier, span: tuple[int, int]) -> bool:
    """Whether `span` overlaps an annotation of the (independent) tier: its annotations
    are disjoint and sorted, so only the last one starting before `span` ends can."""
    at = bisect.bisect_left(tier.starts, span[1])
    return at > 0 and tier.ends[at - 1] > span[0]
