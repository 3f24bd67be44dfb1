"""A project's preference report over HTTP: its numbers as JSON (`PreferenceReport`, the twin
of ``rosetta preferences report --json``) or, with ``format=html``, one self-contained page
with the leaderboard plot and the win-rate matrix (`rosetta.services.preference_report_html`)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from rosetta.api.auth import CurrentUser, policy, require
from rosetta.api.deps import Db
from rosetta.api.lookup import project_scope
from rosetta.api.quality_routes import REPORT_POLICY
from rosetta.core.policies import can_review
from rosetta.core.preference_report_model import PreferenceReport

router = APIRouter()


@router.get(
    "/api/projects/{project}/preferences/report",
    response_model=PreferenceReport,
    openapi_extra=policy("reviewer"),
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def get_preference_report(
    db: Db,
    caller: CurrentUser,
    project: str,
    reference: Annotated[
        str | None,
        Query(
            description="The model whose Bradley–Terry strength is fixed at 0 "
            "(default: the most compared)."
        ),
    ] = None,
    format: Annotated[
        Literal["json", "html"], Query(description="json: the numbers; html: a page with plots.")
    ] = "json",
) -> PreferenceReport | HTMLResponse:
    """The project's preference judgements aggregated: Bradley–Terry strengths with 95%
    intervals, win rates, position and length bias, agreement among evaluators and rubric
    summaries (reviewers and above)."""
    # the statistics and plotting stacks load on the first report, not when a server starts
    from rosetta.services.preference_report import preference_report

    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "read the preference report of", f"project {project!r}")
    report = preference_report(db, scope.project.id, reference=reference)
    if format == "json":
        return report
    from rosetta.services.preference_report_html import render_preference_report

    page = render_preference_report(report)
    return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_POLICY})
