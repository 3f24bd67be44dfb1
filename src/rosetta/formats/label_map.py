"""Mapping a foreign file's label names onto the project's ontology, never dropping one
silently.

A `LabelMap` (a YAML or JSON file: ``labels: {dog: animal, Pedestrian: person}``,
``relations: {Coref: same-as}``, ``drop: [DontCare]``, ``attributes: {truncated: null,
colour_name: colour}``) says which class each foreign label becomes (and renames, or with
``null`` leaves out, the format's attributes the ontology does not declare); a label that names a class of the ontology maps to it without being listed. A
label neither mapped, nor a class, nor listed under ``drop`` stops the import with an
`UnmappedLabels` error that lists every such label with how often it occurs, where it first
occurs and the classes whose names are closest: the report to write the mapping from.
Annotations with a dropped label are left out and counted (`MappingTally.dropped`), and
so are the links and entity memberships that pointed at them.
"""

import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rosetta.core.errors import RosettaError
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.formats.interchange import ForeignSample, Origin, collector_paused


class LabelMap(BaseModel):
    """Foreign label -> ontology class (``labels``), foreign relation -> relation type
    (``relations``), the foreign labels whose annotations are left out (``drop``), and
    foreign attribute names -> the ontology's (``attributes``; ``None``: left out)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: dict[str, str] = Field(default_factory=dict)
    relations: dict[str, str] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    attributes: dict[str, str | None] = Field(default_factory=dict)

    def renamed(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """`attributes` with the mapped names renamed and the ``None``-mapped left out."""
        if not self.attributes or not attributes.keys() & self.attributes.keys():
            return attributes
        found: dict[str, Any] = {}
        for name, value in attributes.items():
            target = self.attributes.get(name, name)
            if target is not None:
                found[target] = value
        return found


def parse_label_map(data: object, source: str = "mapping") -> LabelMap:
    """A `LabelMap` from parsed YAML/JSON, errors naming `source` and the field."""
    try:
        return LabelMap.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "mapping"
        raise RosettaError(f"{source}: {where}: {first['msg']}") from exc


class UnmappedLabels(RosettaError):
    """Labels of a foreign file that map to no class (nothing was imported); `labels`:
    each with its count, first place and the closest classes."""

    def __init__(self, kind: str, labels: list["Unmapped"]) -> None:
        self.labels = labels
        lines = [
            f"{u.label!r}: {u.count} {kind}, first at {u.first.file}:{u.first.line}"
            + (f" ({u.first.element})" if u.first.element else "")
            + (f"; closest classes: {', '.join(u.closest)}" if u.closest else "")
            for u in labels
        ]
        super().__init__(
            f"{len(labels)} label(s) map to no class of the ontology; map each in a mapping "
            "file (labels: {foreign: class}) or list it under drop:\n  " + "\n  ".join(lines)
        )


@dataclass(frozen=True)
class Unmapped:
    """A foreign label that maps to nothing: how often, where first, the closest classes."""

    label: str
    count: int
    first: Origin
    closest: tuple[str, ...]


@dataclass
class MappingTally:
    """What mapping a whole file met: the unmapped labels (and relation types) with their
    counts and first places, and the annotations left out per dropped label."""

    unmapped: Counter[str] = field(default_factory=Counter)
    first: dict[str, Origin] = field(default_factory=dict)
    unmapped_relations: Counter[str] = field(default_factory=Counter)
    first_relation: dict[str, Origin] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)

    def raise_if_unmapped(self, ontology: Ontology) -> None:
        """`UnmappedLabels` when any label or relation type mapped to nothing."""
        if self.unmapped:
            raise UnmappedLabels(
                "annotations", _listing(self.unmapped, self.first, ontology.class_map)
            )
        if self.unmapped_relations:
            raise UnmappedLabels(
                "links",
                _listing(self.unmapped_relations, self.first_relation, ontology.relation_map),
            )


def _listing(
    counts: Counter[str], first: dict[str, Origin], names: Iterable[str]
) -> list[Unmapped]:
    known = sorted(names)
    return [
        Unmapped(label, count, first[label], tuple(difflib.get_close_matches(label, known, 3, 0.5)))
        for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def map_labels(
    foreign: ForeignSample, ontology: Ontology, mapping: LabelMap, tally: MappingTally
) -> Sample:
    """The sample with its labels and link types mapped onto the ontology; what maps to
    nothing is counted in `tally` (and left as it was), dropped annotations are left out
    with the links and memberships that pointed at them."""
    with collector_paused():  # a record copied per annotation, all of them kept
        return _mapped(foreign, ontology, mapping, tally)


def _mapped(
    foreign: ForeignSample, ontology: Ontology, mapping: LabelMap, tally: MappingTally
) -> Sample:
    sample = foreign.sample
    dropped_ids: set[str] = set()
    annotations = []
    for annotation in sample.annotations:
        label = annotation.label
        if label in mapping.drop:
            tally.dropped[label] += 1
            dropped_ids.add(annotation.id)
            continue
        target = mapping.labels.get(label, label)
        if target not in ontology.class_map:
            tally.unmapped[label] += 1
            tally.first.setdefault(label, foreign.origin_of(annotation.id))
        attributes = mapping.renamed(annotation.attributes)
        changed = target != label or attributes is not annotation.attributes
        annotations.append(
            annotation.model_copy(update={"label": target, "attributes": attributes})
            if changed
            else annotation
        )
    entities = []
    for entity in sample.entities:
        members = [m for m in entity.members if m not in dropped_ids]
        entity_label = entity.label
        if entity_label is not None:
            entity_label = mapping.labels.get(entity_label, entity_label)
            if entity_label not in ontology.class_map:
                tally.unmapped[entity.label or ""] += 1
                tally.first.setdefault(entity.label or "", foreign.origin_of(entity.id))
        entities.append(entity.model_copy(update={"members": members, "label": entity_label}))
    links = []
    for link in sample.links:
        if link.source in dropped_ids or link.target in dropped_ids:
            continue
        kind = mapping.relations.get(link.type, link.type)
        if kind not in ontology.relation_map:
            tally.unmapped_relations[link.type] += 1
            tally.first_relation.setdefault(link.type, foreign.origin_of(link.id))
        links.append(link.model_copy(update={"type": kind}) if kind != link.type else link)
    return sample.model_copy(
        update={"annotations": annotations, "entities": entities, "links": links}
    )
