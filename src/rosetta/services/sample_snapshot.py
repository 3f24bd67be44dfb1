"""A sample's stored work as rows, for whole-sample writes (`rosetta.services.bulk`).

Parsing every stored annotation into a record costs more than the rest of a submission
that changes a few of them, so the rows are kept as read: an object's record is made only
when something asks for it, whether a submitted object leaves it as it was is decided on
the JSON (`StoredObject.same`), and the sample's native JSON embeds the stored JSON text
as the exporter does (`rosetta.formats.native`: the same objects as `dumps_sample`).
"""

from collections import namedtuple
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Row, Table, bindparam, select

from rosetta.core.errors import NotFoundError
from rosetta.core.policies import Access, Assignment, sees_every_sample, sees_work
from rosetta.core.schema import Annotation, Entity, Link, Stream
from rosetta.formats.native import (
    annotation_object,
    annotation_record,
    candidate_object,
    entity_object,
    entity_record,
    judgement_object,
    link_object,
    link_record,
    sample_object,
    stream_record,
)
from rosetta.services.editing import Record, kind_of
from rosetta.services.visibility import (
    PreferenceView,
    candidate_ids,
    candidate_row,
    model_link_row,
    preference_view,
    shown_ids,
)
from rosetta.services.workflow import models_revealed
from rosetta.store.direct import Prepared
from rosetta.store.events import NEWEST_OF_SAMPLE
from rosetta.store.records import (
    SAMPLE_CANDIDATES,
    annotation_from_row,
    entity_from_row,
    link_from_row,
    members_of,
    rows_of_sample,
    stream_from_row,
)
from rosetta.store.tables import annotations, entities, judgements, links, samples, streams

JsonObject = dict[str, Any]

#: The kinds of work, in the order a sample lists them.
KINDS = ("annotation", "entity", "link")

#: The fields of each kind's JSON object.
FIELDS = {
    "annotation": frozenset(Annotation.model_fields),
    "entity": frozenset(Entity.model_fields),
    "link": frozenset(Link.model_fields),
}


def _plain_row_type(table: Table) -> Callable[[Row[Any]], Any]:
    """A maker of plain named tuples with the columns of `table`: SQLAlchemy's `Row`
    resolves an attribute by name in about half a microsecond, a named tuple in a tenth of
    that, and a submission reads thousands of them."""
    made = cast(Any, namedtuple)(f"{table.name}_row", table.c.keys())
    return cast(Callable[[Row[Any]], Any], made._make)


_PLAIN = {
    "annotation": _plain_row_type(annotations),
    "entity": _plain_row_type(entities),
    "link": _plain_row_type(links),
}


