"""The stratified second review (`rosetta.core.workflow.SecondReview`): which samples a
first reviewer accepted go to a second reviewer.

Each accepted sample is counted in each of its strata (`review_strata`: modalities of its
streams, labels of its annotations, holders of its annotate slots, tenths of its model
candidates' confidence, and ``all``) in the project's ``review_strata`` rows, and picked
when any of them has had fewer picked than its share (`picks_second_review`); a picked
sample counts as picked in all its strata. The counts run inside the review's
transaction, one stratum row after another in sorted order (so two reviews at once on
PostgreSQL lock them in the same order), which makes the pick deterministic given the
order in which samples are accepted.
"""

import orjson
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rosetta.core.workflow import SecondReview, picks_second_review, review_strata
from rosetta.services.workflow import Step
from rosetta.store.tables import annotations, streams, tasks, users
from rosetta.store.tables import review_strata as strata_table


def pick(step: Step, sample_id: str, second: SecondReview) -> list[str]:
    """Count the accepted sample in its strata and say whether it goes to a second
    reviewer: the strata it was picked for (all of its strata), or none."""
    connection = step.connection
    strata = review_strata(
        second,
        modalities=connection.execute(
            select(streams.c.modality).where(streams.c.sample_id == sample_id).distinct()
        ).scalars(),
        labels=connection.execute(
            select(annotations.c.label).where(annotations.c.sample_id == sample_id).distinct()
        ).scalars(),
        annotators=connection.execute(
            select(users.c.name)
            .join(tasks, tasks.c.user_id == users.c.id)
            .where(tasks.c.sample_id == sample_id, tasks.c.stage == "annotate")
            .distinct()
        ).scalars(),
        confidences=_confidences(connection, sample_id),
    )
    counts = {stratum: _seen(step, stratum) for stratum in strata}
    if not picks_second_review(second.rate, counts):
        return []
    connection.execute(
        update(strata_table)
        .where(strata_table.c.project_id == step.project_id, strata_table.c.stratum.in_(strata))
        .values(picked=strata_table.c.picked + 1)
    )
    return strata


def _seen(step: Step, stratum: str) -> tuple[int, int]:
    """Count one more sample seen in the stratum; its counts ``(seen, picked)`` after."""
    dialect_insert = (
        postgresql.insert if step.connection.dialect.name == "postgresql" else sqlite.insert
    )
    statement = dialect_insert(strata_table).values(
        project_id=step.project_id, stratum=stratum, seen=1, picked=0
    )
    row = step.connection.execute(
        statement.on_conflict_do_update(
            index_elements=[strata_table.c.project_id, strata_table.c.stratum],
            set_={"seen": strata_table.c.seen + 1},
        ).returning(strata_table.c.seen, strata_table.c.picked)
    ).one()
    return int(row.seen), int(row.picked)


def _confidences(connection: Connection, sample_id: str) -> list[float]:
    """The confidences of the sample's model candidates that have one."""
    found: list[float] = []
    for source in connection.execute(
        select(annotations.c.source).where(annotations.c.sample_id == sample_id)
    ).scalars():
        parsed = orjson.loads(source)
        if parsed.get("kind") == "model" and parsed.get("confidence") is not None:
            found.append(float(parsed["confidence"]))
    return found
