"""The escalation policies, role by role: who may ask, answer, withdraw and clarify, and who
sees which question and answer."""

import pytest

from rosetta.core.policies import (
    Access,
    Assignment,
    Principal,
    Role,
    can_answer_escalation,
    can_clarify_guideline,
    can_escalate,
    can_withdraw_escalation,
    sees_escalation,
    sees_escalation_answer,
)

ADA = Principal("u-ada", "ada")
MINE = Assignment("s1", "u-ada")
BLIND = Assignment("s1", "u-ada", blind=True)


def access(role: Role | None) -> Access:
    return Access(principal=ADA, project_id="p", role=role)


@pytest.mark.parametrize(
    ("role", "ask_unassigned", "answer", "clarify"),
    [
        (None, False, False, False),
        (Role.ANNOTATOR, False, False, False),
        (Role.REVIEWER, True, True, False),
        (Role.MANAGER, True, True, True),
        (Role.ADMIN, True, True, True),
    ],
)
def test_who_may_ask_answer_and_clarify(
    role: Role | None, *, ask_unassigned: bool, answer: bool, clarify: bool
) -> None:
    given = access(role)
    assert can_escalate(given, None) is ask_unassigned
    assert can_escalate(given, MINE) is (role is not None)
    assert can_answer_escalation(given) is answer
    assert can_clarify_guideline(given) is clarify


def test_only_the_asker_withdraws() -> None:
    assert can_withdraw_escalation(access(Role.ANNOTATOR), "ada")
    assert not can_withdraw_escalation(access(Role.ADMIN), "bob")
    assert not can_withdraw_escalation(access(None), "ada")


@pytest.mark.parametrize(
    ("role", "assignment", "asker", "gold", "question", "answer"),
    [
        (Role.ANNOTATOR, MINE, "ada", False, True, True),
        (Role.ANNOTATOR, MINE, "bob", False, True, False),
        (Role.ANNOTATOR, BLIND, "ada", False, True, True),
        (Role.ANNOTATOR, BLIND, "bob", False, False, False),
        (Role.ANNOTATOR, MINE, "ada", True, True, True),
        (Role.ANNOTATOR, MINE, "bob", True, False, False),
        (Role.ANNOTATOR, None, "bob", False, False, False),
        (Role.REVIEWER, None, "bob", True, True, True),
        (Role.MANAGER, None, "bob", False, True, True),
    ],
)
def test_who_sees_which_question_and_answer(
    role: Role,
    assignment: Assignment | None,
    asker: str,
    *,
    gold: bool,
    question: bool,
    answer: bool,
) -> None:
    given = access(role)
    seen = sees_escalation(given, assignment, asker=asker, gold=gold)
    assert seen is question
    assert (seen and sees_escalation_answer(given, asker=asker)) is answer
