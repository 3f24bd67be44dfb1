"""What a format cannot carry: one file, `NOT_CARRIED` (``not_carried.jsonl``), beside
what a writer wrote, in one layout for every format, and read back by the format's reader.

**Layout.** One JSON object per line, ``{"sample", "kind", "record"}``:

- ``sample``: the id the sample gets when the written files are read back: the reader puts
  the record into that sample. ``null`` for a record that joins records of two samples read
  back (a sample whose images were written as two files): kept for the record, not read
  back, its ids the original ones.
- ``kind`` and ``record``:

  - ``sample``: a whole sample the format has no place for (no image, no video), as a
    native JSONL line; ``sample`` is its own id. Read back as a sample of its own when the
    folder is read.
  - ``stream``, ``annotation``, ``entity``, ``link``, ``candidate``, ``judgement``: a
    record the files do not hold, as native JSON without revisions (a new object where it
    is read back). Its id is derived from the files as the reader's own are,
    ``<sample>.<kind>.<n>`` (the n-th record of its kind put into that sample:
    ``instances.1.link.2``), so that an export imports back into the store it came from;
    its references (an annotation's stream, an entity's members, a link's ends, a
    candidate's streams, a judgement's candidates and rationale stream) are the ids the
    records they name get when read back. A preference sample's candidates and judgements
    (`rosetta.core.preference`), which no format with this file holds, all go into the one
    sample read back that holds their streams (``null``, with their original ids, when two
    samples read back hold them).
  - ``fields``: ``{"id", "fields"}``: fields of a written record (the sample itself, a
    stream, an annotation, an entity or a link, by its id when read back) that the format
    drops, such as ``{"attributes": {...}}``, ``{"metadata": {...}}``, a transcript's
    whole ``{"geometry": {...}}`` with its word timings or a stream's ``{"uri": ...,
    "media": {...}}`` (`ReadBack.drop_stream_fields`). They are merged into the record
    read back: objects key by key, any other value replaced. Keys of the sample's metadata
    that are record ids (``metadata.speakers``) are the ids read back.

**Writing** (`NotCarried`): a writer says, per sample, where each record it wrote is when
read back and which fields it dropped (`ReadBack`); every other stream, annotation, entity
and link of the sample goes to the file, into the read-back sample of the written records
it refers to (else the sample's first), and so do its candidates and judgements (see
above); a sample with nothing written goes whole. An
earlier export's file in the folder is removed first, so that the folder reads back as what
was written. The file is made when the first line comes.

**Reading** (`Kept`): a reader puts each line's records into the sample it reads under the
line's ``sample`` id (`Kept.restore`) and, reading a folder, yields the whole samples after
its own (`Kept.samples`). A line that cannot be put back is an `ImportFailed` naming the
file and the line.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Self

import orjson
from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.preference import Judgement
from rosetta.core.schema import Sample, Stream
from rosetta.formats.interchange import NOT_CARRIED, ForeignSample, Origin
from rosetta.formats.native import (
    annotation_record,
    candidate_record,
    entity_record,
    field_path,
    judgement_record,
    link_record,
    sample_record,
    stream_record,
)

JsonObject = dict[str, Any]

#: The kinds of record a line holds, and the list of the sample each goes into.
RECORD_KINDS: Final = {
    "stream": "streams",
    "annotation": "annotations",
    "entity": "entities",
    "link": "links",
    "candidate": "candidates",
    "judgement": "judgements",
}
KINDS: Final = frozenset({"sample", "fields", *RECORD_KINDS})
_REVISIONS: Final = ("revision", "source_revision", "target_revision")


@dataclass
class ReadBack:
    """Where one sample's written records are when the files are read back: each record's
    id -> (the id of the sample read back, its id there), the first one put giving the
    sample that takes what belongs to no written record; and the fields the format dropped
    from written records: (record id, what they are, the fields)."""

    ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    dropped: list[tuple[str, str, JsonObject]] = field(default_factory=list)

    def put(self, ident: str, sample: str, read_as: str) -> None:
        """The record `ident` (the sample, a stream, an annotation, an entity or a link) is
        in the files, read back as `read_as` of the sample `sample`."""
        self.ids.setdefault(ident, (sample, read_as))

    def drop(self, ident: str, what: str, fields: JsonObject) -> None:
        """The written record `ident` (or the sample, by its own id) loses `fields`; `what`
        names them in the report (``attributes``, ``word timings``)."""
        self.dropped.append((ident, what, fields))

    def drop_stream_fields(self, stream: Stream, read: Stream) -> None:
        """Drop what the written `stream` holds unlike `read`, the stream its file reads back
        as without the media: its name, modality, URI, clock and sensor where they differ,
        its media info field by field (a found media file's probe keeps the rest)."""
        kept = stream.model_dump(mode="json", exclude={"id"})
        got = read.model_dump(mode="json", exclude={"id"})
        fields = {k: v for k, v in kept.items() if k != "media" and v != got[k]}
        media = {k: v for k, v in kept["media"].items() if v != got["media"][k]}
        if media:
            fields["media"] = media
        if fields:
            self.drop(stream.id, "stream details", fields)

    def drop_sample_fields(self, sample: Sample, carried: Iterable[str] = ()) -> None:
        """Drop what the sample has beyond its records: its metadata but the keys
        `carried` (the format's own), its status, its ego poses."""
        kept = set(carried)
        metadata = {k: v for k, v in sample.metadata.items() if k not in kept}
        if metadata:
            self.drop(sample.id, "metadata", {"metadata": metadata})
        if sample.status != "new":
            self.drop(sample.id, "sample status", {"status": sample.status})
        if sample.ego_poses:
            poses = [pose.model_dump(mode="json", exclude_none=True) for pose in sample.ego_poses]
            self.drop(sample.id, "ego poses", {"ego_poses": poses})


class NotCarried:
    """`NOT_CARRIED` in an output folder (see the module); a context manager that closes
    the file at its end. `reason` says in the report why the format leaves things out."""

    def __init__(self, out: Path, reason: str = "") -> None:
        self.path = out / NOT_CARRIED
        self.path.unlink(missing_ok=True)
        self.reason = reason
        self.handle: IO[bytes] | None = None
        self.counts: Counter[str] = Counter()
        self.apart = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, sample: Sample, back: ReadBack) -> None:
        """Write what of `sample` the files do not hold (see the module)."""
        ids = back.ids
        if not ids:
            self.line(sample.id, "sample", sample_record(sample), "samples")
            return
        parts = (sample.streams, sample.annotations, sample.entities, sample.links)
        left = any(record.id not in ids for part in parts for record in part)
        if left or back.dropped or sample.candidates or sample.judgements:
            _Placement(self, sample, back).write()

    def close(self) -> None:
        """Close the file, if one was made."""
        if self.handle is not None:
            self.handle.close()

    def files(self) -> list[str]:
        """The file's name, when anything was written to it."""
        return [NOT_CARRIED] if self.counts else []

    def report(self) -> dict[str, str]:
        """What went to the file, by what it is (for `WriteReport.not_carried`)."""
        why = f" ({self.reason})" if self.reason else ""
        report = {
            what: f"{count} written to {NOT_CARRIED}{why}"
            for what, count in sorted(self.counts.items())
        }
        if self.apart:
            report["not read back"] = (
                f'{self.apart} record(s) of {NOT_CARRIED} join samples written apart ("sample": '
                "null): kept for the record"
            )
        return report

    def line(self, sample: str | None, kind: str, record: Any, what: str) -> None:
        """Write one line (see the module), counted in the report as `what`."""
        if self.handle is None:
            self.handle = self.path.open("wb")
        self.handle.write(orjson.dumps({"sample": sample, "kind": kind, "record": record}) + b"\n")
        self.counts[what] += 1
        self.apart += sample is None


