"""A project's workflow: the stages a sample goes through, as task slots people lease, and
the rules that route a sample from one stage to the next. Pure: no I/O.

Stages, in this order (each at most once; ``annotate`` required):

``prelabel``    models propose candidates before annotation (declared now, a no-op until
                pre-labelling plugins exist)
``annotate``    one annotator per sample, or `AnnotateStage.overlap` independent ones on the
                share `AnnotateStage.overlap_share` of samples (`annotate_slots`)
``review``      a reviewer accepts the sample (→ done) or rejects it back to its
                annotators' own slots with a comment
``adjudicate``  a reviewer settles a sample whose annotators disagreed (→ done)
``done``        the end (implied when not declared)

Routing (`after_annotate`): once every annotate slot of a sample is submitted, a sample
with more than one slot whose `agreement` is below `AdjudicateStage.below_agreement`, or
whose candidates from two or more models agree less than
`AdjudicateStage.below_model_agreement` (`model_agreement`), goes to ``adjudicate`` (when
declared); otherwise to ``review`` (when declared), else ``done``.
Lease lengths are seconds.

Workforce rules beside the stages (each optional): `SkillRules` (what a sample's slots
require of the person who leases them), `GoldMixing` (gold samples mixed into the
annotators' queues and scored), `Training` (a newcomer's first tasks are training tasks
scored against gold with immediate feedback), `Qualification` tests (a person passes them
before they get work that needs the skill), the blind-pass slice of the annotate stage
(`candidates_hidden`: model candidates hidden from its annotators, so the effect of
pre-labels can be measured), and the stratified second review of the review stage
(`SecondReview`). The annotate stage also says whether annotators evaluating preference
samples see the models behind the candidates (`AnnotateStage.reveal_models`; hidden by
default).
"""

import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rosetta.core.matching import greedy_pairs, similarity
from rosetta.core.schema import Annotation

#: The stages a workflow may declare, in the order a sample passes them.
StageKind = Literal["prelabel", "annotate", "review", "adjudicate", "done"]
STAGE_ORDER: tuple[StageKind, ...] = ("prelabel", "annotate", "review", "adjudicate", "done")

#: The stages that hold task slots, which people lease and work on.
TaskStage = Literal["annotate", "review", "adjudicate"]
TASK_STAGES: tuple[TaskStage, ...] = ("annotate", "review", "adjudicate")

#: A task slot's status: ``open`` (waiting), ``leased`` (a person holds it until
#: ``lease_expires_at``), ``submitted`` (its work is handed in), ``returned`` (a reviewer
#: sent it back to its holder with a comment; theirs until they submit again), ``done``.
TaskStatus = Literal["open", "leased", "submitted", "returned", "done"]
TASK_STATUSES: tuple[TaskStatus, ...] = ("open", "leased", "submitted", "returned", "done")

#: What a task slot is: ``work`` (queued for its sample), or one person's slot on a gold
#: sample, made when it is leased to them and scored against the reference when they hand
#: it in: ``gold`` (mixed into their queue), ``training`` (their score and feedback shown to
#: them at once) or ``qualification`` (a test of a skill).
TaskKind = Literal["work", "gold", "training", "qualification"]

#: Where a sample goes after a stage: another stage with slots, or the end.
Destination = Literal["review", "adjudicate", "done"]

#: The default lease: an hour.
DEFAULT_LEASE_SECONDS = 3600.0
#: The longest lease: a week.
MAX_LEASE_SECONDS = 7 * 86400.0

LeaseSeconds = Annotated[
    float, Field(gt=0, le=MAX_LEASE_SECONDS, description="How long a lease lasts, in seconds.")
]


#: A skill: its kind and value, ``modality:audio``, ``language:de``, ``domain:medical``.
Skill = Annotated[
    str,
    Field(
        pattern=r"^(modality|language|domain):[A-Za-z0-9_.-]{1,80}$",
        description="A skill as kind:value, kind one of modality, language, domain.",
    ),
]

#: What a second review stratifies on: the sample's modalities, its annotations' classes,
#: its annotators, and the confidence of its model candidates (in tenths).
Stratum = Literal["modality", "class", "annotator", "confidence"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrelabelStage(_Config):
    """Model candidates before annotation; a no-op until pre-labelling plugins exist."""

    kind: Literal["prelabel"] = "prelabel"


class AnnotateStage(_Config):
    """Annotation: `overlap` independent annotators on the share `overlap_share` (0 to 1)
    of samples, one on the others; with `reveal_models`, annotators evaluating a preference
    sample see the models behind its candidates (hidden by default)."""

    kind: Literal["annotate"] = "annotate"
    overlap: int = Field(default=1, ge=1, le=10, description="Annotators on an overlap sample.")
    overlap_share: float = Field(
        default=0.0, ge=0, le=1, description="The share of samples that get `overlap` slots."
    )
    blind_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="The share of samples whose annotators see no model candidates.",
    )
    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS
    reveal_models: bool = Field(
        default=False,
        description="Whether annotators see the model (and its version) behind each "
        "candidate of a preference sample; reviewers and above always do.",
    )


