"""The slots people get on gold samples instead of work, and scoring them.

**Which.** `rosetta.services.task_leases.next_task` asks, for a person taking annotate
tasks, in this order:

1. `training_sample`: while the workflow declares `Training` and the person has had fewer
   than `Training.tasks` training slots in the project, their next training sample (one
   they never had, oldest use first).
2. `qualification_sample`: when the work slot they would get requires a skill the
   workflow tests (`Qualification`) that they have not passed, their next test sample of
   that skill (the one they had least often, oldest use first; a retry gets fresh samples
   while there are).
3. `mixes_gold` / `audit_sample`: with `GoldMixing`, their first `GoldMixing.first`
   annotate tasks, and after that each with probability `GoldMixing.rate` (a draw seeded by
   the project, the person and how many annotate tasks they had, so it is reproducible),
   an audit sample they never had and hold the skills for. Gold is mixed into work: it
   is given only when a work slot waits for them (which stays in the queue).

**Slots.** `open_gold_slot` makes the chosen sample's next annotate slot of the kind, leased
to the person at once. A training or qualification slot hides model candidates; an audit
slot hides them by the blind-pass draw of the person and sample
(`rosetta.core.workflow.gold_candidates_hidden`) and otherwise gives the person copies of
them of their own (`_copy_candidates`), so that accuracy is measured as on work, with
candidates shown or blind. The person is assigned the sample blind (its reference work is
never shown to them: `rosetta.core.policies.sees_work` on a gold sample). Such a slot is
theirs until they hand it in, however long: it is never taken over, and only an audit
slot, which its holder must not tell from work, can be released (it ends unscored).

**Scoring.** `score_slot` scores a handed-in slot against the sample's reference (its
work by people holding no gold slot on it, model candidates left out;
`rosetta.core.gold_scoring`) into ``tasks.score`` and ``tasks.score_detail``, and for a
qualification slot updates the person's result (`rosetta.services.qualifications`).
"""

import hashlib
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, insert, select

from rosetta.core import gold_scoring
from rosetta.core.schema import Sample
from rosetta.core.workflow import Qualification, TaskKind, Workflow, gold_candidates_hidden
from rosetta.services import qualifications
from rosetta.services.visibility import candidate_ids, is_candidate
from rosetta.services.work_store import log_event
from rosetta.services.workflow import Step, new_task_id, workflow_of
from rosetta.store import events
from rosetta.store.records import annotation_from_row, annotation_row, load_sample
from rosetta.store.tables import annotations, gold_uses, sample_skills, samples, tasks, users


def missing_skill(sample_id_column: Any, skills: set[str]) -> ColumnElement[bool]:
    """Whether the sample of `sample_id_column` requires a skill outside `skills` (a
    probe of ``sample_skills`` by sample)."""
    return exists().where(
        sample_skills.c.sample_id == sample_id_column, sample_skills.c.skill.not_in(sorted(skills))
    )


def _never_had(user_id: str) -> ColumnElement[bool]:
    return ~exists().where(tasks.c.sample_id == gold_uses.c.sample_id, tasks.c.user_id == user_id)


def _uses(project_id: str, purpose: str) -> Any:
    return select(gold_uses.c.sample_id).where(
        gold_uses.c.project_id == project_id, gold_uses.c.purpose == purpose
    )


def _count(connection: Connection, user_id: str, project_id: str, *kinds: TaskKind) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                tasks.c.user_id == user_id,
                tasks.c.project_id == project_id,
                tasks.c.stage == "annotate",
                tasks.c.kind.in_(kinds),
            )
        ).scalar_one()
    )


def training_sample(
    connection: Connection, workflow: Workflow, project_id: str, user_id: str
) -> str | None:
    """The person's next training sample, if they are still in training (see the
    module)."""
    if workflow.training is None:
        return None
    if _count(connection, user_id, project_id, "training") >= workflow.training.tasks:
        return None
    query = _uses(project_id, "training").where(_never_had(user_id)).order_by(gold_uses.c.pk)
    found: str | None = connection.execute(query.limit(1)).scalar()
    return found


def testable(connection: Connection, project_id: str, tests: list[Qualification]) -> set[str]:
    """The skills of `tests` that have at least one test sample in the project."""
    return {
        test.skill
        for test in tests
        if connection.execute(
            _uses(project_id, "qualification").where(gold_uses.c.skill == test.skill).limit(1)
        ).first()
        is not None
    }


def qualification_sample(
    connection: Connection, project_id: str, user_id: str, skill: str
) -> str | None:
    """The person's next test sample of `skill`: the one they had least often, then the
    oldest use."""
    had = (
        select(func.count())
        .where(tasks.c.sample_id == gold_uses.c.sample_id, tasks.c.user_id == user_id)
        .scalar_subquery()
    )
    query = (
        _uses(project_id, "qualification")
        .where(gold_uses.c.skill == skill)
        .order_by(had, gold_uses.c.pk)
        .limit(1)
    )
    found: str | None = connection.execute(query).scalar()
    return found


def mixes_gold(connection: Connection, workflow: Workflow, project_id: str, user_id: str) -> bool:
    """Whether the person's next annotate task is a gold one (see the module)."""
    mixing = workflow.gold
    if mixing is None:
        return False
    done = _count(connection, user_id, project_id, "work", "gold")
    if done < mixing.first:
        return True
    seed = f"gold\x00{project_id}\x00{user_id}\x00{done}".encode()
    draw = int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest(), "big") / 2**64
    return draw < mixing.rate


