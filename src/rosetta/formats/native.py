"""The native JSONL format: one `Sample` per line, with everything drawn on and between its streams.

A line is the JSON object of one sample (compact, UTF-8, keys in schema order)::

    {"id": ..., "external_id": ..., "status": ..., "metadata": {...},
     "streams": [{"id", "name", "modality", "uri", "text", "media": {...}}],
     "annotations": [{"id", "stream", "label", "geometry": {...}, "attributes": {...},
                      "revision", "ontology_version", "author", "source": {...}, "flags": [...]}],
     "entities": [{"id", "label", "members": [...], "revision", "author"}],
     "links": [{"id", "type", "source", "target", "status", "attributes": {...}, "revision",
                "source_revision", "target_revision", "author"}],
     "candidates": [{"id", "model", "model_version", "streams": [...], "metadata": {...}}],
     "judgements": [{"id", "author", "presented": [...], "pairs": [{"a", "b", "choice",
                     "strength"}], "ranking": [[...]], "scores": [{"candidate", "criterion",
                     "value"}], "rationale", "revision"}]}

``candidates`` and ``judgements`` (a preference sample, `rosetta.core.preference`) are
left out when empty, so a line of any other sample is as it always was.

Optional fields that are ``null`` are left out (``stream`` excepted: a sample-level
classification writes ``"stream": null``), and so are ``null`` fields inside ``media``,
``geometry`` and ``source``. Those nested objects are written exactly as the store keeps
them, so an exporter can embed the stored JSON text unchanged and produce the same bytes
as `dumps_sample`. Blank lines are allowed and skipped by the reader.

The record builders (`stream_object`, `annotation_object`, ...) take the nested parts
either as values or as `orjson.Fragment` (already encoded JSON); both serialise alike.
`rosetta.services.exporter` builds the same objects in SQL, so a change to the layout
here must be made there too (``tests/test_export.py`` compares the two byte for byte).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import GEOMETRY_MODALITIES
from rosetta.core.ids import ExternalId
from rosetta.core.preference import Candidate, Judgement
from rosetta.core.schema import Annotation, Entity, Link, Sample, Stream

JsonObject = dict[str, Any]

_SAMPLE: TypeAdapter[Sample] = TypeAdapter(Sample)
_NOT_JSON_TOKENS = (b"NaN", b"Infinity")


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text, the encoding used for every nested JSON part."""
    return orjson.dumps(value).decode()


def stream_object(
    *,
    id: str,
    name: str,
    modality: str,
    uri: str | None,
    text: str | None,
    media: Any,
    clock: Any = None,
    sensor: Any = None,
) -> JsonObject:
    """The JSON object of a stream; ``media``, ``clock`` and ``sensor`` without null fields."""
    obj: JsonObject = {"id": id, "name": name, "modality": modality}
    if uri is not None:
        obj["uri"] = uri
    if text is not None:
        obj["text"] = text
    obj["media"] = media
    if clock is not None:
        obj["clock"] = clock
    if sensor is not None:
        obj["sensor"] = sensor
    return obj


def annotation_object(
    *,
    id: str,
    stream: str | None,
    label: str,
    geometry: Any,
    attributes: Any,
    revision: int,
    ontology_version: int | None,
    author: str | None,
    source: Any,
    flags: Any,
) -> JsonObject:
    """The JSON object of an annotation; ``geometry``/``source`` without their null fields."""
    obj: JsonObject = {
        "id": id,
        "stream": stream,
        "label": label,
        "geometry": geometry,
        "attributes": attributes,
        "revision": revision,
    }
    if ontology_version is not None:
        obj["ontology_version"] = ontology_version
    if author is not None:
        obj["author"] = author
    obj["source"] = source
    obj["flags"] = flags
    return obj


def entity_object(
    *, id: str, label: str | None, members: list[str], revision: int, author: str | None
) -> JsonObject:
    """The JSON object of an entity."""
    obj: JsonObject = {"id": id}
    if label is not None:
        obj["label"] = label
    obj["members"] = members
    obj["revision"] = revision
    if author is not None:
        obj["author"] = author
    return obj


def link_object(
    *,
    id: str,
    type: str,
    source: str,
    target: str,
    status: str,
    attributes: Any,
    revision: int,
    source_revision: int | None,
    target_revision: int | None,
    author: str | None,
) -> JsonObject:
    """The JSON object of a link."""
    obj: JsonObject = {
        "id": id,
        "type": type,
        "source": source,
        "target": target,
        "status": status,
        "attributes": attributes,
        "revision": revision,
    }
    if source_revision is not None:
        obj["source_revision"] = source_revision
    if target_revision is not None:
        obj["target_revision"] = target_revision
    if author is not None:
        obj["author"] = author
    return obj


