"""Annotator metrics over HTTP (`rosetta.services.annotator_metrics` defines each one):
every person's and the project's together for reviewers and above, and one person's,
which an annotator may read about themselves only (without audit gold scores or who
their peers were, `rosetta.core.policies.sees_peer_metrics`).

``since`` and ``until`` bound the window in seconds since the epoch; ``bucket`` is the
length of the throughput series' buckets in seconds.
"""

from typing import Annotated

from fastapi import APIRouter, Query

from rosetta.api.auth import CurrentUser, policy, require
from rosetta.api.deps import Db, Store
from rosetta.api.finding_routes import bring_up_to_date
from rosetta.api.lookup import project_scope
from rosetta.core.errors import RuleViolation
from rosetta.core.policies import can_read_metrics_of, can_review, sees_peer_metrics
from rosetta.services.accounts import find_user
from rosetta.services.annotator_metrics import (
    DEFAULT_BUCKET,
    AnnotatorMetrics,
    ProjectMetrics,
    project_metrics,
)
from rosetta.services.metric_scope import MetricScope

router = APIRouter()

Since = Annotated[
    float | None, Query(description="From this time on (seconds since the epoch; none: all).")
]
Until = Annotated[
    float | None, Query(description="Up to this time (seconds since the epoch; none: now).")
]
Bucket = Annotated[
    float,
    Query(ge=60, le=31 * 86400, description="The throughput series' bucket, in seconds."),
]


def _window(since: float | None, until: float | None) -> None:
    if since is not None and until is not None and until < since:
        detail = f"until ({until}) comes before since ({since})"
        raise RuleViolation("metrics window", "until", "metrics-window", detail)


@router.get("/api/projects/{project}/metrics/annotators", openapi_extra=policy("reviewer"))
def annotator_metrics(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    project: str,
    since: Since = None,
    until: Until = None,
    bucket: Bucket = DEFAULT_BUCKET,
) -> ProjectMetrics:
    """Every person's metrics in the project and everyone's together, over the window:
    throughput, accuracy against gold, agreement with peers, consistency findings,
    first-pass acceptance, pre-label acceptance and edit size, blind vs shown slices."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "read the annotator metrics of", f"project {project!r}")
    _window(since, until)
    bring_up_to_date(db, store, scope.project.id)  # the open findings count
    return project_metrics(
        db, MetricScope(scope.project.id, since, until), bucket=bucket, audit=True, peers=True
    )


@router.get("/api/projects/{project}/metrics/annotators/{user}", openapi_extra=policy("annotator"))
def annotator_metrics_of(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    project: str,
    user: str,
    since: Since = None,
    until: Until = None,
    bucket: Bucket = DEFAULT_BUCKET,
) -> AnnotatorMetrics:
    """One person's metrics in the project (`user`: a name or id) over the window; an
    annotator may read their own only."""
    scope = project_scope(db, caller, project)
    person = find_user(db, user)
    require(can_read_metrics_of(scope.access, person.name), "read the metrics of", f"{user!r}")
    _window(since, until)
    bring_up_to_date(db, store, scope.project.id)
    found = project_metrics(
        db,
        MetricScope(scope.project.id, since, until, user_id=person.id, user=person.name),
        bucket=bucket,
        audit=sees_peer_metrics(scope.access),
        peers=sees_peer_metrics(scope.access),
    )
    return found.annotators[0]
