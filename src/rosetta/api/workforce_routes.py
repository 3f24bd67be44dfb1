"""The workforce over HTTP: people's skills, gold samples and their uses, the scores people
got on gold slots, and qualification results.

Managers read and set a member's profile skills (skills earned by qualification stay),
mark samples gold (for audit, training or a qualification test of a skill) and unmark
them. Reviewers and above read the scores of gold, training and qualification slots with
their parts (`rosetta.core.gold_scoring`), and everyone's qualification results; an
annotator reads only their own results, and never a gold slot's score.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import project_scope
from rosetta.api.paging import Cursor, PageLimit
from rosetta.core.errors import NotFoundError
from rosetta.core.policies import can_manage, can_review
from rosetta.core.workflow import Skill, TaskKind
from rosetta.services import accounts, gold, qualifications, skills
from rosetta.services.gold import GoldPurpose, GoldResultPage, GoldUse, GoldUsePage
from rosetta.services.qualifications import QualificationResult
from rosetta.services.skills import UserSkill

router = APIRouter()


class SkillsChange(BaseModel):
    """A person's profile skills, all of them (``kind:value``)."""

    model_config = ConfigDict(extra="forbid")
    skills: list[Skill] = Field(max_length=200)


class GoldMark(BaseModel):
    """How a sample is used as gold: a qualification sample names the skill it tests."""

    model_config = ConfigDict(extra="forbid")
    skill: Skill | None = None


def _member(db: Db, project_id: str, user: str) -> str:
    """The id of user `user` (a name or id), a member of the project; 404 otherwise."""
    found = accounts.find_user(db, user)
    if accounts.membership(db, project_id, found.id) is None:
        raise NotFoundError("member", user)
    return found.id


@router.get("/api/projects/{project}/members/{user}/skills", openapi_extra=policy("manager"))
def get_member_skills(db: Db, caller: CurrentUser, project: str, user: str) -> list[UserSkill]:
    """The skills of member `user` (a name or id), sorted, with where each comes from."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "read the skills of members of", f"project {project!r}")
    return skills.skills_of(db, _member(db, scope.project.id, user))


@router.put("/api/projects/{project}/members/{user}/skills", openapi_extra=policy("manager"))
def put_member_skills(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    project: str,
    user: str,
    body: SkillsChange,
) -> list[UserSkill]:
    """Make `skills` the profile skills of member `user` (skills earned by passing a
    qualification test stay); their skills after."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "set the skills of members of", f"project {project!r}")
    user_id = _member(db, scope.project.id, user)
    return skills.set_profile_skills(store, actor, scope.project.id, user_id, body.skills)


@router.get("/api/projects/{project}/gold", openapi_extra=policy("manager"))
def list_gold(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    purpose: Annotated[GoldPurpose | None, Query(description="Only this use.")] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> GoldUsePage:
    """The project's gold samples' uses, in the order they were made."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "list the gold samples of", f"project {project!r}")
    return gold.list_gold(db, scope.project.id, purpose=purpose, limit=limit, cursor=cursor)


@router.put("/api/samples/{sample_id}/gold/{purpose}", openapi_extra=policy("manager"))
def mark_gold(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    purpose: GoldPurpose,
    body: GoldMark,
) -> GoldUse:
    """Use the sample as gold for `purpose` (``qualification`` names the skill it tests).
    Its work becomes the reference answer, never shown to annotators; a sample queued as
    work cannot be gold (422)."""
    found = sample_access(db, caller, sample_id)
    require(can_manage(found.access), "mark gold", f"sample {sample_id!r}")
    return gold.mark_gold(
        store, actor, found.access.project_id, sample_id, purpose, skill=body.skill
    )


@router.delete(
    "/api/samples/{sample_id}/gold/{purpose}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=policy("manager"),
)
def unmark_gold(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    purpose: GoldPurpose,
) -> Response:
    """Stop using the sample as gold for `purpose` (nothing to do when it was not)."""
    found = sample_access(db, caller, sample_id)
    require(can_manage(found.access), "unmark gold", f"sample {sample_id!r}")
    gold.unmark_gold(store, actor, found.access.project_id, sample_id, purpose)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/projects/{project}/gold/results", openapi_extra=policy("reviewer"))
def list_gold_results(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    kind: Annotated[TaskKind | None, Query(description="Only slots of this kind.")] = None,
    user: Annotated[str | None, Query(description="Only this user's (a name or id).")] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> GoldResultPage:
    """The scored gold, training and qualification slots of the project with their scores
    and parts, in the order the slots were made."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "read the gold scores of", f"project {project!r}")
    user_id = None if user is None else accounts.find_user(db, user).id
    kinds = gold.GOLD_KINDS if kind is None else (kind,)
    return gold.gold_results(
        db, scope.project.id, kinds=kinds, user_id=user_id, limit=limit, cursor=cursor
    )


@router.get("/api/projects/{project}/qualifications", openapi_extra=policy("annotator"))
def list_qualifications(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    user: Annotated[str | None, Query(description="Only this user's (a name or id).")] = None,
) -> list[QualificationResult]:
    """The project's qualification results, by user then skill: everyone's for reviewers
    and above, an annotator's own for them (asking for someone else's is refused)."""
    scope = project_scope(db, caller, project)
    user_id = None if user is None else accounts.find_user(db, user).id
    if not can_review(scope.access):
        require(
            user_id in (None, caller.user_id),
            "read others' qualification results in",
            f"project {project!r}",
        )
        user_id = caller.user_id
    return qualifications.results(db, scope.project.id, user_id=user_id)
