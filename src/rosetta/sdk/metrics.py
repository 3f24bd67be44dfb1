"""Annotator metrics: throughput, accuracy against gold, agreement with peers,
consistency findings, open QA findings, first-pass acceptance, pre-label acceptance and
edit size, and the blind vs shown slices, per person and for the whole project (the server's
`rosetta.services.annotator_metrics` says how each is computed).

::

    report = rosetta.annotator_metrics("my-project", since=time.time() - 7 * 86400)
    for person in report.annotators:
        print(person.user, person.metrics.throughput.per_hour)
"""

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.sdk.transport import MethodGroup, segment


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Mean(_Answer):
    """A mean (``None`` over nothing) and how many values it is over."""

    value: float | None
    count: int


class Throughput(_Answer):
    """Tasks handed in, active seconds, and tasks per active hour."""

    handed_in: int
    active_seconds: float
    per_hour: float | None


class Accuracy(_Answer):
    """Mean score against gold: overall, per modality, and for links."""

    overall: Mean
    modalities: dict[str, Mean]
    links: Mean


class Agreement(_Answer):
    """Mean agreement with overlap peers, and per peer (empty for an annotator's own)."""

    mean: Mean
    peers: dict[str, Mean]


class Consistency(_Answer):
    """Findings (flagged annotations, stale links) per 100 annotations."""

    annotations: int
    findings: int
    per_100: float | None


class FirstPass(_Answer):
    """Reviewed slots, those accepted without a return first, and the share."""

    reviewed: int
    accepted: int
    rate: float | None


class Prelabels(_Answer):
    """Model candidates seen, accepted unchanged and the share; mean edit sizes of the
    edited ones (IoU distance; boundary shift in characters and in seconds)."""

    candidates: int
    unchanged: int
    acceptance: float | None
    iou_distance: Mean
    span_shift: Mean
    interval_shift: Mean


class Slice(_Answer):
    """Accuracy and agreement on the blind or the shown slice."""

    accuracy: Mean
    agreement: Mean


class Metrics(_Answer):
    """The metrics of a person or of everyone together."""

    throughput: Throughput
    accuracy: Accuracy
    agreement: Agreement
    consistency: Consistency
    #: QA findings still open about the person's work (everyone's: the project's)
    open_findings: int
    first_pass: FirstPass
    prelabels: Prelabels
    blind: Slice
    shown: Slice


class SeriesPoint(_Answer):
    """Tasks handed in during the bucket starting at `start` (seconds since the epoch)."""

    start: float
    handed_in: int


class AnnotatorMetrics(_Answer):
    """One person's metrics and their throughput over time."""

    user: str
    metrics: Metrics
    series: list[SeriesPoint]


class ProjectMetrics(_Answer):
    """A project's metrics over a window: everyone together and each person."""

    project: str
    since: float | None
    until: float | None
    bucket_seconds: float
    total: Metrics
    annotators: list[AnnotatorMetrics]


_PROJECT = TypeAdapter(ProjectMetrics)
_PERSON = TypeAdapter(AnnotatorMetrics)


class MetricsMethods(MethodGroup):
    """Annotator metrics."""

    def annotator_metrics(
        self,
        project: str,
        *,
        since: float | None = None,
        until: float | None = None,
        bucket: float = 3600.0,
    ) -> ProjectMetrics:
        """Every person's metrics in the project and everyone's together (reviewers and
        above), over [`since`, `until`] (seconds since the epoch), tasks handed in counted
        per `bucket` seconds."""
        params = {"since": since, "until": until, "bucket": bucket}
        path = f"/api/projects/{segment(project)}/metrics/annotators"
        return self._http.parse(_PROJECT, "GET", path, params=params)

    def annotator_metrics_of(
        self,
        project: str,
        user: str,
        *,
        since: float | None = None,
        until: float | None = None,
        bucket: float = 3600.0,
    ) -> AnnotatorMetrics:
        """One person's metrics in the project (`user`: a name or id; an annotator may
        ask for their own only), over [`since`, `until`], per `bucket` seconds."""
        params = {"since": since, "until": until, "bucket": bucket}
        path = f"/api/projects/{segment(project)}/metrics/annotators/{segment(user)}"
        return self._http.parse(_PERSON, "GET", path, params=params)