class _Placement:
    """Which sample read back each left-over record of one sample goes into, and the id it
    gets there."""

    def __init__(self, out: NotCarried, sample: Sample, back: ReadBack) -> None:
        self.out = out
        self.sample = sample
        self.back = back
        self.home = next(iter(back.ids.values()))[0]
        self.place: dict[str, str | None] = {k: where for k, (where, _) in back.ids.items()}
        self.renamed: dict[str, str] = {k: read_as for k, (_, read_as) in back.ids.items()}
        self.numbers: Counter[tuple[str, str]] = Counter()

    def _of(self, ids: Iterable[str | None]) -> str | None:
        """The one sample the records `ids` are in (the home when none is placed), else
        ``None``."""
        found = {self.place[i] for i in ids if i is not None and i in self.place}
        if not found:
            return self.home
        return found.pop() if len(found) == 1 and None not in found else None

    def _put(self, ident: str, kind: str, where: str | None) -> None:
        """Place the left-over record `ident`: in the sample `where` it is the next
        ``<sample>.<kind>.<n>``, derived from the files as the reader's own ids are."""
        self.place[ident] = where
        if where is not None:
            self.numbers[(where, kind)] += 1
            self.renamed[ident] = f"{where}.{kind}.{self.numbers[(where, kind)]}"

    def _name(self, ident: str | None, where: str | None) -> str | None:
        return self.renamed.get(ident, ident) if where is not None and ident else ident

    def write(self) -> None:
        written = self.back.ids
        sample = self.sample
        streams = [s for s in sample.streams if s.id not in written]
        annotations = [a for a in sample.annotations if a.id not in written]
        entities = [e for e in sample.entities if e.id not in written]
        links = [link for link in sample.links if link.id not in written]
        for stream in streams:
            self._put(stream.id, "stream", self.home)
        for annotation in annotations:
            self._put(annotation.id, "annotation", self._of([annotation.stream]))
        for entity in entities:
            self._put(entity.id, "entity", self._of(entity.members))
        for link in links:
            self._put(link.id, "link", self._of([link.source, link.target]))
        for stream in streams:
            record = stream_record(stream) | {"id": self._name(stream.id, self.home)}
            self.out.line(self.home, "stream", record, "streams")
        for annotation in annotations:
            where = self.place[annotation.id]
            record = _fresh(annotation_record(annotation)) | {
                "id": self._name(annotation.id, where),
                "stream": self._name(annotation.stream, where),
            }
            self.out.line(where, "annotation", record, f"{annotation.geometry.type} annotations")
        for entity in entities:
            where = self.place[entity.id]
            record = _fresh(entity_record(entity)) | {
                "id": self._name(entity.id, where),
                "members": [self._name(m, where) for m in entity.members],
            }
            self.out.line(where, "entity", record, "entities")
        for link in links:
            where = self.place[link.id]
            record = _fresh(link_record(link)) | {
                "id": self._name(link.id, where),
                "source": self._name(link.source, where),
                "target": self._name(link.target, where),
            }
            self.out.line(where, "link", record, "links")
        self._preference()
        for ident, what, dropped in self.back.dropped:
            fields = dropped
            if ident == sample.id:  # its metadata may name records by id, as keys
                where, read_as, fields = self.home, self.home, self._keys_renamed(dropped)
            else:
                where, read_as = written.get(ident, (None, ident))
            self.out.line(where, "fields", {"id": read_as, "fields": fields}, what)

    def _preference(self) -> None:
        """The sample's candidates and judgements, all into the one sample read back that
        holds their streams (a candidate's, a judgement's rationale), each reference the id
        the record it names gets there; ``null`` when two samples hold them."""
        sample = self.sample
        streams = [s for candidate in sample.candidates for s in candidate.streams]
        where = self._of([*streams, *(j.rationale for j in sample.judgements)])
        for candidate in sample.candidates:
            self._put(candidate.id, "candidate", where)
        for judgement in sample.judgements:
            self._put(judgement.id, "judgement", where)

        def name(ident: str) -> str:
            return self._name(ident, where) or ident

        for candidate in sample.candidates:
            parts = [name(stream) for stream in candidate.streams]
            renamed = candidate.model_copy(update={"id": name(candidate.id), "streams": parts})
            self.out.line(where, "candidate", candidate_record(renamed), "candidates")
        for judgement in sample.judgements:
            record = _fresh(judgement_record(_judgement_renamed(judgement, name)))
            self.out.line(where, "judgement", record, "judgements")

    def _keys_renamed(self, value: Any) -> Any:
        """`value` with every object key that is the id of a record renamed as the record
        is (``metadata.speakers``, ``metadata.cvat.shapes`` are by record id)."""
        if isinstance(value, dict):
            return {self.renamed.get(k, k): self._keys_renamed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._keys_renamed(item) for item in value]
        return value


