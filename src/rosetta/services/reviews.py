"""Review decisions on a sample's annotations and the verdict on the whole sample.

A reviewer *decides* on annotations: ``accepted`` or ``rejected``, with an optional reason.
The latest decision on an annotation is its review state; a decision on an older revision
than the annotation's current one is *outdated* (the annotation changed after review). A
reviewer also gives the whole sample a *verdict* (the holistic judgement of it as one
training unit): ``accepted`` moves the sample's status to ``done``; ``rejected``, which
needs a reason, moves it to ``in_progress``, so it goes back to its annotator with that
reason.

Each decision and verdict is a row of ``reviews``, appended and never changed, recording
the revision it judged (an annotation's revision, or the sample's); each is also an event
(action ``review``, on the annotation or the sample), and a verdict that changes the status
adds the sample's ``update`` event, all in one transaction. A decision has no foreign key
to its annotation: deleting an annotation touches no review, and a deleted annotation's
decisions stay in the table (as its events do) but no longer show in `sample_review`.

Who sees which decisions is `rosetta.core.policies.sees_decisions_on` and `sees_verdict`
(`seen_by`).
"""

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

import orjson
from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from rosetta.core.errors import ConflictError, NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.policies import (
    Access,
    Assignment,
    can_review,
    sees_decisions_on,
    sees_verdict,
)
from rosetta.core.schema import SampleStatus
from rosetta.services.catalog import sample_revision
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import annotations, reviews, samples

