"""Submitting a sample's work whole: the submitter's complete intended set of the
annotations, entities and links they see on it (`rosetta.services.visibility`).

Compared with what is stored, an object with a new id is created (by the submitter, at
revision 1, under the current ontology), a known one whose editable fields changed is
updated, and a visible one left out is deleted. Each known object carries the revision it
was read at; an older one is a `ConflictError` naming it. Editable are an annotation's
label, geometry and attributes (its stream is fixed), an entity's label and members, and a
link's type, ends, attributes and status; other fields (author, source, flags, revisions)
are the store's. A changed link goes back to ``proposed`` as in
`rosetta.services.editing.edited_link`; a change of its status is a reviewer's
(`PermissionDenied` otherwise) and a link confirmed here records its ends' revisions after
the submission.

The set must hold together: entities and links may name only annotations and entities of
the set, and annotations only streams the submitter sees (another evaluator's rationale is
refused as a stream the sample does not have). What the submitter does not see stays, except as deleting theirs implies, as in
`services.editing`: a hidden link touching a deleted object goes with it and a hidden
entity loses a deleted member. Confirmed links whose end changed, or an entity holding it,
turn stale. Every change is an event by the submitter.

`submit_sample` decides and validates everything on a snapshot, outside the write lock;
then one transaction takes the sample exclusively, checks that its revision is still the
one the submitter read, and writes with one batched statement per table and kind of
change. A failure writes nothing. Objects arrive as their JSON; one left as it was read is
recognised on the JSON (`sample_snapshot.StoredObject.same`), so only new and changed
ones are parsed and validated, and stored rows become records only where a change needs
them.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import IntegrityError

from rosetta.core.errors import ConflictError, NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Access, Assignment, can_review
from rosetta.core.schema import Annotation, Entity, Link
from rosetta.core.validation import Endpoint, check_annotation, check_entity, check_link
from rosetta.formats.native import field_path
from rosetta.services.bulk_write import WritePlan, check_new_ids, write_plan
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import (
    LINK_COLUMNS,
    Record,
    change_note,
    conflict,
    edited_link,
    work_event,
)
from rosetta.services.projects import load_ontology
from rosetta.services.sample_snapshot import (
    KINDS,
    Snapshot,
    StoredObject,
    Work,
    load_snapshot,
    native_sample,
    seen_by,
)
from rosetta.store.direct import Prepared
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import annotation_row, entity_row, link_row, member_rows
from rosetta.store.tables import (
    projects,
    samples,
)

#: A submitted object: its JSON object (as the API receives it) or its record.
Given = Mapping[str, Any] | Annotation | Entity | Link

#: The longest id the store keeps.
MAX_ID = 64

R = TypeVar("R", Annotation, Entity, Link)


@dataclass(frozen=True)
class Submission:
    """The submitter's complete intended work on one sample."""

    annotations: Sequence[Given] = ()
    entities: Sequence[Given] = ()
    links: Sequence[Given] = ()


@dataclass(frozen=True)
class Submitter:
    """Who submits: the author of the changes, their access to the sample's project and
    assignment to the sample, and whether it is a gold sample (what they see of it)."""

    actor: Actor
    access: Access
    assignment: Assignment | None
    gold: bool

    def seen(self, snapshot: Snapshot, work: Sequence[Work]) -> set[str]:
        """The ids of the pieces of `work` on the sample of `snapshot` the submitter sees
        (none on the rationale streams of others' judgements)."""
        hidden = snapshot.hidden_streams(self.access)
        return seen_by(self.access, self.assignment, work, gold=self.gold, hidden_streams=hidden)


@dataclass(frozen=True)
class Submitted:
    """The outcome: the sample as the submitter sees it now (its native JSON), its
    revision, and how many of the submitted objects were created, updated, deleted and
    left as they were, and how many of the links they see turned stale."""

    sample: bytes
    revision: int
    created: int
    updated: int
    deleted: int
    unchanged: int
    stale: int


@dataclass(frozen=True)
class _Change:
    """What becomes of a stored object: the record `after`, the event's action and note."""

    after: Record
    action: str = "update"
    note: str | None = None


