"""Running a proposer on one stream of a sample and storing what it proposes as candidates.

`propose` checks the request against what the proposer declares
(`rosetta.proposers.spec.check_request`, its parameters model), hands it the stream's
record, its media (`MediaRef`: the URI and a reader confined to the server's media roots
and allow-listed remote prefixes, `rosetta.services.media_access`, and with
``ROSETTA_PUBLIC_URL`` a URL with a grant to read that stream's media for a short while,
`rosetta.services.media_grants`) and the prompt, and
writes each proposal as an annotation on that stream in one transaction: ``source`` is
``Source(kind="model", name=<model>, version=<version>, confidence=...,
parameters={"proposer": ..., "parameters": ..., "prompt": ..., "details": ...})``,
revision 1, the model its author — a
*candidate*, beside people's work, hidden from the blind pass and never accepted until a
person decides (`rosetta.services.candidate_decisions`). A proposal without a class takes
the one the person chose; a class the ontology does not allow on that geometry fails the
whole request, writing nothing. The model runs outside any transaction.
"""

import io
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, BinaryIO

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Source, Stream
from rosetta.proposers.spec import (
    MediaRef,
    ModelInfo,
    Prompt,
    Proposal,
    ProposalRequest,
    Proposer,
    check_request,
)
from rosetta.services.annotation_edits import add_annotations
from rosetta.services.media_access import LocalMedia, locate, open_remote, stream_media_file
from rosetta.services.media_grants import grant_urls
from rosetta.services.proposer_registry import proposer
from rosetta.services.settings import Settings
from rosetta.services.work_store import current_ontology, streams_by_id
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor


def media_ref(stream: Stream, settings: Settings | None) -> MediaRef | None:
    """What a proposer may read of `stream`: ``None`` for inline text, else its URI and a
    reader the server's settings allow (a `PermissionDenied` or `NotFoundError` naming the
    stream otherwise); without settings (the command line) a local file where it is."""
    if stream.uri is None:
        return None
    if settings is None:
        local = stream_media_file(stream.id, stream.uri, None)
        if not local.is_file():
            raise NotFoundError("media file of stream", f"{stream.id} ({local})")
        return MediaRef.local(stream.uri, local)
    found = locate(stream.uri, settings, stream_id=stream.id)
    if isinstance(found, LocalMedia):
        return MediaRef.local(stream.uri, found.path)

    def read_remote() -> BinaryIO:
        remote = open_remote(found)
        try:
            return io.BytesIO(b"".join(remote.chunks(0, None)))
        finally:
            remote.close()

    return MediaRef(stream.uri, None, opener=read_remote)


def granted(
    engine: Engine,
    settings: Settings | None,
    actor: Actor,
    requests: Sequence[ProposalRequest],
    *,
    purpose: str,
) -> list[ProposalRequest]:
    """`requests` with the media of each carrying a URL with a new grant to read it, by
    `actor` for `purpose` (`rosetta.services.media_grants.grant_urls`, one transaction);
    unchanged when the settings name no public URL."""
    urls = grant_urls(
        engine,
        settings,
        actor,
        [request.stream.id for request in requests if request.media is not None],
        purpose=purpose,
    )
    return [
        replace(request, media=replace(request.media, url=urls[request.stream.id]))
        if request.media is not None and request.stream.id in urls
        else request
        for request in requests
    ]


def labels_for(ontology: Ontology, chosen: Proposer) -> tuple[str, ...]:
    """The classes a proposer may choose among: those in use that allow one of its
    geometries, in ontology order."""
    found = []
    for cls in ontology.classes:
        allowed = ontology.allowed_geometries(cls.name)
        if not cls.deprecated and (allowed is None or allowed & chosen.geometries):
            found.append(cls.name)
    return tuple(found)