class SecondReview(_Config):
    """A second reviewer on a stratified slice of accepted samples: each stratum (a value of
    each of `strata` the sample has) gets at least the share `rate` of its samples."""

    rate: float = Field(default=0.1, gt=0, le=1, description="The share second-reviewed.")
    strata: tuple[Stratum, ...] = Field(
        default=("modality", "class", "annotator", "confidence"), min_length=1
    )


class ReviewStage(_Config):
    """Review of the annotated sample: accept (→ done, or a second review) or reject back to
    its annotators."""

    kind: Literal["review"] = "review"
    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS
    second_review: SecondReview | None = None


class AdjudicateStage(_Config):
    """Adjudication of overlap samples whose annotators agree less than `below_agreement`
    (`agreement`, 0 to 1), and, with `below_model_agreement`, of samples whose candidates
    from two or more models agree less than that (`model_agreement`)."""

    kind: Literal["adjudicate"] = "adjudicate"
    below_agreement: float = Field(
        default=0.7, ge=0, le=1, description="Overlap samples agreeing less go here."
    )
    below_model_agreement: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Samples whose models' candidates agree less go here (none: not routed "
        "on the models).",
    )
    lease_seconds: LeaseSeconds = DEFAULT_LEASE_SECONDS


class DoneStage(_Config):
    """The end of the workflow (implied when not declared)."""

    kind: Literal["done"] = "done"


Stage = Annotated[
    PrelabelStage | AnnotateStage | ReviewStage | AdjudicateStage | DoneStage,
    Field(discriminator="kind"),
]


class SkillRules(_Config):
    """The skills a sample's slots require of whoever leases them: everything in
    `required`, ``modality:<m>`` for each modality of the sample's streams when
    `modalities`, and ``<key>:<value>`` for each key of `metadata` the sample's metadata
    has (``language`` → ``language:de``)."""

    required: tuple[Skill, ...] = ()
    modalities: bool = False
    metadata: tuple[Literal["language", "domain"], ...] = ()


class GoldMixing(_Config):
    """Gold samples mixed into each annotator's queue: their first `first` annotate tasks,
    then each next one with probability `rate`; each scored against the reference."""

    first: int = Field(default=0, ge=0, le=100)
    rate: float = Field(default=0.0, ge=0, le=1)


class Training(_Config):
    """A newcomer's first `tasks` tasks are training samples, scored against their
    reference at once, with the feedback shown to them."""

    tasks: int = Field(default=3, ge=1, le=100)


class Qualification(_Config):
    """A test a person passes before they get work needing `skill`: `tests` qualification
    samples of the skill whose mean score is at least `pass_score`, in at most `attempts`
    tries."""

    skill: Skill
    tests: int = Field(default=5, ge=1, le=50)
    pass_score: float = Field(default=0.8, ge=0, le=1)
    attempts: int = Field(default=2, ge=1, le=10)