def audit_sample(
    connection: Connection, project_id: str, user_id: str, skills: set[str]
) -> str | None:
    """The oldest audit sample the person never had and holds the skills for."""
    query = (
        _uses(project_id, "audit")
        .where(_never_had(user_id), ~missing_skill(gold_uses.c.sample_id, skills))
        .order_by(gold_uses.c.pk)
        .limit(1)
    )
    found: str | None = connection.execute(query).scalar()
    return found


def open_gold_slot(
    step: Step, workflow: Workflow, user_id: str, sample_id: str, kind: TaskKind
) -> tuple[int, bool]:
    """Make the sample's next annotate slot, of `kind`, leased to the person (see the
    module); its row's primary key, and whether it hides model candidates. The caller
    assigns the sample and records the lease."""
    connection = step.connection
    hidden = kind != "gold" or gold_candidates_hidden(workflow, step.project_id, sample_id, user_id)
    # the sample's row locked (PostgreSQL): two people given it at once get slots in turn
    connection.execute(
        select(samples.c.pk).where(samples.c.id == sample_id).with_for_update(key_share=True)
    )
    last = connection.execute(
        select(func.max(tasks.c.slot)).where(
            tasks.c.sample_id == sample_id, tasks.c.stage == "annotate"
        )
    ).scalar()
    pk: int = connection.execute(
        insert(tasks)
        .values(
            id=new_task_id(),
            project_id=step.project_id,
            sample_id=sample_id,
            stage="annotate",
            slot=0 if last is None else last + 1,
            status="leased",
            user_id=user_id,
            lease_expires_at=step.now + workflow.lease_seconds("annotate"),
            priority=0.0,
            created_at=step.now,
            updated_at=step.now,
            kind=kind,
            candidates_hidden=hidden,
        )
        .returning(tasks.c.pk)
    ).scalar_one()
    if not hidden:
        _copy_candidates(step, sample_id)
    return pk, hidden


def _copy_candidates(step: Step, sample_id: str) -> None:
    """Give the slot's holder their own copies of the gold sample's model candidates (at
    revision 1, authored by them): on a sample they see blind these are the candidates
    they are shown, and what they keep of them is their answer, as on work; the shared
    candidates, and so the reference, stay as they were."""
    rows = step.connection.execute(
        select(annotations).where(annotations.c.sample_id == sample_id, is_candidate(annotations))
    )
    holders = _gold_holders(step.connection, sample_id)  # copies are theirs, not shared
    originals = [a for a in map(annotation_from_row, rows) if a.author not in holders]
    person = step.actor.name
    for original in originals:
        copy = original.model_copy(update={"id": uuid.uuid4().hex, "author": person})
        step.connection.execute(
            insert(annotations).values(annotation_row(copy, step.project_id, sample_id))
        )
        log_event(
            step.connection,
            step.project_id,
            step.actor,
            "annotation",
            copy.id,
            "create",
            sample_id=sample_id,
            after=copy,
            note=f"a copy of model candidate {original.id!r} for a gold task",
        )


def score_slot(step: Step, row: Any, person: str) -> dict[str, Any]:
    """Score the handed-in gold slot `row` of `person` (see the module); what its submit
    event notes beside the task: the score, and a qualification slot's result after."""
    connection = step.connection
    scored = _gold_holders(connection, row.sample_id)
    result = gold_scoring.score(
        _without_candidates(load_sample(connection, row.sample_id), scored), person, scored
    )
    detail = result.detail()
    connection.execute(
        tasks.update()
        .where(tasks.c.pk == row.pk)
        .values(score=result.score, score_detail=events.dumps(detail))
    )
    noted: dict[str, Any] = {"score": result.score}
    if row.kind == "qualification":
        test = _test_of(connection, step.project_id, row.sample_id)
        tests = workflow_of(connection, step.project_id).qualifications
        workflow_test = next((t for t in tests if t.skill == test), None)
        if workflow_test is not None:
            after = qualifications.record_score(
                connection, step.project_id, row.user_id, workflow_test, step.now
            )
            noted["qualification"] = after.__dict__
    return noted


def _gold_holders(connection: Connection, sample_id: str) -> set[str]:
    """The names of the people holding (or who held) a gold, training or qualification
    slot on the sample."""
    return set(
        connection.execute(
            select(users.c.name)
            .select_from(tasks.join(users, users.c.id == tasks.c.user_id))
            .where(tasks.c.sample_id == sample_id, tasks.c.kind != "work")
        ).scalars()
    )


def _without_candidates(sample: Sample, scored: Collection[str]) -> Sample:
    """The gold sample without the model candidates of no one in `scored` (the shared ones,
    not a slot holder's copies) and the links touching them: the reference is what people
    drew, not what a model proposed."""
    candidates = candidate_ids(
        [a for a in sample.annotations if a.author not in scored],
        [x for x in sample.links if x.author not in scored],
    )
    if not candidates:
        return sample
    return sample.model_copy(
        update={
            "annotations": [a for a in sample.annotations if a.id not in candidates],
            "links": [x for x in sample.links if not {x.id, x.source, x.target} & candidates],
        }
    )


def _test_of(connection: Connection, project_id: str, sample_id: str) -> str | None:
    skill: str | None = connection.execute(
        select(gold_uses.c.skill).where(
            and_(gold_uses.c.sample_id == sample_id, gold_uses.c.purpose == "qualification")
        )
    ).scalar()
    return skill
