"""Read-side queries for browsing a project: pages of samples (keyset, filtered, as the
caller may see them), one sample as its reader sees it, streams, an object's history and
the project's assignments.

Listings page by keyset on ``pk`` (never OFFSET): each page ends with an opaque
``next_cursor`` that the next request passes back as ``cursor``; rows inserted meanwhile
come on later pages, so paging neither repeats nor skips a row.
"""

import base64
import binascii
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    false,
    func,
    select,
    true,
    union_all,
)

from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.policies import Access, sees_every_sample
from rosetta.core.schema import Stream
from rosetta.services.visibility import SeenWork, hides_candidates
from rosetta.store.direct import Prepared
from rosetta.store.events import NEWEST_OF_SAMPLE, Event, history
from rosetta.store.records import stream_from_row
from rosetta.store.tables import (
    annotations,
    assignments,
    entities,
    events,
    links,
    projects,
    samples,
    streams,
    users,
)


def encode_cursor(kind: str, pk: int) -> str:
    """The opaque cursor of a `kind` listing whose last row had primary key `pk`."""
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int:
    """The primary key a `kind` listing continues after (0: from the start)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, pk = text.partition(":")
        if prefix == kind and pk.isdigit():
            return int(pk)
    except (binascii.Error, ValueError):
        pass
    raise RuleViolation(
        f"{kind} listing",
        "cursor",
        "cursor",
        f"expected the next_cursor of an earlier page of this listing, got {cursor!r}",
    )


@dataclass(frozen=True)
class SampleSummary:
    """One sample in a listing: its ids, status, metadata and how much is drawn on it.

    ``gold`` says whether it is a gold sample to the people who may know (reviewers and
    above); for annotators it is always ``false``, so the listing never tells them which of
    their samples hold the reference answers.
    """

    id: str
    external_id: str | None
    status: str
    metadata: dict[str, Any]
    modalities: list[str] = field(default_factory=list)
    annotations: int = 0
    links: int = 0
    stale_links: int = 0
    gold: bool = False


def _count_by_sample(
    connection: Connection, column: Any, sample_ids: Sequence[str], *where: Any
) -> dict[str, int]:
    rows = connection.execute(
        select(column, func.count()).where(column.in_(sample_ids), *where).group_by(column)
    )
    return {row[0]: int(row[1]) for row in rows}


@dataclass(frozen=True)
class SampleFilters:
    """What listed samples must have, all combined (``None``: no condition). Work counts
    only where the caller sees it."""

    #: an annotation with this label
    label: str | None = None
    #: a stream of this modality
    modality: str | None = None
    #: this review status
    status: str | None = None
    #: an annotation authored by this user name
    annotator: str | None = None
    #: stale links (``True``) or none (``False``)
    stale: bool | None = None

    def probes(self) -> bool:
        """Whether a filter needs the samples' work or streams looked at, one by one."""
        return any(
            value is not None for value in (self.label, self.modality, self.annotator, self.stale)
        )


@dataclass(frozen=True)
class SampleListing:
    """A page of samples in insertion order; ``next_cursor`` is ``None`` on the last. A
    filtered page may hold fewer than asked for, even none, and still have a
    ``next_cursor``: keep following it (`browse_samples`)."""

    items: list[SampleSummary]
    next_cursor: str | None


