"""The workflow's pure rules: its configuration, which samples get overlap slots, where a
sample goes after annotation, the agreement that decides it, and who may work which
stage."""

from typing import Literal

import pytest
from pydantic import ValidationError

from rosetta.core.geometry import Box, Classification, Interval, Polygon, TextSpan
from rosetta.core.policies import (
    Access,
    Principal,
    Role,
    can_work_stage,
    default_stages,
    holds_task,
)
from rosetta.core.schema import Annotation, Source
from rosetta.core.workflow import (
    DEFAULT_LEASE_SECONDS,
    AdjudicateStage,
    AnnotateStage,
    ReviewStage,
    Workflow,
    after_annotate,
    agreement,
    annotate_slots,
    model_agreement,
    overlap_point,
)

FULL = Workflow(
    stages=(
        AnnotateStage(overlap=3, overlap_share=0.25, lease_seconds=600),
        ReviewStage(lease_seconds=900),
        AdjudicateStage(below_agreement=0.6),
    )
)


def test_a_workflow_parses_from_json_with_defaults_and_refuses_what_makes_no_sense() -> None:
    parsed = Workflow.model_validate(
        {"stages": [{"kind": "prelabel"}, {"kind": "annotate", "overlap": 2}, {"kind": "done"}]}
    )
    assert [stage.kind for stage in parsed.stages] == ["prelabel", "annotate", "done"]
    assert parsed.annotate == AnnotateStage(overlap=2, overlap_share=0.0, lease_seconds=3600)
    assert parsed.lease_seconds("review") == DEFAULT_LEASE_SECONDS
    assert FULL.lease_seconds("annotate") == 600 and FULL.lease_seconds("review") == 900
    assert Workflow.model_validate_json(FULL.model_dump_json()) == FULL
    for stages, problem in [
        ([{"kind": "review"}], "needs an annotate stage"),
        ([{"kind": "review"}, {"kind": "annotate"}], "must come in the order"),
        ([{"kind": "annotate"}, {"kind": "annotate"}], "may appear once"),
        ([{"kind": "annotate", "overlap": 0}], "greater than or equal to 1"),
        ([{"kind": "annotate", "overlap_share": 1.5}], "less than or equal to 1"),
        ([{"kind": "annotate", "lease_seconds": 0}], "greater than 0"),
        ([{"kind": "annotate", "colour": "red"}], "Extra inputs"),
        ([{"kind": "triage"}], "does not match any of the expected tags"),
    ]:
        with pytest.raises(ValidationError, match=problem):
            Workflow.model_validate({"stages": stages})


def test_overlap_goes_to_the_configured_share_of_samples_the_same_way_every_time() -> None:
    ids = [f"sample-{n}" for n in range(20_000)]
    slots = [annotate_slots(FULL, "p1", ident) for ident in ids]
    assert set(slots) == {1, 3}
    assert slots.count(3) / len(ids) == pytest.approx(0.25, abs=0.01)
    assert slots == [annotate_slots(FULL, "p1", ident) for ident in ids]
    other = [annotate_slots(FULL, "p2", ident) for ident in ids]
    assert other != slots  # another project draws another slice
    assert overlap_point("p1", "sample-7") == overlap_point("p1", "sample-7")
    assert 0 <= overlap_point("p1", "sample-7") < 1
    single = Workflow(stages=(AnnotateStage(overlap=1, overlap_share=1.0),))
    assert {annotate_slots(single, "p1", ident) for ident in ids[:100]} == {1}
    every = Workflow(stages=(AnnotateStage(overlap=2, overlap_share=1.0),))
    assert {annotate_slots(every, "p1", ident) for ident in ids[:100]} == {2}


@pytest.mark.parametrize(
    ("stages", "slots", "score", "expected"),
    [
        # overlap and disagreement: adjudication
        (FULL.stages, 3, 0.59, "adjudicate"),
        # overlap and agreement at the threshold: review
        (FULL.stages, 3, 0.6, "review"),
        # one annotator: never adjudicated, however the score reads
        (FULL.stages, 1, 0.0, "review"),
        # no adjudicate stage: disagreement goes to review
        ((AnnotateStage(overlap=2, overlap_share=1), ReviewStage()), 2, 0.1, "review"),
        # no review stage: agreement ends it
        ((AnnotateStage(overlap=2, overlap_share=1), AdjudicateStage()), 2, 0.9, "done"),
        # annotation only
        ((AnnotateStage(),), 1, 1.0, "done"),
    ],
)
def test_where_a_sample_goes_after_annotation(
    stages: tuple[AnnotateStage, ...], slots: int, score: float, expected: str
) -> None:
    assert after_annotate(Workflow(stages=stages), slots=slots, agreement=score) == expected


@pytest.mark.parametrize(
    ("threshold", "models", "expected"),
    [
        (0.5, 0.49, "adjudicate"),  # the models disagree
        (0.5, 0.5, "review"),  # at the threshold
        (0.5, None, "review"),  # fewer than two models proposed
        (None, 0.0, "review"),  # not routed on the models
    ],
)
def test_a_sample_whose_models_disagree_is_adjudicated(
    threshold: float | None, models: float | None, expected: str
) -> None:
    workflow = Workflow(
        stages=(AnnotateStage(), ReviewStage(), AdjudicateStage(below_model_agreement=threshold))
    )
    assert after_annotate(workflow, slots=1, agreement=1.0, model_agreement=models) == expected


