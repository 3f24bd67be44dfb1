"""Probing a project's media again: each stream's file is read for what it holds (size,
duration, exact frame rate, sample rate, ...) and the stream's media info updated.

Streams are read a page at a time (keyset on their row order). What probing finds replaces
the stored fields it found; fields it cannot find (a point cloud's, a time series') keep
what the import said. Each stream whose media info changes gets one ``stream`` ``update``
event with the media info before and after; a page's changes are written in one
transaction. Only local files are probed: streams with a remote URI are counted and left
as they are, as are streams with inline text only. A file that cannot be probed does not
stop the others: the report lists each failure. Given the server's `Settings` (its jobs),
a file is read only inside the media roots (`services.media_access.stream_media_file`),
and one outside them is such a failure, naming the stream and the path.
"""

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Engine, func, select, update

from rosetta.core.errors import RosettaError
from rosetta.core.schema import MediaInfo
from rosetta.media.probe import probe
from rosetta.services.media_access import stream_media_file
from rosetta.services.projects import find_project
from rosetta.services.settings import Settings
from rosetta.store import events
from rosetta.store.engine import keyset_pages, write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import samples, streams

#: Streams read per page.
PAGE_SIZE = 200

#: Reports progress: the fraction done (0..1) and what is being done.
Progress = Callable[[float, str | None], None]


def _ignore(_fraction: float, _message: str | None = None) -> None:
    """The default progress callback."""


def is_remote(uri: str) -> bool:
    """Whether `uri` names media on another host (any scheme but ``file://``)."""
    return "://" in uri and not uri.startswith("file://")


def probe_project(
    engine: Engine,
    actor: Actor,
    project_id: str,
    *,
    only_missing: bool = False,
    progress: Progress = _ignore,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Probe the local media of every stream of the project and store what changed.

    With `only_missing`, only streams without any media info are probed; with `settings`,
    only files inside their media roots are read. Returns
    ``{"streams", "counts": {"updated" | "unchanged" | "remote" | "skipped" | "failed": n},
    "failures": [{"stream", "error"}]}``.
    """
    with engine.connect() as connection:
        find_project(connection, project_id)
        total = connection.execute(
            select(func.count()).select_from(_project_streams(project_id).subquery())
        ).scalar_one()
    counts: dict[str, int] = {}
    failures: list[dict[str, str]] = []
    done = 0
    query = _project_streams(project_id)
    for page in keyset_pages(engine, query, streams.c.pk, PAGE_SIZE):
        changes = []
        for row in page:
            status, changed = _probe_row(row, only_missing, settings, failures)
            counts[status] = counts.get(status, 0) + 1
            if changed is not None:
                changes.append((row, changed))
            done += 1
            progress(done / max(1, total), row.id)
        _write(engine, actor, project_id, changes)
    return {"streams": total, "counts": counts, "failures": failures}


def _probe_row(
    row: Any, only_missing: bool, settings: Settings | None, failures: list[dict[str, str]]
) -> tuple[str, MediaInfo | None]:
    """Probe one stream's file: its status and, when it changed, its new media info."""
    if row.uri is None:
        return "skipped", None
    if is_remote(row.uri):
        return "remote", None
    stored = MediaInfo.model_validate(orjson.loads(row.media))
    if only_missing and stored != MediaInfo():
        return "skipped", None
    try:
        found = probe(str(stream_media_file(row.id, row.uri, settings)), row.modality)
    except RosettaError as exc:
        failures.append({"stream": row.id, "error": str(exc)})
        return "failed", None
    merged = stored.model_copy(update=found.model_dump(exclude_none=True))
    return ("unchanged", None) if merged == stored else ("updated", merged)


def _write(
    engine: Engine, actor: Actor, project_id: str, changes: list[tuple[Any, MediaInfo]]
) -> None:
    if not changes:
        return
    rows = []
    with write_transaction(engine) as connection:
        for row, media in changes:
            after = media.model_dump(exclude_none=True)
            connection.execute(
                update(streams).where(streams.c.id == row.id).values(media=dumps(after))
            )
            rows.append(
                events.event_row(
                    project_id,
                    actor,
                    "stream",
                    row.id,
                    "update",
                    sample_id=row.sample_id,
                    before={"media": orjson.loads(row.media)},
                    after={"media": after},
                    note="probed",
                )
            )
        events.record(connection, rows)


def _project_streams(project_id: str) -> Any:
    return (
        select(
            streams.c.pk,
            streams.c.id,
            streams.c.sample_id,
            streams.c.modality,
            streams.c.uri,
            streams.c.media,
        )
        .join(samples, samples.c.id == streams.c.sample_id)
        .where(samples.c.project_id == project_id)
    )