def _judgement_renamed(judgement: Judgement, name: Callable[[str], str]) -> Judgement:
    """`judgement` with its id, its candidates and its rationale stream renamed by `name`."""
    return judgement.model_copy(
        update={
            "id": name(judgement.id),
            "presented": [name(c) for c in judgement.presented],
            "pairs": [
                pair.model_copy(update={"a": name(pair.a), "b": name(pair.b)})
                for pair in judgement.pairs
            ],
            "ranking": [[name(c) for c in tier] for tier in judgement.ranking],
            "scores": [
                score.model_copy(update={"candidate": name(score.candidate)})
                for score in judgement.scores
            ],
            "rationale": None if judgement.rationale is None else name(judgement.rationale),
        }
    )


def _fresh(record: JsonObject) -> JsonObject:
    """A record without its revisions: a new object where it is read back."""
    return {key: value for key, value in record.items() if key not in _REVISIONS}


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    number: int
    kind: str
    record: JsonObject


class Kept:
    """The lines of a `NOT_CARRIED` file, by the sample they go back into (none: no file)."""

    def __init__(self, path: Path | None) -> None:
        self.file = "" if path is None else str(path)
        self.by_sample: dict[str, list[_Line]] = {}
        self.whole: list[_Line] = []
        if path is not None:
            with path.open("rb") as lines:
                for number, text in enumerate(lines, start=1):
                    if text.strip():
                        self._take(number, text)

    @classmethod
    def beside(cls, folder: Path) -> "Kept":
        """The file in `folder`, if there is one."""
        path = folder / NOT_CARRIED
        return cls(path if path.is_file() else None)

    def error(self, number: int, where: str, detail: str) -> ImportFailed:
        """An `ImportFailed` at line `number` of the file."""
        return ImportFailed(self.file, number, where, detail)

    def _take(self, number: int, text: bytes) -> None:
        try:
            line = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise self.error(number, "", f"not valid JSON: {exc}") from None
        if not isinstance(line, dict):
            raise self.error(number, "", 'expected an object {"sample", "kind", "record"}')
        sample, kind, record = line.get("sample"), line.get("kind"), line.get("record")
        if kind not in KINDS:
            raise self.error(number, "kind", f"expected one of {sorted(KINDS)}, got {kind!r}")
        if not isinstance(record, dict):
            raise self.error(number, "record", f"expected an object, got {record!r:.40}")
        if kind == "fields" and not (
            isinstance(record.get("id"), str) and isinstance(record.get("fields"), dict)
        ):
            raise self.error(number, "record", 'expected {"id": ..., "fields": {...}}')
        if sample is None:
            return  # joins samples written apart: kept for the record only
        if not isinstance(sample, str):
            raise self.error(number, "sample", f"expected a sample id or null, got {sample!r:.40}")
        if kind == "sample":
            self.whole.append(_Line(number, kind, record))
        else:
            self.by_sample.setdefault(sample, []).append(_Line(number, kind, record))

    def restore(self, foreign: ForeignSample) -> ForeignSample:
        """`foreign` with the records and fields the file keeps for its sample."""
        lines = self.by_sample.get(foreign.sample.id)
        if not lines:
            return foreign
        data = foreign.sample.model_dump(mode="json")
        parts = dict(foreign.parts)
        owner: dict[tuple[str, int], int] = {}  # (list, index) -> the line that made it
        for line in lines:
            origin = Origin(self.file, line.number, f"sample {foreign.sample.id}")
            if line.kind == "fields":
                target, place = _find(data, line.record["id"])
                if target is None:
                    raise origin.error(
                        "record.id", f"{line.record['id']!r} is no record of the sample read back"
                    )
                _merge(target, line.record["fields"])
                if place is not None:
                    owner[place] = line.number
                continue
            records = data[RECORD_KINDS[line.kind]]
            owner[(RECORD_KINDS[line.kind], len(records))] = line.number
            records.append(line.record)
            if isinstance(line.record.get("id"), str):
                parts[line.record["id"]] = origin
        try:
            sample = Sample.model_validate(data)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            loc = first["loc"]
            at = (str(loc[0]), loc[1]) if len(loc) > 1 and isinstance(loc[1], int) else None
            number = owner.get(at) if at is not None else None
            raise self.error(
                number or lines[0].number, field_path(loc), str(first["msg"])
            ) from None
        return ForeignSample(sample, foreign.origin, parts)

    def samples(self) -> Iterator[ForeignSample]:
        """The whole samples the file keeps."""
        for line in self.whole:
            try:
                sample = Sample.model_validate(line.record)
            except ValidationError as error:
                first = error.errors(include_url=False)[0]
                raise self.error(line.number, field_path(first["loc"]), first["msg"]) from None
            yield ForeignSample(sample, Origin(self.file, line.number, f"sample {sample.id}"))


