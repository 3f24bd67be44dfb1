"""Judgements of preference samples: the caller's own (put, withdraw) and those they see.

Putting and withdrawing take the same access as annotating the sample; the caller is the
evaluator (`UserActor`). Reading follows `rosetta.services.visibility`: an annotator sees
only their own judgement, reviewers and above every one. Responses carry a judgement as
the native format writes it, with ``ETag: "<revision>"``.
"""

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.fast_json import OrjsonRoute
from rosetta.api.preconditions import etag
from rosetta.core.policies import can_annotate
from rosetta.core.preference import Judgement, PairVerdict, RubricScore
from rosetta.formats.native import judgement_record
from rosetta.services import judgements

router = APIRouter(route_class=OrjsonRoute)


class JudgementPut(BaseModel):
    """The caller's whole judgement of a preference sample; what it leaves out is empty."""

    model_config = ConfigDict(extra="forbid")
    pairs: list[PairVerdict] = Field(
        default_factory=list, description="Pairwise verdicts between candidates."
    )
    ranking: list[list[str]] = Field(
        default_factory=list,
        description="Tiers of candidate ids, best first; one tier ties; a partial ranking "
        "leaves some out.",
    )
    scores: list[RubricScore] = Field(
        default_factory=list, description="Rubric scores per candidate and criterion."
    )
    rationale: str | None = Field(
        default=None,
        description="The rationale's text (kept in a text stream of the sample); null or "
        "blank: none, which deletes a rationale given before with its phrases.",
    )
    expected_revision: int | None = Field(
        default=None,
        ge=0,
        description="The judgement's revision this is based on (0: none yet); a stale one "
        "is a 409. Null: no check.",
    )

    def verdict(self) -> judgements.Verdict:
        """The verdict to put."""
        return judgements.Verdict(
            pairs=self.pairs, ranking=self.ranking, scores=self.scores, rationale=self.rationale
        )


def _response(judgement: Judgement) -> Response:
    """The judgement as the native format writes it, with its ETag."""
    return Response(
        orjson.dumps(judgement_record(judgement)),
        media_type="application/json",
        headers={"ETag": etag(judgement.revision)},
    )


@router.put(
    "/api/samples/{sample_id}/judgement",
    response_model=Judgement,
    openapi_extra=policy("annotator"),
)
def put_judgement(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    body: JudgementPut,
) -> Response:
    """Create or replace the caller's judgement of the sample (created with the order the
    candidates are shown to the caller, which never changes after); the judgement, whose
    ``rationale`` is the id of the text stream holding the rationale. 422 naming the field
    for unknown candidates, criteria and values off the scale; 409 on a stale
    ``expected_revision``."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "judge", f"sample {sample_id!r}")
    put = judgements.put_judgement(
        store,
        found.access.project_id,
        sample_id,
        body.verdict(),
        actor,
        expected_revision=body.expected_revision,
    )
    return _response(put)


@router.delete(
    "/api/samples/{sample_id}/judgement", status_code=204, openapi_extra=policy("annotator")
)
def withdraw_judgement(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, sample_id: str
) -> Response:
    """Withdraw the caller's judgement of the sample with its rationale stream, the
    phrases on it and their links; 404 when they have none."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "judge", f"sample {sample_id!r}")
    judgements.withdraw_judgement(store, found.access.project_id, sample_id, actor)
    return Response(status_code=204)


@router.get(
    "/api/samples/{sample_id}/judgements",
    response_model=list[Judgement],
    response_model_exclude_none=True,
    openapi_extra=policy("annotator"),
)
def list_judgements(db: Db, caller: CurrentUser, sample_id: str) -> list[Judgement]:
    """The judgements of the sample the caller sees (an annotator only their own),
    oldest first."""
    found = sample_access(db, caller, sample_id)
    return judgements.judgements_seen(db, sample_id, found.access)