class StoredObject:
    """One stored annotation, entity or link: its row (as a plain named tuple), and its
    record once asked for."""

    __slots__ = ("_record", "id", "kind", "members", "row")

    def __init__(self, kind: str, row: Row[Any], members: list[str] | None = None) -> None:
        self.kind = kind
        self.row = _PLAIN[kind](row)
        self.id: str = self.row.id
        self.members = members or []
        self._record: Record | None = None

    @property
    def revision(self) -> int:
        """The object's revision."""
        return int(self.row.revision)

    @property
    def record(self) -> Record:
        """The object's record (parsed from the row the first time)."""
        if self._record is None:
            if self.kind == "annotation":
                self._record = annotation_from_row(self.row)
            elif self.kind == "entity":
                self._record = entity_from_row(self.row, self.members)
            else:
                self._record = link_from_row(self.row)
        return self._record

    def same(self, given: Mapping[str, Any]) -> bool:
        """Whether the JSON object `given` (of this kind, with no unknown field) has the
        stored values in every editable field. A quick test: ``False`` may still be the
        same once parsed (a ``null`` written out, say)."""
        row = self.row
        if not given.keys() <= FIELDS[self.kind]:
            return False
        if self.kind == "annotation":
            return bool(
                given.get("stream") == row.stream_id
                and given.get("label") == row.label
                and _same_json(given.get("geometry"), row.geometry)
                and _same_json(given.get("attributes", {}), row.attributes)
            )
        if self.kind == "entity":
            return bool(
                given.get("label") == row.label and given.get("members", []) == self.members
            )
        return bool(
            given.get("type") == row.type
            and given.get("source") == row.source_id
            and given.get("target") == row.target_id
            and given.get("status", "proposed") == row.status
            and _same_json(given.get("attributes", {}), row.attributes)
        )

    def native(self) -> JsonObject:
        """The object's native JSON object, embedding the stored JSON text."""
        row = self.row
        if self.kind == "annotation":
            return annotation_object(
                id=row.id,
                stream=row.stream_id,
                label=row.label,
                geometry=orjson.Fragment(row.geometry),
                attributes=orjson.Fragment(row.attributes),
                revision=row.revision,
                ontology_version=row.ontology_version,
                author=row.author,
                source=orjson.Fragment(row.source),
                flags=orjson.Fragment(row.flags),
            )
        if self.kind == "entity":
            return entity_object(
                id=row.id,
                label=row.label,
                members=self.members,
                revision=row.revision,
                author=row.author,
            )
        return link_object(
            id=row.id,
            type=row.type,
            source=row.source_id,
            target=row.target_id,
            status=row.status,
            attributes=orjson.Fragment(row.attributes),
            revision=row.revision,
            source_revision=row.source_revision,
            target_revision=row.target_revision,
            author=row.author,
        )


def _same_json(value: Any, stored: str) -> bool:
    """Whether `value` is the JSON value whose text is `stored`. An object sent back as it
    was read has the stored text (the reads embed it), so the text of the value is
    compared first: writing a small value out takes a fraction of the time reading the
    stored one in does, and a submission compares hundreds."""
    try:
        if orjson.dumps(value) == stored.encode():
            return True
    except TypeError:
        return False  # not JSON at all: the record's validation says what is wrong
    return bool(value == orjson.loads(stored))


#: A piece of work as a record or as its stored row.
Work = Record | StoredObject


@dataclass(frozen=True)
class Snapshot:
    """A sample as stored at revision `revision`: its own row, its streams, and its work,
    each kind in the order stored; a preference sample's candidate and judgement rows, and
    whether the project's workflow shows annotators the models behind the candidates."""

    project_id: str
    revision: int
    head: Row[Any]
    streams: dict[str, Stream]
    work: dict[str, StoredObject]
    candidates: list[Row[Any]]
    judgements: list[Row[Any]]
    models_revealed: bool = False

    def of_kind(self, kind: str) -> list[StoredObject]:
        """The stored objects of `kind`, in stored order."""
        return [item for item in self.work.values() if item.kind == kind]

    def hidden_streams(self, access: Access) -> frozenset[str]:
        """The streams the person of `access` may not see: others' rationales
        (`rosetta.services.visibility.preference_view`)."""
        if not self.judgements:
            return frozenset()
        return self._view(access).hidden_streams

    def _view(self, access: Access) -> PreferenceView[Row[Any], Row[Any]]:
        return preference_view(
            access,
            self.project_id,
            self.head.id,
            self.candidates,
            self.judgements,
            models_revealed=self.models_revealed,
        )

    def preference_json(self, access: Access) -> tuple[list[JsonObject], list[JsonObject]]:
        """The native JSON objects of the candidates and judgements the person of
        `access` sees, candidates in their presentation order, embedding the stored JSON."""
        if not self.candidates and not self.judgements:
            return [], []
        view = self._view(access)
        shown = view.models_shown
        return [
            candidate_object(
                id=row.id,
                model=row.model if shown else None,
                model_version=row.model_version if shown else None,
                streams=orjson.Fragment(row.streams),
                metadata=orjson.Fragment(row.metadata),
            )
            for row in view.candidates
        ], [
            judgement_object(
                id=row.id,
                author=row.author,
                presented=orjson.Fragment(row.presented),
                pairs=orjson.Fragment(row.pairs),
                ranking=orjson.Fragment(row.ranking),
                scores=orjson.Fragment(row.scores),
                rationale=row.rationale,
                revision=row.revision,
            )
            for row in view.judgements
        ]


