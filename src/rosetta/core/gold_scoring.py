"""Scoring one person's work on a gold sample against its reference. Pure: no I/O.

The **reference** is the sample's annotations, entities and links authored by anyone but
the people who hold a gold, training or qualification slot on it (`score` is given their
names); the **work** is what the scored person authored on it.

**Matching.** A work annotation matches a reference one as in the workflow's agreement
(`rosetta.core.matching`): same stream, same label, matching geometries, greedily best
first, each at most once. Of what is left, a reference and a work annotation that would
match but for their labels are a *wrong label*; the rest of the reference is *missed*,
the rest of the work *extra*. An entity matches a reference entity of the same label
whose members' matches are exactly its members. A link matches a reference link of the
same type (relation) whose source and target matched its source and target.

**Scores**, each 0 to 1: the F1 of each modality (the modality of the annotation's
stream; ``sample`` for a classification of the whole sample), the F1 of the links, and
the overall score, the F1 of annotations and links together (``2·matched / (reference +
submitted)``; 1 when both are empty).

**score_detail.** `GoldScore.detail` is the JSON stored in ``tasks.score_detail`` (and
answered to a trainee after a training task, and to managers and reviewers)::

    {
      "score": 0.75,                          # overall, as tasks.score
      "modalities": {                         # per modality with reference or work
        "image": {"reference": 2, "submitted": 2, "matched": 1, "f1": 0.5}
      },
      "links": {"reference": 1, "submitted": 0, "matched": 0, "f1": 0.0},
      "feedback": [                           # in this order of kinds
        {"kind": "wrong_label", "reference": "r2", "submitted": "w2", "stream": "cam",
         "modality": "image", "label": "car", "given": "truck", "geometry": {...}},
        {"kind": "missed", "reference": "r3", "stream": "cam", "modality": "image",
         "label": "car", "geometry": {...}},
        {"kind": "extra", "submitted": "w9", "stream": "cam", "modality": "image",
         "label": "person"},
        {"kind": "link_missed", "reference": "l1", "type": "drives", "source": "r1",
         "target": "r3"},
        {"kind": "link_extra", "submitted": "l7", "type": "drives", "source": "w1",
         "target": "w2"}
      ]
    }

``geometry`` is the reference's geometry (its JSON form), so a trainee's screen can draw
what they missed; ``source``/``target`` of a feedback link are the ids of its endpoints
(reference ids for a missed link, the person's for an extra one).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rosetta.core.matching import greedy_pairs, similarity
from rosetta.core.schema import Annotation, Entity, Link, Sample

#: What a feedback item says.
FeedbackKind = Literal["wrong_label", "missed", "extra", "link_missed", "link_extra"]

#: The modality of a classification of the whole sample (an annotation with no stream).
WHOLE_SAMPLE = "sample"


@dataclass(frozen=True)
class Counts:
    """How many objects the reference has, the person submitted, and matched."""

    reference: int
    submitted: int
    matched: int

    @property
    def f1(self) -> float:
        """The F1 score, 1 when both sides are empty."""
        total = self.reference + self.submitted
        return 1.0 if total == 0 else 2 * self.matched / total

    def as_json(self) -> dict[str, Any]:
        """The counts and the F1, as in ``score_detail``."""
        return {
            "reference": self.reference,
            "submitted": self.submitted,
            "matched": self.matched,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class GoldScore:
    """One person's score on a gold sample: overall, per modality, for the links, and the
    feedback items (see the module for their shape)."""

    score: float
    modalities: dict[str, Counts]
    links: Counts
    feedback: list[dict[str, Any]] = field(default_factory=list)

    def detail(self) -> dict[str, Any]:
        """The JSON of ``tasks.score_detail`` (see the module)."""
        return {
            "score": self.score,
            "modalities": {name: counts.as_json() for name, counts in self.modalities.items()},
            "links": self.links.as_json(),
            "feedback": self.feedback,
        }


def score(sample: Sample, person: str, scored: Collection[str]) -> GoldScore:
    """Score the work of `person` on the gold `sample` against its reference: the work of
    everyone not in `scored` (the people holding gold, training or qualification slots on
    it)."""
    modality = {stream.id: stream.modality for stream in sample.streams}
    reference = [a for a in sample.annotations if a.author not in scored]
    work = [a for a in sample.annotations if a.author == person]
    pairs = greedy_pairs(reference, work, _same_object)
    matched = {reference[i].id: work[j].id for i, j in pairs}
    left_reference = [a for a in reference if a.id not in matched]
    left_work = [a for a in work if a.id not in matched.values()]
    relabelled = [
        (left_reference[i], left_work[j])
        for i, j in greedy_pairs(left_reference, left_work, _same_place)
    ]
    wrong_ids = {r.id for r, _ in relabelled} | {w.id for _, w in relabelled}

    def kind_of(annotation: Annotation) -> str:
        if annotation.stream is None:
            return WHOLE_SAMPLE
        return str(modality.get(annotation.stream, WHOLE_SAMPLE))

    modalities: dict[str, Counts] = {}
    for name in sorted({kind_of(a) for a in reference} | {kind_of(a) for a in work}):
        modalities[name] = Counts(
            reference=sum(1 for a in reference if kind_of(a) == name),
            submitted=sum(1 for a in work if kind_of(a) == name),
            matched=sum(1 for i, _ in pairs if kind_of(reference[i]) == name),
        )
    matched.update(_entity_matches(sample.entities, person, scored, matched))
    reference_links = [link for link in sample.links if link.author not in scored]
    work_links = [link for link in sample.links if link.author == person]
    link_pairs = greedy_pairs(reference_links, work_links, lambda r, w: _same_link(r, w, matched))
    links = Counts(len(reference_links), len(work_links), len(link_pairs))
    feedback: list[dict[str, Any]] = []
    for ref, given in relabelled:
        feedback.append(
            _annotation_item("wrong_label", ref, kind_of(ref), "reference")
            | {"submitted": given.id, "given": given.label}
        )
    for ref in left_reference:
        if ref.id not in wrong_ids:
            feedback.append(_annotation_item("missed", ref, kind_of(ref), "reference"))
    for extra in left_work:
        if extra.id not in wrong_ids:
            item = _annotation_item("extra", extra, kind_of(extra), "submitted")
            del item["geometry"]
            feedback.append(item)
    linked_reference = {i for i, _ in link_pairs}
    linked_work = {j for _, j in link_pairs}
    feedback.extend(
        _link_item("link_missed", link, "reference")
        for i, link in enumerate(reference_links)
        if i not in linked_reference
    )
    feedback.extend(
        _link_item("link_extra", link, "submitted")
        for j, link in enumerate(work_links)
        if j not in linked_work
    )
    overall = Counts(
        reference=len(reference) + links.reference,
        submitted=len(work) + links.submitted,
        matched=len(pairs) + links.matched,
    )
    return GoldScore(score=overall.f1, modalities=modalities, links=links, feedback=feedback)


def _same_object(reference: Annotation, work: Annotation) -> float | None:
    if reference.stream != work.stream or reference.label != work.label:
        return None
    return similarity(reference.geometry, work.geometry)


def _same_place(reference: Annotation, work: Annotation) -> float | None:
    if reference.stream != work.stream:
        return None
    return similarity(reference.geometry, work.geometry)


def _entity_matches(
    entities: Sequence[Entity], person: str, scored: Collection[str], matched: dict[str, str]
) -> dict[str, str]:
    """Reference entity id → the person's matching entity id."""
    reference = [e for e in entities if e.author not in scored]
    work = [e for e in entities if e.author == person]

    def same(ref: Entity, given: Entity) -> float | None:
        counterparts = {matched.get(member) for member in ref.members}
        if ref.label != given.label or counterparts != set(given.members):
            return None
        return 1.0

    return {reference[i].id: work[j].id for i, j in greedy_pairs(reference, work, same)}


def _same_link(reference: Link, work: Link, matched: dict[str, str]) -> float | None:
    if reference.type != work.type:
        return None
    if matched.get(reference.source) != work.source or matched.get(reference.target) != work.target:
        return None
    return 1.0


def _annotation_item(
    kind: FeedbackKind, annotation: Annotation, modality: str, role: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        role: annotation.id,
        "stream": annotation.stream,
        "modality": modality,
        "label": annotation.label,
        "geometry": annotation.geometry.model_dump(mode="json"),
    }


def _link_item(kind: FeedbackKind, link: Link, role: str) -> dict[str, Any]:
    return {
        "kind": kind,
        role: link.id,
        "type": link.type,
        "source": link.source,
        "target": link.target,
    }
