"""The policy functions, role by role."""

import pytest

from rosetta.core.policies import (
    HANDED_IN,
    Access,
    Assignment,
    Principal,
    Role,
    can_administer,
    can_annotate,
    can_manage,
    can_manage_members,
    can_read_project,
    can_read_sample,
    can_review,
    can_set_sample_status,
    role_in,
    sees_decisions_on,
    sees_every_sample,
    sees_verdict,
    sees_work,
)

ADA = Principal("u-ada", "ada")
ROOT = Principal("u-root", "root", is_admin=True)
MINE = Assignment("s1", "u-ada")
BLIND = Assignment("s1", "u-ada", blind=True)


def access(role: Role | None) -> Access:
    return Access(principal=ADA, project_id="p", role=role)


def test_roles_are_ordered_and_site_admins_hold_admin_everywhere() -> None:
    assert [role.rank for role in Role] == [0, 1, 2, 3]
    assert Role.MANAGER.at_least(Role.REVIEWER) and not Role.REVIEWER.at_least(Role.MANAGER)
    assert role_in(ROOT, None) is Role.ADMIN and role_in(ROOT, Role.ANNOTATOR) is Role.ADMIN
    assert role_in(ADA, None) is None and role_in(ADA, Role.REVIEWER) is Role.REVIEWER
    assert can_administer(ROOT) and not can_administer(ADA)


@pytest.mark.parametrize(
    ("role", "project", "every", "review", "manage", "members"),
    [
        (None, False, False, False, False, False),
        (Role.ANNOTATOR, True, False, False, False, False),
        (Role.REVIEWER, True, True, True, False, False),
        (Role.MANAGER, True, True, True, True, False),
        (Role.ADMIN, True, True, True, True, True),
    ],
)
def test_what_each_role_may_do(
    role: Role | None, *, project: bool, every: bool, review: bool, manage: bool, members: bool
) -> None:
    given = access(role)
    assert can_read_project(given) is project
    assert sees_every_sample(given) is every
    assert can_review(given) is review
    assert can_manage(given) is manage
    assert can_manage_members(given) is members


def test_annotators_read_and_annotate_only_assigned_samples() -> None:
    annotator = access(Role.ANNOTATOR)
    assert not can_read_sample(annotator, None) and not can_annotate(annotator, None)
    assert can_read_sample(annotator, MINE) and can_annotate(annotator, MINE)
    assert not can_read_sample(access(None), MINE)
    assert can_read_sample(access(Role.REVIEWER), None)


@pytest.mark.parametrize(
    ("role", "assignment", "author", "gold", "seen"),
    [
        (Role.ANNOTATOR, MINE, "ada", False, True),
        (Role.ANNOTATOR, MINE, "bob", False, True),
        (Role.ANNOTATOR, BLIND, "ada", False, True),
        (Role.ANNOTATOR, BLIND, "bob", False, False),
        (Role.ANNOTATOR, MINE, "bob", True, False),  # gold: the reference answer
        (Role.ANNOTATOR, MINE, None, True, False),
        (Role.ANNOTATOR, None, "ada", False, False),
        (None, MINE, "ada", False, False),  # assigned, but no longer a member
        (Role.REVIEWER, None, "bob", True, True),
    ],
)
def test_who_sees_which_work(
    role: Role | None, assignment: Assignment | None, author: str | None, gold: bool, seen: bool
) -> None:
    assert sees_work(access(role), assignment, author=author, gold=gold) is seen


@pytest.mark.parametrize(
    ("role", "assignment", "review", "done"),
    [
        (None, MINE, False, False),
        (Role.ANNOTATOR, None, False, False),
        (Role.ANNOTATOR, MINE, True, False),
        (Role.ANNOTATOR, BLIND, True, False),
        (Role.REVIEWER, None, True, True),
        (Role.ADMIN, None, True, True),
    ],
)
def test_who_may_set_a_sample_status(
    role: Role | None, assignment: Assignment | None, *, review: bool, done: bool
) -> None:
    given = access(role)
    assert can_set_sample_status(given, assignment, HANDED_IN) is review
    assert can_set_sample_status(given, assignment, "done") is done
    assert can_set_sample_status(given, assignment, "new") is done


@pytest.mark.parametrize(
    ("role", "assignment", "author", "gold", "decisions", "verdict"),
    [
        (Role.ANNOTATOR, MINE, "ada", False, True, True),
        (Role.ANNOTATOR, BLIND, "ada", False, True, True),
        (Role.ANNOTATOR, MINE, "bob", False, False, True),  # others' work: not their review
        (Role.ANNOTATOR, MINE, "ada", True, False, False),  # gold: it would tell the answer
        (Role.ANNOTATOR, None, "ada", False, False, False),
        (None, MINE, "ada", False, False, False),
        (Role.REVIEWER, None, "bob", True, True, True),
    ],
)
def test_who_sees_which_review(
    role: Role | None,
    assignment: Assignment | None,
    author: str,
    *,
    gold: bool,
    decisions: bool,
    verdict: bool,
) -> None:
    given = access(role)
    assert sees_decisions_on(given, assignment, author=author, gold=gold) is decisions
    assert sees_verdict(given, assignment, gold=gold) is verdict
