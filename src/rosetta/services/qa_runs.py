"""Running the QA checks over a project's samples and storing what they find
(`rosetta.services.findings.record_findings`), incrementally after every change and in
batch over the whole project.

Each sample is checked as a `rosetta.core.schema.Sample` with the project's current
ontology by `rosetta.core.checks.run_checks`. A check counts as *run* on a sample, so that
its stored findings there that it did not find again are resolved, unless it needs an
embedder and none is given, or it failed (its ``check-failed`` finding stands for the
findings it could not report, which stay as they were).

**Incremental** (`catch_up`): ``qa_cursors`` holds, per project, the newest event whose
sample has been checked since. A catch-up reads the samples named by the events after it
(the ``events (project_id, pk)`` index), a batch at a time, checks them, and in one
transaction per batch records their findings and moves the cursor past the batch, if the
cursor is still where it read it (compare and set, under a lock on the cursor's row): of
two callers catching up at once one writes and the other reads again from where the first
stopped. Nothing newer than the cursor costs one indexed query. The findings routes call
it before they answer. Events without a sample (tasks, escalations, findings' own status
changes, the ontology) check nothing: after an ontology migration, run a batch.

**Batch** (`check_project`, the ``qa`` job): the project's samples in order, a chunk at a
time (`CHUNK` by default), each chunk read as the exporter's lines (`rosetta.services.exporter.sample_lines`,
built in SQL) and recorded in one transaction, with a checkpoint after each chunk so that a
resumed job goes on after the last one. A sample that changed between being read and its
findings being written is left to the incremental checks (its newer event is after the
cursor), so a batch never writes findings older than the incremental ones. A pass of every
installed check moves the cursor to at least the newest event at its start.

Event numbers grow in the order events are written; on PostgreSQL a transaction may
commit after a later-numbered one, and a catch-up running between the two moves past the
first: its sample is checked again at its next change or batch.
"""

import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rosetta.core.checks import (
    Check,
    CheckSettings,
    Embedder,
)
from rosetta.core.errors import RosettaError
from rosetta.services.check_registry import select_checks
from rosetta.services.embedders import EmbedderName, embedder_named
from rosetta.services.exporter import CHUNK, count_samples, sample_lines
from rosetta.services.findings import Recorded, record_many
from rosetta.services.jobs import Job, JobContext, ProgressFn, run_here
from rosetta.services.projects import load_ontology
from rosetta.services.sample_checks import (
    Checked,
    CheckPool,
    PoolRun,
    check_lines,
    check_sample,
    default_workers,
    poolable,
)
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import load_samples
from rosetta.store.tables import events, qa_cursors, samples

#: The job kind of a batch run.
QA_KIND = "qa"

#: Samples a catch-up checks per transaction.
BATCH = 100

#: The fewest samples for which a batch run starts worker processes by default (starting
#: them takes about a second).
POOL_FROM = 4 * CHUNK

#: Events a catch-up reads per query while it gathers a batch of samples.
_EVENT_PAGE = 5000


def _chosen(checks: Sequence[Check] | None) -> list[Check]:
    return select_checks() if checks is None else list(checks)


# --- the cursor -----------------------------------------------------------------------------


def qa_cursor(connection: Connection, project_id: str) -> int:
    """The newest event of the project whose sample has been checked since (0: none)."""
    found = connection.execute(
        select(qa_cursors.c.event_pk).where(qa_cursors.c.project_id == project_id)
    ).scalar_one_or_none()
    return int(found or 0)


