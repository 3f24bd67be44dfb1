"""People's skills and the skills a sample's task slots require
(`rosetta.core.workflow.SkillRules`).

A person's skills (``user_skills``) come from their profile (``source`` ``profile``: set by
a manager of a project they belong to, each change a ``skills`` event of that project about
the user's id) or from passing a qualification test (``qualification``,
`rosetta.services.qualifications`). A sample's required skills (``sample_skills``) are
written when it is queued, and when it is marked gold, from the workflow in force then; a
person may lease a slot only when they hold every skill its sample requires
(`rosetta.services.task_leases`).
"""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from rosetta.core.workflow import SkillRules
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import sample_skills, samples, streams, user_skills

#: Where a person's skill comes from.
SkillSource = Literal["profile", "qualification"]


@dataclass(frozen=True)
class UserSkill:
    """One skill of a person: where it comes from, who granted it (a name, or
    ``qualification:<project id>``) and when (seconds since the epoch)."""

    skill: str
    source: SkillSource
    granted_by: str
    created_at: float


def skills_of(connection: Connection, user_id: str) -> list[UserSkill]:
    """The person's skills, sorted."""
    rows = connection.execute(
        select(user_skills).where(user_skills.c.user_id == user_id).order_by(user_skills.c.skill)
    )
    return [UserSkill(row.skill, row.source, row.granted_by, row.created_at) for row in rows]


def set_profile_skills(
    engine: Engine, actor: Actor, project_id: str, user_id: str, skills: Iterable[str]
) -> list[UserSkill]:
    """Make `skills` the person's profile skills (those earned by qualification stay);
    their skills after. The change is a ``skills`` event of the project about the user."""
    wanted = sorted(set(skills))
    with write_transaction(engine) as connection:
        before = skills_of(connection, user_id)
        held = {item.skill for item in before}
        now = time.time()
        connection.execute(
            delete(user_skills).where(
                user_skills.c.user_id == user_id,
                user_skills.c.source == "profile",
                user_skills.c.skill.not_in(wanted),
            )
        )
        new = [skill for skill in wanted if skill not in held]
        if new:
            connection.execute(
                insert(user_skills),
                [
                    {
                        "user_id": user_id,
                        "skill": skill,
                        "source": "profile",
                        "granted_by": actor.name,
                        "created_at": now,
                    }
                    for skill in new
                ],
            )
        after = skills_of(connection, user_id)
        if after != before:
            events.record(
                connection,
                [
                    events.event_row(
                        project_id,
                        actor,
                        "skills",
                        user_id,
                        "update",
                        before=[item.skill for item in before],
                        after=[item.skill for item in after],
                        at=now,
                    )
                ],
            )
        return after


def grant(connection: Connection, user_id: str, skill: str, granted_by: str, now: float) -> None:
    """Give the person `skill` as earned by qualification (nothing when they have it)."""
    has = connection.execute(
        select(user_skills.c.pk).where(
            user_skills.c.user_id == user_id, user_skills.c.skill == skill
        )
    ).first()
    if has is None:
        connection.execute(
            insert(user_skills).values(
                user_id=user_id,
                skill=skill,
                source="qualification",
                granted_by=granted_by,
                created_at=now,
            )
        )


def required_skills(
    rules: SkillRules, modalities: Iterable[str], metadata: Mapping[str, Any]
) -> set[str]:
    """The skills a sample's slots require under `rules`, from its streams' `modalities`
    and its `metadata`: `SkillRules.required`, ``modality:<m>`` per modality when
    `SkillRules.modalities`, ``<key>:<value>`` per key of `SkillRules.metadata` the
    metadata has (a list value: each item)."""
    found = set(rules.required)
    if rules.modalities:
        found.update(f"modality:{modality}" for modality in modalities)
    for key in rules.metadata:
        value = metadata.get(key)
        values = value if isinstance(value, list) else [value]
        found.update(
            f"{key}:{item}" for item in values if isinstance(item, str | int) and item != ""
        )
    return found


def write_sample_skills(
    connection: Connection, rules: SkillRules, sample_ids: Sequence[str]
) -> None:
    """Write the skills the samples' slots require under `rules` (rows there already
    stay)."""
    if not sample_ids or rules == SkillRules():
        return
    modalities: dict[str, set[str]] = {sample_id: set() for sample_id in sample_ids}
    if rules.modalities:
        for row in connection.execute(
            select(streams.c.sample_id, streams.c.modality)
            .where(streams.c.sample_id.in_(sample_ids))
            .distinct()
        ):
            modalities[row.sample_id].add(row.modality)
    metadata: dict[str, Mapping[str, Any]] = {sample_id: {} for sample_id in sample_ids}
    if rules.metadata:
        for row in connection.execute(
            select(samples.c.id, samples.c.metadata).where(samples.c.id.in_(sample_ids))
        ):
            loaded = orjson.loads(row.metadata)
            metadata[row.id] = loaded if isinstance(loaded, dict) else {}
    rows = [
        {"sample_id": sample_id, "skill": skill}
        for sample_id in sample_ids
        for skill in sorted(required_skills(rules, modalities[sample_id], metadata[sample_id]))
    ]
    if rows:
        dialect_insert = (
            postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        )
        connection.execute(dialect_insert(sample_skills).on_conflict_do_nothing(), rows)


def sample_skills_of(connection: Connection, sample_id: str) -> set[str]:
    """The skills the sample's slots require."""
    return set(
        connection.execute(
            select(sample_skills.c.skill).where(sample_skills.c.sample_id == sample_id)
        ).scalars()
    )