#: The sample ``:sample_id``'s row with its revision (``newest_event``).
_HEAD = Prepared(
    select(samples, NEWEST_OF_SAMPLE.scalar_subquery().label("newest_event")).where(
        samples.c.id == bindparam("sample_id")
    )
)
#: Each table's rows of the sample ``:sample_id``, in stored order.
_ROWS = {
    table.name: Prepared(rows_of_sample(table))
    for table in (streams, annotations, entities, links, judgements)
}
_CANDIDATES = Prepared(SAMPLE_CANDIDATES)


def load_snapshot(connection: Connection, sample_id: str) -> Snapshot:
    """The sample's rows and revision. The revision is read with the sample's own row,
    before the rest: under READ COMMITTED a change committed in between makes the rows newer
    than the revision, never older, so a write that checks the revision again under a lock
    never acts on outdated rows. Its selects run on the driver (`rosetta.store.direct`):
    every fetch and submission of a sample reads it."""
    bound = {"sample_id": sample_id}
    head = _HEAD.first(connection, bound)
    if head is None:
        raise NotFoundError("sample", sample_id)
    revision = head.newest_event or 0
    stream_rows = _ROWS["streams"].rows(connection, bound)
    work: dict[str, StoredObject] = {}
    for row in _ROWS["annotations"].rows(connection, bound):
        work[row.id] = StoredObject("annotation", row)
    entity_rows = _ROWS["entities"].rows(connection, bound)
    members = members_of(connection, [row.id for row in entity_rows])
    for row in entity_rows:
        work[row.id] = StoredObject("entity", row, members[row.id])
    for row in _ROWS["links"].rows(connection, bound):
        work[row.id] = StoredObject("link", row)
    candidates = _CANDIDATES.rows(connection, bound)
    return Snapshot(
        project_id=head.project_id,
        revision=revision,
        head=head,
        streams={row.id: stream_from_row(row) for row in stream_rows},
        work=work,
        candidates=candidates,
        judgements=_ROWS["judgements"].rows(connection, bound),
        models_revealed=bool(candidates) and models_revealed(connection, head.project_id),
    )


def seen_ids(
    sees: Callable[[str | None], bool],
    work: Iterable[Work],
    *,
    candidates_hidden: bool = False,
    hidden_streams: Collection[str] = frozenset(),
) -> set[str]:
    """The ids of the pieces of one sample's `work` (records and stored rows) a person
    sees, given whose work they see (`sees`), whether model candidates are hidden from
    them and the streams they may not see (whose annotations they do not see either):
    `rosetta.services.visibility.shown_ids`."""
    by_kind: dict[str, list[Work]] = {kind: [] for kind in KINDS}
    for item in work:
        by_kind[item.kind if isinstance(item, StoredObject) else kind_of(item)].append(item)
    hidden: set[str] = set()
    if hidden_streams:
        hidden = {item.id for item in by_kind["annotation"] if _stream(item) in hidden_streams}
    if candidates_hidden:
        hidden.update(item.id for item in by_kind["annotation"] if _candidate(item))
        hidden.update(item.id for item in by_kind["link"] if _model_link(item))
    return shown_ids(
        sees,
        ((item.id, _author(item)) for item in by_kind["annotation"]),
        ((item.id, _author(item), _members(item)) for item in by_kind["entity"]),
        ((item.id, _author(item), *_ends(item)) for item in by_kind["link"]),
        hidden=hidden,
    )


def _stream(item: Work) -> str | None:
    if isinstance(item, StoredObject):
        return cast(str | None, item.row.stream_id)
    return item.stream if isinstance(item, Annotation) else None


