"""The mention checks: words that name something seen, and what they are linked to.

A *mention* is a text span on a text stream. Transcript segments are not: a segment is a
whole utterance, labelled with what it is (``speech``) rather than with what it names,
and may name several things; their links to what they show are checked by the temporal
and order checks. A *region* is a box, polygon, mask, keypoints, track or cuboid on an
image, video or point-cloud stream.

A mention *reaches* a region when a link of `CheckSettings.mention_relations` joins them,
directly or through an entity that holds either (an entity stands for its members), or
when one entity holds both. Annotations are grouped by entity membership first, so every
question is a lookup: the checks are linear in the annotations, memberships and links,
plus one ranking of compatible regions per class that mentions carry.

- ``unlinked-mentions`` (warning): a mention whose class is compatible with a region's in
  the same sample (same class or is-a related) and that reaches no region; the fix names
  the likeliest region to link it to.
- ``partial-alignment`` (info): for each text stream and visual stream joined by at least
  one mention link (or by an entity holding a mention and a region), the regions of the
  visual stream that no mention of the text stream reaches (one finding per region,
  naming the text streams), and the mentions of the text stream that reach no region
  although no region of a compatible class exists (with a compatible region it is
  ``unlinked-mentions``' finding).

Labels that are no class of the ontology are left to ``ontology-conformance``.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from rosetta.core.checks.identity import components, entity_edges
from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.geometry import TextSpan
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation

#: The geometry kinds of regions, on `VISUAL` streams.
REGION_KINDS = frozenset({"box", "polygon", "mask", "keypoints", "track", "cuboid"})
#: The modalities of streams that show regions.
VISUAL = frozenset({Modality.IMAGE, Modality.VIDEO, Modality.POINTCLOUD})


@dataclass
class MentionMap:
    """Mentions, regions and which reach which, over one sample."""

    context: CheckContext
    #: The sample's mentions and regions, in its order (labels the ontology knows).
    mentions: list[Annotation] = field(init=False, default_factory=list)
    regions: list[Annotation] = field(init=False, default_factory=list)
    #: The group (entity component) of each annotation.
    group: dict[str, int] = field(init=False, default_factory=dict)
    #: The groups each group is joined to by a mention link (or by holding both ends).
    partners: dict[int, set[int]] = field(init=False, default_factory=lambda: defaultdict(set))
    #: Pairs (text stream, visual stream) that a mention link or an entity joins.
    joined: set[tuple[str, str]] = field(init=False, default_factory=set)
    #: The groups the mentions of each text stream reach.
    reached_from: dict[str, set[int]] = field(init=False, default_factory=lambda: defaultdict(set))
    _candidates: dict[str, list[Annotation]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        index = self.context.index
        known = self.context.ontology.class_map
        for annotation in self.context.sample.annotations:
            modality = index.modality_of(annotation)
            if annotation.label not in known:
                continue
            if modality is Modality.TEXT and isinstance(annotation.geometry, TextSpan):
                self.mentions.append(annotation)
            elif modality in VISUAL and annotation.geometry.type in REGION_KINDS:
                self.regions.append(annotation)
        ids = [a.id for a in self.context.sample.annotations]
        self.group = components(ids, entity_edges(index))
        text_of: dict[int, set[str]] = defaultdict(set)
        visual_of: dict[int, set[str]] = defaultdict(set)
        for mention in self.mentions:
            text_of[self.group[mention.id]].add(mention.stream or "")
        for region in self.regions:
            visual_of[self.group[region.id]].add(region.stream or "")
        for group in text_of.keys() & visual_of.keys():  # one entity holds both
            self._join(group, group, text_of, visual_of)
        relations = set(self.context.settings.mention_relations)
        for link in self.context.sample.links:
            if link.type not in relations:
                continue
            source, target = self._group_of(link.source), self._group_of(link.target)
            if source is None or target is None:
                continue
            self._join(source, target, text_of, visual_of)
            self._join(target, source, text_of, visual_of)

    def _group_of(self, end: str) -> int | None:
        behind = self.context.index.annotations_behind(end)
        return self.group[behind[0].id] if behind else None

    def _join(
        self,
        words: int,
        seen: int,
        text_of: dict[int, set[str]],
        visual_of: dict[int, set[str]],
    ) -> None:
        self.partners[words].add(seen)
        for text in text_of.get(words, ()):
            self.reached_from[text].add(seen)
            self.joined.update((text, visual) for visual in visual_of.get(seen, ()))

    @cached_property
    def region_groups(self) -> set[int]:
        """The groups that hold a region."""
        return {self.group[region.id] for region in self.regions}

    def reaches_region(self, mention: Annotation) -> bool:
        """Whether `mention` reaches some region (through a link or an entity)."""
        own = self.group[mention.id]
        return own in self.region_groups or not self.partners[own].isdisjoint(self.region_groups)

    @cached_property
    def regions_below(self) -> dict[str, list[Annotation]]:
        """The regions whose class is each class or below it."""
        below: dict[str, list[Annotation]] = defaultdict(list)
        for region in self.regions:
            for ancestor in self.context.ontology.ancestors(region.label):
                below[ancestor].append(region)
        return below

    @cached_property
    def position(self) -> dict[str, int]:
        """Each annotation's place in the sample."""
        return {a.id: n for n, a in enumerate(self.context.sample.annotations)}

    @cached_property
    def reached(self) -> set[int]:
        """The groups some mention reaches."""
        return set().union(*self.reached_from.values())

    @cached_property
    def visuals_of(self) -> dict[str, list[str]]:
        """The visual streams each text stream is joined to."""
        found: dict[str, list[str]] = defaultdict(list)
        for text, visual in sorted(self.joined):
            found[text].append(visual)
        return found

    def compatible_regions(self, label: str) -> list[Annotation]:
        """The regions of a class compatible with `label`, likeliest first: the same class,
        then regions no mention reaches yet, then the nearest in the class tree, then in
        the sample's order. Computed once per label."""
        if label not in self._candidates:
            ontology = self.context.ontology
            depth = len(ontology.ancestors(label))
            found = [
                *self.regions_below.get(label, ()),
                *(
                    region
                    for ancestor in ontology.ancestors(label)[1:]
                    for region in self.regions_below.get(ancestor, ())
                    if region.label == ancestor
                ),
            ]

            def rank(region: Annotation) -> tuple[bool, bool, int, int]:
                return (
                    region.label != label,
                    self.group[region.id] in self.reached,
                    abs(len(ontology.ancestors(region.label)) - depth),
                    self.position[region.id],
                )

            self._candidates[label] = sorted(found, key=rank)
        return self._candidates[label]


