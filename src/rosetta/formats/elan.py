"""ELAN annotation documents (``.eaf``, EAF 2.7 to 3.0): tiers of time-aligned
annotations on linked audio or video.

**Reading** (one sample per ``.eaf``; a folder gives one per file, in path order). ELAN
puts the linguistic types and vocabularies after the tiers, so a document is read whole
before its sample is made (the format forces it); documents stream one by one.

- ``MEDIA_DESCRIPTOR`` -> an audio or video stream (``MIME_TYPE``, else the file suffix),
  id ``<stem>.media<n>``; the file is looked for at ``RELATIVE_MEDIA_URL`` (beside the
  document), at ``MEDIA_URL`` and by its name under ``options.media_root``
  (`rosetta.formats.timed`). A media file found there is probed (`rosetta.media.probe`:
  duration, sample rate, frame rate, size, MIME type; a file that cannot be read is an
  error naming the document, its ``MEDIA_DESCRIPTOR`` line and the file); a stream whose
  file is not found has the last time slot's value as its duration.
  ``metadata["elan"]["duration_from"]`` says where the first stream's (the one the
  annotations lie on) came from: ``"media"`` or ``"last time slot"``. A document without
  media gets one audio stream without a URI. The sample's ``external_id`` is the first media's file name.
- Every ``ALIGNABLE_ANNOTATION`` and ``REF_ANNOTATION`` -> an annotation ``<stem>.<id>`` on
  the first stream, its times in seconds (milliseconds / 1000: ``1040`` is ``1.04`` s). A
  reference annotation (a symbolic association or subdivision, without time slots of its
  own) spans its parent's time; an unaligned time slot (no ``TIME_VALUE``) is interpolated
  between its aligned neighbours in ``TIME_ORDER``.
- Label: on a tier whose linguistic type has a controlled vocabulary, the annotation's
  value (the vocabulary entry: vocabulary entries are candidate ontology classes, and an
  unmapped one is listed by the import) with an `Interval`; elsewhere the linguistic
  type's id, with a `TranscriptSegment` holding the value as its text (an `Interval` when
  the value is empty).
- ``PARTICIPANT`` -> a speaker entity (`rosetta.formats.timed`), ``speaker-of`` each
  annotation of the participant's independent tiers (the dependent ones hang from those).
- A dependent tier's annotations are linked to their parent annotations: ``part-of``
  (`PART_OF`: ``Included_In``, ``Time_Subdivision``, ``Symbolic_Subdivision``) or
  ``associated-with`` (`ASSOCIATED_WITH`: ``Symbolic_Association``), child -> parent. A
  time-aligned child's parent is the parent tier's annotation that contains it (else the
  one it overlaps most).
- ``metadata["elan"]`` keeps the tiers (id, linguistic type, participant, parent, annotator
  and their annotations' ELAN ids), the linguistic types, the vocabularies and the media
  descriptors, so that a writer can rebuild the tier structure.

The document is parsed with expat (entity declarations and external entities refused:
no entity-expansion or external-entity attacks) rather than with pympi-ling, whose parser
(ElementTree) loses line numbers, is not hardened, answers a missing attribute with a bare
``KeyError`` and drops the ``CVE_REF`` of annotations; every error here names the file, the
line and the element. The **writer** builds a `pympi.Elan.Eaf` and serialises it with
pympi (EAF 3.0, one time slot per distinct time, times rounded to milliseconds).
"""

import bisect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError
from pympi.Elan import Eaf, to_string

from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats import timed
from rosetta.formats.interchange import (
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)
from rosetta.formats.safe_xml import feed, safe_parser

#: The relation from a subdivision or an included annotation to its parent.
PART_OF = "part-of"
#: The relation from a symbolic association (a translation, a gloss, a tag) to its parent.
ASSOCIATED_WITH = "associated-with"
#: The relation each ELAN constraint stereotype becomes.
CONSTRAINT_RELATIONS = {
    "Included_In": PART_OF,
    "Time_Subdivision": PART_OF,
    "Symbolic_Subdivision": PART_OF,
    "Symbolic_Association": ASSOCIATED_WITH,
}
#: Constraints whose annotations are references (no time slots of their own).
SYMBOLIC = frozenset({"Symbolic_Subdivision", "Symbolic_Association"})
_CONSTRAINT_DESCRIPTIONS = Eaf.CONSTRAINTS
_SOURCE = Source(kind="import", name="elan")
_CHUNK = 1 << 16
_NCNAME = re.compile(r"[A-Za-z_][\w.\-]*")