def test_model_agreement_compares_each_models_candidates_by_iou() -> None:
    def by(model: str | None, x: float, kind: Literal["model", "human"] = "model") -> Annotation:
        source = Source(kind=kind, name=model)
        return box(f"{model}-{x}", x).model_copy(update={"source": source})

    assert model_agreement([by("a", 0), by("b", 2)]) == pytest.approx(98 / 102)  # box IoU
    assert model_agreement([by("a", 0), by("b", 300)]) == 0.0
    assert model_agreement([by("a", 0), by("a", 300)]) is None  # one model
    assert model_agreement([by("a", 0), by(None, 300, "human")]) is None  # a person's


def note(ident: str, label: str, geometry: object, stream: str = "image") -> Annotation:
    return Annotation.model_validate(
        {"id": ident, "stream": stream, "label": label, "geometry": geometry}
    )


def box(ident: str, x: float, label: str = "person", frame: int | None = None) -> Annotation:
    return note(ident, label, Box(x=x, y=0, w=100, h=100, frame=frame))


def test_agreement_is_the_mean_pairwise_f1_of_matching_annotations() -> None:
    a = [box("a1", 0), box("a2", 500)]
    # 20 px off: IoU 80/120 = 0.67 matches; the second box is elsewhere
    b = [box("b1", 20), box("b2", 900)]
    assert agreement([a, b]) == pytest.approx(2 * 1 / 4)
    assert agreement([a, a]) == 1.0
    assert agreement([a]) == 1.0 and agreement([]) == 1.0
    assert agreement([[], []]) == 1.0
    assert agreement([a, []]) == 0.0
    # three annotators: the mean of the three pairs (1, 0.5, 0.5)
    assert agreement([a, a, b]) == pytest.approx(2 / 3)


def test_what_makes_two_annotations_match() -> None:
    far = box("b", 60)  # IoU 40/160 = 0.25: not the same object
    assert agreement([[box("a", 0)], [far]]) == 0.0
    assert agreement([[box("a", 0)], [box("b", 0, label="flag")]]) == 0.0
    assert agreement([[box("a", 0, frame=3)], [box("b", 0, frame=4)]]) == 0.0
    assert (
        agreement([[box("a", 0)], [note("b", "person", Box(x=0, y=0, w=100, h=100), "other")]])
        == 0.0
    )
    square = Polygon(points=[(0, 0), (100, 0), (100, 100), (0, 100)])
    assert agreement([[box("a", 0)], [note("b", "person", square)]]) == 0.0  # other type
    assert agreement([[note("a", "person", square)], [note("b", "person", square)]]) == 1.0
    span = [note("a", "person", TextSpan(start=0, end=10), "text")]
    assert agreement([span, [note("b", "person", TextSpan(start=9, end=20), "text")]]) == 1.0
    assert agreement([span, [note("b", "person", TextSpan(start=10, end=20), "text")]]) == 0.0
    scene = [note("a", "scene", Interval(start=0, end=2), "video")]
    assert agreement([scene, [note("b", "scene", Interval(start=1.5, end=3), "video")]]) == 1.0
    whole = [note("a", "indoor", Classification(), "image")]
    assert agreement([whole, [note("b", "indoor", Classification(), "image")]]) == 1.0
    # one annotation matches at most one: the best pair is kept
    assert agreement([[box("a", 0)], [box("b1", 10), box("b2", 0)]]) == pytest.approx(2 / 3)


ADA = Principal("u-ada", "ada")


@pytest.mark.parametrize(
    ("role", "annotate", "review", "defaults"),
    [
        (None, False, False, ()),
        (Role.ANNOTATOR, True, False, ("annotate",)),
        (Role.REVIEWER, True, True, ("review", "adjudicate")),
        (Role.MANAGER, True, True, ("review", "adjudicate")),
        (Role.ADMIN, True, True, ("review", "adjudicate")),
    ],
)
def test_who_works_which_stage(
    role: Role | None, *, annotate: bool, review: bool, defaults: tuple[str, ...]
) -> None:
    access = Access(ADA, "p", role)
    assert can_work_stage(access, "annotate") is annotate
    assert can_work_stage(access, "review") is review
    assert can_work_stage(access, "adjudicate") is review
    assert can_work_stage(access, "done") is False
    assert default_stages(access) == defaults


def test_only_the_holder_acts_on_a_task_whatever_their_role() -> None:
    assert holds_task(Access(ADA, "p", Role.ANNOTATOR), "ada")
    assert not holds_task(Access(ADA, "p", Role.ANNOTATOR), "bob")
    assert not holds_task(Access(ADA, "p", Role.ADMIN), "bob")
    assert not holds_task(Access(ADA, "p", Role.ADMIN), None)
    assert not holds_task(Access(ADA, "p", None), "ada")
