"""One evaluator's judgement of a preference sample: put, withdraw, and the judgements a
person sees (`rosetta.core.preference`).

A person has at most one judgement per sample. The first `put_judgement` creates it at
revision 1 with ``presented``, the order the candidates are shown to that person
(`presentation_order`), which never changes after; each later one replaces its pairs,
ranking, scores and rationale and bumps the revision. An ``expected_revision`` that is no
longer the current one is a `ConflictError` carrying the judgement as it is; ``None``
writes whatever is there.

The rationale is a text stream of the sample (name ``rationale``) that the judgement
names. Its text is created with the first rationale, replaced by a new one, and the stream
is deleted with the phrases on it and their links when the rationale goes away (``None``
or blank). A put that changes nothing writes nothing. When the text changes, each text-span annotation on the stream (a phrase) is
re-anchored at the occurrence of its old words in the new text nearest to where it was;
one whose words are gone is deleted with its links (`annotation_edits.remove_annotation`).

Every change is an event in the sample's history by the evaluator: object kind
``judgement`` (``create``, ``update``, ``delete``, with the judgement before and after),
``stream`` for the rationale stream, and the usual ones for phrases and links. A change
runs in one transaction under a share lock on the sample's row, like every edit.
"""

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.geometry import TextSpan
from rosetta.core.modality import Modality
from rosetta.core.policies import Access, sees_every_sample
from rosetta.core.preference import Judgement, PairVerdict, RubricScore, presentation_order
from rosetta.core.schema import MediaInfo, Stream
from rosetta.core.validation import check_judgement
from rosetta.formats.native import field_path, stream_record
from rosetta.services.annotation_edits import change_annotation, remove_annotation
from rosetta.services.visibility import preference_view
from rosetta.services.work_store import current_ontology, require_sample, streams_by_id
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import (
    SAMPLE_CANDIDATES,
    annotation_from_row,
    judgement_from_row,
    judgement_row,
    rows_of_sample,
    stream_row,
)
from rosetta.store.tables import annotations, judgements, streams, tasks, users

#: The name of a rationale stream.
RATIONALE = "rationale"


@dataclass(frozen=True)
class Verdict:
    """What an evaluator puts: their pairwise verdicts, ranking, rubric scores and the
    text of their rationale (``None`` or blank: none)."""

    pairs: list[PairVerdict] = field(default_factory=list)
    ranking: list[list[str]] = field(default_factory=list)
    scores: list[RubricScore] = field(default_factory=list)
    rationale: str | None = None


def put_judgement(
    engine: Engine,
    project_id: str,
    sample_id: str,
    verdict: Verdict,
    actor: Actor,
    *,
    expected_revision: int | None = None,
) -> Judgement:
    """Create or replace `actor`'s judgement of the sample (see the module); the judgement
    after. A verdict naming what the sample does not have is a `RuleViolation` naming the
    field (``ranking[1][0]``, ``scores[2].value``)."""
    with write_transaction(engine) as connection:
        require_sample(connection, project_id, sample_id)
        ontology = current_ontology(connection, project_id)
        candidates = list(connection.execute(SAMPLE_CANDIDATES, {"sample_id": sample_id}))
        if not candidates:
            raise RuleViolation(
                f"sample {sample_id!r}",
                "candidates",
                "candidate-count",
                "the sample has no candidates to judge",
            )
        row = _own_row(connection, sample_id, actor.name)
        before = None if row is None else judgement_from_row(row)
        _expect(before, expected_revision, sample_id)
        text = verdict.rationale if verdict.rationale and verdict.rationale.strip() else None
        rationale = before.rationale if before is not None else None
        if text and rationale is None:
            rationale = uuid.uuid4().hex
        ident = before.id if before is not None else uuid.uuid4().hex
        after = _judgement(
            ident,
            obj=f"judgement {ident!r}",
            author=actor.name,
            presented=before.presented
            if before is not None
            else presentation_order(project_id, sample_id, actor.name, [c.id for c in candidates]),
            pairs=verdict.pairs,
            ranking=verdict.ranking,
            scores=verdict.scores,
            rationale=rationale if text else None,
            revision=1 if before is None else before.revision + 1,
        )
        stored = streams_by_id(connection, sample_id)
        stream_ids = dict(stored)
        if after.rationale is not None and after.rationale not in stream_ids:
            stream_ids[after.rationale] = _rationale_stream(after.rationale, "")
        candidate_of = {sid: c.id for c in candidates for sid in orjson.loads(c.streams)}
        check_judgement(
            after,
            {c.id for c in candidates},
            stream_ids,
            candidate_of,
            ontology,
            obj=f"judgement {ident!r}",
        )
        old = stored.get(rationale) if rationale else None
        unchanged = before is not None and after.model_copy(update={"revision": 1}) == (
            before.model_copy(update={"revision": 1})
        )
        if before is not None and unchanged and (old is None or old.text == text):
            return before  # changing nothing writes nothing
        _write_rationale(
            connection,
            project_id,
            sample_id,
            actor,
            rationale,
            old=old,
            text=text,
        )
        at = time.time()
        if row is None:
            task_id = _task_of(connection, sample_id, actor.name)
            values = judgement_row(after, project_id, sample_id, task_id=task_id, at=at)
            try:
                connection.execute(insert(judgements).values(values))
            except IntegrityError:  # the same person's first put, at once from elsewhere
                raise ConflictError(
                    f"judgement of sample {sample_id!r}", expected_revision or 0, 1
                ) from None
        else:
            values = judgement_row(after, project_id, sample_id, at=at)
            for kept in ("id", "project_id", "sample_id", "author", "task_id", "created_at"):
                del values[kept]
            connection.execute(update(judgements).where(judgements.c.pk == row.pk).values(values))
        _log(
            connection,
            project_id,
            sample_id,
            actor,
            "create" if before is None else "update",
            before=before,
            after=after,
        )
        return after