def candidate_object(
    *,
    id: str,
    model: str | None,
    model_version: str | None,
    streams: Any,
    metadata: Any,
) -> JsonObject:
    """The JSON object of a preference sample's candidate."""
    obj: JsonObject = {"id": id}
    if model is not None:
        obj["model"] = model
    if model_version is not None:
        obj["model_version"] = model_version
    obj["streams"] = streams
    obj["metadata"] = metadata
    return obj


def judgement_object(
    *,
    id: str,
    author: str | None,
    presented: Any,
    pairs: Any,
    ranking: Any,
    scores: Any,
    rationale: str | None,
    revision: int,
) -> JsonObject:
    """The JSON object of a judgement; ``pairs`` without null strengths."""
    obj: JsonObject = {"id": id}
    if author is not None:
        obj["author"] = author
    obj["presented"] = presented
    obj["pairs"] = pairs
    obj["ranking"] = ranking
    obj["scores"] = scores
    if rationale is not None:
        obj["rationale"] = rationale
    obj["revision"] = revision
    return obj


def sample_object(
    *,
    id: str,
    external_id: str | None,
    status: str,
    metadata: Any,
    streams: list[JsonObject],
    annotations: list[JsonObject],
    entities: list[JsonObject],
    links: list[JsonObject],
    ego_poses: Any = None,
    candidates: list[JsonObject] | None = None,
    judgements: list[JsonObject] | None = None,
) -> JsonObject:
    """The JSON object of a sample from the objects of its parts (``ego_poses``,
    ``candidates`` and ``judgements`` only when there are any)."""
    obj: JsonObject = {"id": id}
    if external_id is not None:
        obj["external_id"] = external_id
    obj["status"] = status
    obj["metadata"] = metadata
    if ego_poses is not None:
        obj["ego_poses"] = ego_poses
    obj["streams"] = streams
    obj["annotations"] = annotations
    obj["entities"] = entities
    obj["links"] = links
    if candidates:
        obj["candidates"] = candidates
    if judgements:
        obj["judgements"] = judgements
    return obj


def part_json(part: BaseModel) -> str:
    """The JSON text of a nested part (media info, geometry, source): compact, nulls left out.

    This is how the format writes these parts and how the store keeps them; its output is
    the same as `compact_json` of ``part.model_dump(exclude_none=True)``.
    """
    return part.model_dump_json(exclude_none=True)


def poses_json(sample: Sample) -> str:
    """The JSON text of the sample's ego poses as the format writes and the store keeps them."""
    return "[" + ",".join(part_json(pose) for pose in sample.ego_poses) + "]"


def stream_record(stream: Stream) -> JsonObject:
    """The JSON object of `stream`."""
    return stream_object(
        id=stream.id,
        name=stream.name,
        modality=stream.modality.value,
        uri=stream.uri,
        text=stream.text,
        media=orjson.Fragment(part_json(stream.media)),
        clock=None if stream.clock is None else orjson.Fragment(part_json(stream.clock)),
        sensor=None if stream.sensor is None else orjson.Fragment(part_json(stream.sensor)),
    )


def annotation_record(annotation: Annotation) -> JsonObject:
    """The JSON object of `annotation`."""
    return annotation_object(
        id=annotation.id,
        stream=annotation.stream,
        label=annotation.label,
        geometry=orjson.Fragment(part_json(annotation.geometry)),
        attributes=annotation.attributes,
        revision=annotation.revision,
        ontology_version=annotation.ontology_version,
        author=annotation.author,
        source=orjson.Fragment(part_json(annotation.source)),
        flags=annotation.flags,
    )


def entity_record(entity: Entity) -> JsonObject:
    """The JSON object of `entity`."""
    return entity_object(
        id=entity.id,
        label=entity.label,
        members=entity.members,
        revision=entity.revision,
        author=entity.author,
    )


def link_record(link: Link) -> JsonObject:
    """The JSON object of `link`."""
    return link_object(
        id=link.id,
        type=link.type,
        source=link.source,
        target=link.target,
        status=link.status,
        attributes=link.attributes,
        revision=link.revision,
        source_revision=link.source_revision,
        target_revision=link.target_revision,
        author=link.author,
    )


def candidate_record(candidate: Candidate) -> JsonObject:
    """The JSON object of `candidate`."""
    return candidate_object(
        id=candidate.id,
        model=candidate.model,
        model_version=candidate.model_version,
        streams=candidate.streams,
        metadata=candidate.metadata,
    )


def pairs_json(judgement: Judgement) -> str:
    """The JSON text of a judgement's pairs as the format writes and the store keeps them."""
    return "[" + ",".join(part_json(pair) for pair in judgement.pairs) + "]"


def scores_json(judgement: Judgement) -> str:
    """The JSON text of a judgement's rubric scores as the format writes them."""
    return "[" + ",".join(part_json(score) for score in judgement.scores) + "]"


def judgement_record(judgement: Judgement) -> JsonObject:
    """The JSON object of `judgement`."""
    return judgement_object(
        id=judgement.id,
        author=judgement.author,
        presented=judgement.presented,
        pairs=orjson.Fragment(pairs_json(judgement)),
        ranking=judgement.ranking,
        scores=orjson.Fragment(scores_json(judgement)),
        rationale=judgement.rationale,
        revision=judgement.revision,
    )


