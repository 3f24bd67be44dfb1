"""The workforce: people's skills, gold samples, the scores people got on them, and
qualification results.

::

    rosetta.set_skills("my-project", "ana", ["modality:audio", "language:de"])
    rosetta.mark_gold("sample-7", "qualification", skill="modality:audio")
    for result in rosetta.gold_results("my-project", kind="gold"):
        print(result.user, result.score)
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, segment

#: What a gold sample is used for.
GoldPurpose = Literal["audit", "training", "qualification"]
#: The kinds of task slot people get on gold samples.
GoldKind = Literal["gold", "training", "qualification"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserSkill(_Answer):
    """One skill of a person (``kind:value``): from their ``profile`` or earned by passing
    a ``qualification`` test; who granted it and when (seconds since the epoch)."""

    skill: str
    source: Literal["profile", "qualification"]
    granted_by: str
    created_at: float


class GoldUse(_Answer):
    """A use of a gold sample (`skill`: the skill a qualification sample tests)."""

    sample: str
    purpose: GoldPurpose
    skill: str | None
    created_at: float


class GoldResult(_Answer):
    """One person's scored slot on a gold sample: the score (0 to 1) and its parts
    (``detail``: per modality, links, feedback; see `rosetta.core.gold_scoring`)."""

    task: str
    kind: GoldKind
    sample: str
    user: str
    score: float
    detail: dict[str, Any]
    submitted_at: float


class QualificationResult(_Answer):
    """A person's result on a project's qualification test of `skill`: ``pending``,
    ``passed`` or ``failed``, the mean score of the current (or last) attempt, its
    number."""

    user: str
    skill: str
    status: Literal["pending", "passed", "failed"]
    score: float | None
    attempts: int
    updated_at: float


_SKILLS = TypeAdapter(list[UserSkill])
_GOLD_USE = TypeAdapter(GoldUse)
_GOLD_USES = TypeAdapter(list[GoldUse])
_RESULTS = TypeAdapter(list[GoldResult])
_QUALIFICATIONS = TypeAdapter(list[QualificationResult])


def _project_path(project: str) -> str:
    return f"/api/projects/{segment(project)}"


def _skills_path(project: str, user: str) -> str:
    return f"{_project_path(project)}/members/{segment(user)}/skills"


def _gold_path(sample_id: str, purpose: GoldPurpose) -> str:
    return f"/api/samples/{segment(sample_id)}/gold/{segment(purpose)}"


class WorkforceMethods(MethodGroup):
    """People's skills, gold samples and qualification tests."""

    def skills(self, project: str, user: str) -> list[UserSkill]:
        """The skills of member `user` (a name or id) of the project (managers)."""
        return self._http.parse(_SKILLS, "GET", _skills_path(project, user))

    def set_skills(self, project: str, user: str, skills: list[str]) -> list[UserSkill]:
        """Make `skills` the profile skills of member `user` (managers); those earned by
        qualification stay. Their skills after."""
        body = {"skills": list(skills)}
        return self._http.parse(_SKILLS, "PUT", _skills_path(project, user), json=body)

    def mark_gold(
        self, sample_id: str, purpose: GoldPurpose, *, skill: str | None = None
    ) -> GoldUse:
        """Use the sample as gold for `purpose` (managers); a ``qualification`` sample
        names the `skill` it tests."""
        body = {"skill": skill}
        return self._http.parse(_GOLD_USE, "PUT", _gold_path(sample_id, purpose), json=body)

    def unmark_gold(self, sample_id: str, purpose: GoldPurpose) -> None:
        """Stop using the sample as gold for `purpose` (managers)."""
        self._http.request("DELETE", _gold_path(sample_id, purpose))

    def gold(
        self, project: str, *, purpose: GoldPurpose | None = None, page_size: int = 100
    ) -> Pages[GoldUse]:
        """The project's gold samples' uses (managers), of `purpose` (none: all), read
        `page_size` at a time as iteration goes."""
        path = f"{_project_path(project)}/gold"
        filters = {"purpose": purpose, "limit": page_size}

        def fetch(cursor: str | None) -> Page[GoldUse]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _GOLD_USES.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"gold samples of project {project!r}", fetch)

    def gold_results(
        self,
        project: str,
        *,
        kind: GoldKind | None = None,
        user: str | None = None,
        page_size: int = 100,
    ) -> Pages[GoldResult]:
        """The scored gold, training and qualification slots of the project (reviewers and
        above), of `kind`, of `user` (a name or id), read `page_size` at a time."""
        path = f"{_project_path(project)}/gold/results"
        filters = {"kind": kind, "user": user, "limit": page_size}

        def fetch(cursor: str | None) -> Page[GoldResult]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _RESULTS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"gold results of project {project!r}", fetch)

    def qualifications(self, project: str, *, user: str | None = None) -> list[QualificationResult]:
        """The project's qualification results (everyone's for reviewers and above, else
        the caller's own), of `user` (a name or id)."""
        path = f"{_project_path(project)}/qualifications"
        return self._http.parse(_QUALIFICATIONS, "GET", path, params={"user": user})