def submit_sample(
    engine: Engine,
    sample_id: str,
    expected_revision: int,
    submission: Submission,
    submitter: Submitter,
) -> Submitted:
    """Make the submitter's work on the sample what `submission` says (see the module).

    `expected_revision` is the sample revision the submitter read
    (`catalog.sample_revision`); an older one is a `ConflictError` carrying the sample as
    they see it now.
    """
    with engine.connect() as connection:
        snapshot = load_snapshot(connection, sample_id)
        if snapshot.revision != expected_revision:
            raise _stale_sample(snapshot, expected_revision, submitter)
        planner = _Planner(snapshot, submitter, load_ontology(connection, snapshot.project_id))
        planner.decide(submission)
        check_new_ids(connection, sample_id, planner.new_ids)
    plan = planner.plan()
    revision = plan.revision
    if plan.events:
        with write_transaction(engine) as connection:
            _check_unchanged(connection, sample_id, plan, submitter)
            try:
                write_plan(connection, sample_id, plan)
            except IntegrityError:
                # under the sample's lock only another sample's write can clash with this
                # one: by taking one of its new ids since `check_new_ids`
                raise RuleViolation(
                    f"sample {sample_id!r}",
                    "id",
                    "ids-unique",
                    "an id of this submission was taken meanwhile by another write",
                ) from None
            revision = sample_revision(connection, sample_id)
    return Submitted(sample=plan.result, revision=revision, **plan.counts)


def _stale_sample(snapshot: Snapshot, expected: int, submitter: Submitter) -> ConflictError:
    """The conflict of a submission based on revision `expected` of the sample, carrying
    the sample as the submitter sees it now."""
    work = list(snapshot.work.values())
    seen = submitter.seen(snapshot, work)
    current = native_sample(
        snapshot, [item for item in work if item.id in seen], access=submitter.access
    )
    return ConflictError(
        f"sample {snapshot.head.id!r}", expected, snapshot.revision, current=orjson.loads(current)
    )


# --- deciding -------------------------------------------------------------------------------


class _Final(Mapping[str, R], Generic[R]):
    """The objects of one kind the submission keeps, by id, as they will be: the records of
    those it writes, and stored rows (parsed only when asked for) of the others."""

    def __init__(self) -> None:
        self.written: dict[str, R] = {}
        self.kept: dict[str, StoredObject] = {}

    def __getitem__(self, ident: str) -> R:
        found = self.written.get(ident)
        return found if found is not None else cast(R, self.kept[ident].record)

    def __contains__(self, ident: object) -> bool:
        return ident in self.written or ident in self.kept

    def __iter__(self) -> Iterator[str]:
        return iter([*self.written, *self.kept])

    def __len__(self) -> int:
        return len(self.written) + len(self.kept)

    def members(self, ident: str) -> list[str]:
        """The members of entity `ident` (without parsing its row)."""
        found = self.written.get(ident)
        return found.members if isinstance(found, Entity) else self.kept[ident].members


class _Endpoints(Mapping[str, Endpoint]):
    """The annotations and the entities the submission keeps, by id."""

    def __init__(self, annotations: _Final[Annotation], entities: _Final[Entity]) -> None:
        self.parts: tuple[Mapping[str, Endpoint], ...] = (annotations, entities)

    def __getitem__(self, ident: str) -> Endpoint:
        for part in self.parts:
            if ident in part:
                return part[ident]
        raise KeyError(ident)

    def __contains__(self, ident: object) -> bool:
        return any(ident in part for part in self.parts)

    def __iter__(self) -> Iterator[str]:
        return iter([ident for part in self.parts for ident in part])

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)


