"""Reading ELAN documents: one sample per ``.eaf`` (a folder gives one per file, in path
order; documents stream one by one, each parsed whole: `rosetta.formats.elan.document`).

- ``MEDIA_DESCRIPTOR`` -> an audio or video stream (``MIME_TYPE``, else the file suffix),
  id ``<stem>.media<n>``; the file is looked for at ``RELATIVE_MEDIA_URL`` (beside the
  document), at ``MEDIA_URL`` and by its name under ``options.media_root``
  (`rosetta.formats.timed`). A media file found there is probed (`rosetta.media.probe`:
  duration, sample rate, frame rate, size, MIME type; a file that cannot be read is an
  error naming the document, its ``MEDIA_DESCRIPTOR`` line and the file); a stream whose
  file is not found has the last time slot's value as its duration.
  ``metadata["elan"]["duration_from"]`` says where the first stream's (the one the
  annotations lie on) came from: ``"media"`` or ``"last time slot"``. A document without
  media gets one audio stream without a URI. The sample's ``external_id`` is the first
  media's file name.
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
  (``Included_In``, ``Time_Subdivision``, ``Symbolic_Subdivision``) or ``associated-with``
  (``Symbolic_Association``), child -> parent, id ``<child id>.parent``. A time-aligned
  child's parent is the parent tier's annotation that contains it (else the one it
  overlaps most).
- ``metadata["elan"]`` keeps the tiers (id, linguistic type, participant, parent, annotator
  and their annotations' ELAN ids), the linguistic types, the vocabularies and the media
  descriptors, so that a writer can rebuild the tier structure.

The records are made as JSON objects and validated in one pydantic call per document
(`rosetta.formats.interchange.sample_from`), which is what a reader of 100,000
annotations spends least on.
"""

import bisect
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Final

from rosetta.core.errors import ImportFailed
from rosetta.core.modality import Modality
from rosetta.core.schema import JsonDict, MediaInfo, Source, Stream
from rosetta.formats import timed
from rosetta.formats.elan.document import (
    Document,
    ElanAnnotation,
    LinguisticType,
    parse,
    relation_of,
)
from rosetta.formats.interchange import (
    ForeignSample,
    Origin,
    ReadOptions,
    collector_paused,
    sample_from,
)
from rosetta.formats.not_carried import read_back_beside

_SOURCE: Final = Source(kind="import", name="elan")


def _slot_times(doc: Document, file: str) -> dict[str, int]:
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


def _origin(file: str, annotation: ElanAnnotation) -> Origin:
    return Origin(file, annotation.line, f'<ANNOTATION ANNOTATION_ID="{annotation.id}">')


def _spans(doc: Document, file: str, slots: dict[str, int]) -> dict[str, tuple[int, int]]:
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


def _aligned_span(annotation: ElanAnnotation, file: str, slots: dict[str, int]) -> tuple[int, int]:
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
    """Makes the records of one parsed document (as JSON objects, validated at once)."""

    def __init__(self, doc: Document, path: Path, options: ReadOptions) -> None:
        self.doc = doc
        self.file, self.stem = str(path), path.stem
        self.origin = Origin(self.file, 1, "<ANNOTATION_DOCUMENT>")
        slots = _slot_times(doc, self.file)
        self.spans = _spans(doc, self.file, slots)
        duration = timed.seconds_of_ms(max(slots.values(), default=0))
        self.streams, self.probed = _streams(doc, path, duration, options)
        self.stream_id = self.streams[0].id
        self.speakers = timed.Speakers(self.stem, self.origin)
        self.annotations: list[JsonDict] = []
        self.links: list[JsonDict] = []
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
                self.add(annotation, kind, speaker, tier.parent)
        data = {
            "id": timed.record_id(self.origin, self.stem),
            "external_id": self.streams[0].name,
            "metadata": {
                timed.SPEAKERS: self.speakers.names(),
                "elan": _metadata(self.doc, self.probed),
            },
            "streams": self.streams,
            "annotations": self.annotations,
            "entities": self.speakers.entities(),
            "links": self.links,
        }
        return ForeignSample(sample_from(data, self.origin, self.parts), self.origin, self.parts)

    def add(
        self,
        annotation: ElanAnnotation,
        kind: LinguisticType,
        speaker: str | None,
        parent_tier: str | None,
    ) -> None:
        """Add the annotation, its speaker's link and, on a dependent tier, the link to its
        parent annotation."""
        where = Origin(self.file, annotation.line, f'<ANNOTATION ANNOTATION_ID="{annotation.id}">')
        ident = timed.record_id(where, self.stem, annotation.id)
        start_ms, end_ms = self.spans[annotation.id]
        start, end = timed.seconds_of_ms(start_ms), timed.seconds_of_ms(end_ms)
        value = annotation.value
        geometry: JsonDict = {"type": "interval", "start": start, "end": end}
        if kind.vocabulary is not None:
            entries = self.doc.vocabularies.get(kind.vocabulary, {})
            label = value.strip() or entries.get(annotation.cve or "", "") or kind.id
        else:
            label = kind.id
            if value.strip():
                geometry = {"type": "transcript", "start": start, "end": end, "text": value}
        self.annotations.append(
            {
                "id": ident,
                "stream": self.stream_id,
                "label": label,
                "geometry": geometry,
                "source": _SOURCE,
            }
        )
        self.parts[ident] = where
        if speaker is not None:
            link = self.speakers.link(speaker, ident)
            self.links.append(link)
            self.parts[link["id"]] = where
        if parent_tier is not None:
            self._link_parent(annotation, ident, kind, parent_tier, where)

    def _link_parent(
        self,
        annotation: ElanAnnotation,
        ident: str,
        kind: LinguisticType,
        tier: str,
        where: Origin,
    ) -> None:
        """Link a dependent tier's annotation to its parent annotation."""
        parent = annotation.ref or _parent_of(self.spans[annotation.id], self.intervals[tier])
        if parent is None:
            raise where.error(
                "TIME_SLOT_REF1", f"expected inside an annotation of the parent tier {tier!r}"
            )
        link_id = timed.record_id(where, ident, "parent")
        self.links.append(
            {
                "id": link_id,
                "type": relation_of(kind.constraint),
                "source": ident,
                "target": timed.record_id(where, self.stem, parent),
            }
        )
        self.parts[link_id] = where


def _streams(
    doc: Document, path: Path, duration: float, options: ReadOptions
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
            found, modality, duration, where, "MEDIA_URL", options=options, mime=mime
        )
        stream_id = timed.record_id(where, stem, f"media{index}")
        streams.append(
            timed.media_stream(stream_id, uri, modality, media, where=where, field="MEDIA_URL")
        )
        probed.append(from_media)
    return streams, probed[0]


def _metadata(doc: Document, probed: bool) -> dict[str, Any]:
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
    """The samples of the ``.eaf`` file `source` (or of every one below the folder), with
    what the `rosetta.formats.not_carried` file beside them keeps (reading the folder: and
    the samples it keeps whole)."""
    yield from read_back_beside(_documents(source, options), source)


def _documents(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    for path in timed.source_files(source, (".eaf",)):
        with collector_paused():
            foreign = _Builder(parse(path), path, options).sample()
        yield foreign
