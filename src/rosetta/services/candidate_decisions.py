"""People decide about model candidates: accept one (as it is, or edited), or reject it.

A *candidate* awaiting a decision is an annotation with ``source.kind == "model"`` at
revision 1 (`rosetta.services.proposals` writes them). `decide`, in one transaction:

- **accept** with nothing changed: the annotation becomes the person's work (``author``
  the person, next revision, an ``update`` event), decision ``accepted``;
- **accept** with a class, geometry or attributes: the same with those changes (its
  confirmed links turn stale as for any edit), decision ``edited``;
- **reject**: the annotation is deleted (with the links touching it), decision
  ``rejected``.

Each decision is a row of ``candidate_decisions`` naming the model and what changed
(`rosetta.core.candidate_edits`: IoU, boundary shift, WER, class changed). `metrics`
aggregates them per model and per person in SQL.
"""

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, case, func, insert, select

from rosetta.core.candidate_edits import Decision, EditMeasures, decision_of, edit_measures
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Geometry
from rosetta.core.schema import Annotation
from rosetta.services.annotation_edits import change_annotation, remove_annotation
from rosetta.services.visibility import is_candidate_record
from rosetta.services.work_store import expect_revision, locked_row
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import annotation_from_row
from rosetta.store.tables import annotations, candidate_decisions


class DecisionMade(BaseModel):
    """A decision about a candidate: what it was, what changed, and the annotation after
    it (``None`` when rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    candidate: Annotation
    measures: EditMeasures
    annotation: Annotation | None


def decide(
    engine: Engine,
    actor: Actor,
    project_id: str,
    annotation_id: str,
    *,
    expected_revision: int,
    verdict: Literal["accept", "reject"],
    label: str | None = None,
    geometry: Geometry | None = None,
    attributes: dict[str, Any] | None = None,
) -> DecisionMade:
    """Decide about the candidate `annotation_id` read at `expected_revision` (see the
    module): a `ConflictError` when it changed since, a `RuleViolation` when it is not a
    candidate awaiting a decision or a rejection carries changes."""
    if verdict == "reject" and (label, geometry, attributes) != (None, None, None):
        raise RuleViolation(
            annotation_id, "decision", "candidate-decision", "a rejection changes nothing"
        )
    with write_transaction(engine) as connection:
        row = locked_row(connection, annotations, "annotation", project_id, annotation_id)
        found = annotation_from_row(row)
        expect_revision(found, expected_revision)
        if not is_candidate_record(found):
            raise RuleViolation(
                annotation_id,
                "source",
                "candidate-decision",
                "not a model candidate awaiting a decision (a model's annotation at revision 1)",
            )
        if verdict == "reject":
            remove_annotation(connection, project_id, annotation_id, 1, actor)
            final = None
        else:
            final = change_annotation(
                connection,
                project_id,
                annotation_id,
                1,
                actor,
                label=label,
                geometry=geometry,
                attributes=attributes,
                author=actor.name,
            )
        made = DecisionMade(
            decision=decision_of(found, final),
            candidate=found,
            measures=edit_measures(found, final),
            annotation=final,
        )
        _record(connection, project_id, row.sample_id, actor, made)
    return made


def _record(
    connection: Connection, project_id: str, sample_id: str, actor: Actor, made: DecisionMade
) -> None:
    source = made.candidate.source
    proposer = (source.parameters or {}).get("proposer")
    connection.execute(
        insert(candidate_decisions).values(
            project_id=project_id,
            sample_id=sample_id,
            annotation_id=made.candidate.id,
            proposer=proposer if isinstance(proposer, str) else None,
            model=source.name or "unnamed model",
            model_version=source.version,
            confidence=source.confidence,
            geometry=made.candidate.geometry.type,
            decided_by=actor.name,
            decision=made.decision,
            label_changed=made.measures.label_changed,
            iou=made.measures.iou,
            boundary_shift=made.measures.boundary_shift,
            wer=made.measures.wer,
            decided_at=time.time(),
        )
    )


class DecisionTally(BaseModel):
    """The decisions about one model's (or by one person's) candidates: counts, the share
    accepted as they were, and the mean edit size of the edited ones (``None``: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    decisions: int
    accepted: int
    edited: int
    rejected: int
    acceptance: float
    label_changes: int
    mean_iou: float | None
    mean_boundary_shift: float | None
    mean_wer: float | None


class CandidateMetrics(BaseModel):
    """A project's decisions about candidates, per model and per person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: list[DecisionTally]
    people: list[DecisionTally]


def _tallies(connection: Connection, project_id: str, column: Any) -> list[DecisionTally]:
    table = candidate_decisions
    edited = table.c.decision == "edited"

    def count(decision: str) -> Any:
        return func.sum(case((table.c.decision == decision, 1), else_=0))

    def mean(measure: Any) -> Any:
        return func.avg(case((edited, measure), else_=None))

    query = (
        select(
            column.label("name"),
            func.count().label("decisions"),
            count("accepted").label("accepted"),
            count("edited").label("edited"),
            count("rejected").label("rejected"),
            func.sum(case((table.c.label_changed, 1), else_=0)).label("label_changes"),
            mean(table.c.iou).label("mean_iou"),
            mean(table.c.boundary_shift).label("mean_boundary_shift"),
            mean(table.c.wer).label("mean_wer"),
        )
        .where(table.c.project_id == project_id)
        .group_by(column)
        .order_by(column)
    )
    return [
        DecisionTally(
            name=row.name,
            decisions=row.decisions,
            accepted=row.accepted,
            edited=row.edited,
            rejected=row.rejected,
            acceptance=row.accepted / row.decisions,
            label_changes=row.label_changes,
            mean_iou=row.mean_iou,
            mean_boundary_shift=row.mean_boundary_shift,
            mean_wer=row.mean_wer,
        )
        for row in connection.execute(query)
    ]


def metrics(connection: Connection, project_id: str) -> CandidateMetrics:
    """The project's decisions per model and per person (by SQL aggregation)."""
    return CandidateMetrics(
        models=_tallies(connection, project_id, candidate_decisions.c.model),
        people=_tallies(connection, project_id, candidate_decisions.c.decided_by),
    )
