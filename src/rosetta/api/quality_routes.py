"""A project's quality report over HTTP: its numbers as JSON (`QualityReport`, the twin
of ``rosetta qa report``'s JSON file) and the same report as one self-contained HTML page
(`rosetta.services.report_html`). The findings are brought up to date first, as the
findings routes do."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from rosetta.api.auth import CurrentUser, policy, require
from rosetta.api.deps import Db, Store
from rosetta.api.finding_routes import bring_up_to_date
from rosetta.api.lookup import project_scope
from rosetta.core.policies import can_review
from rosetta.core.quality_model import QualityReport

router = APIRouter()

#: The page runs no script and loads nothing: inline styles and SVG only.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)


def _report(db: Db, store: Store, caller: CurrentUser, project: str) -> QualityReport:
    # the agreement and plotting stacks (scikit-learn, statsmodels, pycocotools, matplotlib)
    # load on the first report, not when a server starts
    from rosetta.services.quality_report import quality_report

    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "read the quality report of", f"project {project!r}")
    bring_up_to_date(db, store, scope.project.id)
    return quality_report(db, scope.project.id)


@router.get("/api/projects/{project}/qa/report", openapi_extra=policy("reviewer"))
def get_quality_report(db: Db, store: Store, caller: CurrentUser, project: str) -> QualityReport:
    """The project's quality at three levels: agreement within and across modalities, the
    checks' findings and drift, and reviewers' whole-sample verdicts (reviewers and above)."""
    return _report(db, store, caller, project)


@router.get(
    "/api/projects/{project}/qa/report.html",
    response_class=HTMLResponse,
    openapi_extra=policy("reviewer"),
)
def get_quality_report_page(
    db: Db, store: Store, caller: CurrentUser, project: str
) -> HTMLResponse:
    """The same report as an HTML page with its plots (reviewers and above)."""
    from rosetta.services.report_html import render_report

    page = render_report(_report(db, store, caller, project))
    return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_POLICY})
