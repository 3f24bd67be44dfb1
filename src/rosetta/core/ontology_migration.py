"""Ontology migrations: the only way an ontology changes.

A `Migration` is a list of operations. `plan_migration` applies them to one ontology
version and returns the next version together with a `RelabelPlan` that says what happens
to existing annotations. It is pure; the store carries the plan out with a record.
"""

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rosetta.core.errors import OntologyError
from rosetta.core.ontology import (
    AttributeDef,
    AttributeRule,
    Clarification,
    ClassDef,
    EndpointRule,
    Guideline,
    Ontology,
    RelationType,
)


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AddClass(_Op):
    """Add a new class."""

    op: Literal["add_class"] = "add_class"
    cls: ClassDef = Field(alias="class")


class AddAttribute(_Op):
    """Add an attribute to an existing class (not required, so existing annotations stay valid)."""

    op: Literal["add_attribute"] = "add_attribute"
    cls: str = Field(alias="class")
    attribute: AttributeDef


class AddRelation(_Op):
    """Add a relation type."""

    op: Literal["add_relation"] = "add_relation"
    relation: RelationType


class RenameClass(_Op):
    """Rename a class; annotations, children and relation endpoints follow."""

    op: Literal["rename_class"] = "rename_class"
    old: str = Field(alias="from")
    new: str = Field(alias="to")


class MergeClasses(_Op):
    """Merge classes into one (existing or new, placed under the first source's parent)."""

    op: Literal["merge_classes"] = "merge_classes"
    sources: list[str] = Field(min_length=1)
    into: str


class SplitClass(_Op):
    """Replace a class by several. Its annotations move to ``default`` and are flagged for review."""

    op: Literal["split_class"] = "split_class"
    source: str
    into: list[ClassDef] = Field(min_length=2)
    default: str


class DeprecateClass(_Op):
    """Deprecate a class: no new annotations; existing ones are flagged, never dropped."""

    op: Literal["deprecate_class"] = "deprecate_class"
    name: str


class _GuidelineOp(_Op):
    """An operation on the guideline of one class or one relation type (exactly one named)."""

    cls: str | None = Field(default=None, alias="class")
    relation: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "_GuidelineOp":
        if (self.cls is None) == (self.relation is None):
            raise ValueError("name either a 'class' or a 'relation'")
        return self


class SetGuideline(_GuidelineOp):
    """Set a class's or relation type's guideline (none or ``null`` removes it); annotations
    and links are left as they are."""

    op: Literal["set_guideline"] = "set_guideline"
    guideline: Guideline | None = None


class AddClarification(_GuidelineOp):
    """Append a clarification to the guideline of a class or relation type (it must have one)."""

    op: Literal["add_clarification"] = "add_clarification"
    clarification: Clarification


class SetAttributeRule(_Op):
    """Add an attribute compatibility rule, or replace the rule of the same name;
    annotations are left as they are (the ``attribute-consistency`` check applies it)."""

    op: Literal["set_attribute_rule"] = "set_attribute_rule"
    rule: AttributeRule


class RemoveAttributeRule(_Op):
    """Remove the attribute compatibility rule `name`."""

    op: Literal["remove_attribute_rule"] = "remove_attribute_rule"
    name: str


Operation = Annotated[
    AddClass
    | AddAttribute
    | AddRelation
    | RenameClass
    | MergeClasses
    | SplitClass
    | DeprecateClass
    | SetGuideline
    | AddClarification
    | SetAttributeRule
    | RemoveAttributeRule,
    Field(discriminator="op"),
]


