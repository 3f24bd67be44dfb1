"""The shared ontology: classes in an is-a tree with attributes, and relation types.

One ontology serves every modality of a project. An `Ontology` value is one immutable
version; changes are migrations (`rosetta.core.ontology_migration`).
"""

import datetime
import re
from collections import Counter
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rosetta.core.errors import OntologyError
from rosetta.core.geometry import GeometryKind
from rosetta.core.modality import Modality
from rosetta.core.preference import RubricCriterion


class AttributeType(StrEnum):
    """The value type of an attribute."""

    ENUM = "enum"
    BOOL = "bool"
    NUMBER = "number"
    TEXT = "text"


class AttributeDef(BaseModel):
    """An attribute a class carries, with the constraints on its values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: AttributeType
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(default=None, gt=0)
    pattern: str | None = None
    required: bool = False

    @model_validator(mode="after")
    def _well_formed(self) -> "AttributeDef":
        if self.type is AttributeType.ENUM and not self.values:
            raise ValueError(f"enum attribute {self.name!r} needs a non-empty 'values' list")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"attribute {self.name!r}: bad pattern: {exc}") from exc
        return self

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for this attribute, or ``None`` when it is fine."""
        if self.type is AttributeType.ENUM:
            if value not in (self.values or ()):
                return f"expected one of {self.values}, got {value!r}"
        elif self.type is AttributeType.BOOL:
            if not isinstance(value, bool):
                return f"expected true or false, got {value!r}"
        elif self.type is AttributeType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {value!r}"
            if self.min is not None and value < self.min:
                return f"expected at least {self.min}, got {value}"
            if self.max is not None and value > self.max:
                return f"expected at most {self.max}, got {value}"
        else:
            if not isinstance(value, str):
                return f"expected text, got {value!r}"
            if self.max_length is not None and len(value) > self.max_length:
                return f"expected at most {self.max_length} characters, got {len(value)}"
            if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
                return f"expected text matching {self.pattern!r}, got {value!r}"
        return None


class MediaRef(BaseModel):
    """Where an example can be seen: a sample of the project and, optionally, the annotation,
    link or entity to select in it (ids, as the workspace's ``/app/s/{sample}?select=``).

    Only a pointer into the project's own samples, never a URL: nothing is fetched from it,
    and the workspace shows it as a link that opens the sample under the reader's own access.
    It is not checked against the store (an ontology is written before its samples), so a
    reference to a sample deleted since opens "not found".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample: str = Field(min_length=1, max_length=64)
    select: str | None = Field(default=None, min_length=1, max_length=64)


class GuidelineExample(BaseModel):
    """One example of a guideline: a short note, and where it can be seen (optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = Field(min_length=1, max_length=500)
    media: MediaRef | None = None


class Clarification(BaseModel):
    """A question about a guideline and its answer, added on ``date`` (after the text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: datetime.date
    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=2000)


class Guideline(BaseModel):
    """How to annotate a class (or a relation type), as annotators read it in the workspace.

    ``text`` is plain text (no Markdown; blank lines separate paragraphs): what the class
    covers and how to draw it. ``positive`` examples are what it covers, ``negative`` ones
    what it does not (often a neighbouring class). ``clarifications`` are questions answered
    later, oldest first. It lives in the ontology, so it is versioned with it: a changed
    guideline is a new ontology version (``set_guideline``, ``add_clarification``
    migrations) that leaves annotations alone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=5000)
    positive: list[GuidelineExample] = Field(default_factory=list)
    negative: list[GuidelineExample] = Field(default_factory=list)
    clarifications: list[Clarification] = Field(default_factory=list)


class ClassDef(BaseModel):
    """A class. ``geometries`` lists the geometry kinds it may label (``None``: inherit, else any).

    ``guideline`` says how to annotate it; a class without one is shown its nearest
    ancestor's in the workspace.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    parent: str | None = None
    description: str | None = None
    geometries: list[GeometryKind] | None = None
    attributes: list[AttributeDef] = Field(default_factory=list)
    guideline: Guideline | None = None
    deprecated: bool = False


class EndpointRule(BaseModel):
    """What may sit at one end of a relation. ``None`` means no constraint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    modalities: list[Modality] | None = None
    geometries: list[GeometryKind] | None = None
    classes: list[str] | None = None
    entity: bool = True


class RelationType(BaseModel):
    """A link type. A directed relation reads ``source → target``; an undirected one either way.

    ``guideline`` says when to draw it, shown in the workspace's relation menu.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str | None = None
    directed: bool = True
    source: EndpointRule = Field(default_factory=EndpointRule)
    target: EndpointRule = Field(default_factory=EndpointRule)
    guideline: Guideline | None = None
    deprecated: bool = False


class AttributeCondition(BaseModel):
    """An annotation whose label is `class_` (or a subclass; any class when absent) and
    whose attribute `attribute` holds one of `values`."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    class_: str | None = Field(default=None, alias="class")
    attribute: str = Field(min_length=1)
    values: list[Any] = Field(min_length=1)

    def holds(self, ontology: "Ontology", label: str, attributes: dict[str, Any]) -> bool:
        """Whether an annotation with `label` and `attributes` meets this condition."""
        if self.class_ is not None and not ontology.is_a(label, self.class_):
            return False
        return self.attribute in attributes and attributes[self.attribute] in self.values


