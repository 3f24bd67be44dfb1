"""Who works on a project: its members and their roles (project admins change them) and
which samples are assigned to whom (managers assign them; ``blind``: the assignee sees no
one else's work on the sample)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import project_scope
from rosetta.api.paging import Cursor, PageLimit
from rosetta.core.policies import Role, can_manage, can_manage_members
from rosetta.services import accounts, catalog

router = APIRouter()


class MemberOut(BaseModel):
    """A member of a project and their role there."""

    user_id: str
    name: str
    role: Role


class RoleChange(BaseModel):
    """The role to give."""

    role: Role


class AssignmentChange(BaseModel):
    """How to assign: ``blind`` hides everyone else's work on the sample from the assignee."""

    blind: bool = False


@router.get("/api/projects/{project}/members", openapi_extra=policy("manager"))
def list_members(db: Db, caller: CurrentUser, project: str) -> list[MemberOut]:
    """The project's members and their roles, in the order they joined."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "list the members of", f"project {project!r}")
    return [
        MemberOut(user_id=m.user_id, name=m.name, role=m.role)
        for m in accounts.list_members(db, scope.project.id)
    ]


@router.put("/api/projects/{project}/members/{user}", openapi_extra=policy("admin"))
def set_member_role(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    project: str,
    user: str,
    body: RoleChange,
) -> MemberOut:
    """Give user `user` (a name or id) a role in the project, adding them if needed."""
    scope = project_scope(db, caller, project)
    require(can_manage_members(scope.access), "change the members of", f"project {project!r}")
    found = accounts.find_user(db, user)
    accounts.set_role(store, actor, scope.project.id, found.id, body.role)
    return MemberOut(user_id=found.id, name=found.name, role=body.role)


@router.delete(
    "/api/projects/{project}/members/{user}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=policy("admin"),
)
def remove_member(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, project: str, user: str
) -> Response:
    """Remove user `user` (a name or id) from the project (nothing to do if not a member)."""
    scope = project_scope(db, caller, project)
    require(can_manage_members(scope.access), "change the members of", f"project {project!r}")
    accounts.set_role(store, actor, scope.project.id, accounts.find_user(db, user).id, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/projects/{project}/assignments", openapi_extra=policy("manager"))
def list_assignments(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    user: Annotated[str | None, Query(description="Only this user's (a name or id).")] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> catalog.AssignmentPage:
    """The project's assignments in the order they were made."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "list the assignments of", f"project {project!r}")
    user_id = None if user is None else accounts.find_user(db, user).id
    return catalog.list_assignments(
        db, scope.project.id, user_id=user_id, limit=limit, cursor=cursor
    )


@router.put("/api/samples/{sample_id}/assignments/{user}", openapi_extra=policy("manager"))
def assign_sample(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    user: str,
    body: AssignmentChange,
) -> catalog.SampleAssignment:
    """Assign the sample to user `user` (a name or id, a member of the project), or change
    whether the assignment is blind."""
    found = sample_access(db, caller, sample_id)
    require(can_manage(found.access), "assign", f"sample {sample_id!r}")
    assignee = accounts.find_user(db, user)
    done = accounts.assign(store, actor, sample_id, assignee.id, blind=body.blind)
    return catalog.SampleAssignment(sample_id, assignee.id, assignee.name, done.blind)


@router.delete(
    "/api/samples/{sample_id}/assignments/{user}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=policy("manager"),
)
def unassign_sample(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, sample_id: str, user: str
) -> Response:
    """Take the sample back from user `user` (a name or id); 404 when not assigned."""
    found = sample_access(db, caller, sample_id)
    require(can_manage(found.access), "unassign", f"sample {sample_id!r}")
    accounts.unassign(store, actor, sample_id, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
