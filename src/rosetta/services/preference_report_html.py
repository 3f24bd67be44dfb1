"""The preference report as one self-contained HTML page: the leaderboard plot, the win-rate
matrix and the tables of bias, agreement and rubric scores; no script, no request to
anything (as the quality report's page, `rosetta.services.report_html`)."""

from jinja2 import Environment, PackageLoader, select_autoescape

from rosetta.core.preference_report_model import PreferenceReport
from rosetta.services import preference_plots

_ENVIRONMENT = Environment(
    loader=PackageLoader("rosetta.services", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _p_value(value: float | None) -> str:
    return "–" if value is None else f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


_ENVIRONMENT.filters["num"] = _number
_ENVIRONMENT.filters["p"] = _p_value


def render_preference_report(report: PreferenceReport) -> str:
    """The HTML page of `report`."""
    stats = report.stats
    order = [s.model for s in stats.bradley_terry.strengths]
    plots = {
        "leaderboard": preference_plots.leaderboard(stats.bradley_terry),
        "matrix": preference_plots.win_matrix(order, stats.matrix),
    }
    template = _ENVIRONMENT.get_template("preference_report.html.j2")
    return template.render(r=report, s=stats, plots=plots)