def read_back(
    samples: Iterable[ForeignSample], folder: Path, *, whole: bool
) -> Iterator[ForeignSample]:
    """`samples` with what the `NOT_CARRIED` file in `folder` keeps for them put back and,
    when `whole` (the folder itself is read), the whole samples it keeps after them; then a
    line for a sample that was not read is an error (the file is not the folder's)."""
    kept = Kept.beside(folder)
    read: set[str] = set()
    for foreign in samples:
        read.add(foreign.sample.id)
        yield kept.restore(foreign)
    if whole:
        stray = [(lines[0].number, ident) for ident, lines in kept.by_sample.items()]
        number, ident = min((at for at in stray if at[1] not in read), default=(0, ""))
        if number:
            raise kept.error(number, "sample", f"{ident!r} is no sample of the files read")
        yield from kept.samples()


def read_back_beside(samples: Iterable[ForeignSample], source: Path) -> Iterator[ForeignSample]:
    """`read_back` for a reader of a file or a folder `source`: the file in the folder (or
    beside the file), and its whole samples when the folder is read."""
    folder = source if source.is_dir() else source.parent
    return read_back(samples, folder, whole=source.is_dir())


def _find(data: JsonObject, ident: str) -> tuple[JsonObject | None, tuple[str, int] | None]:
    """The record `ident` of the sample's JSON (the sample itself first) and its place."""
    if data.get("id") == ident:
        return data, None
    for name in RECORD_KINDS.values():
        for index, record in enumerate(data[name]):
            if record.get("id") == ident:
                return record, (name, index)
    return None, None


def _merge(into: JsonObject, fields: JsonObject) -> None:
    """Merge `fields` into `into`: objects key by key, any other value replaced."""
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
