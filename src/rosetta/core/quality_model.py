"""The quality report of a project as data: the JSON twin of `rosetta qa report`'s HTML
and the body of ``GET /api/projects/{project}/qa/report``. Built by
`rosetta.services.quality_report`, drawn by `rosetta.services.report_html`; here in the
core so the SDK returns the same model."""

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Totals(_Model):
    """What the project holds."""

    samples: int
    annotations: int
    links: int
    entities: int


class ModalityAgreement(_Model):
    """Agreement of annotators on one kind of annotation in one modality, pooled over every
    pair of annotators on every sample both annotated.

    ``family`` is how the annotations are compared: ``region`` (boxes, polygons, masks by
    IoU), ``segment`` (intervals by boundaries), ``span`` (text spans by overlap),
    ``transcript`` (WER/CER of the words), ``track`` (per-frame IoU)."""

    modality: str
    family: str
    samples: int
    pairs: int
    matched: int
    unmatched: int
    f1: float | None
    mean_iou: float | None = None
    boundary_deviation: float | None = Field(default=None, description="median seconds")
    wer: float | None = None
    cer: float | None = None
    label_agreement: float | None = Field(default=None, description="share of matched pairs")
    label_kappa: float | None = None


class ClassAgreement(_Model):
    """Agreement on one class in one modality: matched pairs that both gave it, and the
    annotations of it left unmatched or labelled otherwise by the other annotator."""

    modality: str
    label: str
    agreed: int
    disagreed: int
    f1: float | None


class Confusion(_Model):
    """Labels of matched pairs in one modality: ``counts[i][j]`` pairs where one annotator
    said ``labels[i]`` and the other ``labels[j]`` (each pair counted both ways)."""

    modality: str
    labels: list[str]
    counts: list[list[int]]


class RelationAgreement(_Model):
    """Link agreement for one relation type."""

    type: str
    links: int
    f1: float | None


class LinkAgreementSummary(_Model):
    """Cross-modal agreement: the link sets and entity groupings of annotators who worked
    on the same samples."""

    samples: int
    pairs: int
    f1: float | None
    alpha: float | None = Field(description="Krippendorff's α (nominal) over link units")
    per_type: list[RelationAgreement]
    entity_f1: float | None
    entity_alpha: float | None


class FindingCount(_Model):
    """Findings of one check at one severity in one status."""

    check: str
    severity: str
    status: str
    count: int


class FindingsOnDay(_Model):
    """Findings of one check first seen on one day (UTC, ISO date)."""

    day: str
    check: str
    count: int


class AnnotatorFindings(_Model):
    """Findings involving one annotator's work."""

    annotator: str
    open: int
    total: int


class DriftPair(_Model):
    """One entity labelled at two levels of the is-a tree (``finer`` is-a ``coarser``)."""

    finer: str
    coarser: str
    count: int
    samples: int


class ReasonCount(_Model):
    """How often reviewers gave one reason."""

    reason: str
    count: int


class HolisticSummary(_Model):
    """Whole-sample verdicts of reviewers (the latest per sample)."""

    reviewed: int
    verdicts: dict[str, int]
    reasons: list[ReasonCount]


class FindingsSummary(_Model):
    """The findings of the project, counted."""

    by_check: list[FindingCount]
    over_time: list[FindingsOnDay]
    per_annotator: list[AnnotatorFindings]


class QualityReport(_Model):
    """A project's quality at three levels: within modalities, across them, whole samples."""

    project: str
    name: str
    ontology_version: int
    generated_at: str
    totals: Totals
    within: list[ModalityAgreement]
    classes: list[ClassAgreement]
    confusions: list[Confusion]
    links: LinkAgreementSummary
    findings: FindingsSummary
    drift: list[DriftPair]
    holistic: HolisticSummary
