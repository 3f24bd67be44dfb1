"""What the SDK returns besides the records of `rosetta.core.schema` (samples, streams,
annotations, entities, links) and `rosetta.core.ontology.Ontology`: the API's other
answers as small typed models.

They ignore fields a newer server adds. Times (``at``, ``created_at``, ...) are seconds
since the Unix epoch, as the server sends them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, Link, Project, Sample, SampleStatus


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- accounts -------------------------------------------------------------------------------


class Health(_Answer):
    """The server answers and reaches its store; its version."""

    status: str
    version: str


class User(_Answer):
    """A user (never their password)."""

    id: str
    name: str
    display_name: str | None
    is_admin: bool
    active: bool


class Token(_Answer):
    """An API token, without its secret."""

    id: str
    name: str
    created_at: float
    last_used_at: float | None
    expires_at: float | None
    revoked_at: float | None


class NewToken(Token):
    """A new API token with its secret (``token``), which the server shows this once; the
    repr leaves the secret out."""

    token: str = Field(repr=False)


class MyAssignment(_Answer):
    """A sample assigned to the caller: its project's id, its id and status, and whether
    the assignment is blind."""

    project: str
    sample: str
    status: str
    blind: bool


# --- projects -------------------------------------------------------------------------------


class ProjectInfo(Project):
    """A project and the caller's role in it."""

    role: Role


class OntologyVersion(_Answer):
    """One stored ontology version: who made it when, by which migration (``None`` for the
    first) and what that did."""

    version: int
    actor: str
    created_at: datetime
    migration: dict[str, Any] | None
    report: dict[str, Any] | None


class MigrationReport(_Answer):
    """What an ontology migration did: annotations relabelled (per label they had),
    annotations flagged, links that turned stale, and attribute rules dropped because
    their classes could not keep them."""

    from_version: int
    to_version: int
    relabelled: dict[str, int]
    flagged: int
    stale_links: int
    dropped_rules: list[str] = []


class Member(_Answer):
    """A member of a project and their role there."""

    user_id: str
    name: str
    role: Role


class Assignment(_Answer):
    """A sample given to a user (``blind``: they see no one else's work on it)."""

    sample_id: str
    user_id: str
    user: str
    blind: bool


# --- samples and work -----------------------------------------------------------------------


class SampleSummary(_Answer):
    """A sample in a listing: its ids, status, metadata, modalities and how much work on it
    the caller sees."""

    id: str
    external_id: str | None
    status: str
    metadata: dict[str, Any]
    modalities: list[str] = []
    annotations: int = 0
    links: int = 0
    stale_links: int = 0
    #: A gold sample (always false for annotators, who are not told).
    gold: bool = False


@dataclass(frozen=True, repr=False)
class SampleSnapshot:
    """A whole sample as the caller sees it, the sample revision it was read at (pass
    ``revision`` as the expected revision of a write to the whole sample) and the id of
    its project (``None`` from a server that does not name it)."""

    sample: Sample
    revision: int
    project: str | None = None

    def __repr__(self) -> str:
        sample = self.sample
        return (
            f"SampleSnapshot(id={sample.id!r}, revision={self.revision}, "
            f"status={sample.status!r}, streams={len(sample.streams)}, "
            f"annotations={len(sample.annotations)}, entities={len(sample.entities)}, "
            f"links={len(sample.links)})"
        )


class SampleHead(_Answer):
    """A sample's own fields (not its streams and work) and its new revision."""

    id: str
    external_id: str | None
    status: SampleStatus
    metadata: dict[str, Any]
    revision: int


@dataclass(frozen=True, repr=False)
class Submitted:
    """What submitting a sample's work did: the sample after (as the caller sees it) at its
    new revision, and how many objects were created, updated, deleted and left as they
    were, and how many links turned stale."""

    snapshot: SampleSnapshot
    created: int
    updated: int
    deleted: int
    unchanged: int
    stale: int

    def __repr__(self) -> str:
        return (
            f"Submitted(sample={self.snapshot.sample.id!r}, revision={self.snapshot.revision}, "
            f"created={self.created}, updated={self.updated}, deleted={self.deleted}, "
            f"unchanged={self.unchanged}, stale={self.stale})"
        )


# --- review and history ---------------------------------------------------------------------


class StaleLink(_Answer):
    """In the review queue: a link whose end changed after it was confirmed."""

    sample: str
    link: Link


class FlaggedAnnotation(_Answer):
    """In the review queue: an annotation flagged for review (by an ontology migration)."""

    sample: str
    annotation: Annotation


class Event(_Answer):
    """One entry of an object's history: what was done to it (``action``), at which
    revision, by whom with which tool, when, and the object before and after."""

    pk: int
    object_kind: str
    object_id: str
    sample_id: str | None
    action: str
    revision: int | None
    actor: str
    tool: str | None
    tool_version: str | None
    at: float
    before: Any
    after: Any
    note: str | None


#: What a reviewer decides about an annotation or a whole sample.
Outcome = Literal["accepted", "rejected"]


@dataclass(frozen=True)
class Decision:
    """A decision to give on one annotation of a sample (`Client.review_sample`), with an
    optional reason."""

    annotation: str
    decision: Outcome
    reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A verdict to give on a whole sample (`Client.review_sample`): ``accepted`` moves it
    to ``done``; ``rejected``, which needs a reason (what to fix), back to ``in_progress``
    for its annotator."""

    decision: Outcome
    reason: str | None = None


class AnnotationReview(_Answer):
    """The latest decision on one annotation: by ``reviewer`` at ``at``, on its revision
    ``revision``; ``outdated`` when the annotation changed since (``current_revision``)."""

    annotation: str
    author: str | None
    decision: Outcome
    reason: str | None
    revision: int
    current_revision: int
    outdated: bool
    reviewer: str
    at: float


class SampleVerdict(_Answer):
    """The latest verdict on a sample, given on its revision ``revision``."""

    decision: Outcome
    reason: str | None
    revision: int
    reviewer: str
    at: float


class SampleReview(_Answer):
    """A sample's review as the caller may see it: its status and revision now, the latest
    decision on each annotation and the latest verdict (``None``: none)."""

    sample: str
    status: SampleStatus
    revision: int
    annotations: list[AnnotationReview]
    verdict: SampleVerdict | None


# --- jobs -----------------------------------------------------------------------------------

JobStatus = Literal["queued", "running", "cancelling", "done", "failed", "cancelled"]

#: The statuses a job ends in.
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})


class Job(_Answer):
    """A background job: its kind, target and params, where it stands (status, progress
    from 0 to 1, message) and how it ended (``result`` or ``error``)."""

    id: str
    project_id: str | None
    kind: str
    target: str | None
    params: dict[str, Any]
    status: JobStatus
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    actor: str
    attempts: int
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self.status in FINISHED


class JobLog(_Answer):
    """One line of a job's log."""

    id: int
    at: float
    level: Literal["info", "warning", "error"]
    message: str


class ShardFile(_Answer):
    """A file an export job wrote: its ``name`` (its path in the export's folder, parts
    joined by ``/``), ``size`` in bytes and ``content_type``; a shard's ``index`` and
    ``format`` (``None`` for the dataset card and a foreign format's files)."""

    name: str
    format: Literal["jsonl", "parquet"] | None = None
    index: int | None = None
    size: int
    content_type: str
