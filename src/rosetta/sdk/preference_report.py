"""A project's preference report: Bradley–Terry strengths per model, win rates, position and
length bias, agreement among evaluators and rubric summaries (reviewers and above).

::

    report = rosetta.preference_report("my-project")
    for model in report.stats.bradley_terry.strengths:
        print(model.model, model.strength, model.low, model.high)
    page = rosetta.preference_report_page("my-project")  # the HTML with the plots
"""

from pydantic import TypeAdapter

from rosetta.core.preference_report_model import PreferenceReport
from rosetta.sdk.transport import MethodGroup, segment

_REPORT = TypeAdapter(PreferenceReport)


class PreferenceReportMethods(MethodGroup):
    """The preference report."""

    def preference_report(self, project: str, *, reference: str | None = None) -> PreferenceReport:
        """The project's preference judgements aggregated, Bradley–Terry strengths relative
        to the model `reference` (default: the most compared); the same numbers as
        ``rosetta preferences report --json``."""
        return self._http.parse(
            _REPORT,
            "GET",
            f"/api/projects/{segment(project)}/preferences/report",
            params={"reference": reference},
        )

    def preference_report_page(self, project: str, *, reference: str | None = None) -> str:
        """The same report as one self-contained HTML page with its plots."""
        return self._http.request(
            "GET",
            f"/api/projects/{segment(project)}/preferences/report",
            params={"reference": reference, "format": "html"},
        ).text