#: What a reviewer decides about an annotation or a whole sample.
Outcome = Literal["accepted", "rejected"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

#: The longest reason, in characters.
MAX_REASON = 2000

#: The status a verdict moves the sample to: done, or back to its annotator.
STATUS_AFTER: dict[str, SampleStatus] = {"accepted": "done", "rejected": "in_progress"}


@dataclass(frozen=True)
class Decision:
    """A decision to record on the annotation `annotation` of the sample."""

    annotation: str
    decision: str
    reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A verdict to record on the whole sample; a rejection needs a `reason`."""

    decision: str
    reason: str | None = None


@dataclass(frozen=True)
class AnnotationReview:
    """The latest decision on one annotation: what was decided, why, by whom and when
    (``at``: seconds since the epoch), on which revision of it (``revision``) and its
    revision now (``current_revision``); ``outdated`` when it changed after the decision.
    ``author`` is the annotation's author."""

    annotation: str
    author: str | None
    decision: Outcome
    reason: str | None
    revision: int
    current_revision: int
    outdated: bool
    reviewer: str
    at: float


@dataclass(frozen=True)
class SampleVerdict:
    """The latest verdict on a sample: what was decided, why, by whom and when, on which
    sample revision (``revision``)."""

    decision: Outcome
    reason: str | None
    revision: int
    reviewer: str
    at: float


@dataclass(frozen=True)
class SampleReview:
    """A sample's review: its status and revision now, the latest decision on each of its
    annotations (in the order they were made) and the latest verdict (``None``: none)."""

    sample: str
    status: SampleStatus
    revision: int
    annotations: list[AnnotationReview]
    verdict: SampleVerdict | None


def sample_review(connection: Connection, sample_id: str) -> SampleReview:
    """The sample's review state, all of it (`seen_by` filters it for a person)."""
    status = connection.execute(
        select(samples.c.status).where(samples.c.id == sample_id)
    ).scalar_one_or_none()
    if status is None:
        raise NotFoundError("sample", sample_id)
    latest = (
        select(func.max(reviews.c.pk))
        .where(reviews.c.sample_id == sample_id)
        .group_by(reviews.c.object_kind, reviews.c.object_id)
    )
    judged = and_(reviews.c.object_kind == "annotation", annotations.c.id == reviews.c.object_id)
    rows = connection.execute(
        select(reviews, annotations.c.revision.label("current"), annotations.c.author)
        .select_from(reviews.outerjoin(annotations, judged))
        .where(reviews.c.pk.in_(latest))
        .order_by(reviews.c.pk)
    ).all()
    decided = [
        AnnotationReview(
            annotation=row.object_id,
            author=row.author,
            decision=row.decision,
            reason=row.reason,
            revision=row.object_revision,
            current_revision=row.current,
            outdated=row.current != row.object_revision,
            reviewer=row.reviewer,
            at=row.created_at,
        )
        for row in rows
        if row.object_kind == "annotation" and row.current is not None
    ]
    verdict = next(
        (
            SampleVerdict(
                row.decision, row.reason, row.object_revision, row.reviewer, row.created_at
            )
            for row in reversed(rows)
            if row.object_kind == "sample"
        ),
        None,
    )
    return SampleReview(sample_id, status, sample_revision(connection, sample_id), decided, verdict)


def seen_by(
    review: SampleReview, access: Access, assignment: Assignment | None, *, gold: bool
) -> SampleReview:
    """`review` without what the person of `access` may not see (`assignment`: theirs to
    the sample, if any; `gold`: whether it is a gold sample)."""
    return replace(
        review,
        annotations=[
            item
            for item in review.annotations
            if sees_decisions_on(access, assignment, author=item.author, gold=gold)
        ],
        verdict=review.verdict if sees_verdict(access, assignment, gold=gold) else None,
    )


def decide(
    engine: Engine,
    actor: Actor,
    access: Access,
    sample_id: str,
    *,
    decisions: Sequence[Decision],
    verdict: Verdict | None,
    expected_revision: int,
) -> SampleReview:
    """Record the reviewer's `decisions` on annotations of the sample and their `verdict`
    on it (``None``: none), all or nothing; the sample's review after, with its new
    revision.

    The reviewer (`access`: reviewers and above, else `PermissionDenied`) judged the sample
    at `expected_revision`; a sample that changed since is a `ConflictError` carrying its
    review now. A verdict moves the sample's status (`STATUS_AFTER`): ``accepted`` to
    ``done``, ``rejected`` back to ``in_progress`` for its annotator. A decision that is
    not ``accepted`` or ``rejected``, names no annotation of the sample or one twice, a
    reason over `MAX_REASON` characters, a rejected verdict without a reason, or nothing
    to record is a `RuleViolation` naming the field; nothing is written then.
    """
    obj = f"review of sample {sample_id!r}"
    if not can_review(access):
        raise PermissionDenied("review", f"sample {sample_id!r}")
    _check(obj, decisions, verdict)
    with write_transaction(engine) as connection:
        status = connection.execute(
            select(samples.c.status)
            .where(samples.c.id == sample_id, samples.c.project_id == access.project_id)
            .with_for_update()
        ).scalar_one_or_none()
        if status is None:
            raise NotFoundError("sample", sample_id)
        revision = sample_revision(connection, sample_id)
        if revision != expected_revision:
            current = asdict(sample_review(connection, sample_id))
            raise ConflictError(
                f"sample {sample_id!r}", expected_revision, revision, current=current
            )
        judged = _revisions(connection, obj, sample_id, decisions)
        by = {
            "project_id": access.project_id,
            "sample_id": sample_id,
            "reviewer": actor.name,
            "created_at": time.time(),
        }
        rows = [
            by | _judged("annotation", item.annotation, item, judged[item.annotation])
            for item in decisions
        ]
        if verdict is not None:
            rows.append(by | _judged("sample", sample_id, verdict, revision))
        connection.execute(insert(reviews), rows)
        logged = [_event(access.project_id, actor, row) for row in rows]
        after = None if verdict is None else STATUS_AFTER[verdict.decision]
        if after is not None and after != status:
            connection.execute(
                update(samples).where(samples.c.id == sample_id).values(status=after)
            )
            logged.append(
                _status_event(
                    connection, access.project_id, actor, sample_id, before=status, after=after
                )
            )
        events.record(connection, logged)
        return sample_review(connection, sample_id)


def _check(obj: str, decisions: Sequence[Decision], verdict: Verdict | None) -> None:
    """Refuse what no store could take: unknown outcomes, long reasons, repeated
    annotations, a rejected verdict without a reason, an empty request."""
    if not decisions and verdict is None:
        raise RuleViolation(obj, "decisions", "review-empty", "expected a decision or a verdict")
    seen: set[str] = set()
    for index, item in enumerate(decisions):
        where = f"decisions[{index}]"
        _check_outcome(obj, where, item.decision, item.reason)
        if item.annotation in seen:
            detail = f"annotation {item.annotation!r} has a decision earlier in this request"
            raise RuleViolation(obj, f"{where}.annotation", "review-repeated", detail)
        seen.add(item.annotation)
    if verdict is not None:
        _check_outcome(obj, "verdict", verdict.decision, verdict.reason)
        if verdict.decision == "rejected" and not (verdict.reason or "").strip():
            detail = "a rejected sample goes back to its annotator: say what to fix"
            raise RuleViolation(obj, "verdict.reason", "review-reason", detail)


def _check_outcome(obj: str, where: str, decision: str, reason: str | None) -> None:
    if decision not in OUTCOMES:
        detail = f"expected one of {', '.join(OUTCOMES)}, got {decision!r}"
        raise RuleViolation(obj, f"{where}.decision", "review-decision", detail)
    if reason is not None and len(reason) > MAX_REASON:
        detail = f"expected at most {MAX_REASON} characters, got {len(reason)}"
        raise RuleViolation(obj, f"{where}.reason", "review-reason", detail)


def _revisions(
    connection: Connection, obj: str, sample_id: str, decisions: Sequence[Decision]
) -> dict[str, int]:
    """The current revision of each annotation the decisions name; a `RuleViolation`
    naming the first that is not an annotation of the sample."""
    if not decisions:
        return {}
    # all of the sample's, not an IN list: a request may name more than a statement binds
    found = {
        row.id: row.revision
        for row in connection.execute(
            select(annotations.c.id, annotations.c.revision).where(
                annotations.c.sample_id == sample_id
            )
        )
    }
    for index, item in enumerate(decisions):
        if item.annotation not in found:
            detail = f"{item.annotation!r} is not an annotation of the sample"
            raise RuleViolation(obj, f"decisions[{index}].annotation", "review-annotation", detail)
    return found


def _judged(kind: str, ident: str, item: Decision | Verdict, revision: int) -> dict[str, Any]:
    """The columns of a reviews row that say what was judged and how."""
    return {
        "object_kind": kind,
        "object_id": ident,
        "decision": item.decision,
        "reason": item.reason,
        "object_revision": revision,
    }


def _event(project_id: str, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """The ``review`` event of a reviews row: the decision, its reason and what it judged."""
    return events.event_row(
        project_id,
        actor,
        row["object_kind"],
        row["object_id"],
        "review",
        sample_id=row["sample_id"],
        revision=row["object_revision"],
        after={
            "decision": row["decision"],
            "reason": row["reason"],
            "revision": row["object_revision"],
        },
        at=row["created_at"],
    )


def _status_event(
    connection: Connection,
    project_id: str,
    actor: Actor,
    sample_id: str,
    *,
    before: str,
    after: str,
) -> dict[str, Any]:
    """The sample's ``update`` event for a status change, as `samples.update_sample` writes
    it (status and metadata before and after)."""
    metadata = connection.execute(
        select(samples.c.metadata).where(samples.c.id == sample_id)
    ).scalar_one()
    kept = orjson.loads(metadata)
    return events.event_row(
        project_id,
        actor,
        "sample",
        sample_id,
        "update",
        sample_id=sample_id,
        before={"status": before, "metadata": kept},
        after={"status": after, "metadata": kept},
    )