def _quoted(context: CheckContext, mention: Annotation) -> str:
    """The mention's words, when its stream holds its text."""
    stream = context.index.streams.get(mention.stream or "")
    span = mention.geometry
    if stream is None or stream.text is None or not isinstance(span, TextSpan):
        return ""
    return f" ({stream.text[span.start : span.end]!r})"


class UnlinkedMentions:
    """Mentions of a class some region has, linked to no region."""

    name: ClassVar[str] = "unlinked-mentions"
    description: ClassVar[str] = (
        "text spans whose class some region of the sample has (same class or is-a "
        "related) but which no mention link joins to any region"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One warning per unlinked mention, naming the likeliest region."""
        found = MentionMap(context)
        relation = (context.settings.mention_relations or ("refers-to",))[0]
        for mention in found.mentions:
            if found.reaches_region(mention):
                continue
            candidates = found.compatible_regions(mention.label)
            if not candidates:
                continue
            best = candidates[0]
            yield context.finding(
                self.name,
                Severity.WARNING,
                (mention.id, best.id),
                f"span {mention.id!r}{_quoted(context, mention)} names a {mention.label} but "
                f"is linked to no region; {best.id!r} ({best.label}, a {best.geometry.type} "
                f"on {best.stream!r}) may be what it names",
                fix=f"link span {mention.id!r} to region {best.id!r} with {relation}",
                label=mention.label,
                candidate=best.id,
                candidate_label=best.label,
                candidates=len(candidates),
            )


class PartialAlignment:
    """Regions a linked text does not mention, and mentions with nothing to point at."""

    name: ClassVar[str] = "partial-alignment"
    description: ClassVar[str] = (
        "for a text and a visual stream joined by mention links: regions no mention of "
        "the text reaches, and mentions that reach no region where no region of their "
        "class exists"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """Info findings: regions without a mention, mentions without a region."""
        found = MentionMap(context)
        texts_of: dict[str, list[str]] = defaultdict(list)
        for text, visual in sorted(found.joined):
            texts_of[visual].append(text)
        for region in found.regions:
            silent = [
                text
                for text in texts_of.get(region.stream or "", ())
                if found.group[region.id] not in found.reached_from[text]
            ]
            if silent:
                yield context.finding(
                    self.name,
                    Severity.INFO,
                    (region.id,),
                    f"region {region.id!r} ({region.label}) on {region.stream!r} is not "
                    f"mentioned in the linked text {', '.join(repr(t) for t in silent)}",
                    fix=(
                        f"link the words naming {region.id!r} to it, or add a span for them "
                        "if the text names it"
                    ),
                    kind="region-without-mention",
                    label=region.label,
                    texts=silent,
                )
        for mention in found.mentions:
            if mention.stream not in found.visuals_of or found.reaches_region(mention):
                continue
            if found.compatible_regions(mention.label):
                continue
            visuals = found.visuals_of[mention.stream or ""]
            yield context.finding(
                self.name,
                Severity.INFO,
                (mention.id,),
                f"span {mention.id!r}{_quoted(context, mention)} names a {mention.label}, "
                f"but no region of the sample shows one",
                fix=f"draw the {mention.label} if {', '.join(repr(v) for v in visuals)} "
                "shows it, or leave the span unlinked",
                kind="mention-without-region",
                label=mention.label,
                visuals=visuals,
            )