class Migration(BaseModel):
    """A described list of operations taking one ontology version to the next.

    ``from_version``, when given, is the version the migration was written against: a
    project at another version refuses it, so running the same file twice (say, again after
    a crash) cannot apply it twice.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    from_version: int | None = Field(default=None, ge=1)
    operations: list[Operation] = Field(min_length=1)


class RelabelPlan(BaseModel):
    """What a migration does to annotations, keyed by the labels they carry *before* it.

    ``relabel`` maps every label that changes to its final label (chained operations are
    composed); ``flags`` lists, per label, why its annotations need a person's review;
    ``stale_links`` holds the labels whose meaning changed, so links touching their
    annotations must be confirmed again. ``dropped_rules`` names the attribute rules that
    could not follow their classes (a class merged or split into classes without the
    attribute the rule reads): the new version no longer has them.
    """

    relabel: dict[str, str] = Field(default_factory=dict)
    flags: dict[str, list[str]] = Field(default_factory=dict)
    stale_links: set[str] = Field(default_factory=set)
    dropped_rules: list[str] = Field(default_factory=list)

    def final(self, label: str) -> str:
        """The label an annotation labelled `label` carries after the migration."""
        return self.relabel.get(label, label)

    def affected(self) -> set[str]:
        """The labels (before the migration) whose annotations the migration changes."""
        return set(self.relabel) | set(self.flags) | self.stale_links


def parse_migration(data: object, source: str = "migration") -> Migration:
    """Build a `Migration` from parsed YAML/JSON, naming `source` and the field in errors."""
    try:
        return Migration.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise OntologyError(f"{source}: {field or 'migration'}: {first['msg']}") from exc


@dataclass
class _Draft:
    """An ontology being migrated one operation at a time, and what happens to annotations."""

    base: Ontology
    classes: dict[str, ClassDef]
    relations: list[RelationType]
    rules: dict[str, AttributeRule]
    #: every class of the base version -> the name its annotations carry now
    current: dict[str, str]
    flags: dict[str, list[str]] = field(default_factory=dict)
    stale_links: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, ontology: Ontology) -> "_Draft":
        return cls(
            base=ontology,
            classes={c.name: c for c in ontology.classes},
            relations=list(ontology.relations),
            rules={rule.name: rule for rule in ontology.attribute_rules},
            current={c.name: c.name for c in ontology.classes},
        )

    def need(self, name: str, op: str) -> ClassDef:
        if name not in self.classes:
            raise OntologyError(
                f"{op}: class {name!r} does not exist in version {self.base.version} "
                "or after the operations before it"
            )
        return self.classes[name]

    def originals(self, name: str) -> list[str]:
        """The base-version labels whose annotations now carry `name`."""
        return [old for old, now in self.current.items() if now == name]

    def flag(self, name: str, reason: str) -> None:
        for old in self.originals(name):
            self.flags.setdefault(old, []).append(reason)

    def move(self, old: str, new: str) -> None:
        """Annotations, children and relation endpoints of class `old` go to `new`."""
        for original in self.originals(old):
            self.current[original] = new
        for name, cls in list(self.classes.items()):
            if cls.parent == old:
                self.classes[name] = cls.model_copy(update={"parent": new})
        for index, rel in enumerate(self.relations):
            ends = {}
            for side in ("source", "target"):
                rule: EndpointRule = getattr(rel, side)
                if rule.classes and old in rule.classes:
                    renamed = [new if c == old else c for c in rule.classes]
                    ends[side] = rule.model_copy(update={"classes": list(dict.fromkeys(renamed))})
            if ends:
                self.relations[index] = rel.model_copy(update=ends)
        for rule_name, attribute_rule in self.rules.items():
            conditions = [attribute_rule.when, *attribute_rule.excludes]
            if any(c.class_ == old for c in conditions):
                when, *excludes = (
                    c.model_copy(update={"class_": new}) if c.class_ == old else c
                    for c in conditions
                )
                self.rules[rule_name] = attribute_rule.model_copy(
                    update={"when": when, "excludes": excludes}
                )

    def add_class(self, op: AddClass) -> None:
        if op.cls.name in self.classes:
            raise OntologyError(f"add_class: class {op.cls.name!r} already exists")
        self.classes[op.cls.name] = op.cls

    def add_attribute(self, op: AddAttribute) -> None:
        cls = self.need(op.cls, "add_attribute")
        if any(a.name == op.attribute.name for a in cls.attributes):
            raise OntologyError(f"add_attribute: {op.cls!r} already has {op.attribute.name!r}")
        if op.attribute.required:
            raise OntologyError(
                f"add_attribute: {op.attribute.name!r} cannot be required: existing "
                "annotations have no value for it"
            )
        self.classes[op.cls] = cls.model_copy(
            update={"attributes": [*cls.attributes, op.attribute]}
        )

    def add_relation(self, op: AddRelation) -> None:
        if any(r.name == op.relation.name for r in self.relations):
            raise OntologyError(f"add_relation: relation {op.relation.name!r} already exists")
        self.relations.append(op.relation)

    def rename_class(self, op: RenameClass) -> None:
        cls = self.need(op.old, "rename_class")
        if op.new in self.classes:
            raise OntologyError(f"rename_class: class {op.new!r} already exists")
        self.classes = {
            (op.new if name == op.old else name): (
                cls.model_copy(update={"name": op.new}) if name == op.old else other
            )
            for name, other in self.classes.items()
        }
        self.move(op.old, op.new)

    def merge_classes(self, op: MergeClasses) -> None:
        for name in op.sources:
            self.need(name, "merge_classes")
        if op.into not in self.classes:
            first = self.classes[op.sources[0]]
            self.classes[op.into] = ClassDef(
                name=op.into,
                parent=first.parent,
                geometries=first.geometries,
                attributes=first.attributes,
            )
        for name in op.sources:
            if name != op.into:
                del self.classes[name]
                self.move(name, op.into)
        self.stale_links.update(self.originals(op.into))

    def split_class(self, op: SplitClass) -> None:
        old = self.need(op.source, "split_class")
        names = [c.name for c in op.into]
        if op.default not in names:
            raise OntologyError(f"split_class: default {op.default!r} is not one of {names}")
        for new_cls in op.into:
            if new_cls.name in self.classes and new_cls.name != op.source:
                raise OntologyError(f"split_class: class {new_cls.name!r} already exists")
        del self.classes[op.source]
        for new_cls in op.into:
            parent = new_cls.parent if new_cls.parent is not None else old.parent
            self.classes[new_cls.name] = new_cls.model_copy(update={"parent": parent})
        self.move(op.source, op.default)
        self.flag(op.default, f"split-from:{op.source}")
        self.stale_links.update(self.originals(op.default))

    def deprecate_class(self, op: DeprecateClass) -> None:
        cls = self.need(op.name, "deprecate_class")
        self.classes[op.name] = cls.model_copy(update={"deprecated": True})
        self.flag(op.name, f"deprecated-class:{op.name}")

    def guided(self, op: _GuidelineOp, name: str) -> ClassDef | RelationType:
        """The class or relation type whose guideline `op` (called `name`) changes."""
        if op.cls is not None:
            return self.need(op.cls, name)
        for rel in self.relations:
            if rel.name == op.relation:
                return rel
        raise OntologyError(f"{name}: relation {op.relation!r} does not exist")

    def guide(self, target: ClassDef | RelationType, guideline: Guideline | None) -> None:
        """Give `target` the guideline `guideline`, nothing else changing."""
        updated = target.model_copy(update={"guideline": guideline})
        if isinstance(updated, ClassDef):
            self.classes[updated.name] = updated
        else:
            self.relations = [updated if r.name == updated.name else r for r in self.relations]

    def set_guideline(self, op: SetGuideline) -> None:
        self.guide(self.guided(op, "set_guideline"), op.guideline)

    def add_clarification(self, op: AddClarification) -> None:
        target = self.guided(op, "add_clarification")
        if target.guideline is None:
            raise OntologyError(
                f"add_clarification: {target.name!r} has no guideline to clarify; "
                "set one with set_guideline"
            )
        clarifications = [*target.guideline.clarifications, op.clarification]
        self.guide(target, target.guideline.model_copy(update={"clarifications": clarifications}))

    def set_attribute_rule(self, op: SetAttributeRule) -> None:
        self.rules[op.rule.name] = op.rule
        if not self.followed(op.rule):
            raise OntologyError(
                f"set_attribute_rule: rule {op.rule.name!r} names a class that does not exist "
                "or lacks the attribute it reads"
            )

    def remove_attribute_rule(self, op: RemoveAttributeRule) -> None:
        if op.name not in self.rules:
            raise OntologyError(f"remove_attribute_rule: there is no rule {op.name!r}")
        del self.rules[op.name]

    def apply(self, op: Operation) -> None:
        match op:
            case AddClass():
                self.add_class(op)
            case AddAttribute():
                self.add_attribute(op)
            case AddRelation():
                self.add_relation(op)
            case RenameClass():
                self.rename_class(op)
            case MergeClasses():
                self.merge_classes(op)
            case SplitClass():
                self.split_class(op)
            case DeprecateClass():
                self.deprecate_class(op)
            case SetGuideline():
                self.set_guideline(op)
            case AddClarification():
                self.add_clarification(op)
            case SetAttributeRule():
                self.set_attribute_rule(op)
            case RemoveAttributeRule():
                self.remove_attribute_rule(op)

    def followed(self, rule: AttributeRule) -> bool:
        """Whether every class `rule` names still exists with the attribute it reads."""
        lookup = Ontology.model_construct(classes=list(self.classes.values()))
        for condition in (rule.when, *rule.excludes):
            if condition.class_ is None:
                continue
            if condition.class_ not in self.classes:
                return False
            if condition.attribute not in lookup.attributes_of(condition.class_):
                return False
        return True

    def result(self) -> tuple[Ontology, RelabelPlan]:
        kept = [rule for rule in self.rules.values() if self.followed(rule)]
        dropped = [rule.name for rule in self.rules.values() if not self.followed(rule)]
        try:
            upgraded = Ontology(
                name=self.base.name,
                version=self.base.version + 1,
                classes=list(self.classes.values()),
                relations=self.relations,
                attribute_rules=kept,
            )
        except ValidationError as exc:
            raise OntologyError(
                f"the migrated ontology is not valid: {exc.errors()[0]['msg']}"
            ) from exc
        plan = RelabelPlan(
            relabel={old: now for old, now in self.current.items() if old != now},
            flags=self.flags,
            stale_links=self.stale_links,
            dropped_rules=dropped,
        )
        return upgraded, plan


def plan_migration(ontology: Ontology, migration: Migration) -> tuple[Ontology, RelabelPlan]:
    """The next ontology version and what must happen to annotations made under `ontology`."""
    draft = _Draft.of(ontology)
    for op in migration.operations:
        draft.apply(op)
    return draft.result()