def _candidate(item: Work) -> bool:
    if isinstance(item, StoredObject):
        return candidate_row(item.row.source, item.revision)
    return isinstance(item, Annotation) and bool(candidate_ids([item], []))


def _model_link(item: Work) -> bool:
    if isinstance(item, StoredObject):
        return model_link_row(item.row.status, item.row.attributes)
    return isinstance(item, Link) and bool(candidate_ids([], [item]))


def seen_by(
    access: Access,
    assignment: Assignment | None,
    work: Iterable[Work],
    *,
    gold: bool,
    hidden_streams: Collection[str] = frozenset(),
) -> set[str]:
    """The ids of the pieces of one sample's `work` the person of `access` sees
    (`assignment`: theirs to the sample, if any; `gold`: whether it is a gold sample;
    `hidden_streams`: the streams they may not see, `Snapshot.hidden_streams`)."""
    if sees_every_sample(access):
        return {item.id for item in work}

    def sees(author: str | None) -> bool:
        return sees_work(access, assignment, author=author, gold=gold)

    hidden = assignment is not None and assignment.candidates_hidden
    return seen_ids(sees, work, candidates_hidden=hidden, hidden_streams=hidden_streams)


@dataclass(frozen=True)
class SeenJson:
    """A sample's native JSON as one person sees it, and the revision it is at."""

    revision: int
    body: bytes


def sample_json_as_seen(
    connection: Connection,
    sample_id: str,
    access: Access,
    assignment: Assignment | None,
    *,
    gold: bool,
) -> SeenJson:
    """The native JSON of the whole sample without the work the person of `access` may
    not see (`seen_by`), and its revision, read with the sample's own row before the rest
    (`load_snapshot`): the stored JSON is embedded, not parsed into records and written
    out again."""
    snapshot = load_snapshot(connection, sample_id)
    hidden_streams = snapshot.hidden_streams(access)
    shown = seen_by(
        access, assignment, snapshot.work.values(), gold=gold, hidden_streams=hidden_streams
    )
    work = [item for item in snapshot.work.values() if item.id in shown]
    return SeenJson(snapshot.revision, native_sample(snapshot, work, access=access))


def _author(item: Work) -> str | None:
    return item.row.author if isinstance(item, StoredObject) else item.author


def _members(item: Work) -> list[str]:
    if isinstance(item, StoredObject):
        return item.members
    return item.members if isinstance(item, Entity) else []


def _ends(item: Work) -> tuple[str, str]:
    if isinstance(item, StoredObject):
        return item.row.source_id, item.row.target_id
    return (item.source, item.target) if isinstance(item, Link) else ("", "")


def native_sample(snapshot: Snapshot, work: Iterable[Work], *, access: Access) -> bytes:
    """The native JSON of the sample holding `work` (records and stored rows, each kind in
    order), with the head and streams of `snapshot` and its candidates and judgements, as
    the person of `access` sees them (`Snapshot.preference_json`, `Snapshot.hidden_streams`)."""
    parts: dict[str, list[JsonObject]] = {kind: [] for kind in KINDS}
    for item in work:
        if isinstance(item, StoredObject):
            parts[item.kind].append(item.native())
        elif isinstance(item, Annotation):
            parts["annotation"].append(annotation_record(item))
        elif isinstance(item, Entity):
            parts["entity"].append(entity_record(item))
        else:
            parts["link"].append(link_record(item))
    head = snapshot.head
    hidden = snapshot.hidden_streams(access)
    candidates, judged = snapshot.preference_json(access)
    return orjson.dumps(
        sample_object(
            id=head.id,
            external_id=head.external_id,
            status=head.status,
            metadata=orjson.Fragment(head.metadata),
            streams=[
                stream_record(stream)
                for stream in snapshot.streams.values()
                if stream.id not in hidden
            ],
            annotations=parts["annotation"],
            entities=parts["entity"],
            links=parts["link"],
            ego_poses=None if head.ego_poses is None else orjson.Fragment(head.ego_poses),
            candidates=candidates,
            judgements=judged,
        )
    )
