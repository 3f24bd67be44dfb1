"""The ``entity-consistency`` check: annotations that denote one thing carry labels that
agree.

Annotations denote one thing when they are members of one entity or the two ends of a
link whose type is in `CheckSettings.identity_relations` (an entity end stands for its
members); "one thing" is transitive, so the check works on the connected components of
those memberships and links. Within a component the annotations are grouped by label and
the labels compared, not the annotations, so an entity of n members costs n, not n²:

- the same label: fine;
- is-a related labels (``sedan`` in the image, ``car`` in the text): *drift*, an ``info``
  finding with ``detail`` ``{kind: "drift", finer, coarser, modalities}``; the two agree
  at the coarser level, and the project's semantic drift report counts these pairs;
- unrelated labels (``car`` and ``person``): a *conflict*, an ``error``.

Each pair of labels of a component is reported once, naming the first annotation (in the
sample's order) of each; for a conflict the label fewer annotations carry comes first.

A link whose end's class can label none of the other end's geometry kinds (``speech``,
which labels only intervals and transcripts, at the start of a ``refers-to`` to a box)
joins words to what they name, not two views of one thing, and is left out. Labels that
are no class of the ontology are the ``ontology-conformance`` check's to report.
"""

from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations
from typing import ClassVar

from rosetta.core.checks.identity import components, entity_edges
from rosetta.core.checks.spec import CheckContext, Finding, SampleIndex, Severity
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation


def _admits(ontology: Ontology, label: str, kinds: frozenset[str]) -> bool:
    """Whether class `label` may label a geometry of one of `kinds` (unknown: yes)."""
    if label not in ontology.class_map:
        return True
    allowed = ontology.allowed_geometries(label)
    return allowed is None or not allowed.isdisjoint(kinds)


#: What one link end holds: its annotations' labels and geometry kinds.
_Profile = tuple[frozenset[str], frozenset[str]]


def _one_kind(ontology: Ontology, first: _Profile, second: _Profile) -> bool:
    """Whether two link ends can be views of one thing: some class of each end may label
    a geometry kind of the other."""
    return any(_admits(ontology, label, second[1]) for label in first[0]) and any(
        _admits(ontology, label, first[1]) for label in second[0]
    )


def identity_edges(context: CheckContext) -> Iterator[tuple[str, str]]:
    """Edges joining the annotations that denote one thing: co-members of an entity and
    the ends of identity links (each end by its first annotation)."""
    index = context.index
    yield from entity_edges(index)
    relations = set(context.settings.identity_relations)
    profiles: dict[str, tuple[str, _Profile] | None] = {}

    def profile(end: str) -> tuple[str, _Profile] | None:
        if end not in profiles:
            behind = index.annotations_behind(end)
            profiles[end] = (
                (
                    behind[0].id,
                    (
                        frozenset(a.label for a in behind),
                        frozenset(a.geometry.type for a in behind),
                    ),
                )
                if behind
                else None
            )
        return profiles[end]

    for link in context.sample.links:
        if link.type not in relations:
            continue
        source, target = profile(link.source), profile(link.target)
        if source and target and _one_kind(context.ontology, source[1], target[1]):
            yield source[0], target[0]


def _modality(index: SampleIndex, annotation: Annotation) -> str | None:
    modality = index.modality_of(annotation)
    return str(modality) if modality is not None else None


class EntityConsistency:
    """Labels of annotations that denote one thing: drift (is-a related) and conflicts."""

    name: ClassVar[str] = "entity-consistency"
    description: ClassVar[str] = (
        "annotations that denote one thing (entity members, ends of identity links) with "
        "different labels: is-a related (drift, info) or unrelated (conflict, error)"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One finding per pair of different labels within one thing."""
        index = context.index
        ontology = context.ontology
        annotations = context.sample.annotations
        group = components([a.id for a in annotations], identity_edges(context))
        labels: dict[int, dict[str, list[Annotation]]] = defaultdict(dict)
        for annotation in annotations:
            if annotation.label in ontology.class_map:
                labels[group[annotation.id]].setdefault(annotation.label, []).append(annotation)
        for carriers in labels.values():
            for first, second in combinations(carriers, 2):
                yield self._compare(context, index, carriers[first], carriers[second])

    def _compare(
        self,
        context: CheckContext,
        index: SampleIndex,
        first: list[Annotation],
        second: list[Annotation],
    ) -> Finding:
        ontology = context.ontology
        if ontology.compatible(first[0].label, second[0].label):
            finer, coarser = (
                (first[0], second[0])
                if ontology.is_a(first[0].label, second[0].label)
                else (second[0], first[0])
            )
            return context.finding(
                self.name,
                Severity.INFO,
                (finer.id, coarser.id),
                f"{finer.id!r} ({_modality(index, finer)}) is labelled {finer.label!r} and "
                f"{coarser.id!r} ({_modality(index, coarser)}), the same thing, "
                f"{coarser.label!r}: they agree only at the coarser level",
                fix=(
                    f"label {coarser.id!r} {finer.label!r} too if that is what it shows, "
                    f"or {finer.id!r} {coarser.label!r} if the finer class is not certain"
                ),
                kind="drift",
                finer=finer.label,
                coarser=coarser.label,
                modalities=[_modality(index, finer), _modality(index, coarser)],
            )
        # the label fewer annotations carry is the likelier mistake
        odd, other = (first, second) if len(first) <= len(second) else (second, first)
        return context.finding(
            self.name,
            Severity.ERROR,
            (odd[0].id, other[0].id),
            f"{odd[0].id!r} ({_modality(index, odd[0])}) is labelled {odd[0].label!r} but "
            f"{other[0].id!r} ({_modality(index, other[0])}), the same thing, "
            f"{other[0].label!r}: the classes are not is-a related",
            fix=(
                f"correct the label of {odd[0].id!r} or {other[0].id!r}, or take them apart "
                "(entity, identity link) if they are not one thing"
            ),
            kind="conflict",
            labels=[odd[0].label, other[0].label],
            modalities=[_modality(index, odd[0]), _modality(index, other[0])],
        )