class _Planner:
    """Works out one submission against a snapshot of the sample, in memory: validates it
    and decides what becomes of every object."""

    def __init__(self, snapshot: Snapshot, submitter: Submitter, ontology: Ontology) -> None:
        self.snapshot = snapshot
        self.submitter = submitter
        self.ontology = ontology
        self.stored = snapshot.work
        self.seen = submitter.seen(snapshot, list(self.stored.values()))
        # the streams the submitter sees: another's rationale is as if it were not there
        hidden = snapshot.hidden_streams(submitter.access)
        self.streams = {k: v for k, v in snapshot.streams.items() if k not in hidden}
        # the submitted objects as they will be
        self.annotations: _Final[Annotation] = _Final()
        self.entities: _Final[Entity] = _Final()
        self.links: _Final[Link] = _Final()
        self.endpoints = _Endpoints(self.annotations, self.entities)
        self.new_ids: dict[str, str] = {}  # id -> where the submission gives it
        # what happens: created, changed (stored id -> change), left as they were, deleted
        self.created: list[Record] = []
        self.changed: dict[str, _Change] = {}
        self.unchanged = 0
        self.deleted: list[StoredObject] = []
        self.stale = 0

    def decide(self, submission: Submission) -> None:
        """Validate `submission` and decide what becomes of every object of the sample."""
        given = self._check_ids(submission)
        for kind, decide in (
            ("annotation", self._annotation),
            ("entity", self._entity),
            ("link", self._link),
        ):
            for index, item in enumerate(given[kind]):
                try:
                    decide(item)
                except RuleViolation as exc:
                    raise exc.within(f"{_PLURAL[kind]}[{index}]") from None
        kept = {*self.annotations, *self.entities, *self.links}
        self.deleted = sorted(
            (item for item in self.stored.values() if item.id in self.seen and item.id not in kept),
            key=lambda item: _DELETION_ORDER[item.kind],
        )
        self._cascade()
        self._mark_stale()

    # the submitted objects

    def _check_ids(self, submission: Submission) -> dict[str, list[Mapping[str, Any]]]:
        """The submitted JSON objects by kind, after checking their ids and revisions."""
        named: set[str] = set()
        out: dict[str, list[Mapping[str, Any]]] = {kind: [] for kind in KINDS}
        parts = zip(
            KINDS, (submission.annotations, submission.entities, submission.links), strict=True
        )
        for kind, items in parts:
            for index, item in enumerate(items):
                given = _as_json(item)
                ident = given.get("id") if isinstance(given, Mapping) else None
                revision = given.get("revision", 1) if ident is not None else None
                if not isinstance(ident, str) or type(revision) is not int:
                    with _at(f"{_PLURAL[kind]}[{index}]"):
                        record = _record(kind, given)
                    ident, revision = record.id, record.revision
                known = self.stored.get(ident)
                problem = None
                if ident in named:
                    problem = "ids-unique", f"id {ident!r} is used twice"
                elif known is None and len(ident) > MAX_ID:
                    problem = "id-length", f"an id has at most {MAX_ID} characters"
                elif known is not None and (ident not in self.seen or known.kind != kind):
                    problem = "ids-unique", f"id {ident!r} is in use already"
                if problem is not None:
                    where = f"{_PLURAL[kind]}[{index}].id"
                    raise RuleViolation(f"{kind} {ident!r}", where, *problem)
                if known is None:
                    self.new_ids[ident] = f"{_PLURAL[kind]}[{index}].id"
                elif revision != known.revision:
                    raise conflict(known.record, revision)
                named.add(ident)
                out[kind].append(given)
        return out

    def _annotation(self, given: Mapping[str, Any]) -> None:
        stored = self.stored.get(given["id"])
        if stored is None:
            created = _parse(Annotation, given).model_copy(
                update={
                    "revision": 1,
                    "ontology_version": self.ontology.version,
                    "author": self.submitter.actor.name,
                    "flags": [],
                }
            )
            check_annotation(created, self.streams, self.ontology, allow_deprecated=False)
            self.annotations.written[created.id] = created
            self.created.append(created)
            return
        before = cast(Annotation, stored.record) if not stored.same(given) else None
        if before is None:
            self.annotations.kept[stored.id] = stored
            self.unchanged += 1
            return
        record = _parse(Annotation, given)
        if record.stream != before.stream:
            raise RuleViolation(
                f"annotation {record.id!r}",
                "stream",
                "stream-fixed",
                f"an annotation stays on its stream {before.stream!r}; "
                "delete it and create a new one on the other stream",
            )
        changes = _changes(record, before, ("label", "geometry", "attributes"))
        if not changes:
            self.annotations.kept[stored.id] = stored
            self.unchanged += 1
            return
        after = before.model_copy(
            update={
                **changes,
                "revision": before.revision + 1,
                "ontology_version": self.ontology.version,
            }
        )
        allow_deprecated = "label" not in changes
        check_annotation(after, self.streams, self.ontology, allow_deprecated=allow_deprecated)
        self.annotations.written[after.id] = after
        self.changed[after.id] = _Change(after)

    def _entity(self, given: Mapping[str, Any]) -> None:
        stored = self.stored.get(given["id"])
        if stored is None:
            created = _parse(Entity, given).model_copy(
                update={"revision": 1, "author": self.submitter.actor.name}
            )
            check_entity(created, self.annotations, self.ontology, allow_deprecated=False)
            self.entities.written[created.id] = created
            self.created.append(created)
            return
        changes = {}
        if not stored.same(given):
            before = cast(Entity, stored.record)
            changes = _changes(_parse(Entity, given), before, ("label", "members"))
        if not changes:
            for index, member in enumerate(stored.members):
                if member not in self.annotations:
                    raise RuleViolation(
                        f"entity {stored.id!r}",
                        f"members[{index}]",
                        "entity-member",
                        f"{member!r} is not an annotation of the sample",
                    )
            self.entities.kept[stored.id] = stored
            self.unchanged += 1
            return
        after = before.model_copy(update={**changes, "revision": before.revision + 1})
        allow_deprecated = "label" not in changes
        check_entity(after, self.annotations, self.ontology, allow_deprecated=allow_deprecated)
        self.entities.written[after.id] = after
        self.changed[after.id] = _Change(after, note=", ".join(changes))

    def _link(self, given: Mapping[str, Any]) -> None:
        stored = self.stored.get(given["id"])
        if stored is None:
            link = _parse(Link, given)
            if link.status != "proposed":
                self._may_set_status(link)
            created = link.model_copy(update={"revision": 1, "author": self.submitter.actor.name})
            self._check_link(created)
            created = self._confirmed_at(created)
            self.links.written[created.id] = created
            self.created.append(created)
            return
        if stored.same(given):
            row = stored.row
            for end, ident in (("source", row.source_id), ("target", row.target_id)):
                if ident not in self.endpoints:
                    raise RuleViolation(
                        f"link {stored.id!r}",
                        end,
                        "link-endpoint",
                        f"{ident!r} is not an annotation or entity of the sample",
                    )
            self.links.kept[stored.id] = stored
            self.unchanged += 1
            return
        before, link = cast(Link, stored.record), _parse(Link, given)
        changes = _changes(link, before, ("type", "source", "target", "attributes"))
        after = edited_link(before, changes)
        action = "update"
        if link.status != before.status:
            self._may_set_status(link)
            after = after.model_copy(update={"status": link.status})
            if not changes:
                action = {"confirmed": "confirm", "rejected": "reject"}.get(link.status, action)
        if changes or after.status == "confirmed":
            self._check_link(after)
        after = self._confirmed_at(after)
        self.links.written[after.id] = after
        self.changed[after.id] = _Change(after, action)

    def _check_link(self, link: Link) -> None:
        check_link(link, self.endpoints, self.streams, self.annotations, self.ontology)

    def _confirmed_at(self, link: Link) -> Link:
        """A confirmed `link` with its ends' revisions after the submission."""
        if link.status != "confirmed":
            return link
        return link.model_copy(
            update={
                "source_revision": self.endpoints[link.source].revision,
                "target_revision": self.endpoints[link.target].revision,
            }
        )

    def _may_set_status(self, link: Link) -> None:
        if not can_review(self.submitter.access):
            raise PermissionDenied(f"set the status of link {link.id!r} to", repr(link.status))

    # what follows from it

    def _cascade(self) -> None:
        """Hidden work follows the deletions: links touching a deleted object go with it,
        entities lose deleted members (and change)."""
        gone = {item.id: item.kind for item in self.deleted}
        if not gone:
            return
        for stored in self.stored.values():
            if stored.id in self.seen:
                continue
            if stored.kind == "entity":
                lost = [member for member in stored.members if member in gone]
                if lost:
                    before = cast(Entity, stored.record)
                    after = before.model_copy(
                        update={
                            "members": [m for m in before.members if m not in gone],
                            "revision": before.revision + 1,
                        }
                    )
                    note = ", ".join(f"member annotation {m!r} was deleted" for m in lost)
                    self.changed[stored.id] = _Change(after, note=note)
            elif stored.kind == "link":
                ends = [end for end in (stored.row.source_id, stored.row.target_id) if end in gone]
                if ends:
                    note = f"its endpoint {gone[ends[0]]} {ends[0]!r} was deleted"
                    self.changed[stored.id] = _Change(stored.record, "delete", note)

    def _mark_stale(self) -> None:
        """Confirmed links left as they were turn stale when an end, or an entity holding
        an end, changed."""
        ends: dict[str, str] = {}
        for ident, change in self.changed.items():
            after = change.after
            if isinstance(after, Link):
                continue
            kind = "annotation" if isinstance(after, Annotation) else "entity"
            note = change_note(kind, ident, self.stored[ident].revision, after.revision)
            ends[ident] = note if kind == "annotation" else f"{note} ({change.note})"
        if not ends:
            return
        for entity, members in self._memberships():
            notes = [ends[member] for member in members if member in ends]
            if notes and entity not in ends:
                ends[entity] = f"entity {entity!r}, whose member {'; '.join(notes)}"
        for stored in self.stored.values():
            row = stored.row
            if (
                stored.kind != "link"
                or row.status != "confirmed"
                or stored.id in self.changed
                or (stored.id in self.seen and stored.id not in self.links)
                or (row.source_id not in ends and row.target_id not in ends)
            ):
                continue
            which = (("source", row.source_id), ("target", row.target_id))
            note = "; ".join(f"{end} {ends[ident]}" for end, ident in which if ident in ends)
            before = stored.record
            after = before.model_copy(update={"status": "stale", "revision": before.revision + 1})
            self.changed[stored.id] = _Change(after, "stale", note)
            self.stale += stored.id in self.seen  # (hidden ones are not the submitter's to know)

    def _memberships(self) -> Iterator[tuple[str, list[str]]]:
        """Every entity of the sample after the submission with its members."""
        for ident in self.entities:
            yield ident, self.entities.members(ident)
        for stored in self.stored.values():
            if stored.kind == "entity" and stored.id not in self.seen:
                change = self.changed.get(stored.id)
                after = change.after if change is not None else None
                yield stored.id, after.members if isinstance(after, Entity) else stored.members

    # the outcome

    def plan(self) -> WritePlan:
        """The rows and events of what was decided, and the sample after it."""
        project_id, sample_id = self.snapshot.project_id, self.snapshot.head.id
        plan = WritePlan(
            project_id=project_id,
            revision=self.snapshot.revision,
            ontology_version=self.ontology.version,
            result=self._result(),
            counts={
                "created": len(self.created),
                "updated": sum(
                    1
                    for ident, change in self.changed.items()
                    if ident in self.seen and change.action not in {"stale", "delete"}
                ),
                "deleted": len(self.deleted),
                "unchanged": self.unchanged,
                "stale": self.stale,
            },
        )
        actor = self.submitter.actor

        def event(item: Record, action: str, **kwargs: Any) -> dict[str, Any]:
            kind = _KIND[type(item)]
            return work_event(
                project_id, actor, kind, item.id, action, sample_id=sample_id, **kwargs
            )

        for item in self.created:
            plan.events.append(event(item, "create", after=item))
            if isinstance(item, Annotation):
                plan.inserts["annotations"].append(annotation_row(item, project_id, sample_id))
            elif isinstance(item, Entity):
                plan.inserts["entities"].append(entity_row(item, project_id, sample_id))
                plan.inserts["members"] += member_rows(item)
            else:
                plan.inserts["links"].append(link_row(item, project_id, sample_id))
        for ident, change in self.changed.items():
            before = self.stored[ident].record
            if change.action == "delete":
                plan.events.append(event(before, "delete", before=before, note=change.note))
                plan.deleted_links.append(ident)
                continue
            note = change.note if ident not in self.seen or change.action == "stale" else None
            plan.events.append(
                event(change.after, change.action, before=before, after=change.after, note=note)
            )
            self._update_row(plan, before, change.after)
        for stored in self.deleted:
            plan.events.append(event(stored.record, "delete", before=stored.record))
            {
                "link": plan.deleted_links,
                "entity": plan.deleted_entities,
                "annotation": plan.deleted_annotations,
            }[stored.kind].append(stored.id)
        return plan

    def _result(self) -> bytes:
        """The native JSON of the sample after the submission as the submitter sees it."""
        gone = {item.id for item in self.deleted}
        gone |= {ident for ident, change in self.changed.items() if change.action == "delete"}
        work: list[Work] = []
        for kind in KINDS:
            for stored in self.snapshot.of_kind(kind):
                change = self.changed.get(stored.id)
                if stored.id in gone:
                    continue
                work.append(stored if change is None else change.after)
            work += [item for item in self.created if _KIND[type(item)] == kind]
        if len(self.seen) == len(self.stored):
            # they saw all of it: what stays is seen by author, what is new is theirs, and
            # every member and end is one of these
            return native_sample(self.snapshot, work, access=self.submitter.access)
        seen = self.submitter.seen(self.snapshot, work)
        return native_sample(
            self.snapshot,
            [item for item in work if item.id in seen],
            access=self.submitter.access,
        )

    def _update_row(self, plan: WritePlan, before: Record, after: Record) -> None:
        project_id, sample_id = plan.project_id, self.snapshot.head.id
        key = {"b_id": after.id, "b_revision": before.revision, "revision": after.revision}
        if isinstance(after, Annotation):
            row = annotation_row(after, project_id, sample_id)
            columns = ("label", "geometry", "attributes", "ontology_version")
            plan.updates["annotations"].append(key | {name: row[name] for name in columns})
        elif isinstance(after, Entity):
            assert isinstance(before, Entity)
            plan.updates["entities"].append(key | {"label": after.label})
            if after.members != before.members:
                plan.rewritten_members.append(after.id)
                plan.inserts["members"] += member_rows(after)
        else:
            row = link_row(after, project_id, sample_id)
            plan.updates["links"].append(key | {name: row[name] for name in LINK_COLUMNS})


