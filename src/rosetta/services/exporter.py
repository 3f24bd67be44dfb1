"""Exporting a project as native JSONL, streamed in chunks of samples.

The database writes the lines: one query per chunk of samples (keyset pagination on the
primary key) returns each sample's whole line, built in SQL from its rows. Strings are
quoted by the database's JSON functions, whose escaping is orjson's; the JSON text columns
are embedded as they are stored; optional fields that are null are left out. A line is
therefore the same bytes as `rosetta.formats.native.dumps_sample` of the stored records
(the tests check this on SQLite and PostgreSQL for arbitrary records), Python only joins
a chunk's lines, and memory stays bounded by one chunk.

Fetching the rows as Python values (≈2.3 per annotation) and building the objects in Python
took about twice as long on SQLite; now almost all of an export's time is the chunk query.

Tracks are written sparse (key frames only) or dense (every frame where the object is
present, `rosetta.core.tracks.densify`). Only the lines that need it go through Python:
for a sparse export, those holding frames marked ``interpolated`` (a dense file that was
imported), which lose them; for a dense one, those holding a track. Each is parsed with
`parse_sample`, rewritten and written with `dumps_sample`, so a line without tracks keeps
its bytes. One search over a chunk's joined lines finds whether any line needs it.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Integer,
    LargeBinary,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
)

from rosetta.core.errors import NotFoundError
from rosetta.core.geometry import Track
from rosetta.core.schema import Sample
from rosetta.core.tracks import densify, sparsify
from rosetta.formats.native import dumps_sample, parse_sample
from rosetta.store.tables import (
    annotations,
    candidates,
    entities,
    entity_members,
    judgements,
    links,
    projects,
    samples,
    streams,
)

CHUNK = 500

TrackForm = Literal["sparse", "dense"]

#: What a line holds when it needs rewriting for each form of tracks.
_REWRITE: dict[TrackForm, bytes] = {"sparse": b'"interpolated":true', "dense": b'"type":"track"'}


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    samples: int
    annotations: int
    entities: int
    links: int
    seconds: float


def count_samples(connection: Connection, project_id: str) -> int:
    """The number of samples in the project."""
    return int(
        connection.execute(
            select(func.count()).select_from(samples).where(samples.c.project_id == project_id)
        ).scalar_one()
    )


def export_jsonl(
    engine: Engine,
    project_id: str,
    out: IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    tracks: TrackForm = "sparse",
) -> ExportReport:
    """Write every sample of the project to the binary file `out`, one line each.

    `tracks`: ``"sparse"`` writes each track's key frames; ``"dense"`` also every frame
    between them, and after a last key frame that is not outside to the stream's last
    frame (when its media info has a frame count), marked ``interpolated``. `progress` is
    called with the number of samples written so far after each chunk.
    """
    started = time.perf_counter()
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        # one snapshot for the whole export (on SQLite the store's engine begins every
        # connection's transaction explicitly, which gives the same)
        options["isolation_level"] = "REPEATABLE READ"
    chunk = _Statement(_chunk_query(_JsonSql(engine.dialect)), engine.dialect)
    with engine.connect().execution_options(**options) as connection:
        found = connection.execute(select(projects.c.pk).where(projects.c.id == project_id))
        if found.first() is None:
            raise NotFoundError("project", project_id)
        written = 0
        after = -1
        while rows := chunk.rows(connection, project=project_id, low=after):
            after = rows[-1][0]
            joined = b"\n".join([line for _, line in rows])
            if _REWRITE[tracks] in joined:
                for _, line in rows:
                    out.write(_rewrite(line, tracks) if _REWRITE[tracks] in line else line)
                    out.write(b"\n")
            else:
                out.write(joined)
                out.write(b"\n")
            written += len(rows)
            if progress is not None:
                progress(written)
        annotations_done, entities_done, links_done = connection.execute(
            _counts_query(), {"project": project_id}
        ).one()
    return ExportReport(
        samples=written,
        annotations=annotations_done,
        entities=entities_done,
        links=links_done,
        seconds=time.perf_counter() - started,
    )


def _rewrite(line: bytes, tracks: TrackForm) -> bytes:
    """The line with its tracks in the form `tracks`."""
    sample = parse_sample(line, file="<export>")
    return dumps_sample(
        sample.model_copy(
            update={
                "annotations": [
                    annotation.model_copy(
                        update={
                            "geometry": _track_form(sample, annotation.stream, geometry, tracks)
                        }
                    )
                    if isinstance(geometry := annotation.geometry, Track)
                    else annotation
                    for annotation in sample.annotations
                ]
            }
        )
    )


def _track_form(sample: Sample, stream_id: str | None, track: Track, tracks: TrackForm) -> Track:
    if tracks == "sparse":
        return sparsify(track)
    stream = next((s for s in sample.streams if s.id == stream_id), None)
    count = None if stream is None else stream.media.frame_count
    last = track.keyframes[-1].frame
    return densify(track, end=None if count is None else max(count - 1, last))


def sample_lines(
    engine: Engine, project_id: str, *, after: int = -1, tracks: TrackForm = "sparse"
) -> Iterator[tuple[int, bytes]]:
    """The project's samples after row key `after`, in order, as (row key, native JSONL
    line) with their tracks in the form `tracks`: the lines `export_jsonl` writes, for
    writers that cut them into shards and resume after the last one they finished. One
    chunk query, and connection, per chunk."""
    statement = _Statement(_chunk_query(_JsonSql(engine.dialect)), engine.dialect)
    marker = _REWRITE[tracks]
    while True:
        with engine.connect() as connection:
            rows = statement.rows(connection, project=project_id, low=after)
        if not rows:
            return
        for pk, line in rows:
            yield pk, _rewrite(line, tracks) if marker in line else bytes(line)
        after = rows[-1][0]


class _Statement:
    """A query compiled once and run through the DBAPI cursor, giving the driver's tuples."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.defaults = dict(compiled.params)
        self.order = list(compiled.positiontup or ()) if compiled.positional else None

    def rows(self, connection: Connection, **values: Any) -> list[Any]:
        """The rows for these parameter values."""
        params = self.defaults | values
        cursor = connection.connection.cursor()
        try:
            if self.order is None:
                cursor.execute(self.sql, params)
            else:
                cursor.execute(self.sql, tuple(params[name] for name in self.order))
            return list(cursor.fetchall())
        finally:
            cursor.close()


