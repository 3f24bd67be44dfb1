"""Escalations over HTTP: asking a senior about a sample, a sample's questions, a project's
(keyset pages, by status), answering, withdrawing, and turning an answer into a guideline
clarification (`rosetta.services.escalations`).

An escalation is read through its sample: whoever may not read the sample, or may not see
the question (another annotator's on a blind or gold sample), gets 404. Annotators see the
answers to their own questions only, and list only their own in a project.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection

from rosetta.api.auth import (
    CurrentUser,
    SampleAccess,
    UserActor,
    policy,
    require,
    sample_access,
)
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import project_scope
from rosetta.api.paging import Cursor, PageLimit
from rosetta.core.errors import NotFoundError
from rosetta.core.policies import (
    Principal,
    can_answer_escalation,
    can_clarify_guideline,
    can_escalate,
    can_withdraw_escalation,
    sees_escalation,
    sees_every_sample,
)
from rosetta.core.schema import Id
from rosetta.services import escalations
from rosetta.services.escalations import Escalation, EscalationPage, EscalationStatus

router = APIRouter()


class NewEscalation(BaseModel):
    """A question for a senior about the sample, optionally about one of its annotations,
    links or entities (``about``)."""

    model_config = ConfigDict(extra="forbid")
    question: Annotated[str, Field(min_length=1, max_length=escalations.MAX_QUESTION)]
    about: Id | None = None


class EscalationAnswer(BaseModel):
    """A senior's answer to an open question."""

    model_config = ConfigDict(extra="forbid")
    answer: Annotated[str, Field(min_length=1, max_length=escalations.MAX_ANSWER)]


class EscalationClarification(BaseModel):
    """Which guideline an answered question goes to (exactly one of ``class`` and
    ``relation``), the ontology version the caller saw (``expected_version``), and
    optionally the clarification's own wording of the question and answer."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    cls: str | None = Field(default=None, alias="class", min_length=1, max_length=200)
    relation: str | None = Field(default=None, min_length=1, max_length=200)
    expected_version: Annotated[int, Field(ge=1)]
    question: str | None = Field(default=None, min_length=1, max_length=1000)
    answer: str | None = Field(default=None, min_length=1, max_length=escalations.MAX_ANSWER)

    @model_validator(mode="after")
    def _one_target(self) -> "EscalationClarification":
        if (self.cls is None) == (self.relation is None):
            raise ValueError("name either a 'class' or a 'relation'")
        return self


@dataclass(frozen=True)
class EscalationScope:
    """An escalation and the caller's access to its sample."""

    escalation: Escalation
    found: SampleAccess


def escalation_scope(db: Connection, principal: Principal, escalation_id: str) -> EscalationScope:
    """The escalation and the person's access to its sample; 404 when there is none, they
    may not read its sample, or may not see the question."""
    item = escalations.find_escalation(db, escalation_id)
    try:
        found = sample_access(db, principal, item.sample)
    except NotFoundError:
        raise NotFoundError("escalation", escalation_id) from None
    if not sees_escalation(found.access, found.assignment, asker=item.asked_by, gold=found.gold):
        raise NotFoundError("escalation", escalation_id)
    return EscalationScope(item, found)


@router.post(
    "/api/samples/{sample_id}/escalations", status_code=201, openapi_extra=policy("annotator")
)
def escalate_sample(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    body: NewEscalation,
) -> Escalation:
    """Ask a senior a question about the sample (and one object of it); the open
    escalation."""
    found = sample_access(db, caller, sample_id)
    require(can_escalate(found.access, found.assignment), "escalate", f"sample {sample_id!r}")
    return escalations.ask(
        store,
        actor,
        found.access,
        found.assignment,
        sample_id,
        question=body.question,
        about=body.about,
    )


@router.get("/api/samples/{sample_id}/escalations", openapi_extra=policy("annotator"))
def list_sample_escalations(db: Db, caller: CurrentUser, sample_id: str) -> list[Escalation]:
    """The questions about the sample the caller sees, oldest first (annotators: the
    answers to their own only)."""
    found = sample_access(db, caller, sample_id)
    asked = escalations.sample_escalations(db, sample_id)
    return escalations.seen_by(asked, found.access, found.assignment, gold=found.gold)


@router.get("/api/projects/{project}/escalations", openapi_extra=policy("annotator"))
def list_project_escalations(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    status: Annotated[EscalationStatus | None, Query(description="With this status.")] = None,
    clarified: Annotated[
        bool | None, Query(description="Added to a guideline already (true) or not (false).")
    ] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> EscalationPage:
    """A page of the project's questions, oldest first, meeting every filter given;
    annotators list their own only."""
    scope = project_scope(db, caller, project)
    mine = None if sees_every_sample(scope.access) else caller.name
    return escalations.project_escalations(
        db,
        scope.project.id,
        status=status,
        clarified=clarified,
        asked_by=mine,
        limit=limit,
        cursor=cursor,
    )


@router.post("/api/escalations/{escalation_id}/answer", openapi_extra=policy("reviewer"))
def answer_escalation(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    escalation_id: str,
    body: EscalationAnswer,
) -> Escalation:
    """Answer an open question (reviewers and above)."""
    scope = escalation_scope(db, caller, escalation_id)
    require(can_answer_escalation(scope.found.access), "answer", f"escalation {escalation_id!r}")
    return escalations.answer(store, actor, scope.found.access, escalation_id, text=body.answer)


@router.post("/api/escalations/{escalation_id}/withdraw", openapi_extra=policy("annotator"))
def withdraw_escalation(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, escalation_id: str
) -> Escalation:
    """Withdraw an open question the caller asked."""
    scope = escalation_scope(db, caller, escalation_id)
    mine = can_withdraw_escalation(scope.found.access, scope.escalation.asked_by)
    require(mine, "withdraw", f"escalation {escalation_id!r}, which someone else asked")
    return escalations.withdraw(store, actor, scope.found.access, escalation_id)


@router.post("/api/escalations/{escalation_id}/clarify", openapi_extra=policy("manager"))
def clarify_escalation(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    escalation_id: str,
    body: EscalationClarification,
) -> Escalation:
    """Add an answered question to the guideline of a class or relation type as a dated
    clarification: a new ontology version (409 when the ontology is no longer at
    ``expected_version``), which the escalation records (managers and above)."""
    scope = escalation_scope(db, caller, escalation_id)
    access = scope.found.access
    require(
        can_clarify_guideline(access), "clarify a guideline with", f"escalation {escalation_id!r}"
    )
    return escalations.clarify(
        store,
        actor,
        access,
        escalation_id,
        kind="class" if body.cls is not None else "relation",
        name=body.cls if body.cls is not None else str(body.relation),
        expected_version=body.expected_version,
        question=body.question,
        text=body.answer,
    )