_PLURAL = {"annotation": "annotations", "entity": "entities", "link": "links"}
_KIND: dict[type[BaseModel], str] = {Annotation: "annotation", Entity: "entity", Link: "link"}
#: Links first, then entities, then annotations: what points goes before what it names.
_DELETION_ORDER = {"link": 0, "entity": 1, "annotation": 2}


def _as_json(item: Given) -> Any:
    """A submitted object as JSON (anything, until checked)."""
    return item.model_dump(mode="json", exclude_none=True) if isinstance(item, BaseModel) else item


def _record(kind: str, given: Any) -> Record:
    """The record of the JSON object `given` of `kind` (see `_parse`)."""
    if kind == "annotation":
        return _parse(Annotation, given)
    return _parse(Entity, given) if kind == "entity" else _parse(Link, given)


def _parse(model: type[R], given: Any) -> R:
    """The record of JSON object `given`; a `RuleViolation` naming the first field that
    is not what the model expects."""
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        ident = given.get("id") if isinstance(given, Mapping) else None
        kind = _KIND[model]
        raise RuleViolation(
            f"{kind} {ident!r}", field_path(error["loc"]), "schema", error["msg"]
        ) from None


def _changes(given: Record, before: Record, names: Sequence[str]) -> dict[str, Any]:
    """The fields `names` of `given` that differ from `before`."""
    return {
        name: getattr(given, name)
        for name in names
        if getattr(given, name) != getattr(before, name)
    }