def parameters_of(chosen: Proposer, given: Mapping[str, Any]) -> BaseModel:
    """`given` validated by the proposer's parameters model; a `RuleViolation` naming the
    parameter and what was expected otherwise."""
    try:
        return chosen.parameters.model_validate(dict(given))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise RuleViolation(
            f"proposer {chosen.name!r}",
            f"parameters.{where}" if where else "parameters",
            "proposer-parameters",
            error["msg"],
        ) from None


def prompt_record(prompt: Prompt) -> dict[str, Any]:
    """The prompt as provenance records it: what was given, clicks with their sign."""
    given = prompt.model_dump(mode="json", exclude_none=True)
    if not prompt.points:
        del given["points"]
    return given


def candidate(
    proposal: Proposal,
    request: ProposalRequest,
    chosen: Proposer,
    model: ModelInfo,
    parameters: BaseModel,
) -> Annotation:
    """The candidate annotation of one proposal, its provenance in ``source``."""
    label = proposal.label or request.label
    if label is None:
        raise RuleViolation(
            f"proposer {chosen.name!r}",
            "label",
            "proposer-label",
            "the proposer gave no class and none was chosen for its proposals",
        )
    return Annotation(
        id=uuid.uuid4().hex,
        stream=request.stream.id,
        label=label,
        geometry=proposal.geometry,
        attributes=proposal.attributes,
        author=model.name,
        source=Source(
            kind="model",
            name=model.name,
            version=model.version,
            confidence=proposal.confidence,
            parameters={
                "proposer": chosen.name,
                "parameters": parameters.model_dump(mode="json"),
                "prompt": prompt_record(request.prompt),
                **({"details": proposal.details} if proposal.details else {}),
            },
        ),
    )


def propose(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    name: str,
    *,
    project_id: str,
    sample_id: str,
    stream_id: str,
    prompt: Prompt | None = None,
    label: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    hidden_streams: Collection[str] = frozenset(),
) -> list[Annotation]:
    """Run the proposer `name` on the stream and store its proposals as candidates (see
    the module); the candidates written, in the proposer's order. A stream in
    `hidden_streams` (one the asker may not see) is refused as one the sample lacks."""
    chosen = proposer(name, settings)
    why = chosen.unavailable()
    if why is not None:
        raise RuleViolation(f"proposer {name!r}", "model", "proposer-available", why)
    with engine.connect() as connection:
        streams = streams_by_id(connection, sample_id)
        ontology = current_ontology(connection, project_id)
    stream = None if stream_id in hidden_streams else streams.get(stream_id)
    if stream is None:
        raise RuleViolation(sample_id, "stream", "stream-exists", f"no stream {stream_id!r}")
    given = prompt or Prompt()
    check_request(chosen, stream, given)
    tuned = parameters_of(chosen, parameters or {})
    request = ProposalRequest(
        sample_id=sample_id,
        stream=stream,
        media=media_ref(stream, settings),
        prompt=given,
        label=label,
        labels=labels_for(ontology, chosen),
        parameters=tuned.model_dump(),
    )
    requests = granted(engine, settings, actor, [request], purpose=f"proposer {name!r}")
    stored = store_candidates(
        engine, actor, project_id, chosen, requests=requests, parameters=tuned
    )
    return stored[0]


def store_candidates(
    engine: Engine,
    actor: Actor,
    project_id: str,
    chosen: Proposer,
    *,
    requests: Sequence[ProposalRequest],
    parameters: BaseModel,
) -> list[list[Annotation]]:
    """Run the proposer on `requests` (one batch) and write every proposal as a candidate in
    one transaction; the candidates of each request."""
    proposed = chosen.propose(requests)
    model = chosen.model()
    made = [
        [candidate(proposal, request, chosen, model, parameters) for proposal in proposals]
        for request, proposals in zip(requests, proposed, strict=True)
    ]
    with write_transaction(engine) as connection:
        return [
            add_annotations(connection, project_id, request.sample_id, annotations, actor)
            for request, annotations in zip(requests, made, strict=True)
        ]
