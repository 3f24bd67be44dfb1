"""Pre-labelling a whole project: the ``prelabel`` job.

The job runs one proposer over every stream of the project it works on (its modalities;
``stream_name`` narrows to streams of that name), in sample order, `PrelabelParams.batch`
streams per call of the proposer (one batched inference) and one transaction per batch
(`rosetta.services.proposals.store_candidates`). The proposer is loaded once per worker
process (`rosetta.services.proposer_registry`), whether the job runs in the server, in
``rosetta worker`` or as a Ray task.

A proposer that needs a text prompt (forced alignment) takes it per sample from the text
of the sample's stream named ``text_stream``; a stream without one is skipped. A stream
that already holds candidates of the proposer's model is skipped too, so a rerun adds
nothing twice; after each batch the job checkpoints the last sample done, and a resumed
run goes on after it. A batch the proposer fails on is retried stream by stream; a stream
that still fails is logged (sample, stream, error) and counted, and the job goes on.

With ``ROSETTA_PUBLIC_URL`` set, each batch's streams get media grants when the batch
runs (`rosetta.services.proposals.granted`: purpose the job and proposer, lasting
``ROSETTA_GRANT_MINUTES``), so a proposer whose model runs elsewhere fetches each
stream's media by URL; a retried stream gets a new one.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.schema import Stream
from rosetta.proposers.spec import Prompt, ProposalRequest, Proposer, check_request
from rosetta.services.jobs import JobContext
from rosetta.services.proposals import (
    granted,
    labels_for,
    media_ref,
    parameters_of,
    store_candidates,
)
from rosetta.services.proposer_registry import proposer, proposer_classes
from rosetta.services.settings import Settings
from rosetta.services.visibility import from_model
from rosetta.services.work_store import current_ontology
from rosetta.store.events import dumps
from rosetta.store.records import stream_from_row
from rosetta.store.tables import annotations, samples, streams

#: The job kind.
PRELABEL = "prelabel"


class PrelabelParams(BaseModel):
    """What to pre-label the project with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proposer: str = Field(min_length=1, description="The proposer's name.")
    label: str | None = Field(
        default=None, min_length=1, description="The class of proposals that come without one."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="The proposer's parameters."
    )
    stream_name: str | None = Field(
        default=None, min_length=1, description="Only the streams of this name."
    )
    text_stream: str | None = Field(
        default=None,
        min_length=1,
        description="The sample's text stream whose text is each request's text prompt.",
    )
    batch: int = Field(default=8, ge=1, le=256, description="Streams per proposer call.")


@dataclass(frozen=True)
class _Todo:
    sample_pk: int
    sample_id: str
    stream: Stream


def _of_proposer(project_id: str, chosen: Proposer, params: PrelabelParams) -> ColumnElement[bool]:
    """The condition on a streams row joined with its sample: the project's streams the
    proposer works on (of the name the params give)."""
    condition = and_(
        samples.c.project_id == project_id,
        streams.c.modality.in_([str(m) for m in chosen.modalities]),
    )
    if params.stream_name is not None:
        condition = and_(condition, streams.c.name == params.stream_name)
    return condition


def _todo(
    connection: Connection,
    project_id: str,
    chosen: Proposer,
    params: PrelabelParams,
    *,
    model_name: str,
    after: int,
) -> Iterator[_Todo]:
    """The streams still to do after sample pk `after`, in sample order, streamed."""
    named = dumps({"name": model_name})[1:-1]  # as the stored source's JSON has it
    done = exists().where(
        annotations.c.stream_id == streams.c.id,
        from_model(annotations.c.source),
        annotations.c.source.contains(named, autoescape=True),
    )
    query = (
        select(samples.c.pk.label("sample_pk"), streams)
        .join(streams, streams.c.sample_id == samples.c.id)
        .where(_of_proposer(project_id, chosen, params), samples.c.pk > after, ~done)
        .order_by(samples.c.pk, streams.c.pk)
    )
    for row in connection.execution_options(yield_per=500).execute(query):
        yield _Todo(sample_pk=row.sample_pk, sample_id=row.sample_id, stream=stream_from_row(row))


def _prompt_text(connection: Connection, sample_id: str, name: str) -> str | None:
    return connection.execute(
        select(streams.c.text).where(streams.c.sample_id == sample_id, streams.c.name == name)
    ).scalar_one_or_none()


def _count(
    connection: Connection, project_id: str, chosen: Proposer, params: PrelabelParams
) -> int:
    return connection.execute(
        select(func.count())
        .select_from(streams.join(samples, samples.c.id == streams.c.sample_id))
        .where(_of_proposer(project_id, chosen, params))
    ).scalar_one()


