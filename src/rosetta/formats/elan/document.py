"""An ELAN document (``.eaf``, EAF 2.7 to 3.0) as parsed: media descriptors, time slots,
tiers with their annotations, linguistic types and controlled vocabularies, and the
relations ELAN's constraints stand for.

ELAN puts the linguistic types and vocabularies after the tiers, so a document is parsed
whole (`parse`). The parser is expat (`rosetta.formats.safe_xml`: entity declarations and
external entities refused: no entity-expansion or external-entity attacks) rather than
pympi-ling's, whose parser (ElementTree) loses line numbers, is not hardened, answers a
missing attribute with a bare ``KeyError`` and drops the ``CVE_REF`` of annotations; every
error here names the file, the line and the element.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rosetta.core.errors import ImportFailed
from rosetta.formats.interchange import Origin
from rosetta.formats.safe_xml import feed, safe_parser

#: The relation from a subdivision or an included annotation to its parent.
PART_OF: Final = "part-of"
#: The relation from a symbolic association (a translation, a gloss, a tag) to its parent.
ASSOCIATED_WITH: Final = "associated-with"
#: The relation each ELAN constraint stereotype becomes.
CONSTRAINT_RELATIONS: Final = {
    "Included_In": PART_OF,
    "Time_Subdivision": PART_OF,
    "Symbolic_Subdivision": PART_OF,
    "Symbolic_Association": ASSOCIATED_WITH,
}
#: Constraints whose annotations are references (no time slots of their own).
SYMBOLIC: Final = frozenset({"Symbolic_Subdivision", "Symbolic_Association"})


def relation_of(constraint: str | None) -> str:
    """The relation a dependent tier's constraint makes (no constraint: an association)."""
    return CONSTRAINT_RELATIONS.get(constraint or "", ASSOCIATED_WITH)


@dataclass(slots=True)
class ElanAnnotation:
    """An ``ALIGNABLE_ANNOTATION`` (its two time slots) or ``REF_ANNOTATION`` (its parent)."""

    id: str
    tier: str
    line: int
    value: str = ""
    slots: tuple[str, str] | None = None  # alignable: TIME_SLOT_REF1, TIME_SLOT_REF2
    ref: str | None = None  # reference: ANNOTATION_REF
    cve: str | None = None


@dataclass
class Tier:
    """A ``TIER`` and its annotations, in document order."""

    id: str
    type: str
    line: int
    participant: str | None
    parent: str | None
    annotator: str | None
    annotations: list[ElanAnnotation] = field(default_factory=list)


@dataclass(frozen=True)
class LinguisticType:
    """A ``LINGUISTIC_TYPE``: its constraint and controlled vocabulary."""

    id: str
    constraint: str | None
    vocabulary: str | None
    time_alignable: bool


@dataclass
class Document:
    """What a reader takes from an ELAN document."""

    media: list[tuple[dict[str, str], int]] = field(default_factory=list)
    slots: dict[str, tuple[int | None, int]] = field(default_factory=dict)  # id: value, line
    tiers: list[Tier] = field(default_factory=list)
    types: dict[str, LinguisticType] = field(default_factory=dict)
    vocabularies: dict[str, dict[str, str]] = field(default_factory=dict)