@contextmanager
def _at(prefix: str) -> Iterator[None]:
    """Put `prefix` before the field path of a `RuleViolation` raised in the block."""
    try:
        yield
    except RuleViolation as exc:
        raise exc.within(prefix) from None


# --- writing --------------------------------------------------------------------------------


#: The project's ontology version, locked against a migration until the transaction ends.
_LOCK_ONTOLOGY_VERSION = Prepared(
    select(projects.c.ontology_version)
    .where(projects.c.id == bindparam("project_id"))
    .with_for_update(read=True)
)
#: The sample's row, locked against other whole-sample writes.
_LOCK_SAMPLE = Prepared(
    select(samples.c.id).where(samples.c.id == bindparam("sample_id")).with_for_update()
)


def _check_unchanged(
    connection: Connection, sample_id: str, plan: WritePlan, submitter: Submitter
) -> None:
    """Lock the sample and check that what the plan was decided on still holds."""
    project = _LOCK_ONTOLOGY_VERSION.first(connection, {"project_id": plan.project_id})
    if project is None:  # deleted since the snapshot, with its samples
        raise NotFoundError("sample", sample_id)
    version = project.ontology_version
    _LOCK_SAMPLE.rows(connection, {"sample_id": sample_id})
    revision = sample_revision(connection, sample_id)
    if revision != plan.revision:
        raise _stale_sample(load_snapshot(connection, sample_id), plan.revision, submitter)
    if version != plan.ontology_version:
        raise ConflictError(
            f"ontology of project {plan.project_id!r}", plan.ontology_version, version
        )