def withdraw_judgement(engine: Engine, project_id: str, sample_id: str, actor: Actor) -> None:
    """Delete `actor`'s judgement of the sample, its rationale stream, the phrases on it
    and their links; a `NotFoundError` when they have none."""
    with write_transaction(engine) as connection:
        require_sample(connection, project_id, sample_id)
        row = _own_row(connection, sample_id, actor.name)
        if row is None:
            raise NotFoundError("judgement", f"{sample_id}/{actor.name}")
        before = judgement_from_row(row)
        if before.rationale is not None:
            old = streams_by_id(connection, sample_id).get(before.rationale)
            _write_rationale(
                connection, project_id, sample_id, actor, before.rationale, old=old, text=None
            )
        connection.execute(delete(judgements).where(judgements.c.pk == row.pk))
        _log(connection, project_id, sample_id, actor, "delete", before=before)


def judgements_seen(connection: Connection, sample_id: str, access: Access) -> list[Judgement]:
    """The judgements of the sample the person of `access` sees
    (`rosetta.services.visibility.preference_view`), oldest first."""
    rows = list(connection.execute(rows_of_sample(judgements), {"sample_id": sample_id}))
    none: list[Row[Any]] = []
    view = preference_view(access, access.project_id, sample_id, none, rows)
    return [judgement_from_row(row) for row in view.judgements]


def hidden_streams(connection: Connection, sample_id: str, access: Access) -> frozenset[str]:
    """The streams of the sample the person of `access` may not see: the rationales of
    judgements that are not theirs to see (no query for those who see every sample: the
    media route asks on every request)."""
    if sees_every_sample(access):
        return frozenset()
    rows = list(connection.execute(rows_of_sample(judgements), {"sample_id": sample_id}))
    none: list[Row[Any]] = []
    return preference_view(access, access.project_id, sample_id, none, rows).hidden_streams


def reanchored(old_text: str, new_text: str, span: TextSpan) -> TextSpan | None:
    """Where the words of `span` in `old_text` are in `new_text`: the occurrence nearest to
    where they were, or ``None`` when they are gone."""
    words = old_text[span.start : span.end]
    best: int | None = None
    found = new_text.find(words)
    while found != -1 and words:
        if best is None or abs(found - span.start) < abs(best - span.start):
            best = found
        found = new_text.find(words, found + 1)
    return None if best is None else TextSpan(start=best, end=best + len(words))


def _own_row(connection: Connection, sample_id: str, author: str) -> Row[Any] | None:
    return connection.execute(
        select(judgements).where(judgements.c.sample_id == sample_id, judgements.c.author == author)
    ).first()