class _Parser:
    """Expat handlers that collect an ELAN document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.parser = safe_parser(file)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.characters
        self.doc = Document()
        self.stack: list[str] = []
        self.tier: Tier | None = None
        self.annotation: ElanAnnotation | None = None
        self.text: list[str] | None = None
        self.vocabulary: dict[str, str] | None = None
        self.entry: str | None = None  # the CVE_ID of the entry being read
        self.annotation_ids: set[str] = set()

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def fail(self, element: str, attribute: str, detail: str) -> ImportFailed:
        return Origin(self.file, self.line, f"<{element}>").error(attribute, detail)

    def required(self, element: str, attrs: dict[str, str], name: str) -> str:
        value = attrs.get(name)
        if not value:
            raise self.fail(element, name, f"<{element}> needs a non-empty {name} attribute")
        return value

    def start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None:
            if name != "ANNOTATION_DOCUMENT":
                raise self.fail(name, "", "expected an ELAN document (<ANNOTATION_DOCUMENT>)")
        elif name == "MEDIA_DESCRIPTOR" and parent == "HEADER":
            self.required(name, attrs, "MEDIA_URL")
            self.doc.media.append((attrs, self.line))
        elif name == "TIME_SLOT" and parent == "TIME_ORDER":
            self.time_slot(attrs)
        elif name == "TIER" and parent == "ANNOTATION_DOCUMENT":
            self.start_tier(attrs)
        elif name in ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION") and self.tier is not None:
            self.start_annotation(name, attrs, self.tier)
        elif name == "ANNOTATION_VALUE" and self.annotation is not None:
            self.text = []
        elif name == "LINGUISTIC_TYPE" and parent == "ANNOTATION_DOCUMENT":
            self.linguistic_type(attrs)
        elif name == "CONTROLLED_VOCABULARY" and parent == "ANNOTATION_DOCUMENT":
            cv_id = self.required(name, attrs, "CV_ID")
            self.vocabulary = self.doc.vocabularies.setdefault(cv_id, {})
        elif name in ("CV_ENTRY_ML", "CV_ENTRY") and self.vocabulary is not None:
            self.entry = attrs.get("CVE_ID") or f"cveid{len(self.vocabulary)}"
            if name == "CV_ENTRY":  # EAF 2.7: the entry's text is its value
                self.text = []
        elif name == "CVE_VALUE" and self.entry is not None and self.vocabulary is not None:
            self.text = [] if self.entry not in self.vocabulary else None  # the first language

    def time_slot(self, attrs: dict[str, str]) -> None:
        slot_id = self.required("TIME_SLOT", attrs, "TIME_SLOT_ID")
        if slot_id in self.doc.slots:
            raise self.fail("TIME_SLOT", "TIME_SLOT_ID", f"{slot_id!r} is used twice")
        raw = attrs.get("TIME_VALUE")
        value = None
        if raw is not None:
            if not raw.strip().isdigit():
                raise self.fail(
                    "TIME_SLOT", "TIME_VALUE", f"expected whole milliseconds >= 0, got {raw!r}"
                )
            value = int(raw)
        self.doc.slots[slot_id] = (value, self.line)

    def start_tier(self, attrs: dict[str, str]) -> None:
        tier_id = self.required("TIER", attrs, "TIER_ID")
        if any(tier.id == tier_id for tier in self.doc.tiers):
            raise self.fail("TIER", "TIER_ID", f"{tier_id!r} is used twice")
        self.tier = Tier(
            id=tier_id,
            type=self.required("TIER", attrs, "LINGUISTIC_TYPE_REF"),
            line=self.line,
            participant=attrs.get("PARTICIPANT", "").strip() or None,
            parent=attrs.get("PARENT_REF") or None,
            annotator=attrs.get("ANNOTATOR") or None,
        )
        self.doc.tiers.append(self.tier)

    def start_annotation(self, name: str, attrs: dict[str, str], tier: Tier) -> None:
        annotation_id = self.required(name, attrs, "ANNOTATION_ID")
        if annotation_id in self.annotation_ids:
            raise self.fail(name, "ANNOTATION_ID", f"{annotation_id!r} is used twice")
        self.annotation_ids.add(annotation_id)
        annotation = ElanAnnotation(
            id=annotation_id, tier=tier.id, line=self.line, cve=attrs.get("CVE_REF")
        )
        if name == "ALIGNABLE_ANNOTATION":
            annotation.slots = (
                self.required(name, attrs, "TIME_SLOT_REF1"),
                self.required(name, attrs, "TIME_SLOT_REF2"),
            )
        else:
            annotation.ref = self.required(name, attrs, "ANNOTATION_REF")
        tier.annotations.append(annotation)
        self.annotation = annotation

    def linguistic_type(self, attrs: dict[str, str]) -> None:
        type_id = self.required("LINGUISTIC_TYPE", attrs, "LINGUISTIC_TYPE_ID")
        constraint = attrs.get("CONSTRAINTS") or None
        if constraint is not None and constraint not in CONSTRAINT_RELATIONS:
            raise self.fail(
                "LINGUISTIC_TYPE",
                "CONSTRAINTS",
                f"expected one of {sorted(CONSTRAINT_RELATIONS)}, got {constraint!r}",
            )
        self.doc.types[type_id] = LinguisticType(
            id=type_id,
            constraint=constraint,
            vocabulary=attrs.get("CONTROLLED_VOCABULARY_REF") or None,
            time_alignable=attrs.get("TIME_ALIGNABLE", "true") != "false",
        )

    def end(self, name: str) -> None:
        self.stack.pop()
        if name == "ANNOTATION_VALUE" and self.annotation is not None and self.text is not None:
            self.annotation.value = "".join(self.text)
            self.text = None
        elif name in ("ALIGNABLE_ANNOTATION", "REF_ANNOTATION"):
            self.annotation = None
        elif name == "TIER":
            self.tier = None
        elif name in ("CVE_VALUE", "CV_ENTRY") and self.text is not None:
            if self.vocabulary is not None and self.entry is not None:
                self.vocabulary.setdefault(self.entry, "".join(self.text).strip())
            self.text = None
        if name in ("CV_ENTRY_ML", "CV_ENTRY"):
            self.entry = None
        elif name == "CONTROLLED_VOCABULARY":
            self.vocabulary = None

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def parse(path: Path) -> Document:
    """The ELAN document at `path` (an `ImportFailed` naming the line of what is wrong)."""
    reader = _Parser(str(path))
    for _ in feed(path, reader.parser, []):
        pass
    return reader.doc
