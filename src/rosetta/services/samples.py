"""Changes to a sample itself: its workflow status and its metadata.

A sample's revision is the number of its newest event (`catalog.sample_revision`); a
change expects the revision it was based on and, like every change, appends an event
(object kind ``sample``, action ``update``, ``before``/``after`` holding the status and
the metadata), which gives the sample its new revision.
"""

from dataclasses import dataclass, replace
from typing import Any, get_args

import orjson
from sqlalchemy import Engine, select, update

from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.schema import SampleStatus
from rosetta.services.catalog import sample_revision
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import samples

STATUSES: tuple[str, ...] = get_args(SampleStatus)


@dataclass(frozen=True)
class SampleHead:
    """A sample's own fields (not its streams and work) and its revision."""

    id: str
    external_id: str | None
    status: SampleStatus
    metadata: dict[str, Any]
    revision: int

    def state(self) -> dict[str, Any]:
        """What a change of the sample records in its event."""
        return {"status": self.status, "metadata": self.metadata}

    def as_json(self) -> dict[str, Any]:
        """The head as the API sends it."""
        return {
            "id": self.id,
            "external_id": self.external_id,
            "status": self.status,
            "metadata": self.metadata,
            "revision": self.revision,
        }


def update_sample(
    engine: Engine,
    project_id: str,
    sample_id: str,
    expected_revision: int,
    actor: Actor,
    *,
    status: SampleStatus | None = None,
    metadata: dict[str, Any] | None = None,
) -> SampleHead:
    """Set the sample's status and/or replace its metadata (``None``: keep); the sample
    after, with its new revision. Changing nothing writes nothing.

    `status` is one of `STATUSES`. A sample whose revision is no longer
    `expected_revision` is a `ConflictError` carrying its head as it is now.
    """
    if status is not None and status not in STATUSES:
        raise RuleViolation(
            f"sample {sample_id!r}",
            "status",
            "sample-status",
            f"expected one of {', '.join(STATUSES)}, got {status!r}",
        )
    with write_transaction(engine) as connection:
        row = connection.execute(
            select(samples)
            .where(samples.c.id == sample_id, samples.c.project_id == project_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError("sample", sample_id)
        before = SampleHead(
            id=row.id,
            external_id=row.external_id,
            status=row.status,
            metadata=orjson.loads(row.metadata),
            revision=sample_revision(connection, sample_id),
        )
        if before.revision != expected_revision:
            raise ConflictError(
                f"sample {sample_id!r}",
                expected_revision,
                before.revision,
                current=before.as_json(),
            )
        after = replace(
            before,
            status=before.status if status is None else status,
            metadata=before.metadata if metadata is None else metadata,
        )
        if after == before:
            return before
        connection.execute(
            update(samples)
            .where(samples.c.id == sample_id)
            .values(status=after.status, metadata=dumps(after.metadata))
        )
        events.record(
            connection,
            [
                events.event_row(
                    project_id,
                    actor,
                    "sample",
                    sample_id,
                    "update",
                    sample_id=sample_id,
                    before=before.state(),
                    after=after.state(),
                )
            ],
        )
        return replace(after, revision=sample_revision(connection, sample_id))
