"""Active learning on a project's queue: the ``prioritize`` job.

It reads the samples whose annotate slots wait (open) and their model candidates
(annotations from a model at revision 1) a batch of samples at a time, measures each
sample's uncertainty and inter-model disagreement (`rosetta.core.active_learning`), and,
with ``embedder="minilm"``, embeds each sample's words (its text streams' text and its
transcript segments, `rosetta.proposers.sentence_embeddings`) so that samples far from
everything labelled (annotate slots handed in) and from each other come first (greedy
k-center). The order becomes the waiting slots' priorities (`rosetta.services.workflow.
set_priorities`, all or nothing, a ``prioritize`` event per slot), which `next_task`
serves highest first. Only the per-sample numbers and the embeddings are kept in memory.
"""

from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select

from rosetta.core.active_learning import (
    ActiveLearningSettings,
    disagreement,
    order_queue,
    sample_uncertainties,
)
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import TranscriptSegment
from rosetta.core.schema import Annotation
from rosetta.services.jobs import JobContext
from rosetta.services.visibility import is_candidate
from rosetta.services.workflow import set_priorities
from rosetta.store.records import annotation_from_row
from rosetta.store.tables import annotations, streams, tasks

#: The job kind.
PRIORITIZE = "prioritize"

#: Samples read per query.
BATCH = 500


class PrioritizeParams(BaseModel):
    """How to order the project's waiting annotate slots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: ActiveLearningSettings = Field(
        default_factory=ActiveLearningSettings, description="The signals' weights."
    )
    embedder: Literal["minilm"] | None = Field(
        default=None,
        description="Embed each sample's words for diversity (none: uncertainty and "
        "disagreement only).",
    )


def _sample_ids(connection: Connection, project_id: str, status: Sequence[str]) -> list[str]:
    query = (
        select(tasks.c.sample_id)
        .where(
            tasks.c.project_id == project_id,
            tasks.c.stage == "annotate",
            tasks.c.status.in_(status),
        )
        .distinct()
        .order_by(tasks.c.sample_id)
    )
    return list(connection.execute(query).scalars())


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _candidates(connection: Connection, chunk: Sequence[str]) -> dict[str, list[Annotation]]:
    found: dict[str, list[Annotation]] = {ident: [] for ident in chunk}
    rows = connection.execute(
        select(annotations).where(annotations.c.sample_id.in_(chunk), is_candidate(annotations))
    )
    for row in rows:
        found[row.sample_id].append(annotation_from_row(row))
    return found


def _words(connection: Connection, chunk: Sequence[str]) -> dict[str, str]:
    """Each sample's words: its text streams' text, then its transcripts in time order."""
    texts: dict[str, list[str]] = {ident: [] for ident in chunk}
    for sample_id, text in connection.execute(
        select(streams.c.sample_id, streams.c.text)
        .where(streams.c.sample_id.in_(chunk), streams.c.text.is_not(None))
        .order_by(streams.c.pk)
    ):
        texts[sample_id].append(text)
    spoken = connection.execute(
        select(annotations).where(
            annotations.c.sample_id.in_(chunk), annotations.c.geometry.like('{"type":"transcript"%')
        )
    )
    segments: dict[str, list[TranscriptSegment]] = {}
    for row in spoken:
        geometry = annotation_from_row(row).geometry
        if isinstance(geometry, TranscriptSegment):
            segments.setdefault(row.sample_id, []).append(geometry)
    for sample_id, found in segments.items():
        texts[sample_id].extend(s.text for s in sorted(found, key=lambda s: (s.start, s.end)))
    return {ident: " ".join(parts) for ident, parts in texts.items()}


def _embed(
    connection: Connection, ids: Sequence[str], embedder: Any
) -> np.ndarray[Any, np.dtype[np.float32]]:
    rows = []
    for chunk in _batches(ids):
        words = _words(connection, chunk)
        rows.append(embedder.embed([words[ident] or "(no words)" for ident in chunk]))
    return np.concatenate(rows) if rows else np.zeros((0, 1), dtype=np.float32)


def prioritize_job(context: JobContext, params: PrioritizeParams) -> dict[str, Any]:
    """The ``prioritize`` job (see the module); its result: samples ordered, slots
    changed, and the first ten samples with their signals."""
    project_id = context.job.project_id
    if project_id is None:
        raise RosettaError(f"job {context.job.id} names no project")
    settings = params.settings
    with context.engine.connect() as connection:
        waiting = _sample_ids(connection, project_id, ("open",))
        uncertainty: list[float] = []
        disagreements: list[float] = []
        for done, chunk in enumerate(_batches(waiting), 1):
            found = _candidates(connection, chunk)
            uncertainty.extend(sample_uncertainties([found[i] for i in chunk], settings))
            disagreements.extend(disagreement(found[i]) for i in chunk)
            context.progress(0.5 * done * BATCH / max(1, len(waiting)), "measuring")
        embeddings = labelled = None
        if params.embedder == "minilm" and waiting:
            from rosetta.proposers.sentence_embeddings import MiniLmEmbedder

            embedder = MiniLmEmbedder()
            embeddings = _embed(connection, waiting, embedder)
            handed_in = _sample_ids(connection, project_id, ("submitted", "done"))
            labelled = _embed(connection, handed_in, embedder) if handed_in else None
            context.progress(0.8, "embedded")
    order = order_queue(
        waiting, uncertainty, disagreements, embeddings, labelled=labelled, settings=settings
    )
    changed = set_priorities(context.engine, context.actor, project_id, order.priorities())
    head = [
        {
            "sample": order.ids[i],
            "score": round(float(order.score[i]), 4),
            "uncertainty": round(float(order.uncertainty[i]), 4),
            "disagreement": round(float(order.disagreement[i]), 4),
            "diversity": round(float(order.diversity[i]), 4),
        }
        for i in range(min(10, len(order.ids)))
    ]
    return {"samples": len(order.ids), "slots": changed, "head": head}
