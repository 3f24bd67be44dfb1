"""Escalations: an annotator asks a senior about an ambiguous sample, a senior answers, and
a manager may turn the answer into a clarification of a class's or relation type's
guideline.

A question is *asked* (`ask`) by someone who may annotate the sample, optionally about one
annotation, link or entity of it that they can see; it is ``open`` until a reviewer
*answers* it (``answered``) or its asker *withdraws* it (``withdrawn``). A manager may then
*clarify*: the question and answer (or an edited wording of them) become a dated
clarification of the guideline of a class or relation type, through an
``add_clarification`` migration (`rosetta.services.ontology_migrations.migrate_ontology_in`,
the ontology version the manager saw checked), and the escalation records which class or
relation and which ontology version (``clarified``), both in one transaction.

Every change is an event on the escalation (object kind ``escalation``; actions
``create``, ``answer``, ``withdraw``, ``clarify``; before and after the whole record), so
its history shows it. The events name no sample: asking about a sample must not change
the sample's revision, or the asker's unsaved work on it would meet a conflict.

Who sees what is `rosetta.core.policies.sees_escalation` (the question) and
`sees_escalation_answer` (the answer; `seen_by`, `shown_to`).
"""

import datetime
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Row, insert, select, union_all, update

from rosetta.core.errors import NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.ontology import Clarification
from rosetta.core.ontology_migration import AddClarification, Migration
from rosetta.core.policies import (
    Access,
    Assignment,
    can_answer_escalation,
    can_clarify_guideline,
    can_escalate,
    can_withdraw_escalation,
    sees_escalation,
    sees_escalation_answer,
    sees_work,
)
from rosetta.services.catalog import decode_cursor, encode_cursor
from rosetta.services.ontology_migrations import migrate_ontology_in
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import annotations, entities, escalations, links, samples

#: Where an escalation stands.
EscalationStatus = Literal["open", "answered", "withdrawn"]
STATUSES: tuple[str, ...] = get_args(EscalationStatus)

#: What a clarification is added to: a class or a relation type.
GuidelineOf = Literal["class", "relation"]

#: The longest question and answer, in characters.
MAX_QUESTION = 2000
MAX_ANSWER = 2000

#: The cursor kind of a project's escalation listing.
_LISTING = "escalations"


@dataclass(frozen=True)
class Clarified:
    """Where an escalation's answer went: the guideline of the class or relation type
    (`kind`) `name`, in the ontology version `version` that adding it made; by whom and
    when (seconds since the epoch)."""

    kind: GuidelineOf
    name: str
    version: int
    by: str
    at: float


@dataclass(frozen=True)
class Escalation:
    """A question about sample `sample` (and the annotation, link or entity `about`, if
    any) asked by `asked_by` at `asked_at` (seconds since the epoch), its status, the
    answer (``None`` while open, or where the reader may not see it), who answered and
    when, and the clarification it became (``None``: none)."""

    id: str
    project: str
    sample: str
    about: str | None
    asked_by: str
    question: str
    asked_at: float
    status: EscalationStatus
    answer: str | None
    answered_by: str | None
    answered_at: float | None
    clarified: Clarified | None


@dataclass(frozen=True)
class EscalationPage:
    """A page of a project's escalations, oldest first; ``next_cursor`` is ``None`` on the
    last."""

    items: list[Escalation]
    next_cursor: str | None


# --- reading ----------------------------------------------------------------------------


