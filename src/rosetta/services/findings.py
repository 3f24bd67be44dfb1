"""Findings as data: what the QA checks found, stored with a status that the checks and
people change, listed, counted and audited.

A finding is stored once per problem of a sample, identified by its *key* (the check and
its subjects, `rosetta.core.checks.Finding.key`; the column holds its SHA-256 digest).
`record_findings` writes what the checks found on one sample:

- a finding not stored yet is inserted ``open``;
- one stored already takes the new message, fix, severity and detail and its
  ``last_seen``; a ``resolved`` one found again is ``open`` again (a problem that came
  back), a ``waived`` one stays waived;
- a stored ``open`` finding of a check that ran on the sample and did not find it again
  is ``resolved`` by the checks (``status_by`` null).

People change a finding's status with `set_finding_status` (``waived`` needs a reason),
sending the revision they read; a stale one is a `ConflictError`. Every status change,
by the checks or by a person, bumps the revision; a person's is also an event (object
kind ``finding``; actions ``reopen``, ``resolve``, ``waive``; the record before and
after), so the object's history shows it. The events name no sample: a finding's status
is no change of the sample, whose revision must not move (an annotator's unsaved work on
it would meet a conflict) and whose checks must not run again for it.

``finding_authors`` holds the authors of the annotations, entities and links each finding
is about, for the per-annotator counts (`findings_summary`, annotator metrics) and the
listing's ``annotator`` filter. An annotator sees a sample's findings only where they see
every one of its subjects (`seen_by`).
"""

import hashlib
import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Row,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    tuple_,
    union_all,
    update,
)

from rosetta.core.checks import Finding, Severity
from rosetta.core.errors import ConflictError, NotFoundError, RosettaError, RuleViolation
from rosetta.core.policies import Access, Assignment, sees_every_sample
from rosetta.services.catalog import decode_cursor, encode_cursor
from rosetta.services.sample_snapshot import load_snapshot
from rosetta.services.sample_snapshot import seen_by as work_seen_by
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.id_lists import among
from rosetta.store.tables import annotations, entities, finding_authors, findings, links

#: Where a finding stands.
FindingStatus = Literal["open", "resolved", "waived"]
STATUSES: tuple[str, ...] = get_args(FindingStatus)

#: The longest reason for a status change, in characters.
MAX_REASON = 2000

#: The check whose findings of detail kind ``drift`` are hierarchy drift (a finer and a
#: coarser class for one entity across modalities), counted in `findings_summary`.
DRIFT_CHECK = "entity-consistency"

#: The event action of a person's change to each status.
_ACTIONS: dict[str, str] = {"open": "reopen", "resolved": "resolve", "waived": "waive"}

#: The cursor kind of a project's finding listing.
_LISTING = "findings"

#: Seconds in a day, for counting findings by the day they were first seen (UTC).
_DAY = 86400


@dataclass(frozen=True)
class FindingRecord:
    """A stored finding: what check found what on which sample (`subjects`: the ids of
    the annotations, entities and links involved, the first the one to look at first;
    `detail`: the numbers behind the message), its status, who changed that last
    (``None``: the checks) and why, when it was first and last found and when its status
    changed (seconds since the epoch), and its revision."""

    id: str
    project: str
    sample: str
    check: str
    severity: Severity
    status: FindingStatus
    message: str
    fix: str | None
    subjects: list[str]
    detail: dict[str, Any]
    revision: int
    first_seen: float
    last_seen: float
    status_changed_at: float | None
    status_by: str | None
    reason: str | None


