"""What a QA check is: the one interface built-in and third-party checks implement.

A check looks at one sample (with the project's ontology) and returns *findings*: what is
wrong, how badly, which annotations, entities and links are involved, and how to fix it.
Checks are pure: no I/O, no clock, no randomness, so a check run twice over the same
sample gives the same findings and the store can tell new findings from old ones by
`Finding.key`.

Checks are found through the ``rosetta.checks`` entry-point group (the built-ins are
registered there too, in ``pyproject.toml``); `rosetta.services.check_registry` loads them.
A check declares what it needs (`Check.modalities`, `Check.needs_embedder`) and the host
runs it only on samples that have it.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Sample, Stream


class Severity(StrEnum):
    """How much a finding matters: ``error`` is wrong data, ``warning`` probably wrong,
    ``info`` worth a look (coverage, drift at a coarser level)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(BaseModel):
    """One problem a check found in one sample.

    ``subjects`` are the ids of the annotations, entities and links involved, the first
    the one to look at first; ``detail`` holds the numbers behind the message (an IoU, a gap
    in seconds, the two classes), JSON values only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(min_length=1)
    severity: Severity
    sample: str
    subjects: tuple[str, ...] = ()
    message: str = Field(min_length=1)
    fix: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """What makes this finding the same one when a check runs again: the check and its
        subjects (order aside). A check that can find two problems with one set of subjects
        tells them apart with ``detail["kind"]``."""
        kind = self.detail.get("kind")
        parts = [self.check, *sorted(self.subjects)]
        if kind is not None:
            parts.append(f"kind={kind}")
        return "\x1f".join(parts)


class CheckSettings(BaseModel):
    """Tolerances the built-in checks use; a project or a batch run may change them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Seconds two synchronized time ranges may miss each other by (each end).
    temporal_tolerance: float = Field(default=0.2, ge=0)
    #: Relation types whose ends must overlap in time.
    synchronized_relations: tuple[str, ...] = ("synchronized-with",)
    #: Relation types from words to what they mention (unlinked mentions, partial alignment,
    #: order consistency).
    mention_relations: tuple[str, ...] = ("refers-to",)
    #: Relation types whose two ends denote one thing (entity consistency).
    identity_relations: tuple[str, ...] = ("same-as", "refers-to")
    #: The least IoU of a projected cuboid and its linked 2D box.
    projection_iou: float = Field(default=0.3, ge=0, le=1)
    #: The least embedding similarity of a linked image crop and text span.
    embedding_similarity: float = Field(default=0.2, ge=-1, le=1)


class Embedder(Protocol):
    """Similarity of what two annotations show or say (CLIP-style image crop / text, or
    audio / text), in [-1, 1]; ``None`` when it cannot compare the two. Given to checks
    that need one (`Check.needs_embedder`); it may read media, the checks never do."""

    name: str

    def similarity(self, sample: Sample, first: Annotation, second: Annotation) -> float | None: ...


@dataclass(frozen=True)
class SampleIndex:
    """Lookups over one sample that most checks need, built once per sample."""

    sample: Sample

    @cached_property
    def streams(self) -> Mapping[str, Stream]:
        """Streams by id."""
        return {stream.id: stream for stream in self.sample.streams}

    @cached_property
    def annotations(self) -> Mapping[str, Annotation]:
        """Annotations by id."""
        return {annotation.id: annotation for annotation in self.sample.annotations}

    @cached_property
    def entities(self) -> Mapping[str, Entity]:
        """Entities by id."""
        return {entity.id: entity for entity in self.sample.entities}

    @cached_property
    def links_of(self) -> Mapping[str, Sequence[Link]]:
        """The links touching each annotation or entity id, at either end."""
        found: dict[str, list[Link]] = defaultdict(list)
        for link in self.sample.links:
            found[link.source].append(link)
            if link.target != link.source:
                found[link.target].append(link)
        return found

    @cached_property
    def entities_of(self) -> Mapping[str, Sequence[Entity]]:
        """The entities each annotation is a member of."""
        found: dict[str, list[Entity]] = defaultdict(list)
        for entity in self.sample.entities:
            for member in entity.members:
                found[member].append(entity)
        return found

    def modality_of(self, annotation: Annotation) -> Modality | None:
        """The modality of the stream `annotation` is on (``None``: sample-level)."""
        stream = self.streams.get(annotation.stream) if annotation.stream else None
        return stream.modality if stream is not None else None

    def annotations_behind(self, object_id: str) -> list[Annotation]:
        """The annotations an endpoint stands for: itself, or an entity's members."""
        if object_id in self.annotations:
            return [self.annotations[object_id]]
        entity = self.entities.get(object_id)
        if entity is None:
            return []
        return [self.annotations[m] for m in entity.members if m in self.annotations]


@dataclass(frozen=True)
class CheckContext:
    """What a check sees: one sample, the project's ontology, the settings and, when one
    is configured, an embedder."""

    sample: Sample
    ontology: Ontology
    settings: CheckSettings = field(default_factory=CheckSettings)
    embedder: Embedder | None = None

    @cached_property
    def index(self) -> SampleIndex:
        """The sample's lookups, shared by every check run on it."""
        return SampleIndex(self.sample)

    def finding(
        self,
        check: str,
        severity: Severity,
        subjects: Sequence[str],
        message: str,
        *,
        fix: str | None = None,
        **detail: Any,
    ) -> Finding:
        """A finding on this context's sample."""
        return Finding(
            check=check,
            severity=severity,
            sample=self.sample.id,
            subjects=tuple(subjects),
            message=message,
            fix=fix,
            detail=detail,
        )


@runtime_checkable
class Check(Protocol):
    """A named QA check over one sample.

    ``name`` is unique (lower-case words joined by hyphens); ``modalities`` the stream
    modalities a sample must have for the check to apply (all of them; empty: any sample);
    ``needs_embedder`` that it runs only when an embedder is configured.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    modalities: ClassVar[frozenset[Modality]]
    needs_embedder: ClassVar[bool]

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """The findings in `context.sample`."""
        ...


def applies(check: Check, context: CheckContext) -> bool:
    """Whether the host should run `check` on `context`: the sample has every modality it
    needs and, if it needs one, an embedder is configured."""
    if check.needs_embedder and context.embedder is None:
        return False
    present = {stream.modality for stream in context.sample.streams}
    return check.modalities <= present


def run_checks(checks: Iterable[Check], context: CheckContext) -> list[Finding]:
    """The findings of every check that applies to `context`, in check order. A check that
    raises gives one ``error`` finding named after it (``check-failed``) instead of stopping
    the others: a third-party bug must not hide what the rest found."""
    found: list[Finding] = []
    for check in checks:
        if not applies(check, context):
            continue
        try:
            found.extend(check.run(context))
        except Exception as exc:  # noqa: BLE001 - a plugin's failure becomes a finding
            found.append(
                context.finding(
                    check.name,
                    Severity.ERROR,
                    (),
                    f"the check failed: {type(exc).__name__}: {exc}",
                    fix="report it to the check's authors; its other findings are missing",
                    kind="check-failed",
                )
            )
    return found