Sql = ColumnElement[Any]


def _text(value: str) -> Sql:
    """An SQL string literal (written into the statement, not bound)."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


@dataclass(frozen=True)
class _Field:
    """A member of a JSON object: its key and its JSON text, or (`array`) the comma-separated
    JSON texts of its items; `omit_if_null` is the column whose null leaves the member out."""

    key: str
    json: Sql
    omit_if_null: Sql | None = None
    array: bool = False


class _JsonSql:
    """The SQL that builds JSON text, in the functions of one dialect.

    SQLite: ``json_object``, ``json_quote``, ``printf`` and ``group_concat``; PostgreSQL:
    ``to_json``, ``format`` and ``string_agg``. Both quote strings as orjson does (``\\"``,
    ``\\\\``, ``\\b \\t \\n \\f \\r``, other control characters as lowercase ``\\u00xx``,
    everything else as UTF-8), and both format a null ``%s`` argument as nothing.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.postgres = dialect.name == "postgresql"

    def utf8(self, text: Sql) -> Sql:
        """`text` as UTF-8 bytes, which the driver passes on without decoding them."""
        if self.postgres:
            return func.convert_to(text, _text("UTF8"))
        return cast(text, LargeBinary)

    def string(self, column: Sql) -> Sql:
        """The JSON string of a text column."""
        if self.postgres:
            return cast(func.to_json(column), Text)
        return func.json_quote(column)

    def object(self, strings: dict[str, Sql], *fields: _Field) -> Sql:
        """A JSON object: first the members `strings`, whose values are text columns (null
        written as ``null``), then `fields`, in order.

        One formatting call builds it, which allocates and copies less than a ``||`` per
        piece. On SQLite one ``json_object`` writes the leading strings, less its closing
        brace (the last of them is a string or ``null``, so ``rtrim`` removes that brace
        alone): a ``json_quote`` for each, whose result is copied once more to be formatted,
        made the chunk query do a fifth more work.
        """
        arguments: list[Sql]
        if self.postgres:
            template = "{" + ",".join(f'"{key}":%s' for key in strings)
            arguments = [
                func.coalesce(self.string(column), _text("null")) for column in strings.values()
            ]
        else:
            pairs = [part for key, column in strings.items() for part in (_text(key), column)]
            template = "%s"
            arguments = [func.rtrim(func.json_object(*pairs), _text("}"))]
        for field in fields:
            member = f',"{field.key}":'
            if field.array:
                template += member + "[%s]"
                arguments.append(field.json)
            elif field.omit_if_null is None:
                template += member + "%s"
                arguments.append(field.json)
            else:
                template += "%s"
                arguments.append(
                    case(
                        (field.omit_if_null.is_(None), _text("")),
                        else_=_text(member).concat(field.json),
                    )
                )
        format_function = func.format if self.postgres else func.printf
        return format_function(_text(template + "}"), *arguments)

    def items(self, item: Sql, where: Sql, order: Sql, outer: Any) -> Sql:
        """The comma-separated `item` of the rows `where` selects, in `order`; null when none.

        The rows come from a subquery sorted by `order`. PostgreSQL aggregates them with an
        explicit ``ORDER BY``. SQLite before 3.44 has no ``ORDER BY`` in aggregates, and
        ``group_concat`` concatenates in the order its input arrives: the query flattener
        never merges an ordered subquery into an aggregate query (restriction 16 in
        ``select.c``, ticket #2942, kept for ``group_concat``) and drops a subquery's
        ``ORDER BY`` only under an outer ``ORDER BY`` or join, neither of which is here.
        """
        rows = (
            select(item.label("item"), order.label("position"))
            .where(where)
            .order_by(order)
            .correlate(outer)
            .subquery()
        )
        comma = _text(",")
        joined: Sql
        if self.postgres:
            joined = func.string_agg(rows.c.item, comma).aggregate_order_by(rows.c.position)
        else:
            joined = func.group_concat(rows.c.item, comma)
        return select(joined).scalar_subquery()


