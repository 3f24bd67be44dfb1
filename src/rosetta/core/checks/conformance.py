"""The ``ontology-conformance`` check: existing data that the current ontology no longer
admits (data made under an older ontology version, imports).

The rules are the ones every write obeys (`rosetta.core.validation`); each object is
checked on its own, and each rule it breaks becomes one finding whose ``kind`` is the
rule's name and whose ``fields`` list every field that breaks it, so a sample shows every
problem, not the first. For an annotation: its label
(``label-known``, ``label-deprecated``), the geometry its class allows (``label-geometry``)
and each attribute on its own (``attribute-known``, ``attribute-value``,
``attribute-required``); for an entity its label; for a link its type (``relation-known``,
``relation-deprecated``) and its ends (``link-endpoint``, ``link-self``,
``link-direction``). Deprecated classes and relation types are warnings, the rest errors.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import ClassVar, ParamSpec

from rosetta.core.checks.spec import CheckContext, Finding, Severity
from rosetta.core.errors import RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link
from rosetta.core.validation import (
    Endpoint,
    check_attributes,
    check_entity,
    check_label,
    check_link,
)

P = ParamSpec("P")

#: The rules whose findings are warnings (the data is still understood); others are errors.
WARNINGS = frozenset({"label-deprecated", "relation-deprecated"})


def _violation(
    rule_check: Callable[P, None], *args: P.args, **kwargs: P.kwargs
) -> RuleViolation | None:
    """What `rule_check` raises, ``None`` when the rule holds."""
    try:
        rule_check(*args, **kwargs)
    except RuleViolation as exc:
        return exc
    return None


def annotation_violations(annotation: Annotation, ontology: Ontology) -> list[RuleViolation]:
    """Every rule of the ontology `annotation` breaks: label, geometry, each attribute."""
    first = _violation(check_label, annotation, ontology, allow_deprecated=False)
    if first is None:
        return []
    if first.rule == "label-known":
        return [first]
    found: list[RuleViolation] = []
    if first.rule == "label-deprecated":
        found.append(first)
        first = _violation(check_label, annotation, ontology, allow_deprecated=True)
    if first is not None and first.rule == "label-geometry":
        found.append(first)
    # each attribute on its own, so that one bad value does not hide the next
    obj = f"annotation {annotation.id!r}"
    defs = ontology.attributes_of(annotation.label)
    values = annotation.attributes
    missing = [n for n, d in defs.items() if d.required and n not in values]
    for name in [*values, *missing]:
        problem = _violation(
            check_attributes,
            obj,
            {name: values[name]} if name in values else {},
            {name: defs[name]} if name in defs else {},
            annotation.label,
        )
        if problem is not None:
            found.append(problem)
    return found


def entity_violations(entity: Entity, ontology: Ontology) -> list[RuleViolation]:
    """The entity's label, if any, is a current class of the ontology."""
    if entity.label is None:
        return []
    alone = entity.model_copy(update={"members": []})
    problem = _violation(check_entity, alone, {}, ontology, allow_deprecated=False)
    return [problem] if problem is not None else []


def link_violations(
    link: Link, context: CheckContext, endpoints: Mapping[str, Endpoint]
) -> list[RuleViolation]:
    """The link's type is a current relation type and its ends fit the type's rules."""
    index = context.index
    found: list[RuleViolation] = []
    relation = context.ontology.relation_map.get(link.type)
    if relation is not None and relation.deprecated:
        found.append(
            RuleViolation(
                f"link {link.id!r}",
                "type",
                "relation-deprecated",
                f"relation type {link.type!r} is deprecated",
            )
        )
    problem = _violation(
        check_link, link, endpoints, index.streams, index.annotations, context.ontology
    )
    if problem is not None:
        found.append(problem)
    return found


def _fix(rule: str, subject: str, field: str) -> str:
    attribute = field.removeprefix("attributes.")
    fixes = {
        "label-known": f"relabel {subject} with a class of the ontology (or add the class)",
        "label-deprecated": f"relabel {subject} with a current class",
        "label-geometry": f"relabel {subject} with a class that allows its geometry, or redraw it",
        "attribute-known": f"remove attribute {attribute!r} from {subject}",
        "attribute-value": f"set attribute {attribute!r} of {subject} to an allowed value",
        "attribute-required": f"set the required attribute {attribute!r} on {subject}",
        "relation-known": f"retype {subject} with a relation type of the ontology, or delete it",
        "relation-deprecated": f"retype {subject} with a current relation type",
        "link-direction": f"reverse {subject}",
    }
    return fixes.get(rule, f"move the ends of {subject} to objects its type admits, or retype it")


class OntologyConformance:
    """Labels, geometries, attributes and links that the current ontology does not admit."""

    name: ClassVar[str] = "ontology-conformance"
    description: ClassVar[str] = (
        "existing data the current ontology no longer admits: unknown or deprecated "
        "classes and relation types, geometries and attributes outside a class's schema, "
        "link ends that break their relation type's rules"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One finding per annotation, entity and link and rule it breaks."""
        ontology = context.ontology
        for annotation in context.sample.annotations:
            yield from self._findings(
                context,
                annotation_violations(annotation, ontology),
                (annotation.id,),
                label=annotation.label,
                made_under=annotation.ontology_version,
            )
        for entity in context.sample.entities:
            yield from self._findings(
                context, entity_violations(entity, ontology), (entity.id,), label=entity.label
            )
        endpoints: dict[str, Endpoint] = {**context.index.annotations, **context.index.entities}
        for link in context.sample.links:
            yield from self._findings(
                context,
                link_violations(link, context, endpoints),
                (link.id, link.source, link.target),
                type=link.type,
            )

    def _findings(
        self,
        context: CheckContext,
        problems: list[RuleViolation],
        subjects: tuple[str, ...],
        **detail: object,
    ) -> Iterator[Finding]:
        """One finding per rule broken (two bad attributes of one object: one finding)."""
        by_rule: dict[str, list[RuleViolation]] = {}
        for problem in problems:
            by_rule.setdefault(problem.rule, []).append(problem)
        for rule, broken in by_rule.items():
            obj = broken[0].obj
            yield context.finding(
                self.name,
                Severity.WARNING if rule in WARNINGS else Severity.ERROR,
                subjects,
                f"{obj}: {'; '.join(p.detail for p in broken)}",
                fix="; ".join(_fix(rule, obj, p.field) for p in broken),
                kind=rule,
                fields=[p.field for p in broken],
                ontology_version=context.ontology.version,
                **detail,
            )