def _expect(before: Judgement | None, expected: int | None, sample_id: str) -> None:
    actual = 0 if before is None else before.revision
    if expected is not None and expected != actual:
        obj = f"judgement of sample {sample_id!r}"
        current = None if before is None else _json(before)
        raise ConflictError(obj, expected, actual, current=current)


def _judgement(ident: str, *, obj: str, **fields: Any) -> Judgement:
    """The judgement, or a `RuleViolation` naming the field that does not hold together
    (a candidate ranked twice, a tie with a strength)."""
    try:
        return Judgement(id=ident, **fields)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise RuleViolation(
            obj, field_path(error["loc"]), "judgement-shape", str(error["msg"])
        ) from None


def _json(judgement: Judgement) -> dict[str, Any]:
    return judgement.model_dump(mode="json", exclude_none=True)


def _rationale_stream(ident: str, text: str) -> Stream:
    return Stream(
        id=ident,
        name=RATIONALE,
        modality=Modality.TEXT,
        text=text,
        media=MediaInfo(length=len(text)),
    )


def _task_of(connection: Connection, sample_id: str, author: str) -> str | None:
    """The annotate task `author` holds or held on the sample, if any."""
    return connection.execute(
        select(tasks.c.id)
        .join(users, users.c.id == tasks.c.user_id)
        .where(tasks.c.sample_id == sample_id, tasks.c.stage == "annotate", users.c.name == author)
        .order_by(tasks.c.pk.desc())
        .limit(1)
    ).scalar_one_or_none()


def _write_rationale(
    connection: Connection,
    project_id: str,
    sample_id: str,
    actor: Actor,
    stream_id: str | None,
    *,
    old: Stream | None,
    text: str | None,
) -> None:
    """Make the rationale stream `stream_id` hold `text` (``None``: delete it), re-anchoring
    or deleting the annotations on it (see the module)."""
    if stream_id is None or (old is not None and old.text == text):
        return
    if old is None:
        if text is not None:
            created = _rationale_stream(stream_id, text)
            connection.execute(insert(streams).values(stream_row(created, sample_id)))
            _log(connection, project_id, sample_id, actor, "create", after=created)
        return
    on_stream = [
        annotation_from_row(row)
        for row in connection.execute(
            select(annotations)
            .where(annotations.c.stream_id == stream_id)
            .order_by(annotations.c.pk)
        )
    ]
    if text is None:
        for annotation in on_stream:
            remove_annotation(connection, project_id, annotation.id, annotation.revision, actor)
        connection.execute(delete(streams).where(streams.c.id == stream_id))
        _log(connection, project_id, sample_id, actor, "delete", before=old)
        return
    changed = _rationale_stream(stream_id, text)
    connection.execute(
        update(streams)
        .where(streams.c.id == stream_id)
        .values(text=text, media=stream_row(changed, sample_id)["media"])
    )
    _log(connection, project_id, sample_id, actor, "update", before=old, after=changed)
    for annotation in on_stream:
        if not isinstance(annotation.geometry, TextSpan):
            continue
        moved = reanchored(old.text or "", text, annotation.geometry)
        if moved is None:
            remove_annotation(connection, project_id, annotation.id, annotation.revision, actor)
        elif moved != annotation.geometry:
            change_annotation(
                connection, project_id, annotation.id, annotation.revision, actor, geometry=moved
            )


def _log(
    connection: Connection,
    project_id: str,
    sample_id: str,
    actor: Actor,
    action: str,
    *,
    before: Judgement | Stream | None = None,
    after: Judgement | Stream | None = None,
) -> None:
    """Record the event of a change to a judgement or to its rationale stream."""
    changed = after if after is not None else before
    assert changed is not None
    events.record(
        connection,
        [
            events.event_row(
                project_id,
                actor,
                "stream" if isinstance(changed, Stream) else "judgement",
                changed.id,
                action,
                sample_id=sample_id,
                revision=after.revision if isinstance(after, Judgement) else None,
                before=None if before is None else _as_json(before),
                after=None if after is None else _as_json(after),
            )
        ],
    )


def _as_json(value: Judgement | Stream) -> Any:
    return stream_record(value) if isinstance(value, Stream) else _json(value)