def find_escalation(connection: Connection, escalation_id: str) -> Escalation:
    """The escalation `escalation_id`, all of it (`NotFoundError` when there is none)."""
    row = connection.execute(
        select(escalations).where(escalations.c.id == escalation_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError("escalation", escalation_id)
    return _from_row(row)


def sample_escalations(connection: Connection, sample_id: str) -> list[Escalation]:
    """Every question about the sample, oldest first, all of it (`seen_by` filters it for a
    person)."""
    rows = connection.execute(
        select(escalations).where(escalations.c.sample_id == sample_id).order_by(escalations.c.pk)
    )
    return [_from_row(row) for row in rows]


def project_escalations(
    connection: Connection,
    project_id: str,
    *,
    status: EscalationStatus | None = None,
    clarified: bool | None = None,
    asked_by: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> EscalationPage:
    """A page of the project's escalations after `cursor`, oldest first, meeting every
    filter given: `status`, whether already `clarified`, and who asked (`asked_by`, the
    name an annotator's listing is kept to)."""
    query = select(escalations).where(
        escalations.c.project_id == project_id,
        escalations.c.pk > decode_cursor(_LISTING, cursor),
    )
    if status is not None:
        query = query.where(escalations.c.status == status)
    if clarified is not None:
        done = escalations.c.clarified.is_not(None)
        query = query.where(done if clarified else ~done)
    if asked_by is not None:
        query = query.where(escalations.c.asked_by == asked_by)
    rows = connection.execute(query.order_by(escalations.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return EscalationPage(
        items=[_from_row(row) for row in rows],
        next_cursor=encode_cursor(_LISTING, rows[-1].pk) if more else None,
    )


def shown_to(item: Escalation, access: Access) -> Escalation:
    """`item` without its answer (and who gave it) when the person of `access` may not see
    it (`sees_escalation_answer`)."""
    if sees_escalation_answer(access, asker=item.asked_by):
        return item
    return replace(item, answer=None, answered_by=None)


def seen_by(
    items: Sequence[Escalation], access: Access, assignment: Assignment | None, *, gold: bool
) -> list[Escalation]:
    """The questions about one sample that the person of `access` sees (`assignment`: theirs
    to the sample, if any; `gold`: whether it is a gold sample), each without an answer
    they may not see."""
    return [
        shown_to(item, access)
        for item in items
        if sees_escalation(access, assignment, asker=item.asked_by, gold=gold)
    ]


# --- writing ----------------------------------------------------------------------------


def ask(
    engine: Engine,
    actor: Actor,
    access: Access,
    assignment: Assignment | None,
    sample_id: str,
    *,
    question: str,
    about: str | None = None,
) -> Escalation:
    """Escalate `question` about the sample (and the annotation, link or entity `about` of
    it) to a senior; the open escalation.

    The asker (`access`, `assignment`: theirs to the sample) must be someone who may
    annotate the sample (else `PermissionDenied`). A blank question, one over
    `MAX_QUESTION` characters, or an `about` that is not an object of the sample the asker
    can see (the same answer either way: no existence leak) is a `RuleViolation`.
    """
    obj = f"question about sample {sample_id!r}"
    if not can_escalate(access, assignment):
        raise PermissionDenied("escalate a question about", f"sample {sample_id!r}")
    _check_text(obj, "question", question, MAX_QUESTION)
    with write_transaction(engine) as connection:
        gold = connection.execute(
            select(samples.c.gold).where(
                samples.c.id == sample_id, samples.c.project_id == access.project_id
            )
        ).scalar_one_or_none()
        if gold is None:
            raise NotFoundError("sample", sample_id)
        if about is not None:
            _check_about(
                connection,
                obj,
                about,
                access=access,
                assignment=assignment,
                sample_id=sample_id,
                gold=bool(gold),
            )
        escalation_id = uuid.uuid4().hex
        row = {
            "id": escalation_id,
            "project_id": access.project_id,
            "sample_id": sample_id,
            "object_id": about,
            "asked_by": actor.name,
            "question": question,
            "asked_at": time.time(),
            "status": "open",
        }
        connection.execute(insert(escalations).values(row))
        created = find_escalation(connection, escalation_id)
        events.record(connection, [_event(actor, "create", None, created)])
        return created


def answer(
    engine: Engine, actor: Actor, access: Access, escalation_id: str, *, text: str
) -> Escalation:
    """Answer the open escalation with `text`; the answered escalation.

    Reviewers and above (`access`, else `PermissionDenied`). A blank answer, one over
    `MAX_ANSWER` characters, or an escalation that is no longer open (answered or
    withdrawn meanwhile) is a `RuleViolation`; nothing is written then.
    """
    obj = f"escalation {escalation_id!r}"
    if not can_answer_escalation(access):
        raise PermissionDenied("answer", obj)
    _check_text(obj, "answer", text, MAX_ANSWER)
    with write_transaction(engine) as connection:
        before = _locked(connection, access, escalation_id)
        _require_status(obj, before, "open")
        values = {
            "status": "answered",
            "answer": text,
            "answered_by": actor.name,
            "answered_at": time.time(),
        }
        return _change(connection, actor, "answer", before, values)


def withdraw(engine: Engine, actor: Actor, access: Access, escalation_id: str) -> Escalation:
    """Withdraw the open escalation (only its asker, else `PermissionDenied`); the
    withdrawn escalation. One that is no longer open is a `RuleViolation`."""
    obj = f"escalation {escalation_id!r}"
    with write_transaction(engine) as connection:
        before = _locked(connection, access, escalation_id)
        if not can_withdraw_escalation(access, before.asked_by):
            raise PermissionDenied("withdraw", f"{obj}, which someone else asked")
        _require_status(obj, before, "open")
        return _change(connection, actor, "withdraw", before, {"status": "withdrawn"})


def clarify(
    engine: Engine,
    actor: Actor,
    access: Access,
    escalation_id: str,
    *,
    kind: GuidelineOf,
    name: str,
    expected_version: int,
    question: str | None = None,
    text: str | None = None,
    on: datetime.date | None = None,
) -> Escalation:
    """Add the answered escalation to the guideline of the class or relation type (`kind`)
    `name` as a clarification dated `on` (default: today, UTC), worded as the escalation's
    question and answer unless `question` or `text` (the answer) say otherwise; the
    escalation, recording which guideline and which ontology version (``clarified``).

    Managers and above (else `PermissionDenied`). The project's ontology must still be at
    `expected_version` (else `ConflictError`, nothing written); the class or relation must
    exist and have a guideline (else `OntologyError`). An escalation that is not answered,
    or was clarified already, or a wording the guideline cannot take (a question over 1,000
    characters: shorten it in `question`) is a `RuleViolation`.

    The ontology and the escalation change in one transaction, the escalation's row locked
    first: a failure leaves neither changed, and of two managers clarifying the same
    escalation at once the second finds it clarified (`RuleViolation`) and changes nothing.
    """
    obj = f"escalation {escalation_id!r}"
    if not can_clarify_guideline(access):
        raise PermissionDenied("clarify a guideline with", obj)
    with write_transaction(engine) as connection:
        before = _locked(connection, access, escalation_id)
        _require_clarifiable(obj, before)
        clarification = _clarification(
            obj,
            question=before.question if question is None else question,
            answer=before.answer if text is None else text,
            on=on or datetime.datetime.now(datetime.UTC).date(),
        )
        target = {"class": name} if kind == "class" else {"relation": name}
        operation = AddClarification.model_validate({**target, "clarification": clarification})
        migration = Migration(
            description=f"clarification from escalation {escalation_id}", operations=[operation]
        )
        report = migrate_ontology_in(
            connection, access.project_id, migration, actor, expected_version=expected_version
        )
        done = Clarified(kind, name, report.to_version, actor.name, time.time())
        return _change(connection, actor, "clarify", before, {"clarified": dumps(asdict(done))})


# --- the parts --------------------------------------------------------------------------


def _check_text(obj: str, field: str, text: str, longest: int) -> None:
    if not text.strip():
        raise RuleViolation(obj, field, f"escalation-{field}", "expected some text")
    if len(text) > longest:
        detail = f"expected at most {longest} characters, got {len(text)}"
        raise RuleViolation(obj, field, f"escalation-{field}", detail)


def _check_about(
    connection: Connection,
    obj: str,
    about: str,
    *,
    access: Access,
    assignment: Assignment | None,
    sample_id: str,
    gold: bool,
) -> None:
    """Refuse an `about` that is not an annotation, link or entity of the sample whose
    author's work the asker sees."""
    authors = connection.execute(
        union_all(
            *(
                select(table.c.author).where(table.c.id == about, table.c.sample_id == sample_id)
                for table in (annotations, links, entities)
            )
        )
    ).first()
    if authors is None or not sees_work(access, assignment, author=authors.author, gold=gold):
        detail = f"{about!r} is not an annotation, link or entity of the sample"
        raise RuleViolation(obj, "about", "escalation-about", detail)


def _require_status(obj: str, item: Escalation, wanted: EscalationStatus) -> None:
    if item.status != wanted:
        detail = f"expected an {wanted} question, but it is {item.status}"
        raise RuleViolation(obj, "status", "escalation-status", detail)


def _require_clarifiable(obj: str, item: Escalation) -> None:
    _require_status(obj, item, "answered")
    if item.clarified is not None:
        where = f"{item.clarified.kind} {item.clarified.name!r}"
        detail = f"it was added to the guideline of {where} already"
        raise RuleViolation(obj, "clarified", "escalation-clarified", detail)


def _clarification(
    obj: str, *, question: str, answer: str | None, on: datetime.date
) -> Clarification:
    """The clarification to add, or a `RuleViolation` naming what the guideline refuses."""
    try:
        return Clarification(date=on, question=question, answer=answer or "")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise RuleViolation(obj, field, "escalation-clarification", first["msg"]) from exc


def _locked(connection: Connection, access: Access, escalation_id: str) -> Escalation:
    """The escalation, its row locked until the transaction ends (`_in_project`)."""
    return _in_project(connection, access, escalation_id, lock=True)


def _in_project(
    connection: Connection, access: Access, escalation_id: str, *, lock: bool = False
) -> Escalation:
    """The escalation (its row locked when `lock`); `NotFoundError` when it is not one of
    the project of `access`."""
    query = select(escalations).where(
        escalations.c.id == escalation_id, escalations.c.project_id == access.project_id
    )
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError("escalation", escalation_id)
    return _from_row(row)


def _change(
    connection: Connection,
    actor: Actor,
    action: str,
    before: Escalation,
    values: dict[str, Any],
) -> Escalation:
    """Write `values` to the escalation `before` and record the `action` event; after."""
    connection.execute(update(escalations).where(escalations.c.id == before.id).values(values))
    after = find_escalation(connection, before.id)
    events.record(connection, [_event(actor, action, before, after)])
    return after


def _event(
    actor: Actor, action: str, before: Escalation | None, after: Escalation
) -> dict[str, Any]:
    """The escalation's event: the whole record before and after (no sample: see the
    module)."""
    return events.event_row(
        after.project,
        actor,
        "escalation",
        after.id,
        action,
        before=None if before is None else asdict(before),
        after=asdict(after),
    )


def _from_row(row: Row[Any]) -> Escalation:
    clarified = None if row.clarified is None else Clarified(**orjson.loads(row.clarified))
    return Escalation(
        id=row.id,
        project=row.project_id,
        sample=row.sample_id,
        about=row.object_id,
        asked_by=row.asked_by,
        question=row.question,
        asked_at=row.asked_at,
        status=row.status,
        answer=row.answer,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        clarified=clarified,
    )