class _Run:
    """One run of the job: what it did so far, and how to do one batch."""

    def __init__(self, context: JobContext, params: PrelabelParams, chosen: Proposer) -> None:
        self.context = context
        self.params = params
        self.chosen = chosen
        self.tuned = parameters_of(chosen, params.parameters)
        project_id = context.job.project_id
        if project_id is None:
            raise RosettaError(f"job {context.job.id} names no project")
        self.project_id = project_id
        with context.engine.connect() as connection:
            self.labels = labels_for(current_ontology(connection, project_id), chosen)
        start = context.checkpoint or {}
        self.after = int(start.get("after", 0))
        self.counts = {
            name: int(start.get(name, 0)) for name in ("streams", "candidates", "failed", "skipped")
        }

    def request(self, connection: Connection, todo: _Todo) -> ProposalRequest | None:
        prompt = Prompt()
        if self.params.text_stream is not None:
            text = _prompt_text(connection, todo.sample_id, self.params.text_stream)
            if not text or not text.strip():
                return None
            prompt = Prompt(text=text)
        check_request(self.chosen, todo.stream, prompt)
        return ProposalRequest(
            sample_id=todo.sample_id,
            stream=todo.stream,
            media=media_ref(todo.stream, self.context.settings),
            prompt=prompt,
            label=self.params.label,
            labels=self.labels,
            parameters=self.tuned.model_dump(),
        )

    def run_batch(self, requests: Sequence[ProposalRequest]) -> None:
        context = self.context
        purpose = f"prelabel job {context.job.id}, proposer {self.chosen.name!r}"
        try:
            made = store_candidates(
                context.engine,
                context.actor,
                self.project_id,
                self.chosen,
                requests=granted(
                    context.engine, context.settings, context.actor, requests, purpose=purpose
                ),
                parameters=self.tuned,
            )
        except RosettaError:
            if len(requests) == 1:
                raise
            for one in requests:
                self.run_one(one)
            return
        self.counts["streams"] += len(requests)
        self.counts["candidates"] += sum(len(found) for found in made)

    def run_one(self, request: ProposalRequest) -> None:
        try:
            self.run_batch([request])
        except RosettaError as exc:
            self.counts["failed"] += 1
            self.context.log(
                f"sample {request.sample_id!r}, stream {request.stream.id!r}: {exc}", "error"
            )

    def checkpoint(self, sample_pk: int, total: int) -> None:
        self.after = sample_pk
        self.context.checkpoint_to({"after": sample_pk, **self.counts})
        handled = sum(self.counts[name] for name in ("streams", "failed", "skipped"))
        self.context.progress(
            handled / max(1, total), f"{handled} of {total} streams, {self.counts['candidates']}"
        )


def check_prelabel(_connection: Connection, _project_id: str, params: PrelabelParams) -> None:
    """Refuse, when the job is submitted, a proposer that is not installed or that needs a
    prompt the job cannot give (a text prompt from ``text_stream``)."""
    classes = proposer_classes()
    found = classes.get(params.proposer)
    if found is None:
        installed = ", ".join(classes) or "none"
        raise RuleViolation(
            "prelabel job",
            "params.proposer",
            "job-params",
            f"unknown proposer (installed: {installed})",
        )
    if found.prompt_required and not ("text" in found.prompts and params.text_stream):
        raise RuleViolation(
            "prelabel job",
            "params.text_stream",
            "job-params",
            f"proposer {params.proposer!r} needs a prompt; a batch can give it only text, "
            "from the text stream named here",
        )


def prelabel_job(context: JobContext, params: PrelabelParams) -> dict[str, Any]:
    """The ``prelabel`` job (see the module); its result counts streams done, candidates
    written, streams failed and skipped."""
    chosen = proposer(params.proposer, context.settings or Settings())
    why = chosen.unavailable()
    if why is not None:
        raise RosettaError(f"proposer {params.proposer!r} cannot run: {why}")
    run = _Run(context, params, chosen)
    model_name = chosen.model().name
    if run.after:
        context.log(f"going on after sample pk {run.after}")
    with context.engine.connect() as reading:
        total = _count(reading, run.project_id, chosen, params)
        batch: list[ProposalRequest] = []
        last_pk = run.after
        for todo in _todo(
            reading, run.project_id, chosen, params, model_name=model_name, after=run.after
        ):
            if batch and todo.sample_pk != last_pk and len(batch) >= params.batch:
                run.run_batch(batch)
                run.checkpoint(last_pk, total)
                batch = []
            last_pk = todo.sample_pk
            try:
                request = run.request(reading, todo)
            except RosettaError as exc:
                run.counts["failed"] += 1
                context.log(f"sample {todo.sample_id!r}, stream {todo.stream.id!r}: {exc}", "error")
                continue
            if request is None:
                run.counts["skipped"] += 1
                continue
            batch.append(request)
        if batch:
            run.run_batch(batch)
        run.checkpoint(last_pk, total)
    return dict(run.counts)