def sample_record(sample: Sample) -> JsonObject:
    """The JSON object of `sample` with all its parts."""
    return sample_object(
        id=sample.id,
        external_id=sample.external_id,
        status=sample.status,
        metadata=sample.metadata,
        streams=[stream_record(stream) for stream in sample.streams],
        annotations=[annotation_record(annotation) for annotation in sample.annotations],
        entities=[entity_record(entity) for entity in sample.entities],
        links=[link_record(link) for link in sample.links],
        ego_poses=orjson.Fragment(poses_json(sample)) if sample.ego_poses else None,
        candidates=[candidate_record(candidate) for candidate in sample.candidates],
        judgements=[judgement_record(judgement) for judgement in sample.judgements],
    )


def dumps_sample(sample: Sample) -> bytes:
    """The line of `sample`, without its newline.

    Integers must fit in 64 bits (a `TypeError` says which value does not).
    """
    return orjson.dumps(sample_record(sample))


def write_sample(out: IO[bytes], sample: Sample) -> None:
    """Write the line of `sample` and its newline to the binary file `out`."""
    out.write(dumps_sample(sample) + b"\n")


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path (``annotations[2].geometry.x``)."""
    path = ""
    after: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not (after == "geometry" and part in GEOMETRY_MODALITIES):
            # (pydantic puts the tag of the geometry union into the location; it is left out)
            path += f".{part}" if path else part
        after = part
    return path


def _expected(error: Any) -> str:
    message = str(error["msg"])
    if error["type"] == "missing":
        return "a value is required here"
    if error["type"] in ("extra_forbidden", "json_invalid"):
        return message
    shown = repr(error.get("input"))
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{message} (got {shown})"


def parse_sample(line: bytes | str, *, file: str = "<line>", line_number: int = 1) -> Sample:
    """The sample on one line, or `ImportFailed` naming file, line, field and what was expected."""
    try:
        sample = _SAMPLE.validate_json(line)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise ImportFailed(
                file,
                line_number,
                "",
                f"not valid JSON (a truncated or malformed line?): {first['msg']}",
            ) from None
        if first["type"] == "model_type" and not first["loc"]:
            raise ImportFailed(
                file, line_number, "", "expected a JSON object (one sample per line)"
            ) from None
        raise ImportFailed(file, line_number, field_path(first["loc"]), _expected(first)) from None
    raw = line.encode() if isinstance(line, str) else line
    if any(token in raw for token in _NOT_JSON_TOKENS):
        # pydantic's parser takes NaN and Infinity, which are not JSON and cannot round-trip
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ImportFailed(
                file, line_number, "", f"not valid JSON (NaN and Infinity are not numbers): {exc}"
            ) from None
    return sample


class _Head(BaseModel):
    model_config = ConfigDict(extra="ignore")
    external_id: ExternalId | None = None


def peek_external_id(line: bytes | str) -> str | None:
    """The external id of the sample on `line`, read without building the sample.

    ``None`` when the line has none, or cannot be read (`parse_sample` says why).
    """
    try:
        return _Head.model_validate_json(line).external_id
    except ValidationError:
        return None


def read_lines(
    handle: IO[bytes],
    *,
    start_line: int = 1,
    max_line_bytes: int | None = None,
    file: str = "<stream>",
) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of the non-blank lines of a binary file, from `start_line` on.
    A line (with its newline) over `max_line_bytes` is `ImportFailed` naming `file` and the
    line, read no further than the limit."""
    if max_line_bytes is None:
        lines: Iterator[bytes] = iter(handle)
    else:
        lines = iter(lambda: handle.readline(max_line_bytes + 1), b"")
    for number, line in enumerate(lines, start=1):
        if max_line_bytes is not None and len(line) > max_line_bytes:
            raise ImportFailed(
                file,
                number,
                "",
                f"the line is longer than the limit of {max_line_bytes} bytes "
                "(ROSETTA_MAX_IMPORT_LINE_BYTES); one sample per line, split larger ones",
            )
        if number >= start_line and line and not line.isspace():
            yield number, line


def read_samples(
    source: str | Path | IO[bytes], *, start_line: int = 1
) -> Iterator[tuple[int, Sample]]:
    """Stream ``(line number, sample)`` from a JSONL file (a path or a binary file object).

    Lines before `start_line` are skipped without parsing, and so are blank lines. A line that is
    not a valid sample raises `ImportFailed` naming the file, the line and the field.
    """
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            for number, line in read_lines(handle, start_line=start_line):
                yield number, parse_sample(line, file=str(source), line_number=number)
    else:
        name = str(getattr(source, "name", "<stream>"))
        for number, line in read_lines(source, start_line=start_line):
            yield number, parse_sample(line, file=name, line_number=number)
