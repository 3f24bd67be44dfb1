"""Applying an ontology migration to a project, with a record.

`migrate_ontology` plans with `rosetta.core.ontology_migration.plan_migration`, then in one
transaction: bumps the project's ontology version (a stale ``expected_version`` is a
`ConflictError`), relabels and flags the affected annotations label by label in chunks by
primary key (index-served; memory stays constant however large the project), turns stale the confirmed links whose
endpoints changed meaning (merge, split), relabels entity labels, stores the new immutable
ontology version with the migration and its report, and records an event per changed
object plus one ``ontology`` event.

A relabelled annotation that no longer satisfies its new class (a geometry the class does
not allow, an attribute it does not have) is kept and flagged ``<rule>:<field>``, never
dropped; so are annotations of deprecated classes.
"""

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    bindparam,
    insert,
    select,
    update,
)

import rosetta
from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.ontology_migration import Migration, RelabelPlan, plan_migration
from rosetta.core.schema import Annotation, Entity
from rosetta.core.validation import check_label
from rosetta.services.editing import (
    mark_annotation_links_stale,
    mark_links_stale,
    record_json,
)
from rosetta.services.projects import load_ontology
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.records import annotation_from_row, entity_from_row, members_of
from rosetta.store.tables import annotations, entities, ontology_versions, projects

TOOL = "ontology-migration"
CHUNK = 500


@dataclass(frozen=True)
class MigrationReport:
    """What a migration did.

    ``relabelled`` counts relabelled annotations per label they had before; ``flagged``
    counts annotations that got a new flag; ``stale_links`` the links that turned stale;
    ``dropped_rules`` names the attribute rules that could not follow their classes.
    """

    from_version: int
    to_version: int
    relabelled: dict[str, int]
    flagged: int
    stale_links: int
    dropped_rules: list[str] = field(default_factory=list)


@dataclass
class _Run:
    """One migration in progress: where it writes and what it has done so far."""

    connection: Connection
    project_id: str
    actor: Actor
    plan: RelabelPlan
    ontology: Ontology
    relabelled: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    stale_links: int = 0

    def problems(self, annotation: Annotation) -> list[str]:
        """Flags for a relabelled annotation that breaks a rule of its new class."""
        try:
            check_label(annotation, self.ontology, allow_deprecated=True)
        except RuleViolation as exc:
            return [f"{exc.rule}:{exc.field}"]
        return []

    def annotations(self, rows: Sequence[Row[Any]]) -> None:
        """Relabel, flag and record one chunk; stale the links of changed meaning."""
        writes: list[dict[str, Any]] = []
        recorded: list[dict[str, Any]] = []
        stale: dict[str, str] = {}
        version = self.ontology.version
        for row in rows:
            before = annotation_from_row(row)
            label = self.plan.final(before.label)
            after = before.model_copy(update={"label": label})
            reasons = self.plan.flags.get(before.label, [])
            if label != before.label:
                reasons = [*reasons, *self.problems(after)]
            new_flags = [flag for flag in dict.fromkeys(reasons) if flag not in before.flags]
            if before.label in self.plan.stale_links:
                stale[before.id] = (
                    f"annotation {before.id!r}: its class {before.label!r} changed meaning "
                    f"in ontology version {version}"
                )
            if label == before.label and not new_flags:
                continue
            after = after.model_copy(
                update={
                    "flags": [*before.flags, *new_flags],
                    "revision": before.revision + 1,
                    "ontology_version": version,
                }
            )
            writes.append(
                {
                    "b_pk": row.pk,
                    "b_label": label,
                    "b_flags": dumps(after.flags),
                    "b_rev": after.revision,
                }
            )
            recorded.append(self._event("annotation", row.sample_id, before, after))
            if label != before.label:
                self.relabelled[before.label] = self.relabelled.get(before.label, 0) + 1
            self.flagged += bool(new_flags)
        if writes:
            self.connection.execute(
                update(annotations)
                .where(annotations.c.pk == bindparam("b_pk"))
                .values(
                    label=bindparam("b_label"),
                    flags=bindparam("b_flags"),
                    revision=bindparam("b_rev"),
                    ontology_version=version,
                ),
                writes,
            )
        events.record(self.connection, recorded)
        self.stale_links += mark_annotation_links_stale(
            self.connection, self.project_id, self.actor, stale
        )

    def entities(self, rows: Sequence[Row[Any]]) -> None:
        """Relabel one chunk of entities; stale the links of those whose class changed meaning."""
        writes: list[dict[str, Any]] = []
        recorded: list[dict[str, Any]] = []
        stale: dict[str, str] = {}
        members = members_of(self.connection, [row.id for row in rows])
        for row in rows:
            before = entity_from_row(row, members[row.id])
            label = self.plan.final(row.label)
            if row.label in self.plan.stale_links:
                stale[row.id] = (
                    f"entity {row.id!r}: its class {row.label!r} changed meaning "
                    f"in ontology version {self.ontology.version}"
                )
            if label == row.label:
                continue
            after = before.model_copy(update={"label": label, "revision": row.revision + 1})
            writes.append({"b_pk": row.pk, "b_label": label, "b_rev": after.revision})
            recorded.append(self._event("entity", row.sample_id, before, after))
        if writes:
            self.connection.execute(
                update(entities)
                .where(entities.c.pk == bindparam("b_pk"))
                .values(label=bindparam("b_label"), revision=bindparam("b_rev")),
                writes,
            )
        events.record(self.connection, recorded)
        self.stale_links += mark_links_stale(self.connection, self.project_id, self.actor, stale)

    def _event(
        self, kind: str, sample_id: str, before: Annotation | Entity, after: Annotation | Entity
    ) -> dict[str, Any]:
        return events.event_row(
            self.project_id,
            self.actor,
            kind,
            after.id,
            "migrate",
            sample_id=sample_id,
            revision=after.revision,
            before=record_json(before),
            after=record_json(after),
        )