def _lock_cursor(connection: Connection, project_id: str) -> int:
    """The project's cursor, its row made if missing and locked until the transaction
    ends: every writer of the project's findings takes it first, so they write one after
    the other."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        dialect_insert(qa_cursors)
        .values(project_id=project_id, event_pk=0, updated_at=time.time())
        .on_conflict_do_nothing(index_elements=[qa_cursors.c.project_id])
    )
    return int(
        connection.execute(
            select(qa_cursors.c.event_pk)
            .where(qa_cursors.c.project_id == project_id)
            .with_for_update()
        ).scalar_one()
    )


def _move_cursor(connection: Connection, project_id: str, to: int) -> None:
    """Move the (locked) cursor forward to `to`; never back."""
    connection.execute(
        update(qa_cursors)
        .where(qa_cursors.c.project_id == project_id, qa_cursors.c.event_pk < to)
        .values(event_pk=to, updated_at=time.time())
    )


def _newest_event(connection: Connection, project_id: str) -> int:
    return int(
        connection.execute(
            select(func.max(events.c.pk)).where(events.c.project_id == project_id)
        ).scalar_one_or_none()
        or 0
    )


# --- incremental ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CatchUp:
    """What a catch-up did: samples checked, what their findings became, the cursor after,
    and whether it reached the newest event (``False``: `limit` stopped it first)."""

    samples: int
    recorded: Recorded
    cursor: int
    caught_up: bool


def catch_up(
    engine: Engine,
    project_id: str,
    *,
    checks: Sequence[Check] | None = None,
    settings: CheckSettings | None = None,
    embedder: Embedder | None = None,
    batch: int = BATCH,
    limit: int | None = None,
) -> CatchUp:
    """Check the samples of the project that changed since its cursor with `checks` (every
    installed one by default), `batch` samples per transaction, and move the cursor; stop
    once `limit` samples were checked (``None``: when caught up)."""
    chosen = _chosen(checks)
    checked = 0
    recorded = Recorded()
    while True:
        with engine.connect() as connection:
            cursor = qa_cursor(connection, project_id)
            sample_ids, bound = _pending(connection, project_id, cursor, batch)
            if bound == cursor:
                return CatchUp(checked, recorded, cursor, caught_up=True)
            ontology = load_ontology(connection, project_id)
            loaded = load_samples(connection, sample_ids)
        results = [
            check_sample(sample, ontology, chosen, settings=settings, embedder=embedder)
            for sample in loaded
        ]
        with write_transaction(engine) as connection:
            if _lock_cursor(connection, project_id) != cursor:
                continue  # another caller recorded this batch meanwhile: read again
            recorded += record_many(
                connection, project_id, [(r.sample, r.found, r.ran) for r in results]
            )
            _move_cursor(connection, project_id, bound)
        checked += len(results)
        if limit is not None and checked >= limit:
            with engine.connect() as connection:
                done = _newest_event(connection, project_id) <= bound
            return CatchUp(checked, recorded, bound, caught_up=done)


def _pending(
    connection: Connection, project_id: str, cursor: int, batch: int
) -> tuple[list[str], int]:
    """The (existing) samples named by the first events after `cursor`, at most `batch` of
    them, and the newest event they cover (`cursor`: nothing new)."""
    newest = _newest_event(connection, project_id)
    if newest <= cursor:
        return [], cursor
    named: dict[str, None] = {}
    bound = after = cursor
    while bound < newest:
        page = connection.execute(
            select(events.c.pk, events.c.sample_id)
            .where(
                events.c.project_id == project_id,
                events.c.pk > after,
                events.c.pk <= newest,
                events.c.sample_id.is_not(None),
            )
            .order_by(events.c.pk)
            .limit(_EVENT_PAGE)
        ).all()
        for pk, sample_id in page:
            if sample_id not in named:
                if len(named) == batch:
                    return _existing(connection, named), bound
                named[sample_id] = None
            bound = pk
        if len(page) < _EVENT_PAGE:
            bound = newest
        else:
            after = page[-1].pk
    return _existing(connection, named), bound


def _existing(connection: Connection, named: dict[str, None]) -> list[str]:
    """The samples of `named` that exist, in its order."""
    if not named:
        return []
    there = set(connection.execute(select(samples.c.id).where(samples.c.id.in_(named))).scalars())
    return [sample_id for sample_id in named if sample_id in there]


# --- batch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchPosition:
    """How far a batch run got: `samples` checked (the last with row key `after`, -1: none
    yet), `skipped` left to the incremental checks, the newest event at its start
    (`head`), what their findings became, and the findings found per check and severity."""

    after: int = -1
    samples: int = 0
    skipped: int = 0
    head: int | None = None
    recorded: Recorded = field(default_factory=Recorded)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The position as a JSON object (a job's checkpoint)."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> "BatchPosition":
        """The position a `to_json` object names; the start for None."""
        if value is None:
            return cls()
        return cls(**{**value, "recorded": Recorded(**value["recorded"])})


def check_project(
    engine: Engine,
    project_id: str,
    *,
    checks: Sequence[Check] | None = None,
    settings: CheckSettings | None = None,
    embedder: Embedder | None = None,
    start: BatchPosition | None = None,
    chunk: int = CHUNK,
    workers: int = 1,
    on_chunk: Callable[[BatchPosition], None] | None = None,
) -> BatchPosition:
    """Check every sample of the project after `start` with `checks` (every installed one
    by default) and record their findings, `chunk` samples per transaction, calling
    `on_chunk` with the position after each; the position at the end. With `workers` > 1
    (and checks a `CheckPool` can run) worker processes check each chunk while this one
    reads the next and records the last. A pass of every installed check (`checks` ``None``)
    then moves the cursor to the newest event at its start."""
    chosen = _chosen(checks)
    position = start or BatchPosition()
    if position.head is None:
        with engine.connect() as connection:
            position = BatchPosition(head=_newest_event(connection, project_id))
    pool = (
        CheckPool(workers, chosen, settings) if workers > 1 and poolable(chosen, embedder) else None
    )
    # the chunk being checked: its last row key, the newest event before it was read, and
    # its findings (or the pool's run that gives them)
    # with a pool, the chunk its workers are checking while this process reads the next
    # one: its last row key, the newest event before it was read, and the pool's run
    pending: tuple[int, int, PoolRun] | None = None

    def record(last: int, read_at: int, results: list[Checked]) -> None:
        nonlocal position
        position = _record_chunk(engine, project_id, position, results, last=last, head=read_at)
        if on_chunk is not None:
            on_chunk(position)

    try:
        while True:
            with engine.connect() as connection:
                head = _newest_event(connection, project_id)
                ontology = load_ontology(connection, project_id)
            after = position.after if pending is None else pending[0]
            rows = list(itertools.islice(sample_lines(engine, project_id, after=after), chunk))
            lines = [line for _, line in rows]
            if pool is None:
                if not rows:
                    break
                checked = check_lines(lines, ontology, chosen, settings=settings, embedder=embedder)
                record(rows[-1][0], head, checked)
                continue
            current = (rows[-1][0], head, pool.submit(lines, ontology)) if rows else None
            if pending is not None:
                record(pending[0], pending[1], pending[2].results())
            if current is None:
                break
            pending = current
    finally:
        if pool is not None:
            pool.close()
    if checks is None and position.head:
        with write_transaction(engine) as connection:
            _lock_cursor(connection, project_id)
            _move_cursor(connection, project_id, position.head)
    return position


def _record_chunk(
    engine: Engine,
    project_id: str,
    position: BatchPosition,
    results: list[Checked],
    *,
    last: int,
    head: int,
) -> BatchPosition:
    """Record a chunk's findings, but those of the samples with events after `head` (read
    before the chunk was); the position after it."""
    recorded = position.recorded
    counts = Counter({(c, s): n for c, by in position.counts.items() for s, n in by.items()})
    with write_transaction(engine) as connection:
        _lock_cursor(connection, project_id)
        changed = set(
            connection.execute(
                select(events.c.sample_id)
                .where(
                    events.c.project_id == project_id,
                    events.c.pk > head,
                    events.c.sample_id.in_([result.sample for result in results]),
                )
                .distinct()
            ).scalars()
        )
        kept = [result for result in results if result.sample not in changed]
        recorded += record_many(connection, project_id, [(r.sample, r.found, r.ran) for r in kept])
        for result in kept:
            counts.update((finding.check, finding.severity.value) for finding in result.found)
    nested: dict[str, dict[str, int]] = {}
    for (check, severity), count in sorted(counts.items()):
        nested.setdefault(check, {})[severity] = count
    return BatchPosition(
        after=last,
        samples=position.samples + len(results),
        skipped=position.skipped + len(changed),
        head=position.head,
        recorded=recorded,
        counts=nested,
    )


class QaParams(BaseModel):
    """Run QA checks over every sample of the project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: list[str] | None = Field(
        default=None, description="The checks to run, by name; none: every installed one."
    )
    settings: CheckSettings = Field(
        default_factory=CheckSettings, description="The checks' tolerances."
    )
    chunk: int = Field(default=CHUNK, ge=1, le=10_000, description="Samples per transaction.")
    embedder: EmbedderName | None = Field(
        default=None,
        description="The embedder of the checks that need one (embedding-divergence): "
        "``minilm`` (text) or ``clip`` (words and image regions); none: they are skipped.",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description=(
            "Worker processes that check samples; none: one per core (at most 4) for a "
            f"project of {POOL_FROM} samples or more, else the job's own."
        ),
    )

    @field_validator("checks")
    @classmethod
    def _sorted(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted(set(value))


def known_checks(_connection: Connection, _project_id: str, params: QaParams) -> None:
    """Refuse params naming a check that is not installed (`RuleViolation`)."""
    select_checks(params.checks)


def qa_job(context: JobContext, params: QaParams) -> dict[str, Any]:
    """The ``qa`` job: `check_project` from the job's checkpoint, checkpointing after each
    chunk; its result is the end position's counts."""
    project_id = context.job.project_id
    if project_id is None:
        raise RosettaError(f"job {context.job.id} names no project")
    checks = None if params.checks is None else select_checks(params.checks)
    with context.engine.connect() as connection:
        total = count_samples(connection, project_id)
    start = BatchPosition.from_json(context.checkpoint)
    if start.samples:
        context.log(f"going on after {start.samples} samples")

    def chunk_done(position: BatchPosition) -> None:
        context.checkpoint_to(position.to_json())
        context.progress(position.samples / max(1, total), f"{position.samples} of {total}")

    workers = params.workers or (default_workers() if total - start.samples >= POOL_FROM else 1)
    end = check_project(
        context.engine,
        project_id,
        checks=checks,
        settings=params.settings,
        start=start,
        chunk=params.chunk,
        workers=workers,
        on_chunk=chunk_done,
        embedder=None
        if params.embedder is None
        else embedder_named(params.embedder, context.settings),
    )
    return {
        "samples": end.samples,
        "skipped": end.skipped,
        "findings": end.counts,
        **asdict(end.recorded),
    }


def run_project_checks(
    engine: Engine,
    actor: Actor,
    project_id: str,
    params: QaParams,
    progress: ProgressFn | None = None,
) -> Job:
    """Run the ``qa`` job with `params` here and now, recorded as a job; the finished job
    (`progress` sees its progress reports)."""
    select_checks(params.checks)
    return run_here(
        engine,
        actor,
        QA_KIND,
        project_id,
        project_id=project_id,
        handler=lambda context: qa_job(context, params),
        params=params.model_dump(mode="json"),
        progress=progress,
    )
