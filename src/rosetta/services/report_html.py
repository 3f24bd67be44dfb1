"""The quality report as one self-contained HTML page: tables and inline SVG plots, no
script, no request to anything (its Content-Security-Policy allows none)."""

from jinja2 import Environment, PackageLoader, select_autoescape

from rosetta.core.quality_model import QualityReport
from rosetta.services import report_plots

_ENVIRONMENT = Environment(
    loader=PackageLoader("rosetta.services", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


_ENVIRONMENT.filters["num"] = _number


def render_report(report: QualityReport) -> str:
    """The HTML page of `report`."""
    plots = {
        "classes": report_plots.class_agreement(report.classes),
        "confusions": [report_plots.confusion(c) for c in report.confusions if c.labels],
        "links": report_plots.link_agreement(report.links),
        "findings": report_plots.findings_by_check(report.findings.by_check),
        "over_time": report_plots.findings_over_time(report.findings.over_time),
        "drift": report_plots.drift_pairs(report.drift),
    }
    return _ENVIRONMENT.get_template("quality_report.html.j2").render(r=report, plots=plots)