def _in_chunks(
    connection: Connection, table: Table, where: list[ColumnElement[bool]], chunk_size: int
) -> Iterator[Sequence[Row[Any]]]:
    """The rows of `table` matching `where`, locked, `chunk_size` at a time by primary key."""
    last = 0
    while True:
        rows = connection.execute(
            select(table)
            .where(*where, table.c.pk > last)
            .order_by(table.c.pk)
            .limit(chunk_size)
            .with_for_update()
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _lock_version(connection: Connection, project_id: str) -> int:
    """The project's ontology version, its row locked until the transaction ends."""
    version = connection.execute(
        select(projects.c.ontology_version).where(projects.c.id == project_id).with_for_update()
    ).scalar_one_or_none()
    if version is None:
        raise NotFoundError("project", project_id)
    return int(version)


def migrate_ontology(
    engine: Engine,
    project_id: str,
    migration: Migration,
    actor: Actor,
    *,
    expected_version: int | None = None,
    chunk_size: int = CHUNK,
) -> MigrationReport:
    """Take the project to the next ontology version by `migration`, in a transaction of
    its own; what it did (`migrate_ontology_in`)."""
    with write_transaction(engine) as connection:
        return migrate_ontology_in(
            connection,
            project_id,
            migration,
            actor,
            expected_version=expected_version,
            chunk_size=chunk_size,
        )


def migrate_ontology_in(
    connection: Connection,
    project_id: str,
    migration: Migration,
    actor: Actor,
    *,
    expected_version: int | None = None,
    chunk_size: int = CHUNK,
) -> MigrationReport:
    """Take the project to the next ontology version by `migration` inside the caller's
    write transaction `connection` (whatever fails after it rolls it back too); what it
    did.

    Changes to annotations and entities are recorded with the tool ``ontology-migration``.
    """
    tool = Actor(actor.name, tool=TOOL, tool_version=rosetta.__version__)
    obj = f"project {project_id!r} ontology"
    version = _lock_version(connection, project_id)
    for wanted in (expected_version, migration.from_version):
        if wanted is not None and wanted != version:
            raise ConflictError(obj, wanted, version)
    current = load_ontology(connection, project_id, version)
    upgraded, plan = plan_migration(current, migration)
    bumped = connection.execute(
        update(projects)
        .where(projects.c.id == project_id, projects.c.ontology_version == version)
        .values(ontology_version=upgraded.version)
    )
    if bumped.rowcount != 1:
        raise ConflictError(obj, version, _lock_version(connection, project_id))
    run = _Run(connection, project_id, tool, plan, upgraded)
    labels = sorted(plan.affected())
    for label in labels:
        # rows this migration already moved into `label` carry the new version: skip them
        where = [
            annotations.c.project_id == project_id,
            annotations.c.label == label,
            annotations.c.ontology_version.is_distinct_from(upgraded.version),
        ]
        for rows in _in_chunks(connection, annotations, where, chunk_size):
            run.annotations(rows)
    if labels:
        where = [entities.c.project_id == project_id, entities.c.label.in_(labels)]
        for rows in _in_chunks(connection, entities, where, chunk_size):
            run.entities(rows)
    report = MigrationReport(
        from_version=current.version,
        to_version=upgraded.version,
        relabelled=run.relabelled,
        flagged=run.flagged,
        stale_links=run.stale_links,
        dropped_rules=plan.dropped_rules,
    )
    before = current.model_dump(mode="json", exclude_none=True)
    after = upgraded.model_dump(mode="json", exclude_none=True)
    connection.execute(
        insert(ontology_versions).values(
            project_id=project_id,
            version=upgraded.version,
            body=dumps(after),
            migration=dumps(migration.model_dump(mode="json", by_alias=True, exclude_none=True)),
            report=dumps(asdict(report)),
            actor=actor.name,
            created_at=datetime.now(UTC),
        )
    )
    events.record(
        connection,
        [
            events.event_row(
                project_id,
                tool,
                "ontology",
                project_id,
                "migrate",
                revision=upgraded.version,
                before=before,
                after=after,
                note=migration.description or None,
            )
        ],
    )
    return report
