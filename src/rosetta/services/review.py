"""The review queue: what needs a person's eyes after a change.

Two lists, each in insertion order and paginated by keyset (never OFFSET): links that turned
``stale`` because an endpoint changed, and annotations carrying flags (set by ontology
migrations: split, deprecated class, no longer valid after a relabel).
"""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from rosetta.core.errors import RosettaError
from rosetta.core.schema import Annotation, Link
from rosetta.store.records import annotation_from_row, link_from_row
from rosetta.store.tables import FLAGGED, annotations, links


@dataclass(frozen=True)
class ReviewQueue:
    """One page of the queue.

    ``sample_of`` maps every listed link and annotation id to its sample id. Pass
    ``next_cursor`` back to `review_queue` for the next page; it is ``None`` on the last.
    """

    stale_links: list[Link]
    flagged: list[Annotation]
    sample_of: dict[str, str]
    next_cursor: str | None


def _parse_cursor(cursor: str | None) -> tuple[int, int]:
    if cursor is None:
        return 0, 0
    try:
        link_pk, annotation_pk = (int(part) for part in cursor.split(".", 1))
    except ValueError as exc:
        raise RosettaError(f"not a review queue cursor: {cursor!r}") from exc
    return link_pk, annotation_pk


def review_queue(
    connection: Connection, project_id: str, *, limit: int = 100, cursor: str | None = None
) -> ReviewQueue:
    """Up to `limit` stale links and `limit` flagged annotations of the project."""
    if limit < 1:
        raise RosettaError(f"limit must be at least 1, got {limit}")
    after_link, after_annotation = _parse_cursor(cursor)
    link_rows = connection.execute(
        select(links)
        .where(
            links.c.project_id == project_id,
            links.c.status == "stale",
            links.c.pk > after_link,
        )
        .order_by(links.c.pk)
        .limit(limit)
    ).all()
    annotation_rows = connection.execute(
        select(annotations)
        .where(
            annotations.c.project_id == project_id,
            FLAGGED,  # the condition of the partial index that serves this query
            annotations.c.pk > after_annotation,
        )
        .order_by(annotations.c.pk)
        .limit(limit)
    ).all()
    more = len(link_rows) == limit or len(annotation_rows) == limit
    next_cursor = None
    if more:
        last_link = link_rows[-1].pk if link_rows else after_link
        last_annotation = annotation_rows[-1].pk if annotation_rows else after_annotation
        next_cursor = f"{last_link}.{last_annotation}"
    return ReviewQueue(
        stale_links=[link_from_row(row) for row in link_rows],
        flagged=[annotation_from_row(row) for row in annotation_rows],
        sample_of={row.id: row.sample_id for row in [*link_rows, *annotation_rows]},
        next_cursor=next_cursor,
    )