# --- the document ----------------------------------------------------------------------------


@dataclass
class _Annotation:
    id: str
    tier: str
    line: int
    value: str = ""
    slots: tuple[str, str] | None = None  # alignable: TIME_SLOT_REF1, TIME_SLOT_REF2
    ref: str | None = None  # reference: ANNOTATION_REF
    cve: str | None = None


@dataclass
class _Tier:
    id: str
    type: str
    line: int
    participant: str | None
    parent: str | None
    annotator: str | None
    annotations: list[_Annotation] = field(default_factory=list)


@dataclass(frozen=True)
class _Type:
    id: str
    constraint: str | None
    vocabulary: str | None
    time_alignable: bool


@dataclass
class _Document:
    media: list[tuple[dict[str, str], int]] = field(default_factory=list)
    slots: dict[str, tuple[int | None, int]] = field(default_factory=dict)  # id: value, line
    tiers: list[_Tier] = field(default_factory=list)
    types: dict[str, _Type] = field(default_factory=dict)
    vocabularies: dict[str, dict[str, str]] = field(default_factory=dict)


class _Parser:
    """Expat handlers that collect an ELAN document."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.parser = safe_parser(file)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.characters
        self.doc = _Document()
        self.stack: list[str] = []
        self.tier: _Tier | None = None
        self.annotation: _Annotation | None = None
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
        self.tier = _Tier(
            id=tier_id,
            type=self.required("TIER", attrs, "LINGUISTIC_TYPE_REF"),
            line=self.line,
            participant=attrs.get("PARTICIPANT", "").strip() or None,
            parent=attrs.get("PARENT_REF") or None,
            annotator=attrs.get("ANNOTATOR") or None,
        )
        self.doc.tiers.append(self.tier)

    def start_annotation(self, name: str, attrs: dict[str, str], tier: _Tier) -> None:
        annotation_id = self.required(name, attrs, "ANNOTATION_ID")
        if annotation_id in self.annotation_ids:
            raise self.fail(name, "ANNOTATION_ID", f"{annotation_id!r} is used twice")
        self.annotation_ids.add(annotation_id)
        annotation = _Annotation(
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
        self.doc.types[type_id] = _Type(
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


def _parse(path: Path) -> _Document:
    reader = _Parser(str(path))
    for _ in feed(path, reader.parser, []):
        pass
    return reader.doc


# --- document -> sample ----------------------------------------------------------------------


def _slot_times(doc: _Document, file: str) -> dict[str, int]:
    """Every time slot's milliseconds; unaligned slots interpolated between their aligned
    neighbours in document order (ELAN's order of time)."""
    order = list(doc.slots.items())
    aligned = [(index, value) for index, (_, (value, _)) in enumerate(order) if value is not None]
    times: dict[str, int] = {}
    for index, (slot_id, (value, line)) in enumerate(order):
        if value is not None:
            times[slot_id] = value
            continue
        at = bisect.bisect(aligned, (index, -1))
        before = aligned[at - 1] if at > 0 else None
        after = aligned[at] if at < len(aligned) else None
        if before is None or after is None:
            raise ImportFailed(
                file,
                line,
                "<TIME_SLOT>: TIME_VALUE",
                f"unaligned time slot {slot_id!r} has no aligned slot "
                f"{'before' if before is None else 'after'} it to interpolate from",
            )
        share = (index - before[0]) / (after[0] - before[0])
        times[slot_id] = round(before[1] + share * (after[1] - before[1]))
    return times


def _origin(file: str, annotation: _Annotation) -> Origin:
    return Origin(file, annotation.line, f'<ANNOTATION ANNOTATION_ID="{annotation.id}">')


def _spans(doc: _Document, file: str, slots: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Each annotation's (start, end) milliseconds: its time slots, or its parent's."""
    by_id = {a.id: a for tier in doc.tiers for a in tier.annotations}
    spans: dict[str, tuple[int, int]] = {}
    for annotation in by_id.values():
        chain = [annotation]
        while chain[-1].id not in spans and chain[-1].slots is None:
            ref = chain[-1].ref or ""
            parent = by_id.get(ref)
            if parent is None:
                raise _origin(file, chain[-1]).error(
                    "ANNOTATION_REF", f"{ref!r} names no annotation of the document"
                )
            if parent in chain:
                raise _origin(file, chain[-1]).error(
                    "ANNOTATION_REF", f"references run in a circle through {ref!r}"
                )
            chain.append(parent)
        last = chain[-1]
        if last.id not in spans:
            spans[last.id] = _aligned_span(last, file, slots)
        for item in chain:
            spans[item.id] = spans[last.id]
    return spans


def _aligned_span(annotation: _Annotation, file: str, slots: dict[str, int]) -> tuple[int, int]:
    assert annotation.slots is not None
    ends = []
    for name, slot in zip(("TIME_SLOT_REF1", "TIME_SLOT_REF2"), annotation.slots, strict=True):
        if slot not in slots:
            raise _origin(file, annotation).error(name, f"{slot!r} names no TIME_SLOT")
        ends.append(slots[slot])
    if ends[1] <= ends[0]:
        raise _origin(file, annotation).error(
            "TIME_SLOT_REF2", f"expected the end after the start ({ends[0]} ms then {ends[1]} ms)"
        )
    return ends[0], ends[1]


def _parent_of(span: tuple[int, int], parents: list[tuple[int, int, str]]) -> str | None:
    """The parent tier's annotation that contains `span`, else the one overlapping most."""
    at = bisect.bisect_right(parents, (span[0], span[1], "\U0010ffff"))
    for start, end, ident in reversed(parents[max(0, at - 2) : at]):
        if start <= span[0] and span[1] <= end:
            return ident
    overlap, best = max(
        ((min(end, span[1]) - max(start, span[0]), ident) for start, end, ident in parents),
        default=(0, None),
    )
    return best if overlap > 0 else None


class _Builder:
    """Makes the records of one parsed document."""

    def __init__(self, doc: _Document, path: Path, options: ReadOptions) -> None:
        self.doc = doc
        self.file, self.stem = str(path), path.stem
        self.origin = Origin(self.file, 1, "<ANNOTATION_DOCUMENT>")
        slots = _slot_times(doc, self.file)
        self.spans = _spans(doc, self.file, slots)
        duration = timed.seconds_of_ms(max(slots.values(), default=0))
        self.streams, self.probed = _streams(doc, path, duration, options)
        self.speakers = timed.Speakers(self.stem, self.origin)
        self.annotations: list[Annotation] = []
        self.links: list[Link] = []
        self.parts: dict[str, Origin] = {}
        self.intervals = {
            tier.id: sorted((*self.spans[a.id], a.id) for a in tier.annotations)
            for tier in doc.tiers
        }

    def sample(self) -> ForeignSample:
        """The document's sample."""
        tiers = {tier.id for tier in self.doc.tiers}
        for tier in self.doc.tiers:
            where = Origin(self.file, tier.line, f'<TIER TIER_ID="{tier.id}">')
            kind = self.doc.types.get(tier.type)
            if kind is None:
                raise where.error("LINGUISTIC_TYPE_REF", f"{tier.type!r} names no LINGUISTIC_TYPE")
            if tier.parent is not None and tier.parent not in tiers:
                raise where.error("PARENT_REF", f"{tier.parent!r} names no TIER")
            speaker = tier.participant if tier.parent is None else None
            if speaker is not None:
                self.parts[self.speakers.entity_id(speaker)] = where
            for annotation in tier.annotations:
                ident = self.add(annotation, kind, speaker)
                if tier.parent is not None:
                    self.link_parent(annotation, ident, kind, tier.parent)
        try:
            sample = Sample(
                id=timed.record_id(self.origin, self.stem),
                external_id=self.streams[0].name,
                metadata={
                    timed.SPEAKERS: self.speakers.names(),
                    "elan": _metadata(self.doc, self.probed),
                },
                streams=self.streams,
                annotations=self.annotations,
                entities=self.speakers.entities(),
                links=self.links,
            )
        except ValidationError as exc:
            raise self.origin.error("", exc.errors(include_url=False)[0]["msg"]) from None
        return ForeignSample(sample, self.origin, self.parts)

    def add(self, annotation: _Annotation, kind: _Type, speaker: str | None) -> str:
        """Add the annotation (and its speaker's link); its record id."""
        where = _origin(self.file, annotation)
        ident = timed.record_id(where, self.stem, annotation.id)
        start, end = (timed.seconds_of_ms(ms) for ms in self.spans[annotation.id])
        geometry: Interval | TranscriptSegment = Interval(start=start, end=end)
        value = annotation.value
        if kind.vocabulary is not None:
            entries = self.doc.vocabularies.get(kind.vocabulary, {})
            label = value.strip() or entries.get(annotation.cve or "", "") or kind.id
        else:
            label = kind.id
            if value.strip():
                geometry = TranscriptSegment(start=start, end=end, text=value)
        self.annotations.append(
            Annotation(
                id=ident,
                stream=self.streams[0].id,
                label=label,
                geometry=geometry,
                source=_SOURCE,
            )
        )
        self.parts[ident] = where
        if speaker is not None:
            link = self.speakers.link(speaker, ident)
            self.links.append(link)
            self.parts[link.id] = where
        return ident

    def link_parent(self, annotation: _Annotation, ident: str, kind: _Type, tier: str) -> None:
        """Link a dependent tier's annotation to its parent annotation."""
        where = _origin(self.file, annotation)
        parent = annotation.ref or _parent_of(self.spans[annotation.id], self.intervals[tier])
        if parent is None:
            raise where.error(
                "TIME_SLOT_REF1", f"expected inside an annotation of the parent tier {tier!r}"
            )
        link = Link(
            id=timed.record_id(where, ident, "parent"),
            type=_relation_of(kind.constraint),
            source=ident,
            target=timed.record_id(where, self.stem, parent),
        )
        self.links.append(link)
        self.parts[link.id] = where


def _relation_of(constraint: str | None) -> str:
    """The relation a dependent tier's constraint makes (no constraint: an association)."""
    return CONSTRAINT_RELATIONS.get(constraint or "", ASSOCIATED_WITH)


def _streams(
    doc: _Document, path: Path, duration: float, options: ReadOptions
) -> tuple[list[Stream], bool]:
    """The document's streams, and whether the first one's duration is its media's."""
    file, stem = str(path), path.stem
    if not doc.media:
        stream_id = timed.record_id(Origin(file, 1), stem, "media1")
        media = MediaInfo(duration=duration)
        return [Stream(id=stream_id, name="audio", modality=Modality.AUDIO, media=media)], False
    streams = []
    probed = []
    folder = path.resolve().parent
    for index, (attrs, line) in enumerate(doc.media, start=1):
        where = Origin(file, line, "<MEDIA_DESCRIPTOR>")
        url = attrs["MEDIA_URL"]
        relative = attrs.get("RELATIVE_MEDIA_URL")
        name = PurePosixPath(timed.url_path(relative or url)).name
        if not name:
            raise where.error("MEDIA_URL", f"expected the URL of a media file, got {url!r}")
        mime = attrs.get("MIME_TYPE")
        modality = timed.modality_of(name, mime)
        if modality is None:
            raise where.error(
                "MIME_TYPE", f"expected audio or video media, got {mime!r} for {name!r}"
            )
        candidates = [Path(timed.url_path(url)), Path(name)]
        if relative:
            candidates[:0] = [folder / timed.url_path(relative), Path(timed.url_path(relative))]
        found = timed.find_media(candidates, options)
        uri = name if found is None else options.uri_of(found)
        media, from_media = timed.media_info(
            found, modality, duration, where, "MEDIA_URL", mime=mime
        )
        stream_id = timed.record_id(where, stem, f"media{index}")
        streams.append(timed.media_stream(stream_id, uri, modality, media))
        probed.append(from_media)
    return streams, probed[0]


def _metadata(doc: _Document, probed: bool) -> dict[str, Any]:
    def compact(values: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in values.items() if value is not None}

    return {
        "duration_from": timed.FROM_MEDIA if probed else "last time slot",
        "media": [
            compact(
                {
                    "url": attrs["MEDIA_URL"],
                    "relative_url": attrs.get("RELATIVE_MEDIA_URL"),
                    "mime": attrs.get("MIME_TYPE"),
                }
            )
            for attrs, _ in doc.media
        ],
        "tiers": [
            compact(
                {
                    "id": tier.id,
                    "type": tier.type,
                    "participant": tier.participant,
                    "parent": tier.parent,
                    "annotator": tier.annotator,
                    "annotations": [a.id for a in tier.annotations],
                }
            )
            for tier in doc.tiers
        ],
        "types": {
            kind.id: compact(
                {
                    "constraint": kind.constraint,
                    "vocabulary": kind.vocabulary,
                    "time_alignable": kind.time_alignable,
                }
            )
            for kind in doc.types.values()
        },
        "vocabularies": doc.vocabularies,
    }


def read_elan(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of the ``.eaf`` file `source` (or of every one below the folder)."""
    for path in timed.source_files(source, (".eaf",)):
        yield _Builder(_parse(path), path, options).sample()


# --- writing ---------------------------------------------------------------------------------


@dataclass
class _OutTier:
    id: str
    type: str
    constraint: str | None
    vocabulary: str | None
    participant: str | None
    parent: str | None
    annotator: str | None
    members: list[Annotation] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # an independent tier's spans, sorted
    ends: list[int] = field(default_factory=list)


class _Layout:
    """Which tier each written annotation goes to, and the ELAN id it gets: the tiers of
    ``metadata["elan"]`` first (an annotation stays in its tier while its label, speaker
    and parent still fit it), then tiers made from label, speaker and parent."""

    def __init__(self, sample: Sample, annotations: list[Annotation]) -> None:
        elan = sample.metadata.get("elan")
        self.saved: dict[str, Any] = elan if isinstance(elan, dict) else {}
        self.types: dict[str, dict[str, Any]] = {
            name: dict(kind) for name, kind in (self.saved.get("types") or {}).items()
        }
        self.spans = {a.id: _span_ms(a) for a in annotations}
        self.speakers = timed.speaker_names(sample)
        self.speaker_of: dict[str, tuple[str, str]] = {}  # annotation -> (name, link id)
        self.parent_of: dict[str, tuple[str, str, str]] = {}  # child -> (parent, type, link)
        for link in sample.links:
            if link.target not in self.spans:
                continue
            if link.type == timed.SPEAKER_RELATION and link.source in self.speakers:
                self.speaker_of.setdefault(link.target, (self.speakers[link.source], link.id))
            elif link.type in (PART_OF, ASSOCIATED_WITH) and link.source in self.spans:
                self.parent_of.setdefault(link.source, (link.target, link.type, link.id))
        self.elan_ids = _elan_ids(sample.id, annotations)
        self.tiers: dict[str, _OutTier] = {}
        self.tier_of: dict[str, _OutTier] = {}
        ordered = sorted(annotations, key=lambda a: (self.spans[a.id][0], -self.spans[a.id][1]))
        self._place_saved(ordered)
        self._place_derived([a for a in ordered if a.id not in self.tier_of])

    def _place_saved(self, ordered: list[Annotation]) -> None:
        by_elan = {self.elan_ids[a.id]: a for a in ordered}
        saved_tiers = [t for t in self.saved.get("tiers") or [] if isinstance(t, dict)]
        position = {self.elan_ids[a.id]: index for index, a in enumerate(ordered)}
        pending = saved_tiers
        while pending:
            ready = [t for t in pending if t.get("parent") in (None, *self.tiers)]
            if not ready:  # parents that are not tiers: the rest become independent
                ready = pending
            for saved in ready:
                listed = [i for i in saved.get("annotations", []) if i in by_elan]
                members = [by_elan[i] for i in sorted(listed, key=position.__getitem__)]
                self._saved_tier(saved, members)
            pending = [t for t in pending if t["id"] not in self.tiers]
        self.tiers = {t["id"]: self.tiers[t["id"]] for t in saved_tiers}  # the document's order

    def _saved_tier(self, saved: dict[str, Any], members: list[Annotation]) -> None:
        kind = self.types.get(saved.get("type", ""), {})
        vocabulary = kind.get("vocabulary")
        constraint = kind.get("constraint")
        parent = saved.get("parent") if saved.get("parent") in self.tiers else None
        if parent is None:
            constraint = None
        if vocabulary is not None:
            type_id = saved["type"]
            members = [a for a in members if isinstance(a.geometry, Interval)]
            label = None
        else:
            labels = Counter(a.label for a in members)
            label = labels.most_common(1)[0][0] if labels else saved["type"]
            type_id = self._type_for(label, constraint, saved["type"])
        tier = _OutTier(
            id=saved["id"],
            type=type_id,
            constraint=constraint,
            vocabulary=vocabulary,
            participant=saved.get("participant"),
            parent=parent,
            annotator=saved.get("annotator"),
        )
        self.tiers[tier.id] = tier
        for annotation in members:
            if (label is None or annotation.label == label) and self._fits(annotation, tier):
                self._put(annotation, tier)

    def _fits(self, annotation: Annotation, tier: _OutTier) -> bool:
        """Whether the annotation can sit in `tier` and read back the same: its speaker
        is the tier's participant (independent tiers), its parent link leads into the
        parent tier with the tier's relation and it lies inside (symbolic: spans) its
        parent (dependent tiers), and it overlaps no other annotation of the tier."""
        if tier.parent is None:
            speaker = self.speaker_of.get(annotation.id, (None, ""))[0]
            return speaker == tier.participant and not _overlaps(tier, self.spans[annotation.id])
        found = self.parent_of.get(annotation.id)
        if found is None or found[1] != _relation_of(tier.constraint):
            return False
        target = self.tier_of.get(found[0])
        if target is None or target.id != tier.parent:
            return False
        (start, end), (parent_start, parent_end) = self.spans[annotation.id], self.spans[found[0]]
        if tier.constraint in SYMBOLIC:
            return (start, end) == (parent_start, parent_end)
        return parent_start <= start and end <= parent_end

    def _place_derived(self, waiting: list[Annotation]) -> None:
        final = False
        while waiting:
            left = [a for a in waiting if not self._derived(a, final=final)]
            final = len(left) == len(waiting)
            waiting = left

    def _derived(self, annotation: Annotation, *, final: bool) -> bool:
        """Put the annotation into a tier of its label, speaker and parent tier (made when
        missing); ``False`` while its parent has no tier yet (unless `final`)."""
        parent_tier, constraint = None, None
        found = self.parent_of.get(annotation.id)
        if found is not None:
            target = self.tier_of.get(found[0])
            if target is None and not final:
                return False
            if target is not None:
                span, parent_span = self.spans[annotation.id], self.spans[found[0]]
                if found[1] == ASSOCIATED_WITH and span == parent_span:
                    constraint = "Symbolic_Association"
                elif found[1] == PART_OF and parent_span[0] <= span[0] <= span[1] <= parent_span[1]:
                    constraint = "Included_In"
                parent_tier = target.id if constraint else None
        speaker = None if parent_tier else self.speaker_of.get(annotation.id, (None, ""))[0]
        base = annotation.label if speaker is None else f"{annotation.label} ({speaker})"
        type_id = self._type_for(annotation.label, constraint)
        for number in itertools.count(1):
            name = base if number == 1 else f"{base} {number}"
            tier = self.tiers.get(name)
            if tier is None:
                tier = _OutTier(name, type_id, constraint, None, speaker, parent_tier, None)
                self.tiers[name] = tier
            if (tier.type, tier.parent, tier.participant) == (
                type_id,
                parent_tier,
                speaker,
            ) and self._fits(annotation, tier):
                self._put(annotation, tier)
                return True
        raise AssertionError("unreachable")

    def _type_for(self, label: str, constraint: str | None, original: str | None = None) -> str:
        """The linguistic type for `label` on tiers with `constraint`: named `label`, else
        (a type of that name has another constraint or a vocabulary) the tier's `original`
        type, else ``label (constraint)``."""
        names = [label, *([original] if original else []), f"{label} ({constraint})"]
        for name in [*names, f"{label} (independent)"]:
            known = self.types.get(name)
            if known is None:
                self.types[name] = {"constraint": constraint} if constraint else {}
                return name
            if known.get("constraint") == constraint and known.get("vocabulary") is None:
                return name
        raise RosettaError(f"no linguistic type name left for label {label!r}")

    def _put(self, annotation: Annotation, tier: _OutTier) -> None:
        tier.members.append(annotation)
        self.tier_of[annotation.id] = tier
        if tier.parent is None:
            start, end = self.spans[annotation.id]
            at = bisect.bisect(tier.starts, start)
            tier.starts.insert(at, start)
            tier.ends.insert(at, end)

    def used_links(self) -> set[str]:
        """The links the tier structure carries (participants and parent references)."""
        used = set()
        for annotation_id, tier in self.tier_of.items():
            if tier.parent is None:
                speaker = self.speaker_of.get(annotation_id)
                if speaker is not None and speaker[0] == tier.participant:
                    used.add(speaker[1])
            else:
                used.add(self.parent_of[annotation_id][2])
        return used


def _elan_ids(sample_id: str, annotations: list[Annotation]) -> dict[str, str]:
    """ELAN annotation ids: the record id without ``<sample id>.`` where that is a valid
    XML id (as read), else ``a<n>`` after the highest such number."""
    prefix = f"{sample_id}."
    chosen: dict[str, str] = {}
    for annotation in annotations:
        rest = annotation.id.removeprefix(prefix)
        if annotation.id.startswith(prefix) and _NCNAME.fullmatch(rest):
            chosen.setdefault(annotation.id, rest)
    taken = set(chosen.values())
    numbers = (int(m.group(1)) for t in taken if (m := re.fullmatch(r"a(\d+)", t)))
    counter = itertools.count(max(numbers, default=0) + 1)
    for annotation in annotations:
        if annotation.id not in chosen:
            chosen[annotation.id] = f"a{next(counter)}"
    return chosen


def _span_ms(annotation: Annotation) -> tuple[int, int]:
    geometry = annotation.geometry
    assert isinstance(geometry, Interval | TranscriptSegment)
    start = timed.ms_of_seconds(geometry.start)
    return start, max(timed.ms_of_seconds(geometry.end), start + 1)


def _overlaps(tier: _OutTier, span: tuple[int, int]) -> bool:
    """Whether `span` overlaps an annotation of the (independent) tier: its annotations
    are disjoint and sorted, so only the last one starting before `span` ends can."""
    at = bisect.bisect_left(tier.starts, span[1])
    return at > 0 and tier.ends[at - 1] > span[0]


def _media_descriptors(sample: Sample, streams: list[Stream]) -> list[dict[str, str]]:
    """A descriptor per audio/video stream: the document's own when its file name is the
    stream's, else ``MEDIA_URL`` from the stream's URI."""
    elan = sample.metadata.get("elan")
    saved = (elan.get("media") if isinstance(elan, dict) else None) or []
    descriptors = []
    for index, stream in enumerate(streams):
        uri = stream.uri or stream.name
        name = PurePosixPath(timed.url_path(uri)).name
        original = saved[index] if index < len(saved) else {}
        if PurePosixPath(timed.url_path(original.get("url", ""))).name == name:
            url, relative = original["url"], original.get("relative_url")
        else:
            absolute = "://" in uri or uri.startswith("/")
            url, relative = (uri if absolute else f"file:///{uri}"), f"./{name}"
        suffix = PurePosixPath(name).suffix.lstrip(".") or "x"
        descriptor = {
            "MEDIA_URL": url,
            "MIME_TYPE": stream.media.mime or f"{stream.modality}/{suffix}",
        }
        if relative:
            descriptor["RELATIVE_MEDIA_URL"] = relative
        descriptors.append(descriptor)
    return descriptors


def _eaf(sample: Sample) -> Eaf:
    """An empty EAF 3.0 document for `sample`, with its media descriptors."""
    eaf = Eaf(author="rosetta")
    eaf.adocument.update(
        {
            "DATE": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "VERSION": "3.0",
            "FORMAT": "3.0",
            "xsi:noNamespaceSchemaLocation": "http://www.mpi.nl/tools/elan/EAFv3.0.xsd",
        }
    )
    eaf.header = {"MEDIA_FILE": "", "TIME_UNITS": "milliseconds"}
    eaf.properties, eaf.tiers, eaf.linguistic_types = [], {}, {}
    eaf.constraints = dict(Eaf.CONSTRAINTS)
    timed_streams = [s for s in sample.streams if s.modality in (Modality.AUDIO, Modality.VIDEO)]
    eaf.media_descriptors = _media_descriptors(sample, timed_streams)
    return eaf


def _document(sample: Sample, sidecar: timed.Sidecar) -> tuple[Eaf, int]:
    """The ELAN document of `sample` and how many annotations it holds."""
    annotations = timed.timed_annotations(sample, timed.main_stream(sample))
    layout = _Layout(sample, annotations)
    eaf = _eaf(sample)
    _vocabularies(eaf, layout)
    slot = {
        ms: f"ts{n}"
        for n, ms in enumerate(sorted({t for s in layout.spans.values() for t in s}), 1)
    }
    eaf.timeslots = {name: ms for ms, name in slot.items()}
    for order, tier in enumerate(layout.tiers.values()):
        aligned: dict[str, tuple[str, str, str, None]] = {}
        references: dict[str, tuple[str, str, str | None, None]] = {}
        previous: dict[str, str] = {}
        for annotation in tier.members:
            elan_id = layout.elan_ids[annotation.id]
            value = _value(annotation, tier)
            sidecar.parts(sample, annotation)
            if tier.constraint in SYMBOLIC:
                parent = layout.elan_ids[layout.parent_of[annotation.id][0]]
                before = previous.get(parent) if tier.constraint == "Symbolic_Subdivision" else None
                references[elan_id] = (parent, value, before, None)
                previous[parent] = elan_id
            else:
                start, end = layout.spans[annotation.id]
                aligned[elan_id] = (slot[start], slot[end], value, None)
        attributes = {
            "TIER_ID": tier.id,
            "LINGUISTIC_TYPE_REF": tier.type,
            "PARTICIPANT": tier.participant,
            "PARENT_REF": tier.parent,
            "ANNOTATOR": tier.annotator,
        }
        eaf.tiers[tier.id] = (aligned, references, _no_none(attributes), order)
    for name in dict.fromkeys(tier.type for tier in layout.tiers.values()):
        kind = layout.types[name]
        eaf.linguistic_types[name] = _no_none(
            {
                "LINGUISTIC_TYPE_ID": name,
                "TIME_ALIGNABLE": "false" if kind.get("constraint") in SYMBOLIC else "true",
                "CONSTRAINTS": kind.get("constraint"),
                "CONTROLLED_VOCABULARY_REF": kind.get("vocabulary"),
                "GRAPHIC_REFERENCES": "false",
            }
        )
    _not_carried(sample, annotations, layout.used_links(), sidecar)
    return eaf, len(annotations)


def _value(annotation: Annotation, tier: _OutTier) -> str:
    if tier.vocabulary is not None:
        return annotation.label
    geometry = annotation.geometry
    return geometry.text if isinstance(geometry, TranscriptSegment) else ""


def _vocabularies(eaf: Eaf, layout: _Layout) -> None:
    """The vocabularies of the tiers that have one, with an entry added for each label
    that a vocabulary lacks."""
    saved: dict[str, dict[str, str]] = layout.saved.get("vocabularies") or {}
    wanted: defaultdict[str, list[str]] = defaultdict(list)
    for tier in layout.tiers.values():
        if tier.vocabulary is not None:
            wanted[tier.vocabulary] += [a.label for a in tier.members]
    eaf.controlled_vocabularies = {}
    if wanted:
        eaf.languages = {"und": ("http://cdb.iso.org/lg/CDB-00130975-001", "undetermined (und)")}
    for cv_id, labels in wanted.items():
        entries = dict(saved.get(cv_id, {}))
        known = set(entries.values())
        for label in dict.fromkeys(labels):
            if label not in known:
                entries[f"cveid_{cv_id}_{len(entries) + 1}"] = label
                known.add(label)
        eaf.controlled_vocabularies[cv_id] = (
            [("und", None)],
            {cve: ([(value, "und", None)], None) for cve, value in entries.items()},
            None,
        )


def _not_carried(
    sample: Sample, written: list[Annotation], used_links: set[str], sidecar: timed.Sidecar
) -> None:
    ids = {a.id for a in written}
    speakers = timed.speaker_names(sample)
    for annotation in sample.annotations:
        if annotation.id not in ids:
            sidecar.annotation(sample, annotation)
    for entity in sample.entities:
        if entity.id not in speakers or entity.members:
            sidecar.entity(sample, entity)
    for link in sample.links:
        if link.id not in used_links:
            sidecar.link(sample, link)


def _no_none(values: dict[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}


def write_elan(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """One ``<sample id>.eaf`` per sample in `out`; what ELAN cannot carry goes to the
    sidecar (`rosetta.formats.timed`)."""
    files: list[str] = []
    count = annotations = 0
    with timed.Sidecar(out) as sidecar:
        for sample in samples:
            eaf, written = _document(sample, sidecar)
            name = f"{sample.id}.eaf"
            text = '<?xml version="1.0" encoding="UTF-8"?>\n' + to_string(eaf, pretty=True)
            (out / name).write_text(text, encoding="utf-8")
            files.append(name)
            count += 1
            annotations += written
    return WriteReport(files + sidecar.files(), count, annotations, sidecar.report())


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="elan",
        title="ELAN annotation document (.eaf)",
        read=read_elan,
        write=write_elan,
        not_carried=(
            "annotations other than intervals and transcripts on the first audio/video stream",
            "attributes",
            "word timings",
            "entities other than speakers",
            "links other than speaker-of, part-of and associated-with",
        ),
    ),
)
