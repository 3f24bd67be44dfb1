"""Routing a sample from stage to stage as its task slots are handed in
(`rosetta.core.workflow`): once all its annotate slots are submitted it goes to
adjudication, review or the end (`after_annotate`, from its annotators' `agreement` and
its models' candidates' `model_agreement`); a review accepts it (the end) or returns its
annotate slots to their own annotators with the reviewer's comment; an adjudication ends
it.

**Review decisions** (`route_reviewed`) are the sample's verdicts too: each is a row of
``reviews`` (a ``sample`` verdict on the sample's revision, with its ``review`` event, as
`rosetta.services.reviews` records them), so the review queue and the metrics see them.
With a stratified second review (`rosetta.core.workflow.SecondReview`), an accepted sample
that `rosetta.services.second_review.pick` picks opens the review slot 1 instead of ending;
the first reviewer may not take it (`task_leases` gives no one two slots of a stage on a
sample). Its accept ends the sample; its reject returns it to the annotators as any
reject does, recording the reviewers' disagreement (a ``disagree`` event on the slot);
when the annotators hand it in again, the first review is followed by the second again.

A sample's status follows: ``review`` while it waits for review or adjudication,
``in_progress`` when returned, ``done`` at the end, each change the sample's ``update``
event. Each function runs inside the transition's transaction (`Step`), which holds the
sample's row locked.
"""

from typing import Any, Literal

import orjson
from sqlalchemy import Row, insert, select, update

from rosetta.core.schema import Annotation, SampleStatus
from rosetta.core.workflow import (
    Destination,
    ReviewStage,
    after_annotate,
    agreement,
    model_agreement,
)
from rosetta.services import second_review
from rosetta.services.catalog import sample_revision
from rosetta.services.visibility import from_model
from rosetta.services.workflow import (
    TASKS,
    Step,
    new_task_id,
    read_task,
    task_from,
    workflow_of,
)
from rosetta.store import events
from rosetta.store.records import annotation_from_row
from rosetta.store.tables import annotations, reviews, samples, tasks


def route_annotated(step: Step, sample_id: str, *, priority: float) -> None:
    """Once every annotate slot of the sample is submitted, send it on: to an adjudicate
    or review slot (opened with `priority`) or to the end."""
    slots = step.connection.execute(
        TASKS.where(tasks.c.sample_id == sample_id, tasks.c.stage == "annotate")
    ).all()
    if any(slot.status != "submitted" for slot in slots):
        return
    score = 1.0
    if len(slots) > 1:
        score = agreement([_annotations_by(step, sample_id, slot.holder) for slot in slots])
    workflow = workflow_of(step.connection, step.project_id)
    models = model_agreement(_model_candidates(step, sample_id))
    destination = after_annotate(
        workflow, slots=len(slots), agreement=score, model_agreement=models
    )
    if destination == "done":
        finish(step, sample_id)
        return
    note = f"annotators' agreement {score:.3f}"
    if models is not None:
        note += f", models' agreement {models:.3f}"
    _open(step, sample_id, destination, priority=priority, note=note)
    _move_sample(step, sample_id, "review")


def finish(step: Step, sample_id: str) -> None:
    """Mark every slot of the sample done, and the sample."""
    rows = step.connection.execute(
        TASKS.where(tasks.c.sample_id == sample_id, tasks.c.status != "done")
    ).all()
    if rows:
        step.connection.execute(
            update(tasks)
            .where(tasks.c.pk.in_([row.pk for row in rows]))
            .values(status="done", lease_expires_at=None, updated_at=step.now)
        )
    for row in rows:
        step.record("done", task_from(row), read_task(step.connection, row.pk))
    _move_sample(step, sample_id, "done")


def return_to_annotators(step: Step, sample_id: str, comment: str) -> None:
    """Send the sample's submitted annotate slots back to their own annotators with the
    reviewer's `comment`."""
    rows = step.connection.execute(
        TASKS.where(
            tasks.c.sample_id == sample_id,
            tasks.c.stage == "annotate",
            tasks.c.status == "submitted",
        )
    ).all()
    if rows:
        step.connection.execute(
            update(tasks)
            .where(tasks.c.pk.in_([row.pk for row in rows]))
            .values(status="returned", comment=comment, updated_at=step.now)
        )
    for row in rows:
        step.record("return", task_from(row), read_task(step.connection, row.pk))
    _move_sample(step, sample_id, "in_progress")


def route_reviewed(
    step: Step, review: Row[Any], decision: Literal["accepted", "rejected"], comment: str
) -> None:
    """Route the sample of the review slot `review` (its row, with its holder) on its
    reviewer's `decision`: record the verdict; on an accept, open a second review when it
    is picked, else end the sample; on a reject, return it to its annotators."""
    sample_id = review.sample_id
    _verdict(step, sample_id, decision, comment or None)
    if decision == "rejected":
        if review.slot > 0:
            _disagree(step, review)
        return_to_annotators(step, sample_id, comment)
        return
    if review.slot == 0 and _second_review(step, sample_id, priority=review.priority):
        return
    finish(step, sample_id)