class AttributeRule(BaseModel):
    """Attribute values that cannot go together on annotations that denote one moment or
    thing: linked by one of `relations` (any relation when absent) or members of one
    entity. An annotation meeting `when` conflicts with one meeting any of `excludes`
    (e.g. speech with ``tone: frustrated`` synchronized with a face with ``expression:
    smile``). The ``attribute-consistency`` QA check reports each conflict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str | None = None
    relations: list[str] | None = None
    when: AttributeCondition
    excludes: list[AttributeCondition] = Field(min_length=1)


class Ontology(BaseModel):
    """One immutable version of a project's ontology."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "ontology"
    version: int = Field(default=1, ge=1)
    classes: list[ClassDef]
    relations: list[RelationType] = Field(default_factory=list)
    attribute_rules: list[AttributeRule] = Field(default_factory=list)
    #: The criteria preference judgements score candidates on (`rosetta.core.preference`).
    rubric: list[RubricCriterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> "Ontology":
        names = [c.name for c in self.classes]
        duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
        if duplicates:
            raise ValueError(f"class names must be unique; repeated: {duplicates}")
        known = set(names)
        for cls in self.classes:
            if cls.parent is not None and cls.parent not in known:
                raise ValueError(f"class {cls.name!r}: parent {cls.parent!r} is not a class")
        for cls in self.classes:
            seen = {cls.name}
            parent = cls.parent
            while parent is not None:
                if parent in seen:
                    raise ValueError(f"class {cls.name!r}: is-a cycle through {parent!r}")
                seen.add(parent)
                parent = self.class_map[parent].parent
        relation_names = [r.name for r in self.relations]
        if len(set(relation_names)) != len(relation_names):
            raise ValueError("relation type names must be unique")
        for rel in self.relations:
            for end in (rel.source, rel.target):
                for name in end.classes or ():
                    if name not in known:
                        raise ValueError(
                            f"relation {rel.name!r}: endpoint class {name!r} is unknown"
                        )
        self._check_attribute_rules(known, set(relation_names))
        criteria = [c.name for c in self.rubric]
        if len(set(criteria)) != len(criteria):
            raise ValueError("rubric criterion names must be unique")
        return self

    def _check_attribute_rules(self, classes: set[str], relations: set[str]) -> None:
        rule_names = [rule.name for rule in self.attribute_rules]
        if len(set(rule_names)) != len(rule_names):
            raise ValueError("attribute rule names must be unique")
        for rule in self.attribute_rules:
            for name in rule.relations or ():
                if name not in relations:
                    raise ValueError(f"attribute rule {rule.name!r}: relation {name!r} is unknown")
            for condition in (rule.when, *rule.excludes):
                if condition.class_ is None:
                    continue
                if condition.class_ not in classes:
                    raise ValueError(
                        f"attribute rule {rule.name!r}: class {condition.class_!r} is unknown"
                    )
                if condition.attribute not in self.attributes_of(condition.class_):
                    raise ValueError(
                        f"attribute rule {rule.name!r}: class {condition.class_!r} has no "
                        f"attribute {condition.attribute!r}"
                    )

    @cached_property
    def class_map(self) -> dict[str, ClassDef]:
        """Classes by name."""
        return {c.name: c for c in self.classes}

    @cached_property
    def relation_map(self) -> dict[str, RelationType]:
        """Relation types by name."""
        return {r.name: r for r in self.relations}

    @cached_property
    def _lineage(self) -> dict[str, tuple[str, ...]]:
        lineage: dict[str, tuple[str, ...]] = {}
        for cls in self.classes:
            chain = [cls.name]
            parent = cls.parent
            while parent is not None:
                chain.append(parent)
                parent = self.class_map[parent].parent
            lineage[cls.name] = tuple(chain)
        return lineage

    def ancestors(self, name: str) -> tuple[str, ...]:
        """`name` followed by its ancestors up to the root."""
        return self._lineage[name]

    def is_a(self, name: str, other: str) -> bool:
        """Whether class `name` is `other` or a descendant of it."""
        return other in self._lineage.get(name, ())

    def compatible(self, first: str, second: str) -> bool:
        """Whether two labels can denote one thing: the same class or is-a related."""
        return self.is_a(first, second) or self.is_a(second, first)

    def allowed_geometries(self, name: str) -> frozenset[str] | None:
        """The geometry kinds class `name` may label, inherited from its ancestors; ``None``: any."""
        for ancestor in self._lineage[name]:
            kinds = self.class_map[ancestor].geometries
            if kinds is not None:
                return frozenset(kinds)
        return None

    def attributes_of(self, name: str) -> dict[str, AttributeDef]:
        """The attributes of class `name`, its own and inherited (nearer definitions win)."""
        found: dict[str, AttributeDef] = {}
        for ancestor in self._lineage[name]:
            for attribute in self.class_map[ancestor].attributes:
                found.setdefault(attribute.name, attribute)
        return found


def parse_ontology(data: Any, source: str = "ontology") -> Ontology:
    """Build an `Ontology` from parsed YAML/JSON, naming `source` and the field in errors."""
    try:
        return Ontology.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise OntologyError(f"{source}: {field or 'ontology'}: {first['msg']}") from exc