def browse_samples(
    connection: Connection,
    access: Access,
    filters: SampleFilters = SampleFilters(),
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> SampleListing:
    """Up to `limit` samples of the project of `access` that its person may read (all for
    reviewers and above, those assigned to them for annotators) and that meet `filters`,
    after `cursor`; counts are of the work the person sees.

    Filters are ``EXISTS`` subqueries on indexed columns, probed sample by sample in
    ``pk`` order until the page is full. A filter that few rows meet (fewer than `RARE`)
    drives the page from its own index instead (its samples looked up and sorted). A
    reviewer's page that must probe looks at no more than `SCAN` samples: when they hold
    fewer than `limit` matches the page is short (or empty) and its ``next_cursor`` goes on
    after them. So a page costs at most that much at any depth, whatever the filter.
    Counts are computed for the page's samples only; ``gold`` is told to reviewers and
    above only (`SampleSummary`).
    """
    after = decode_cursor("samples", cursor)
    page = select(
        samples.c.pk,
        samples.c.id,
        samples.c.external_id,
        samples.c.status,
        samples.c.metadata,
        samples.c.gold,
    ).where(samples.c.project_id == access.project_id, samples.c.pk > after)
    driver = _rare_filter(connection, access.project_id, filters)
    if driver is not None:
        page = page.join(driver, driver.c.sample_id == samples.c.id)
    seen: SeenWork | None = None
    bound: int | None = None
    if sees_every_sample(access):
        page = page.add_columns(true().label("sees_all"), false().label("hides"))
        if driver is None and filters.probes():
            bound = _scan_end(connection, access.project_id, after)
            if bound is not None:
                page = page.where(samples.c.pk <= bound)
    else:  # the few samples assigned to the person drive the page
        open_ = and_(~samples.c.gold, ~assignments.c.blind)
        hides = hides_candidates(samples.c.id, access.principal.user_id)
        seen = SeenWork(access.principal.name, open_, hides)
        page = page.add_columns(open_.label("sees_all"), hides.label("hides")).join(
            assignments,
            and_(
                assignments.c.sample_id == samples.c.id,
                assignments.c.user_id == access.principal.user_id,
                assignments.c.project_id == access.project_id,
            ),
        )
    rows = connection.execute(
        page.where(*_conditions(filters, seen)).order_by(samples.c.pk).limit(limit + 1)
    ).all()
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor: str | None = encode_cursor("samples", rows[-1].pk)
    else:
        next_cursor = None if bound is None else encode_cursor("samples", bound)
    seen_by = None if seen is None else seen.author
    return SampleListing(items=_summaries(connection, rows, seen_by), next_cursor=next_cursor)


#: Fewer matching rows than this make a filter drive the page query (`browse_samples`).
RARE = 1000
#: The most samples one page of a reviewer's listing probes (`browse_samples`).
SCAN = 10_000


def _scan_end(connection: Connection, project_id: str, after: int) -> int | None:
    """The pk of the `SCAN`-th sample of the project after `after`; ``None`` when fewer
    follow. Read from the ``samples(project_id, pk)`` index alone."""
    window = (
        select(samples.c.pk)
        .where(samples.c.project_id == project_id, samples.c.pk > after)
        .order_by(samples.c.pk)
        .limit(SCAN)
        .subquery()
    )
    count, last = connection.execute(select(func.count(), func.max(window.c.pk))).one()
    return int(last) if count == SCAN else None


def _rare_filter(connection: Connection, project_id: str, filters: SampleFilters) -> Any:
    """The samples meeting the filter that the fewest rows meet, as a subquery, when fewer
    than `RARE` rows meet it; ``None`` otherwise. Counting stops at `RARE` index entries."""
    candidates: list[tuple[Any, ColumnElement[bool]]] = []
    if filters.label is not None:
        candidates.append((annotations, annotations.c.label == filters.label))
    if filters.annotator is not None:
        candidates.append((annotations, annotations.c.author == filters.annotator))
    if filters.stale:
        candidates.append((links, links.c.status == "stale"))
    rarest: tuple[int, Any] | None = None
    for table, condition in candidates:
        where = (table.c.project_id == project_id, condition)
        counted = select(table.c.pk).where(*where).limit(RARE).subquery()
        count = connection.execute(select(func.count()).select_from(counted)).scalar_one()
        if count < RARE and (rarest is None or count < rarest[0]):
            rarest = (count, select(table.c.sample_id).where(*where).distinct().subquery())
    return None if rarest is None else rarest[1]


def _conditions(filters: SampleFilters, seen: SeenWork | None) -> list[ColumnElement[bool]]:
    """The filters as conditions on ``samples``, on the work `seen` sees (all if ``None``)."""

    def has(table: Any, *where: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(select(table.c.pk).where(table.c.sample_id == samples.c.id, *where))

    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(samples.c.status == filters.status)
    if filters.modality is not None:
        conditions.append(has(streams, streams.c.modality == filters.modality))
    seen_annotations = () if seen is None else (seen.annotations(),)
    if filters.label is not None:
        conditions.append(has(annotations, annotations.c.label == filters.label, *seen_annotations))
    if filters.annotator is not None:
        conditions.append(
            has(annotations, annotations.c.author == filters.annotator, *seen_annotations)
        )
    if filters.stale is not None:
        seen_links = () if seen is None else (seen.links(),)
        stale = has(links, links.c.status == "stale", *seen_links)
        conditions.append(stale if filters.stale else ~stale)
    return conditions


def _summaries(
    connection: Connection, rows: Sequence[Any], seen_by: str | None = None
) -> list[SampleSummary]:
    """The summaries of sample rows, counting all work and telling which are gold, or with
    `seen_by` the work that annotator sees (everyone's on the rows whose ``sees_all`` is
    true, their own elsewhere, no model candidates where ``hides`` is) and no sample as
    gold."""
    ids = [row.id for row in rows]
    if not ids:
        return []
    modalities: dict[str, list[str]] = {sample_id: [] for sample_id in ids}
    for row in connection.execute(
        select(streams.c.sample_id, streams.c.modality)
        .where(streams.c.sample_id.in_(ids))
        .order_by(streams.c.pk)
    ):
        modalities[row.sample_id].append(row.modality)
    seen_annotations: list[ColumnElement[bool]] = []
    seen_links: list[ColumnElement[bool]] = []
    if seen_by is not None:
        open_ids = [row.id for row in rows if row.sees_all]
        hidden_ids = [row.id for row in rows if row.hides]
        annotation_seen = SeenWork(
            seen_by,
            annotations.c.sample_id.in_(open_ids),
            annotations.c.sample_id.in_(hidden_ids),
        )
        link_seen = SeenWork(
            seen_by, links.c.sample_id.in_(open_ids), links.c.sample_id.in_(hidden_ids)
        )
        seen_annotations.append(annotation_seen.annotations())
        seen_links.append(link_seen.links())
    annotation_counts = _count_by_sample(
        connection, annotations.c.sample_id, ids, *seen_annotations
    )
    link_counts = {
        row.sample_id: (int(row.links), int(row.stale))
        for row in connection.execute(
            select(
                links.c.sample_id,
                func.count().label("links"),
                func.sum(case((links.c.status == "stale", 1), else_=0)).label("stale"),
            )
            .where(links.c.sample_id.in_(ids), *seen_links)
            .group_by(links.c.sample_id)
        )
    }
    return [
        SampleSummary(
            id=row.id,
            external_id=row.external_id,
            status=row.status,
            metadata=orjson.loads(row.metadata),
            modalities=modalities[row.id],
            annotations=annotation_counts.get(row.id, 0),
            links=link_counts.get(row.id, (0, 0))[0],
            stale_links=link_counts.get(row.id, (0, 0))[1],
            gold=seen_by is None and bool(row.gold),
        )
        for row in rows
    ]


def sample_streams(connection: Connection, sample_id: str) -> list[Stream]:
    """The sample's streams in insertion order."""
    rows = connection.execute(
        select(streams).where(streams.c.sample_id == sample_id).order_by(streams.c.pk)
    )
    return [stream_from_row(row) for row in rows]


def sample_project(connection: Connection, sample_id: str) -> str:
    """The id of the project sample `sample_id` belongs to."""
    project_id = connection.execute(
        select(samples.c.project_id).where(samples.c.id == sample_id)
    ).scalar_one_or_none()
    if project_id is None:
        raise NotFoundError("sample", sample_id)
    return str(project_id)


def find_stream(connection: Connection, stream_id: str) -> Stream:
    """The stream `stream_id`."""
    row = connection.execute(select(streams).where(streams.c.id == stream_id)).first()
    if row is None:
        raise NotFoundError("stream", stream_id)
    return stream_from_row(row)


def object_history(connection: Connection, object_id: str) -> list[Event]:
    """Every event about `object_id`, oldest first; `NotFoundError` when it has none."""
    found = history(connection, object_id)
    if not found:
        raise NotFoundError("object", object_id)
    return found


def object_projects(connection: Connection, object_id: str) -> list[str]:
    """The projects `object_id` (a project, sample, stream, annotation, entity, link or
    user) belongs to: that of its row and those of its events (a deleted object's; a user's
    role changes, one per project they were in). `NotFoundError` when there are none."""
    found = connection.execute(
        union_all(
            select(projects.c.id).where(projects.c.id == object_id),
            select(samples.c.project_id).where(samples.c.id == object_id),
            select(samples.c.project_id)
            .join(streams, streams.c.sample_id == samples.c.id)
            .where(streams.c.id == object_id),
            *(
                select(table.c.project_id).where(table.c.id == object_id)
                for table in (annotations, entities, links)
            ),
            select(events.c.project_id).where(events.c.object_id == object_id).distinct(),
        )
    ).scalars()
    project_ids = sorted(set(found))
    if not project_ids:
        raise NotFoundError("object", object_id)
    return project_ids


@dataclass(frozen=True)
class HistoryPage:
    """A page of an object's events, oldest first; ``next_cursor`` is ``None`` on the last."""

    items: list[Event]
    next_cursor: str | None


def history_page(
    connection: Connection,
    object_id: str,
    project_ids: Collection[str],
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> HistoryPage:
    """Up to `limit` events about `object_id` after `cursor` (`object_history`), leaving
    out those of projects other than `project_ids` (a user's role changes there)."""
    after = decode_cursor("history", cursor)
    elsewhere = set(
        connection.execute(
            select(events.c.pk).where(
                events.c.object_id == object_id, events.c.project_id.not_in(project_ids)
            )
        ).scalars()
    )
    found = [
        event
        for event in object_history(connection, object_id)
        if event.pk > after and event.pk not in elsewhere
    ]
    more = len(found) > limit
    items = found[:limit]
    return HistoryPage(
        items=items, next_cursor=encode_cursor("history", items[-1].pk) if more else None
    )


@dataclass(frozen=True)
class SampleAssignment:
    """A sample given to a user (``blind``: they see no one else's work on it)."""

    sample_id: str
    user_id: str
    user: str
    blind: bool


@dataclass(frozen=True)
class AssignmentPage:
    """A page of assignments in the order they were made; ``next_cursor`` is ``None`` on
    the last."""

    items: list[SampleAssignment]
    next_cursor: str | None


def list_assignments(
    connection: Connection,
    project_id: str,
    *,
    user_id: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> AssignmentPage:
    """Up to `limit` of the project's assignments (of user `user_id` only, if given) after
    `cursor`."""
    after = decode_cursor("assignments", cursor)
    query = (
        select(
            assignments.c.pk,
            assignments.c.sample_id,
            assignments.c.user_id,
            assignments.c.blind,
            users.c.name,
        )
        .join(users, users.c.id == assignments.c.user_id)
        .where(assignments.c.project_id == project_id, assignments.c.pk > after)
    )
    if user_id is not None:
        query = query.where(assignments.c.user_id == user_id)
    rows = connection.execute(query.order_by(assignments.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return AssignmentPage(
        items=[
            SampleAssignment(
                sample_id=row.sample_id, user_id=row.user_id, user=row.name, blind=bool(row.blind)
            )
            for row in rows
        ],
        next_cursor=encode_cursor("assignments", rows[-1].pk) if more else None,
    )


_NEWEST_OF_SAMPLE = Prepared(NEWEST_OF_SAMPLE)


def sample_revision(connection: Connection, sample_id: str) -> int:
    """The sample's revision: the number of its newest event (0 before any), which grows
    with every change to it or anything on it. Whole-sample reads send it as their ETag
    and whole-sample writes expect it in ``If-Match``."""
    (newest,) = _NEWEST_OF_SAMPLE.rows(connection, {"sample_id": sample_id})[0]
    return 0 if newest is None else int(newest)