@dataclass(frozen=True)
class FindingPage:
    """A page of a project's findings, oldest first; ``next_cursor`` is ``None`` on the
    last."""

    items: list[FindingRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class Recorded:
    """What `record_findings` did on one sample: findings found (distinct keys), of them
    new and reopened, and stored ones resolved."""

    found: int = 0
    new: int = 0
    reopened: int = 0
    resolved: int = 0

    def __add__(self, other: "Recorded") -> "Recorded":
        return Recorded(
            self.found + other.found,
            self.new + other.new,
            self.reopened + other.reopened,
            self.resolved + other.resolved,
        )


def finding_key(finding: Finding) -> str:
    """The stored key of `finding`: the SHA-256 hex digest of `Finding.key`."""
    return hashlib.sha256(finding.key.encode()).hexdigest()


# --- what the checks found ------------------------------------------------------------------


def record_findings(
    connection: Connection,
    project_id: str,
    sample_id: str,
    found: Iterable[Finding],
    checks_run: Collection[str],
    *,
    at: float | None = None,
) -> Recorded:
    """Store what the checks `checks_run` found on the sample (`found`; see the module for
    what becomes of each stored finding), in the caller's transaction, at time `at`
    (default: now). Findings of checks that did not run are left as they are. Two findings
    with one key are one (the first is kept); a finding about another sample is an error."""
    return record_many(connection, project_id, [(sample_id, found, checks_run)], at=at)


#: One sample's findings to record: the sample, what was found, the checks that ran.
SampleFindings = tuple[str, Iterable[Finding], Collection[str]]


def record_many(
    connection: Connection,
    project_id: str,
    checked: Sequence[SampleFindings],
    *,
    at: float | None = None,
) -> Recorded:
    """`record_findings` of several samples at once, with a handful of statements for all
    of them (a batch run records hundreds of samples per transaction)."""
    now = time.time() if at is None else at
    wanted: dict[tuple[str, str], Finding] = {}
    ran: dict[str, set[str]] = {}
    for sample_id, found, checks_run in checked:
        ran[sample_id] = set(checks_run)
        for finding in found:
            if finding.sample != sample_id:
                raise RosettaError(
                    f"check {finding.check!r} reported a finding on sample {finding.sample!r} "
                    f"while checking sample {sample_id!r}"
                )
            wanted.setdefault((sample_id, finding_key(finding)), finding)
    if not ran:
        return Recorded()
    sample_ids = sorted(ran)
    stored = {
        (row.sample_id, row.key): row
        for row in connection.execute(_STORED, {"project_id": project_id, "sample_ids": sample_ids})
    }
    if not wanted and not stored:
        return Recorded()
    gone = [
        row.pk
        for where, row in stored.items()
        if where not in wanted and row.status == "open" and row.check in ran[where[0]]
    ]
    if gone:
        connection.execute(
            update(findings)
            .where(findings.c.pk.in_(gone))
            .values(
                status="resolved",
                status_by=None,
                reason=None,
                status_changed_at=now,
                revision=findings.c.revision + 1,
            )
        )
    new = [where for where in wanted if where not in stored]
    if new:
        connection.execute(
            insert(findings),
            [_new_row(project_id, sample, key, wanted[sample, key], now) for sample, key in new],
        )
    again = [(where, row) for where, row in stored.items() if where in wanted]
    reopened = sum(1 for _, row in again if row.status == "resolved")
    changed = [_refresh(row, wanted[where], now) for where, row in again]
    same = [row.pk for (_, row), values in zip(again, changed, strict=True) if values is None]
    if same:
        connection.execute(update(findings).where(findings.c.pk.in_(same)).values(last_seen=now))
    if len(same) < len(changed):
        connection.execute(_REFRESH, [values for values in changed if values is not None])
    pks = {where: row.pk for where, row in again}
    if new:
        made = set(new)
        keys = connection.execute(_KEYS, {"project_id": project_id, "sample_ids": sample_ids})
        pks.update(((sample, key), pk) for sample, key, pk in keys if (sample, key) in made)
    _set_authors(connection, sample_ids, {pks[where]: wanted[where].subjects for where in wanted})
    return Recorded(len(wanted), len(new), reopened, len(gone))


#: The stored findings of the samples ``:sample_ids`` in the project ``:project_id``.
_STORED = select(
    findings.c.sample_id,
    findings.c.pk,
    findings.c.key,
    findings.c.check,
    findings.c.status,
    findings.c.severity,
    findings.c.message,
    findings.c.fix,
    findings.c.subjects,
    findings.c.detail,
    findings.c.revision,
    findings.c.status_changed_at,
    findings.c.status_by,
    findings.c.reason,
).where(among(findings.c.sample_id, "sample_ids"), findings.c.project_id == bindparam("project_id"))

#: The sample, key and row key of every finding of the samples ``:sample_ids`` in
#: ``:project_id``.
_KEYS = select(findings.c.sample_id, findings.c.key, findings.c.pk).where(
    among(findings.c.sample_id, "sample_ids"), findings.c.project_id == bindparam("project_id")
)

#: The author of each annotation, entity and link among the ids ``:ids`` (ids are unique
#: across the store; built once: findings are recorded thousands of times a batch).
_AUTHORS = union_all(
    *(
        select(table.c.id, table.c.author).where(among(table.c.id, "ids"))
        for table in (annotations, entities, links)
    )
)

#: The authors recorded for the findings of the samples ``:sample_ids``.
_HAVE = (
    select(finding_authors.c.finding_pk, finding_authors.c.author)
    .join(findings, findings.c.pk == finding_authors.c.finding_pk)
    .where(among(findings.c.sample_id, "sample_ids"))
)


def _new_row(
    project_id: str, sample_id: str, key: str, finding: Finding, now: float
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "project_id": project_id,
        "sample_id": sample_id,
        "check": finding.check,
        "key": key,
        "severity": finding.severity.value,
        "status": "open",
        "message": finding.message,
        "fix": finding.fix,
        "subjects": dumps(list(finding.subjects)),
        "detail": dumps(finding.detail),
        "revision": 1,
        "first_seen": now,
        "last_seen": now,
        "status_changed_at": None,
        "status_by": None,
        "reason": None,
    }


#: The columns of a stored finding found again that `_REFRESH` sets.
_REFRESHED = (
    "severity",
    "message",
    "fix",
    "subjects",
    "detail",
    "last_seen",
    "status",
    "revision",
    "status_changed_at",
    "status_by",
    "reason",
)

#: The update of a stored finding found again, its values bound as ``b_<column>``.
_REFRESH = (
    update(findings)
    .where(findings.c.pk == bindparam("b_pk"))
    .values({name: bindparam(f"b_{name}") for name in _REFRESHED})
)


def _refresh(row: Any, finding: Finding, now: float) -> dict[str, Any] | None:
    """The bound values of `_REFRESH` for the stored finding `row` found again as
    `finding`: its new content and, when it was resolved, open again (by the checks);
    ``None`` when only its ``last_seen`` moves (what a batch pass over unchanged samples
    finds for nearly every finding)."""
    reopen = row.status == "resolved"
    content = {
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": finding.fix,
        "subjects": dumps(list(finding.subjects)),
        "detail": dumps(finding.detail),
    }
    if not reopen and all(getattr(row, name) == value for name, value in content.items()):
        return None
    values = {
        "pk": row.pk,
        **content,
        "last_seen": now,
        "status": "open" if reopen else row.status,
        "revision": row.revision + 1 if reopen else row.revision,
        "status_changed_at": now if reopen else row.status_changed_at,
        "status_by": None if reopen else row.status_by,
        "reason": None if reopen else row.reason,
    }
    return {f"b_{name}": value for name, value in values.items()}


def _set_authors(
    connection: Connection, sample_ids: Sequence[str], subjects: dict[int, Sequence[str]]
) -> None:
    """Make ``finding_authors`` of the findings `subjects` (by pk) name the authors of
    their subjects, as they are now (the findings are on `sample_ids`)."""
    if not subjects:
        return
    ids = sorted({ident for found in subjects.values() for ident in found})
    author_of: dict[str, str] = {}
    if ids:
        for ident, author in connection.execute(_AUTHORS, {"ids": ids}):
            if author is not None:
                author_of[ident] = author
    wanted = {
        (pk, author_of[ident])
        for pk, found in subjects.items()
        for ident in found
        if ident in author_of
    }
    have = {
        (pk, author)
        for pk, author in connection.execute(_HAVE, {"sample_ids": list(sample_ids)})
        if pk in subjects
    }
    if wanted - have:
        connection.execute(
            insert(finding_authors),
            [{"finding_pk": pk, "author": author} for pk, author in sorted(wanted - have)],
        )
    if have - wanted:
        connection.execute(
            delete(finding_authors).where(
                tuple_(finding_authors.c.finding_pk, finding_authors.c.author).in_(
                    sorted(have - wanted)
                )
            )
        )


# --- what people decide ---------------------------------------------------------------------


def set_finding_status(
    engine: Engine,
    actor: Actor,
    finding_id: str,
    status: FindingStatus,
    *,
    reason: str | None = None,
    expected_revision: int,
) -> FindingRecord:
    """Set the finding's status as `actor` decided (`reason`: why; required to waive one),
    if it is still at `expected_revision` (else `ConflictError` carrying it as it is now);
    the finding after. Its revision grows by one and an event records the change. Setting
    the status it has, a blank reason to waive, or one over `MAX_REASON` characters is a
    `RuleViolation`; nothing is written then."""
    obj = f"finding {finding_id!r}"
    if status not in STATUSES:
        detail = f"expected one of {', '.join(STATUSES)}, got {status!r}"
        raise RuleViolation(obj, "status", "finding-status", detail)
    if reason is not None and len(reason) > MAX_REASON:
        detail = f"expected at most {MAX_REASON} characters, got {len(reason)}"
        raise RuleViolation(obj, "reason", "finding-reason", detail)
    if status == "waived" and not (reason or "").strip():
        detail = "say why the finding is waived: it will not be raised again"
        raise RuleViolation(obj, "reason", "finding-reason", detail)
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(findings).where(findings.c.id == finding_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFoundError("finding", finding_id)
        before = _from_row(row)
        if before.revision != expected_revision:
            raise ConflictError(obj, expected_revision, before.revision, current=asdict(before))
        if before.status == status:
            detail = f"it is {status} already"
            raise RuleViolation(obj, "status", "finding-status", detail)
        connection.execute(
            update(findings)
            .where(findings.c.pk == row.pk)
            .values(
                status=status,
                status_by=actor.name,
                status_changed_at=time.time(),
                reason=reason,
                revision=before.revision + 1,
            )
        )
        after = find_finding(connection, finding_id)
        events.record(
            connection,
            [
                events.event_row(
                    after.project,
                    actor,
                    "finding",
                    after.id,
                    _ACTIONS[status],
                    revision=after.revision,
                    before=asdict(before),
                    after=asdict(after),
                    note=reason,
                )
            ],
        )
        return after


# --- reading --------------------------------------------------------------------------------


def find_finding(connection: Connection, finding_id: str) -> FindingRecord:
    """The finding `finding_id` (`NotFoundError` when there is none)."""
    row = connection.execute(select(findings).where(findings.c.id == finding_id)).one_or_none()
    if row is None:
        raise NotFoundError("finding", finding_id)
    return _from_row(row)


def sample_findings(connection: Connection, sample_id: str) -> list[FindingRecord]:
    """Every finding on the sample, oldest first (`seen_by` filters them for a person)."""
    rows = connection.execute(
        select(findings).where(findings.c.sample_id == sample_id).order_by(findings.c.pk)
    )
    return [_from_row(row) for row in rows]


def project_findings(
    connection: Connection,
    project_id: str,
    *,
    status: FindingStatus | None = None,
    check: str | None = None,
    severity: Severity | None = None,
    sample: str | None = None,
    annotator: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> FindingPage:
    """A page of the project's findings after `cursor`, oldest first, meeting every filter
    given: `status`, `check`, `severity`, on `sample`, and about the work of `annotator`
    (their name)."""
    query = select(findings).where(
        findings.c.project_id == project_id,
        findings.c.pk > decode_cursor(_LISTING, cursor),
    )
    if status is not None:
        query = query.where(findings.c.status == status)
    if check is not None:
        query = query.where(findings.c.check == check)
    if severity is not None:
        query = query.where(findings.c.severity == Severity(severity).value)
    if sample is not None:
        query = query.where(findings.c.sample_id == sample)
    if annotator is not None:
        query = query.where(
            findings.c.pk.in_(
                select(finding_authors.c.finding_pk).where(finding_authors.c.author == annotator)
            )
        )
    rows = connection.execute(query.order_by(findings.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return FindingPage(
        items=[_from_row(row) for row in rows],
        next_cursor=encode_cursor(_LISTING, rows[-1].pk) if more else None,
    )


def seen_by(
    connection: Connection,
    items: Sequence[FindingRecord],
    access: Access,
    assignment: Assignment | None,
    *,
    gold: bool,
) -> list[FindingRecord]:
    """The findings on one sample that the person of `access` sees (`assignment`: theirs to
    the sample, if any; `gold`: whether it is a gold sample): reviewers and above all; an
    annotator those whose subjects are all work they see on it
    (`rosetta.services.visibility`), and none on a gold sample (a finding would point at
    the reference answer)."""
    if sees_every_sample(access) or not items:
        return list(items)
    if gold:
        return []
    snapshot = load_snapshot(connection, items[0].sample)
    shown = work_seen_by(access, assignment, snapshot.work.values(), gold=gold)
    return [item for item in items if shown.issuperset(item.subjects)]


# --- counting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckCount:
    """Findings of one check with one severity and status."""

    check: str
    severity: Severity
    status: FindingStatus
    count: int


@dataclass(frozen=True)
class AnnotatorCount:
    """Findings with one status about the work of one annotator (a finding about the work
    of several counts for each)."""

    annotator: str
    status: FindingStatus
    count: int


@dataclass(frozen=True)
class DayCount:
    """Findings first seen on one day (UTC, ``YYYY-MM-DD``), and how many of them are still
    open."""

    day: str
    found: int
    open: int


@dataclass(frozen=True)
class DriftPair:
    """Hierarchy drift: open findings where one entity is labelled with the class `finer`
    in one modality and its ancestor `coarser` in another, and on how many samples."""

    finer: str
    coarser: str
    findings: int
    samples: int


@dataclass(frozen=True)
class FindingSummary:
    """A project's findings counted: all and open ones, by check × severity × status, by
    annotator × status, by the day first seen, and the drift pairs, most frequent first."""

    project: str
    total: int
    open: int
    checks: list[CheckCount]
    annotators: list[AnnotatorCount]
    days: list[DayCount]
    drift: list[DriftPair]


def findings_summary(connection: Connection, project_id: str) -> FindingSummary:
    """The counts of the project's findings (`FindingSummary`), by SQL aggregation; the
    drift pairs by streaming the open drift findings' details."""
    in_project = findings.c.project_id == project_id
    checks = [
        CheckCount(row.check, Severity(row.severity), row.status, int(row.n))
        for row in connection.execute(
            select(
                findings.c.check, findings.c.severity, findings.c.status, func.count().label("n")
            )
            .where(in_project)
            .group_by(findings.c.check, findings.c.severity, findings.c.status)
            .order_by(findings.c.check, findings.c.severity, findings.c.status)
        )
    ]
    annotators = [
        AnnotatorCount(row.author, row.status, int(row.n))
        for row in connection.execute(
            select(finding_authors.c.author, findings.c.status, func.count().label("n"))
            .join(findings, findings.c.pk == finding_authors.c.finding_pk)
            .where(in_project)
            .group_by(finding_authors.c.author, findings.c.status)
            .order_by(finding_authors.c.author, findings.c.status)
        )
    ]
    day = day_number(connection, findings.c.first_seen)
    still_open = func.sum(case((findings.c.status == "open", 1), else_=0))
    days = [
        DayCount(day_date(row.day), int(row.found), int(row.open or 0))
        for row in connection.execute(
            select(day.label("day"), func.count().label("found"), still_open.label("open"))
            .where(in_project)
            .group_by(day)
            .order_by(day)
        )
    ]
    total = sum(item.count for item in checks)
    opened = sum(item.count for item in checks if item.status == "open")
    return FindingSummary(
        project_id, total, opened, checks, annotators, days, _drift(connection, project_id)
    )


def day_number(connection: Connection, at: ColumnElement[float]) -> ColumnElement[int]:
    """The number of the UTC day the time `at` (seconds since the epoch) falls on: a
    cast truncates on SQLite but rounds on PostgreSQL, which has ``floor``."""
    days = at / _DAY
    if connection.dialect.name == "postgresql":
        return cast(func.floor(days), Integer)
    return cast(days, Integer)


def day_date(day: int) -> str:
    """The ISO date of UTC day number `day` (see `day_number`)."""
    return datetime.fromtimestamp(int(day) * _DAY, UTC).date().isoformat()


def _drift(connection: Connection, project_id: str) -> list[DriftPair]:
    """The open drift findings counted per (finer, coarser) pair."""
    counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    samples: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    rows = connection.execution_options(yield_per=1000).execute(
        select(findings.c.sample_id, findings.c.detail).where(
            findings.c.project_id == project_id,
            findings.c.check == DRIFT_CHECK,
            findings.c.status == "open",
            findings.c.detail.contains('"kind":"drift"', autoescape=True),
        )
    )
    for sample_id, detail in rows:
        parsed = orjson.loads(detail)
        finer, coarser = parsed.get("finer"), parsed.get("coarser")
        if parsed.get("kind") != "drift" or not isinstance(finer, str):
            continue
        if not isinstance(coarser, str):
            continue
        counts[finer, coarser] += 1
        samples[finer, coarser].add(sample_id)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        DriftPair(finer, coarser, count, len(samples[finer, coarser]))
        for (finer, coarser), count in ranked
    ]


def _from_row(row: Row[Any]) -> FindingRecord:
    return FindingRecord(
        id=row.id,
        project=row.project_id,
        sample=row.sample_id,
        check=row.check,
        severity=Severity(row.severity),
        status=row.status,
        message=row.message,
        fix=row.fix,
        subjects=orjson.loads(row.subjects),
        detail=orjson.loads(row.detail),
        revision=row.revision,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        status_changed_at=row.status_changed_at,
        status_by=row.status_by,
        reason=row.reason,
    )
