"""Ontology migrations: the only way an ontology changes.

A `Migration` is a list of operations. `plan_migration` applies them to one ontology
version and returns the next version together with a `RelabelPlan` that says what happens
to existing annotations. It is pure; the store carries the plan out with a record.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rosetta.core.errors import OntologyError
from rosetta.core.ontology import AttributeDef, ClassDef, Ontology, RelationType


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


Operation = Annotated[
    AddClass
    | AddAttribute
    | AddRelation
    | RenameClass
    | MergeClasses
    | SplitClass
    | DeprecateClass,
    Field(discriminator="op"),
]


class Migration(BaseModel):
    """A described list of operations taking one ontology version to the next."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    operations: list[Operation] = Field(min_length=1)


class RelabelPlan(BaseModel):
    """What a migration does to annotations: relabel old → new, and flag some labels."""

    relabel: dict[str, str] = Field(default_factory=dict)
    flags: dict[str, str] = Field(default_factory=dict)
    stale_links: set[str] = Field(default_factory=set)


def parse_migration(data: object, source: str = "migration") -> Migration:
    """Build a `Migration` from parsed YAML/JSON, naming `source` and the field in errors."""
    try:
        return Migration.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise OntologyError(f"{source}: {field or 'migration'}: {first['msg']}") from exc


def plan_migration(ontology: Ontology, migration: Migration) -> tuple[Ontology, RelabelPlan]:
    """The next ontology version and what must happen to annotations made under `ontology`.

    ``relabel`` maps every label that changes to its final label (chained operations are
    composed); ``flags`` maps final labels of annotations that need a person's review to
    the reason; ``stale_links`` lists final labels whose meaning changed, so links touching
    their annotations must be re-confirmed.
    """
    classes = {c.name: c for c in ontology.classes}
    relations = list(ontology.relations)
    plan = RelabelPlan()

    def move(old: str, new: str) -> None:
        for key, value in list(plan.relabel.items()):
            if value == old:
                plan.relabel[key] = new
        if old not in plan.relabel.values():
            plan.relabel.setdefault(old, new)
        for table in (plan.flags,):
            if old in table:
                table[new] = table.pop(old)
        if old in plan.stale_links:
            plan.stale_links.discard(old)
            plan.stale_links.add(new)

    def need(name: str, op: str) -> ClassDef:
        if name not in classes:
            raise OntologyError(
                f"{op}: class {name!r} does not exist in version {ontology.version}"
            )
        return classes[name]

    def reparent(old: str, new: str) -> None:
        for name, cls in list(classes.items()):
            if cls.parent == old:
                classes[name] = cls.model_copy(update={"parent": new})

    def rename_in_relations(old: str, new: str | None) -> None:
        for index, rel in enumerate(relations):
            ends = {}
            for side in ("source", "target"):
                rule = getattr(rel, side)
                if rule.classes and old in rule.classes:
                    kept = [new if c == old else c for c in rule.classes if c != old or new]
                    ends[side] = rule.model_copy(update={"classes": list(dict.fromkeys(kept))})
            if ends:
                relations[index] = rel.model_copy(update=ends)

    for op in migration.operations:
        if isinstance(op, AddClass):
            if op.cls.name in classes:
                raise OntologyError(f"add_class: class {op.cls.name!r} already exists")
            classes[op.cls.name] = op.cls
        elif isinstance(op, AddAttribute):
            cls = need(op.cls, "add_attribute")
            if any(a.name == op.attribute.name for a in cls.attributes):
                raise OntologyError(f"add_attribute: {op.cls!r} already has {op.attribute.name!r}")
            if op.attribute.required:
                raise OntologyError(
                    f"add_attribute: {op.attribute.name!r} cannot be required: existing "
                    "annotations have no value for it"
                )
            classes[op.cls] = cls.model_copy(update={"attributes": [*cls.attributes, op.attribute]})
        elif isinstance(op, AddRelation):
            if any(r.name == op.relation.name for r in relations):
                raise OntologyError(f"add_relation: relation {op.relation.name!r} already exists")
            relations.append(op.relation)
        elif isinstance(op, RenameClass):
            cls = need(op.old, "rename_class")
            if op.new in classes:
                raise OntologyError(f"rename_class: class {op.new!r} already exists")
            classes = {
                (op.new if k == op.old else k): (
                    cls.model_copy(update={"name": op.new}) if k == op.old else v
                )
                for k, v in classes.items()
            }
            reparent(op.old, op.new)
            rename_in_relations(op.old, op.new)
            move(op.old, op.new)
        elif isinstance(op, MergeClasses):
            for name in op.sources:
                need(name, "merge_classes")
            if op.into not in classes:
                first = classes[op.sources[0]]
                classes[op.into] = ClassDef(
                    name=op.into,
                    parent=first.parent,
                    geometries=first.geometries,
                    attributes=first.attributes,
                )
            for name in op.sources:
                if name == op.into:
                    continue
                del classes[name]
                reparent(name, op.into)
                rename_in_relations(name, op.into)
                move(name, op.into)
            plan.stale_links.add(op.into)
        elif isinstance(op, SplitClass):
            old = need(op.source, "split_class")
            names = [c.name for c in op.into]
            if op.default not in names:
                raise OntologyError(f"split_class: default {op.default!r} is not one of {names}")
            for new_cls in op.into:
                if new_cls.name in classes and new_cls.name != op.source:
                    raise OntologyError(f"split_class: class {new_cls.name!r} already exists")
            del classes[op.source]
            for new_cls in op.into:
                parent = new_cls.parent if new_cls.parent is not None else old.parent
                classes[new_cls.name] = new_cls.model_copy(update={"parent": parent})
            reparent(op.source, op.default)
            rename_in_relations(op.source, op.default)
            move(op.source, op.default)
            plan.flags[op.default] = f"split-from:{op.source}"
            plan.stale_links.add(op.default)
        else:
            cls = need(op.name, "deprecate_class")
            classes[op.name] = cls.model_copy(update={"deprecated": True})
            plan.flags[op.name] = f"deprecated-class:{op.name}"

    plan.relabel = {old: new for old, new in plan.relabel.items() if old != new}
    try:
        upgraded = Ontology(
            name=ontology.name,
            version=ontology.version + 1,
            classes=list(classes.values()),
            relations=relations,
        )
    except ValidationError as exc:
        raise OntologyError(
            f"the migrated ontology is not valid: {exc.errors()[0]['msg']}"
        ) from exc
    return upgraded, plan
