"""Escalations: asking a senior about an ambiguous sample, answering, withdrawing, and
turning an answer into a clarification of a class's or relation type's guideline.

::

    asked = rosetta.escalate("portrait", "Is the helmet part of the person?")
    ...  # a reviewer
    rosetta.answer_escalation(asked.id, "Yes: box the whole suit, helmet included.")
    ...  # a manager, having read the ontology at version 3
    rosetta.clarify_escalation(asked.id, 3, cls="person")
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, segment

#: Where an escalation stands.
EscalationStatus = Literal["open", "answered", "withdrawn"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Clarified(_Answer):
    """Where an escalation's answer went: the guideline of the class or relation type
    (`kind`) `name`, in ontology version `version`; by whom and when (seconds since the
    epoch)."""

    kind: Literal["class", "relation"]
    name: str
    version: int
    by: str
    at: float


class Escalation(_Answer):
    """A question about sample `sample` (and the annotation, link or entity `about`) asked
    by `asked_by`, its status, the answer (``None`` while open, or where the caller may not
    see it), who answered and when, and the clarification it became."""

    id: str
    project: str
    sample: str
    about: str | None
    asked_by: str
    question: str
    asked_at: float
    status: EscalationStatus
    answer: str | None
    answered_by: str | None
    answered_at: float | None
    clarified: Clarified | None


_ESCALATION = TypeAdapter(Escalation)
_ESCALATIONS = TypeAdapter(list[Escalation])


def _escalation_path(escalation_id: str, action: str) -> str:
    return f"/api/escalations/{segment(escalation_id)}/{action}"


class EscalationMethods(MethodGroup):
    """Questions to seniors and their answers."""

    def escalate(self, sample_id: str, question: str, *, about: str | None = None) -> Escalation:
        """Ask a senior `question` about the sample (and its annotation, link or entity
        `about`): the open escalation. Whoever may annotate the sample may ask."""
        body = {"question": question, "about": about}
        path = f"/api/samples/{segment(sample_id)}/escalations"
        return self._http.parse(_ESCALATION, "POST", path, json=body)

    def escalations(self, sample_id: str) -> list[Escalation]:
        """The questions about the sample the caller sees, oldest first (annotators: the
        answers to their own only)."""
        path = f"/api/samples/{segment(sample_id)}/escalations"
        return self._http.parse(_ESCALATIONS, "GET", path)

    def project_escalations(
        self,
        project: str,
        *,
        status: EscalationStatus | None = None,
        clarified: bool | None = None,
        page_size: int = 100,
    ) -> Pages[Escalation]:
        """The project's questions, oldest first, with `status` and already `clarified` or
        not (annotators: their own only), read `page_size` at a time as iteration goes."""
        path = f"/api/projects/{segment(project)}/escalations"
        filters = {"status": status, "clarified": clarified, "limit": page_size}

        def fetch(cursor: str | None) -> Page[Escalation]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _ESCALATIONS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"escalations of project {project!r}", fetch)

    def answer_escalation(self, escalation_id: str, answer: str) -> Escalation:
        """Answer an open question (reviewers and above)."""
        body = {"answer": answer}
        return self._http.parse(
            _ESCALATION, "POST", _escalation_path(escalation_id, "answer"), json=body
        )

    def withdraw_escalation(self, escalation_id: str) -> Escalation:
        """Withdraw an open question the caller asked."""
        return self._http.parse(_ESCALATION, "POST", _escalation_path(escalation_id, "withdraw"))

    def clarify_escalation(
        self,
        escalation_id: str,
        expected_version: int,
        *,
        cls: str | None = None,
        relation: str | None = None,
        question: str | None = None,
        answer: str | None = None,
    ) -> Escalation:
        """Add an answered question to the guideline of the class `cls` or the relation type
        `relation` (name one) as a dated clarification, worded as asked and answered unless
        `question` or `answer` say otherwise (managers). The ontology must still be at
        `expected_version` (else `ConflictError`); the new version is in ``clarified``."""
        body: dict[str, Any] = {
            "class": cls,
            "relation": relation,
            "expected_version": expected_version,
            "question": question,
            "answer": answer,
        }
        given = {key: value for key, value in body.items() if value is not None}
        return self._http.parse(
            _ESCALATION, "POST", _escalation_path(escalation_id, "clarify"), json=given
        )