def _chunk_query(json: _JsonSql) -> Select[Any]:
    """The chunk query: ``(pk, line)`` of up to `CHUNK` samples of the project after ``pk``
    `low`, in pk order."""
    stream = json.object(
        {"id": streams.c.id, "name": streams.c.name, "modality": streams.c.modality},
        _Field("uri", json.string(streams.c.uri), streams.c.uri),
        _Field("text", json.string(streams.c.text), streams.c.text),
        _Field("media", streams.c.media),
        _Field("clock", streams.c.clock, streams.c.clock),
        _Field("sensor", streams.c.sensor, streams.c.sensor),
    )
    annotation = json.object(
        {"id": annotations.c.id, "stream": annotations.c.stream_id, "label": annotations.c.label},
        _Field("geometry", annotations.c.geometry),
        _Field("attributes", annotations.c.attributes),
        _Field("revision", annotations.c.revision),
        _Field("ontology_version", annotations.c.ontology_version, annotations.c.ontology_version),
        _Field("author", json.string(annotations.c.author), annotations.c.author),
        _Field("source", annotations.c.source),
        _Field("flags", annotations.c.flags),
    )
    members = json.items(
        json.string(entity_members.c.annotation_id),
        entity_members.c.entity_id == entities.c.id,
        entity_members.c.pk,
        entities,
    )
    entity = json.object(
        {"id": entities.c.id},
        _Field("label", json.string(entities.c.label), entities.c.label),
        _Field("members", members, array=True),
        _Field("revision", entities.c.revision),
        _Field("author", json.string(entities.c.author), entities.c.author),
    )
    link = json.object(
        {
            "id": links.c.id,
            "type": links.c.type,
            "source": links.c.source_id,
            "target": links.c.target_id,
            "status": links.c.status,
        },
        _Field("attributes", links.c.attributes),
        _Field("revision", links.c.revision),
        _Field("source_revision", links.c.source_revision, links.c.source_revision),
        _Field("target_revision", links.c.target_revision, links.c.target_revision),
        _Field("author", json.string(links.c.author), links.c.author),
    )

    candidate = json.object(
        {"id": candidates.c.id},
        _Field("model", json.string(candidates.c.model), candidates.c.model),
        _Field(
            "model_version", json.string(candidates.c.model_version), candidates.c.model_version
        ),
        _Field("streams", candidates.c.streams),
        _Field("metadata", candidates.c.metadata),
    )
    judgement = json.object(
        {"id": judgements.c.id},
        _Field("author", json.string(judgements.c.author), judgements.c.author),
        _Field("presented", judgements.c.presented),
        _Field("pairs", judgements.c.pairs),
        _Field("ranking", judgements.c.ranking),
        _Field("scores", judgements.c.scores),
        _Field("rationale", json.string(judgements.c.rationale), judgements.c.rationale),
        _Field("revision", judgements.c.revision),
    )

    def items(item: Sql, table: Any, order: Sql | None = None) -> Sql:
        return json.items(
            item, table.c.sample_id == samples.c.id, table.c.pk if order is None else order, samples
        )

    def unless_empty(key: str, listed: Sql) -> _Field:
        """A list member left out when it has no items (a preference sample's parts)."""
        return _Field(key, _text("[").concat(listed).concat(_text("]")), listed)

    line = json.object(
        {"id": samples.c.id},
        _Field("external_id", json.string(samples.c.external_id), samples.c.external_id),
        _Field("status", json.string(samples.c.status)),
        _Field("metadata", samples.c.metadata),
        _Field("ego_poses", samples.c.ego_poses, samples.c.ego_poses),
        _Field("streams", items(stream, streams), array=True),
        _Field("annotations", items(annotation, annotations), array=True),
        _Field("entities", items(entity, entities), array=True),
        _Field("links", items(link, links), array=True),
        unless_empty("candidates", items(candidate, candidates, candidates.c.position)),
        unless_empty("judgements", items(judgement, judgements)),
    )
    return (
        select(samples.c.pk, json.utf8(line))
        .where(
            (samples.c.project_id == bindparam("project", type_=String))
            & (samples.c.pk > bindparam("low", type_=Integer))
        )
        .order_by(samples.c.pk)
        .limit(CHUNK)
    )


def _counts_query() -> Select[int, int, int]:
    """The numbers of annotations, entities and links of the project.

    Annotations and links carry their project (with an index that counts them); entities
    are found through the project's samples.
    """
    project = bindparam("project", type_=String)

    def count(table: Any, where: Sql) -> ColumnElement[int]:
        return select(func.count()).select_from(table).where(where).scalar_subquery()

    in_project = select(samples.c.id).where(samples.c.project_id == project)
    return select(
        count(annotations, annotations.c.project_id == project),
        count(entities, entities.c.sample_id.in_(in_project)),
        count(links, links.c.project_id == project),
    )
