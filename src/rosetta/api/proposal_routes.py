"""Models propose, people decide, over HTTP: the installed proposers, running one on a
stream of a sample (its proposals stored as candidates, `rosetta.services.proposals`), a
person's decision about a candidate (`rosetta.services.candidate_decisions`) and the
project's decisions per model and per person.

Whoever may annotate a sample may ask for candidates on it, except in the blind pass
(`rosetta.core.policies.can_request_candidates`); a decision is about a candidate the
person sees, sent with ``If-Match`` its revision.
"""

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import project_scope
from rosetta.api.preconditions import IfMatch, expected_revision
from rosetta.api.work_access import work_access
from rosetta.core.geometry import Geometry
from rosetta.core.policies import can_annotate, can_request_candidates, can_review
from rosetta.core.schema import Annotation, JsonDict
from rosetta.proposers.spec import Prompt
from rosetta.services import candidate_decisions, judgements, proposals
from rosetta.services.candidate_decisions import CandidateMetrics, DecisionMade
from rosetta.services.proposer_registry import ProposerInfo, describe_all
from rosetta.services.settings import Settings

router = APIRouter()


class ProposalAsk(BaseModel):
    """Which proposer to run on which stream of the sample, with what prompt, class and
    parameters."""

    model_config = ConfigDict(extra="forbid")

    proposer: str = Field(min_length=1, description="The proposer's name (GET /api/proposers).")
    stream: str = Field(min_length=1, description="The stream to propose on.")
    prompt: Prompt = Field(default_factory=Prompt, description="Clicks, a box, text.")
    label: str | None = Field(
        default=None, min_length=1, description="The class of proposals that come without one."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="The proposer's parameters (its JSON schema)."
    )


class CandidateDecision(BaseModel):
    """Accept a candidate (with the class, geometry or attributes it should have instead,
    if any) or reject it."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    label: str | None = Field(default=None, min_length=1)
    geometry: Geometry | None = None
    attributes: JsonDict | None = None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/api/proposers", openapi_extra=policy("user"))
def list_proposers(request: Request, caller: CurrentUser) -> list[ProposerInfo]:
    """Every installed proposer: what it works on and takes, its parameters' JSON schema,
    and why it cannot run here (``unavailable``) if it cannot."""
    return describe_all(_settings(request))


@router.post(
    "/api/samples/{sample_id}/proposals",
    status_code=201,
    response_model_exclude_none=True,
    openapi_extra=policy("annotator"),
)
def propose(
    *,
    request: Request,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    ask: ProposalAsk,
) -> list[Annotation]:
    """Run a proposer on one stream of the sample and store its proposals as candidates
    (model provenance in ``source``); 201 with them (none: it found nothing)."""
    found = sample_access(db, caller, sample_id)
    require(
        can_request_candidates(found.access, found.assignment),
        "ask a model for candidates on",
        f"sample {sample_id!r}",
    )
    return proposals.propose(
        store,
        _settings(request),
        actor,
        ask.proposer,
        project_id=found.access.project_id,
        sample_id=sample_id,
        stream_id=ask.stream,
        prompt=ask.prompt,
        label=ask.label,
        parameters=ask.parameters,
        hidden_streams=judgements.hidden_streams(db, sample_id, found.access),
    )


@router.post("/api/annotations/{annotation_id}/decision", openapi_extra=policy("annotator"))
def decide(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    annotation_id: str,
    decision: CandidateDecision,
    if_match: IfMatch,
) -> DecisionMade:
    """Accept (as it is, or edited) or reject a model's candidate (``If-Match``: its
    revision); what changed is recorded for the per-model and per-person metrics."""
    work = work_access(db, caller, "annotation", annotation_id)
    obj = f"annotation {annotation_id!r}"
    require(can_annotate(work.found.access, work.found.assignment), "decide about", obj)
    return candidate_decisions.decide(
        store,
        actor,
        work.project_id,
        annotation_id,
        expected_revision=expected_revision(if_match, obj),
        verdict=decision.decision,
        label=decision.label,
        geometry=decision.geometry,
        attributes=decision.attributes,
    )


@router.get("/api/projects/{project}/metrics/candidates", openapi_extra=policy("reviewer"))
def candidate_metrics(db: Db, caller: CurrentUser, project: str) -> CandidateMetrics:
    """The project's decisions about candidates per model and per person: counts, the
    share accepted as proposed, mean IoU, boundary shift and WER of the edited ones."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "read candidate metrics of", f"project {project!r}")
    return candidate_decisions.metrics(db, scope.project.id)