class Workflow(_Config):
    """A project's stages, in `STAGE_ORDER`, each at most once, ``annotate`` among them,
    and its workforce rules."""

    stages: tuple[Stage, ...] = Field(min_length=1)
    skills: SkillRules = SkillRules()
    gold: GoldMixing | None = None
    training: Training | None = None
    qualifications: tuple[Qualification, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> "Workflow":
        kinds = [stage.kind for stage in self.stages]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each stage may appear once, got {kinds}")
        if kinds != sorted(kinds, key=STAGE_ORDER.index):
            raise ValueError(f"stages must come in the order {list(STAGE_ORDER)}, got {kinds}")
        if "annotate" not in kinds:
            raise ValueError("a workflow needs an annotate stage")
        tested = [test.skill for test in self.qualifications]
        if len(set(tested)) != len(tested):
            raise ValueError(f"each skill may have one qualification test, got {tested}")
        return self

    def stage(self, kind: StageKind) -> Stage | None:
        """The declared stage of `kind`, if any."""
        return next((stage for stage in self.stages if stage.kind == kind), None)

    @property
    def annotate(self) -> AnnotateStage:
        """The annotate stage."""
        found = self.stage("annotate")
        assert isinstance(found, AnnotateStage)
        return found

    def lease_seconds(self, stage: TaskStage) -> float:
        """How long a lease of a slot in `stage` lasts (the default when not declared)."""
        found = self.stage(stage)
        if isinstance(found, AnnotateStage | ReviewStage | AdjudicateStage):
            return found.lease_seconds
        return DEFAULT_LEASE_SECONDS


def overlap_point(project_id: str, sample_id: str) -> float:
    """A number in [0, 1) fixed by the project and sample ids (BLAKE2b of both), uniform
    over samples: the sample gets overlap slots when it falls below the overlap share."""
    digest = hashlib.blake2b(f"{project_id}\x00{sample_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def annotate_slots(workflow: Workflow, project_id: str, sample_id: str) -> int:
    """How many annotate slots the sample gets: `AnnotateStage.overlap` on the share
    `AnnotateStage.overlap_share` of samples (chosen by `overlap_point`), else 1."""
    stage = workflow.annotate
    if stage.overlap > 1 and overlap_point(project_id, sample_id) < stage.overlap_share:
        return stage.overlap
    return 1


def gold_candidates_hidden(
    workflow: Workflow, project_id: str, sample_id: str, user_id: str
) -> bool:
    """Whether a person's audit gold slot on the sample hides model candidates: drawn per
    person and sample at the blind-pass share (`AnnotateStage.blind_share`), so each gold
    sample is done both ways and accuracy against gold can be compared between the blind
    and the shown slices."""
    share = workflow.annotate.blind_share
    point = overlap_point(project_id, f"blind\x00{sample_id}\x00{user_id}")
    return share > 0 and point < share


def candidates_hidden(workflow: Workflow, project_id: str, sample_id: str) -> bool:
    """Whether the sample is in the blind-pass slice (`AnnotateStage.blind_share`): its
    annotators see no model candidates. Chosen by `overlap_point` of a salted id, so the
    slice is independent of the overlap share."""
    share = workflow.annotate.blind_share
    return share > 0 and overlap_point(project_id, f"blind\x00{sample_id}") < share


def review_strata(
    second: SecondReview,
    *,
    modalities: Iterable[str],
    labels: Iterable[str],
    annotators: Iterable[str],
    confidences: Iterable[float],
) -> list[str]:
    """The strata of a reviewed sample: ``all`` (every sample), then those `second`
    stratifies on, sorted, each once: ``modality:<m>`` per stream modality,
    ``class:<label>`` per annotation label, ``annotator:<name>`` per annotate slot holder,
    ``confidence:<tenth>`` per model candidate's confidence (0.0 to 0.9, its tenth)."""
    values: dict[Stratum, Iterable[str]] = {
        "modality": modalities,
        "class": labels,
        "annotator": annotators,
        "confidence": (f"{min(int(c * 10), 9) / 10:.1f}" for c in confidences),
    }
    named = {f"{kind}:{value}" for kind in second.strata for value in values[kind]}
    return ["all", *sorted(named)]


def picks_second_review(rate: float, counts: Mapping[str, tuple[int, int]]) -> bool:
    """Whether a sample goes to a second reviewer, given each of its strata's counts
    ``(seen, picked)`` with the sample already counted as seen: when any stratum has fewer
    picked than ``ceil(rate * seen)``, so every stratum gets at least the share `rate`."""
    return any(picked < math.ceil(rate * seen - 1e-9) for seen, picked in counts.values())


def after_annotate(
    workflow: Workflow, *, slots: int, agreement: float, model_agreement: float | None = None
) -> Destination:
    """Where a sample goes once all its `slots` annotate slots are submitted, its
    annotators agreeing `agreement` (1 for a single slot) and the candidates of its models
    `model_agreement` (``None`` with candidates of fewer than two models)."""
    adjudicate = workflow.stage("adjudicate")
    if isinstance(adjudicate, AdjudicateStage):
        if slots > 1 and agreement < adjudicate.below_agreement:
            return "adjudicate"
        threshold = adjudicate.below_model_agreement
        if threshold is not None and model_agreement is not None and model_agreement < threshold:
            return "adjudicate"
    return "review" if workflow.stage("review") is not None else "done"


def model_agreement(candidates: Sequence[Annotation]) -> float | None:
    """How much the models that proposed `candidates` (annotations whose source is a
    model) agree: ``1 -`` their `rosetta.core.model_disagreement` score (mask and box IoU,
    transcript WER, label mismatch, interval overlap); ``None`` with fewer than two models
    on any stream."""
    # imported here: the SDK reads this module's records without the agreement stack
    # (scikit-learn, pandas) that the measure needs
    from rosetta.core.model_disagreement import model_disagreement

    score = model_disagreement(candidates).score
    return None if score is None else 1.0 - score


# --- agreement ------------------------------------------------------------------------------


def agreement(work: Sequence[Sequence[Annotation]]) -> float:
    """How much annotators agree on one sample, 0 to 1: the mean over pairs of annotators
    of the F1 score of their annotations (`work`: each annotator's), 1 with fewer than two
    annotators or when both of a pair drew nothing.

    Two annotations match when they lie on the same stream with the same label and their
    geometries match (`rosetta.core.matching`): boxes and polygons on the same frame with
    IoU of at least its `MATCH_IOU`; text spans, intervals and transcript segments overlapping; any other
    geometries of the same type. Each annotation matches at most one of the other
    annotator's (greedily, best match first). This is the routing measure of the
    workflow; the full inter-annotator agreement suite will replace it behind this
    function.
    """
    pairs = list(itertools.combinations(work, 2))
    if not pairs:
        return 1.0
    return sum(_f1(first, second) for first, second in pairs) / len(pairs)


def _f1(first: Sequence[Annotation], second: Sequence[Annotation]) -> float:
    if not first and not second:
        return 1.0
    matched = greedy_pairs(first, second, _same_object)
    return 2 * len(matched) / (len(first) + len(second))


def _same_object(a: Annotation, b: Annotation) -> float | None:
    if a.stream != b.stream or a.label != b.label:
        return None
    return similarity(a.geometry, b.geometry)