def _second_review(step: Step, sample_id: str, *, priority: float) -> bool:
    """Open the sample's second review slot when the workflow has one and the sample is
    (or was, in an earlier round) picked for it; whether it was opened."""
    stage = workflow_of(step.connection, step.project_id).stage("review")
    if not isinstance(stage, ReviewStage) or stage.second_review is None:
        return False
    earlier = step.connection.execute(
        select(tasks.c.pk).where(
            tasks.c.sample_id == sample_id, tasks.c.stage == "review", tasks.c.slot == 1
        )
    ).first()
    if earlier is not None:
        _open(step, sample_id, "review", priority=priority, slot=1, note="second review again")
        return True
    strata = second_review.pick(step, sample_id, stage.second_review)
    if not strata:
        return False
    note = f"second review of the strata {', '.join(strata)}"
    _open(step, sample_id, "review", priority=priority, slot=1, note=note)
    return True


def _disagree(step: Step, review: Row[Any]) -> None:
    """Record that the second reviewer rejected what the first accepted."""
    first = step.connection.execute(
        TASKS.where(
            tasks.c.sample_id == review.sample_id, tasks.c.stage == "review", tasks.c.slot == 0
        )
    ).one()
    task = read_task(step.connection, review.pk)
    step.record(
        "disagree",
        task,
        task,
        extra={"first_reviewer": first.holder, "second_reviewer": review.holder},
        note="the second reviewer rejected what the first accepted",
    )


def _verdict(step: Step, sample_id: str, decision: str, reason: str | None) -> None:
    """The reviewer's verdict on the sample at its revision now: a ``reviews`` row and its
    ``review`` event (as `rosetta.services.reviews.review_sample` writes them)."""
    revision = sample_revision(step.connection, sample_id)
    step.connection.execute(
        insert(reviews).values(
            project_id=step.project_id,
            sample_id=sample_id,
            object_kind="sample",
            object_id=sample_id,
            decision=decision,
            reason=reason,
            object_revision=revision,
            reviewer=step.actor.name,
            created_at=step.now,
        )
    )
    events.record(
        step.connection,
        [
            events.event_row(
                step.project_id,
                step.actor,
                "sample",
                sample_id,
                "review",
                sample_id=sample_id,
                revision=revision,
                after={"decision": decision, "reason": reason, "revision": revision},
                at=step.now,
            )
        ],
    )


def _model_candidates(step: Step, sample_id: str) -> list[Annotation]:
    """The sample's annotations whose source is a model."""
    rows = step.connection.execute(
        select(annotations).where(
            annotations.c.sample_id == sample_id, from_model(annotations.c.source)
        )
    )
    return [annotation_from_row(row) for row in rows]


def _annotations_by(step: Step, sample_id: str, author: str) -> list[Annotation]:
    rows = step.connection.execute(
        select(annotations).where(
            annotations.c.sample_id == sample_id, annotations.c.author == author
        )
    )
    return [annotation_from_row(row) for row in rows]


def _open(
    step: Step, sample_id: str, stage: Destination, *, priority: float, slot: int = 0, note: str
) -> None:
    """Open the sample's `slot` of `stage` (reopened when an earlier round left one)."""
    found = step.connection.execute(
        select(tasks.c.pk).where(
            tasks.c.sample_id == sample_id, tasks.c.stage == stage, tasks.c.slot == slot
        )
    ).scalar_one_or_none()
    waiting = {
        "status": "open",
        "user_id": None,
        "lease_expires_at": None,
        "comment": None,
        "priority": priority,
        "updated_at": step.now,
    }
    if found is None:
        before = None
        pk = step.connection.execute(
            insert(tasks)
            .values(
                id=new_task_id(),
                project_id=step.project_id,
                sample_id=sample_id,
                stage=stage,
                slot=slot,
                created_at=step.now,
                **waiting,
            )
            .returning(tasks.c.pk)
        ).scalar_one()
    else:
        before, pk = read_task(step.connection, found), found
        step.connection.execute(update(tasks).where(tasks.c.pk == pk).values(**waiting))
    after = read_task(step.connection, pk)
    step.record("route", before, after, note=note)


def _move_sample(step: Step, sample_id: str, status: SampleStatus) -> None:
    """Give the sample `status`, with its ``update`` event (status and metadata before and
    after, as `services.samples.update_sample` writes it)."""
    row = step.connection.execute(
        select(samples.c.status, samples.c.metadata).where(samples.c.id == sample_id)
    ).one()
    if row.status == status:
        return
    step.connection.execute(update(samples).where(samples.c.id == sample_id).values(status=status))
    kept = orjson.loads(row.metadata)
    events.record(
        step.connection,
        [
            events.event_row(
                step.project_id,
                step.actor,
                "sample",
                sample_id,
                "update",
                sample_id=sample_id,
                before={"status": row.status, "metadata": kept},
                after={"status": status, "metadata": kept},
                at=step.now,
            )
        ],
    )
