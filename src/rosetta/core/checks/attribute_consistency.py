"""The ``attribute-consistency`` check: attribute values that the ontology's attribute
rules (`AttributeRule`) say cannot go together on annotations that denote one moment or
thing.

For each rule, the pairs looked at are the two ends of a link whose type is in
``rule.relations`` (any type when ``None``; an entity end stands for its members) and the
co-members of an entity. A pair where one annotation meets ``rule.when`` and the other one
of ``rule.excludes`` is a warning naming the rule and the two values: speech marked
``tone: frustrated`` synchronized with a person whose ``expression`` is ``smile``.

Each rule first sorts the sample's annotations into those meeting ``when`` and those
meeting an exclusion, and pairs only those: the work is linear in the annotations, the
links and the memberships, plus the findings.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.modality import Modality
from rosetta.core.ontology import AttributeCondition, AttributeRule
from rosetta.core.schema import Annotation


@dataclass
class _Conflict:
    """One pair breaking one rule, and the links and entities that join it."""

    when: Annotation
    excluded: Annotation
    condition: AttributeCondition
    via: list[str] = field(default_factory=list)


@dataclass
class _RuleScan:
    """One rule over one sample: who meets what, and the conflicts found so far."""

    context: CheckContext
    rule: AttributeRule
    meets_when: set[str] = field(default_factory=set)
    meets_excluded: dict[str, AttributeCondition] = field(default_factory=dict)
    conflicts: dict[frozenset[str], _Conflict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ontology = self.context.ontology
        for annotation in self.context.sample.annotations:
            label, values = annotation.label, annotation.attributes
            if self.rule.when.holds(ontology, label, values):
                self.meets_when.add(annotation.id)
            for condition in self.rule.excludes:
                if condition.holds(ontology, label, values):
                    self.meets_excluded[annotation.id] = condition
                    break

    def pair(self, first: Sequence[Annotation], second: Sequence[Annotation], via: str) -> None:
        """Record the conflicts between annotations of `first` and of `second`."""
        for ones, others in ((first, second), (second, first)):
            whens = [a for a in ones if a.id in self.meets_when]
            if not whens:
                continue
            excluded = [a for a in others if a.id in self.meets_excluded]
            for when in whens:
                for other in excluded:
                    if other.id != when.id:
                        self._record(when, other, via)

    def _record(self, when: Annotation, other: Annotation, via: str) -> None:
        key = frozenset((when.id, other.id))
        conflict = self.conflicts.get(key)
        if conflict is None:
            conflict = self.conflicts[key] = _Conflict(when, other, self.meets_excluded[other.id])
        if via not in conflict.via:
            conflict.via.append(via)


def _value(annotation: Annotation, condition: AttributeCondition) -> dict[str, Any]:
    return {
        "annotation": annotation.id,
        "label": annotation.label,
        "attribute": condition.attribute,
        "value": annotation.attributes[condition.attribute],
    }


class AttributeConsistency:
    """Attribute values that an ontology attribute rule says cannot go together."""

    name: ClassVar[str] = "attribute-consistency"
    description: ClassVar[str] = (
        "attribute values the ontology's attribute rules exclude on annotations that "
        "denote one moment or thing (linked, or members of one entity)"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One warning per rule and pair of annotations that breaks it."""
        for rule in context.ontology.attribute_rules:
            yield from self._rule(context, rule)

    def _rule(self, context: CheckContext, rule: AttributeRule) -> Iterator[Finding]:
        scan = _RuleScan(context, rule)
        if not scan.meets_when or not scan.meets_excluded:
            return
        index = context.index
        relations = None if rule.relations is None else set(rule.relations)
        for link in context.sample.links:
            if relations is None or link.type in relations:
                scan.pair(
                    index.annotations_behind(link.source),
                    index.annotations_behind(link.target),
                    link.id,
                )
        for entity in context.sample.entities:
            members = index.annotations_behind(entity.id)
            scan.pair(members, members, entity.id)
        when_condition = rule.when
        for conflict in scan.conflicts.values():
            when, other = conflict.when, conflict.excluded
            first, second = _value(when, when_condition), _value(other, conflict.condition)
            joined = ", ".join(repr(v) for v in conflict.via)
            yield context.finding(
                self.name,
                Severity.WARNING,
                (when.id, other.id),
                f"attribute rule {rule.name!r}: {when.id!r} ({when.label}) has "
                f"{first['attribute']} {first['value']!r} but {other.id!r} ({other.label}), "
                f"joined to it by {joined}, has {second['attribute']} {second['value']!r}",
                fix=(
                    f"correct {first['attribute']} of {when.id!r} or {second['attribute']} of "
                    f"{other.id!r}, or take them apart if they are not one moment or thing"
                ),
                kind=rule.name,
                rule=rule.name,
                when=first,
                excluded=second,
                via=conflict.via,
            )
