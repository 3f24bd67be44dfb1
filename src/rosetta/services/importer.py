"""Importing native JSONL into a project: streamed, validated, batched, resumable, idempotent.

The file is read one line at a time; every `batch_size` samples are validated against the
project's current ontology and written in one transaction together with one history event
per sample (action ``import``, listing the ids of the records it created: see
`rosetta.store.events`) and the progress of the import (the ``imports`` table). A bad line fails the import
with its file, line and field, and nothing of its batch is written; earlier batches stay,
and ``resume=True`` continues after the last committed line. A sample whose external id is
already in the project is skipped, so importing a file twice changes nothing.

Local streams without media info are probed. Given the server's `Settings` (an import
job), their files are read only inside the media roots
(`services.media_access.stream_media_file`), and one outside them fails its line, naming
the stream and the path; without them (the command line, the demo) wherever they are.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

import rosetta
from rosetta.core.errors import ImportFailed, RosettaError, RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.core.validation import check_sample
from rosetta.formats.native import (
    compact_json,
    parse_sample,
    part_json,
    peek_external_id,
    poses_json,
    read_lines,
)
from rosetta.services.projects import load_ontology
from rosetta.services.settings import Settings
from rosetta.store.engine import write_transaction
from rosetta.store.events import IMPORTED, Actor
from rosetta.store.tables import (
    annotations,
    candidates,
    entities,
    entity_members,
    events,
    imports,
    judgements,
    links,
    samples,
    streams,
)

SAMPLES_SOURCE = "<samples>"
#: A sample to import: its line number, its external id, and the sample or its unparsed line.
_Item = tuple[int, str | None, Sample | bytes]
_NO_MEDIA_INFO = MediaInfo().__dict__
_IN_CHUNK = 5000


@dataclass(frozen=True)
class ImportReport:
    """What an import did. Counts are for this run (a resumed run counts from where it went on)."""

    file: str
    lines_read: int
    samples_written: int
    samples_skipped: int
    annotations: int
    entities: int
    links: int
    seconds: float


def import_jsonl(
    engine: Engine,
    project_id: str,
    path: Path,
    actor: Actor,
    *,
    batch_size: int = 500,
    resume: bool = False,
    new_ids: bool = False,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Import the native JSONL file at `path` into the project.

    With ``resume=True`` the newest import of the same file into this project, when it did
    not finish, goes on after its last committed line. With ``new_ids=True`` every sample,
    stream, annotation, entity and link gets a fresh id (references follow). `progress` is
    called with the number of bytes read after each committed batch. With `settings`, media
    is probed only inside their media roots and a line may be at most their
    ``max_import_line_bytes`` long.
    """
    started = time.perf_counter()
    path = Path(path)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RosettaError(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        tracker = _Tracker.open(engine, project_id, str(path.resolve()), actor, resume=resume)
        writer = _Writer(
            engine,
            project_id,
            ontology,
            actor,
            file=str(path),
            new_ids=new_ids,
            tracker=tracker,
            settings=settings,
        )
        lines = read_lines(
            handle,
            start_line=tracker.lines_committed + 1,
            max_line_bytes=None if settings is None else settings.max_import_line_bytes,
            file=str(path),
        )
        try:
            counts = writer.run(
                ((number, peek_external_id(line), line) for number, line in lines),
                batch_size=batch_size,
                after_batch=None if progress is None else lambda: progress(handle.tell()),
            )
        except BaseException as exc:
            tracker.fail(engine, str(exc) or type(exc).__name__)
            raise
    tracker.finish(engine)
    return counts.report(str(path), time.perf_counter() - started)


def import_samples(
    engine: Engine,
    project_id: str,
    samples: Iterable[Sample],
    actor: Actor,
    *,
    batch_size: int = 500,
    new_ids: bool = False,
    settings: Settings | None = None,
) -> ImportReport:
    """Import sample records (validated and written like the lines of a file, in batches;
    media probed as `import_jsonl` probes it under `settings`); `new_ids` gives every
    record a fresh id as `import_jsonl` does.

    Errors name the file ``<samples>`` and the 1-based position of the sample.
    """
    started = time.perf_counter()
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    writer = _Writer(
        engine,
        project_id,
        ontology,
        actor,
        file=SAMPLES_SOURCE,
        new_ids=new_ids,
        tracker=None,
        settings=settings,
    )
    counts = writer.run(
        ((number, sample.external_id, sample) for number, sample in enumerate(samples, start=1)),
        batch_size=batch_size,
        after_batch=None,
    )
    return counts.report(SAMPLES_SOURCE, time.perf_counter() - started)


@dataclass
class _Counts:
    lines_read: int = 0
    samples_written: int = 0
    samples_skipped: int = 0
    annotations: int = 0
    entities: int = 0
    links: int = 0

    def report(self, file: str, seconds: float) -> ImportReport:
        return ImportReport(
            file=file,
            lines_read=self.lines_read,
            samples_written=self.samples_written,
            samples_skipped=self.samples_skipped,
            annotations=self.annotations,
            entities=self.entities,
            links=self.links,
            seconds=seconds,
        )


@dataclass
class _Tracker:
    """The ``imports`` row of a file import: how far it got and whether it finished."""

    pk: int
    lines_committed: int
    samples_written: int
    samples_skipped: int

    @classmethod
    def open(
        cls, engine: Engine, project_id: str, file: str, actor: Actor, *, resume: bool
    ) -> "_Tracker":
        now = time.time()
        with write_transaction(engine) as connection:
            if resume:
                last = connection.execute(
                    select(imports)
                    .where((imports.c.project_id == project_id) & (imports.c.file == file))
                    .order_by(imports.c.pk.desc())
                    .limit(1)
                ).first()
                if last is not None and last.status != "done":
                    connection.execute(
                        update(imports)
                        .where(imports.c.pk == last.pk)
                        .values(status="running", error=None, actor=actor.name, updated_at=now)
                    )
                    return cls(
                        last.pk, last.lines_committed, last.samples_written, last.samples_skipped
                    )
            pk = connection.execute(
                insert(imports)
                .values(
                    project_id=project_id,
                    file=file,
                    lines_committed=0,
                    samples_written=0,
                    samples_skipped=0,
                    status="running",
                    actor=actor.name,
                    started_at=now,
                    updated_at=now,
                )
                .returning(imports.c.pk)
            ).scalar_one()
        return cls(pk, 0, 0, 0)

    def commit(self, connection: Connection, last_line: int, written: int, skipped: int) -> None:
        """Record a batch's progress in the batch's own transaction."""
        self.lines_committed = last_line
        self.samples_written += written
        self.samples_skipped += skipped
        connection.execute(
            update(imports)
            .where(imports.c.pk == self.pk)
            .values(
                lines_committed=last_line,
                samples_written=self.samples_written,
                samples_skipped=self.samples_skipped,
                updated_at=time.time(),
            )
        )

    def fail(self, engine: Engine, error: str) -> None:
        with write_transaction(engine) as connection:
            connection.execute(
                update(imports)
                .where(imports.c.pk == self.pk)
                # PostgreSQL's text holds no NUL, which an error quoting the file may
                .values(
                    status="failed", error=error.replace("\x00", "\\x00"), updated_at=time.time()
                )
            )

    def finish(self, engine: Engine) -> None:
        with write_transaction(engine) as connection:
            connection.execute(
                update(imports)
                .where(imports.c.pk == self.pk)
                .values(status="done", updated_at=time.time())
            )


class _JsonProblem(Exception):
    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _json(value: Any, field: str) -> str:
    try:
        return compact_json(value)
    except TypeError as exc:
        raise _JsonProblem(field, f"cannot be stored as JSON: {exc}") from None


def _needs_probe(stream: Stream) -> bool:
    """Whether the stream has a local file and no media info at all."""
    # comparing the field dicts is what MediaInfo's == does, at a fraction of its cost
    return (
        stream.uri is not None
        and ("://" not in stream.uri or stream.uri.startswith("file://"))
        and stream.media.__dict__ == _NO_MEDIA_INFO
    )


_Row = tuple[Any, ...]

#: The columns each batch insert fills, in the order of the row tuples. Records of a sample
#: put their ``id`` first and their ``sample_id`` second.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "samples": ("id", "project_id", "external_id", "status", "metadata", "ego_poses"),
    "streams": ("id", "sample_id", "name", "modality", "uri", "text", "media", "clock", "sensor"),
    "annotations": (
        "id",
        "sample_id",
        "project_id",
        "stream_id",
        "label",
        "geometry",
        "attributes",
        "revision",
        "ontology_version",
        "author",
        "source",
        "flags",
    ),
    "entities": ("id", "sample_id", "project_id", "label", "revision", "author"),
    "entity_members": ("entity_id", "annotation_id"),
    "links": (
        "id",
        "sample_id",
        "project_id",
        "type",
        "source_id",
        "target_id",
        "status",
        "attributes",
        "revision",
        "source_revision",
        "target_revision",
        "author",
    ),
    "candidates": (
        "id",
        "sample_id",
        "project_id",
        "position",
        "model",
        "model_version",
        "streams",
        "metadata",
    ),
    "judgements": (
        "id",
        "sample_id",
        "project_id",
        "author",
        "presented",
        "pairs",
        "ranking",
        "scores",
        "rationale",
        "revision",
        "created_at",
        "updated_at",
    ),
    "events": (
        "project_id",
        "actor",
        "tool",
        "tool_version",
        "action",
        "at",
        "object_kind",
        "object_id",
        "sample_id",
        "after",
        "note",
    ),
}


def _insert_sql(dialect: Dialect, table: Table) -> str:
    """A plain positional INSERT of `table`'s `_COLUMNS` in the driver's parameter style."""
    quote = dialect.identifier_preparer
    columns = _COLUMNS[table.name]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.quote(column) for column in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )


class _Rows:
    """The rows of one batch, per table, as tuples for one executemany each."""

    def __init__(self) -> None:
        self.samples: list[_Row] = []
        self.streams: list[_Row] = []
        self.annotations: list[_Row] = []
        self.entities: list[_Row] = []
        self.members: list[_Row] = []
        self.links: list[_Row] = []
        self.candidates: list[_Row] = []
        self.judgements: list[_Row] = []
        self.events: list[_Row] = []
        self.lines: list[int] = []

    def tables(self) -> Iterator[tuple[Table, list[_Row]]]:
        """Each table with its rows, parents before children."""
        yield samples, self.samples
        yield streams, self.streams
        yield annotations, self.annotations
        yield entities, self.entities
        yield entity_members, self.members
        yield links, self.links
        yield candidates, self.candidates
        yield judgements, self.judgements
        yield events, self.events


class _Writer:
    """Validates samples and writes them in batches, one transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        project_id: str,
        ontology: Ontology,
        actor: Actor,
        *,
        file: str,
        new_ids: bool,
        tracker: _Tracker | None,
        settings: Settings | None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.project_id = project_id
        self.ontology = ontology
        self.file = file
        self.new_ids = new_ids
        self.tracker = tracker
        self.counts = _Counts()
        self.sql = {table.name: _insert_sql(engine.dialect, table) for table, _ in _Rows().tables()}
        self.event_head = (project_id, actor.name, "import", rosetta.__version__, "import")
        self.deprecated = frozenset(c.name for c in ontology.classes if c.deprecated)

    def run(
        self,
        items: Iterable[_Item],
        *,
        batch_size: int,
        after_batch: Callable[[], None] | None,
    ) -> _Counts:
        """Import every item; `after_batch` runs after each commit."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        batch: list[_Item] = []
        last_line = 0
        for item in items:
            batch.append(item)
            last_line = item[0]
            if len(batch) >= batch_size:
                self._write(batch, last_line)
                batch = []
                if after_batch is not None:
                    after_batch()
        if batch:
            self._write(batch, last_line)
            if after_batch is not None:
                after_batch()
        return self.counts

    def _fail(self, line: int, exc: RuleViolation | _JsonProblem) -> ImportFailed:
        if isinstance(exc, RuleViolation):
            return ImportFailed(
                self.file, line, exc.field, f"{exc.obj}: {exc.detail} [rule: {exc.rule}]"
            )
        return ImportFailed(self.file, line, exc.field, exc.detail)

    def _write(self, batch: list[_Item], last_line: int) -> None:
        with self.engine.connect() as connection:
            known = self._known_external_ids(connection, batch)
        rows = _Rows()
        skipped = 0
        at = time.time()
        for line, external_id, record in batch:
            if external_id is not None:
                if external_id in known:
                    skipped += 1
                    continue
                known.add(external_id)
            # a line is parsed only now, and its objects are dropped as soon as its rows are
            # built: a batch of whole samples would keep the garbage collector busy
            sample = record if isinstance(record, Sample) else self._parse(line, record)
            try:
                prepared = self._prepared(sample, line)
                check_sample(prepared, self.ontology, allow_deprecated=True)
                self._add(rows, prepared, line, at)
            except (RuleViolation, _JsonProblem) as exc:
                raise self._fail(line, exc) from None
        try:
            with write_transaction(self.engine) as connection:
                for table, table_rows in rows.tables():
                    if table_rows:
                        connection.exec_driver_sql(self.sql[table.name], table_rows)
                if self.tracker is not None:
                    self.tracker.commit(connection, last_line, len(rows.samples), skipped)
        except IntegrityError as exc:
            with self.engine.connect() as connection:
                failure = self._collision(connection, rows)
            if failure is None:
                raise
            raise failure from exc
        self.counts.lines_read += len(batch)
        self.counts.samples_written += len(rows.samples)
        self.counts.samples_skipped += skipped
        self.counts.annotations += len(rows.annotations)
        self.counts.entities += len(rows.entities)
        self.counts.links += len(rows.links)

    def _parse(self, line: int, record: bytes) -> Sample:
        return parse_sample(record, file=self.file, line_number=line)

    def _known_external_ids(self, connection: Connection, batch: list[_Item]) -> set[str]:
        wanted = [external_id for _, external_id, _ in batch if external_id is not None]
        known: set[str] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            known.update(
                connection.execute(
                    select(samples.c.external_id).where(
                        (samples.c.project_id == self.project_id)
                        & samples.c.external_id.in_(wanted[start : start + _IN_CHUNK])
                    )
                ).scalars()
            )
        return known

    def _prepared(self, sample: Sample, line: int) -> Sample:
        """`sample` with probed media info where a local stream has none."""
        if not any(_needs_probe(stream) for stream in sample.streams):
            return sample
        # media readers load PyAV and friends: only imports that probe pay for them
        from rosetta.media.frames import frame_clock, frame_table
        from rosetta.media.probe import probe
        from rosetta.services.media_access import stream_media_file

        filled: list[Stream] = []
        for index, stream in enumerate(sample.streams):
            if stream.uri is not None and _needs_probe(stream):
                update: dict[str, Any] = {}
                try:
                    path = stream_media_file(stream.id, stream.uri, self.settings)
                    update["media"] = probe(str(path), stream.modality)
                    if stream.modality is Modality.VIDEO and stream.clock is None:
                        # a variable frame rate needs the container's frame times
                        table = frame_table(path)
                        if table.constant_rate is None:
                            update["clock"] = frame_clock(table)
                except RosettaError as exc:
                    raise ImportFailed(self.file, line, f"streams[{index}].uri", str(exc)) from None
                filled.append(stream.model_copy(update=update))
            else:
                filled.append(stream)
        return sample.model_copy(update={"streams": filled})

    def _add(self, rows: _Rows, sample: Sample, line: int, at: float) -> None:
        """Append the rows and the import event of one validated sample."""
        ids = _fresh_ids(sample) if self.new_ids else None

        def ident(old: str) -> str:
            return old if ids is None else ids[old]

        project_id = self.project_id
        sample_id = ident(sample.id)
        created: dict[str, list[str]] = {part: [] for part in IMPORTED}
        rows.lines.append(line)
        rows.samples.append(
            (
                sample_id,
                project_id,
                sample.external_id,
                sample.status,
                _json(sample.metadata, "metadata"),
                poses_json(sample) if sample.ego_poses else None,
            )
        )
        for stream in sample.streams:
            stream_id = ident(stream.id)
            created["streams"].append(stream_id)
            rows.streams.append(
                (
                    stream_id,
                    sample_id,
                    stream.name,
                    stream.modality.value,
                    stream.uri,
                    stream.text,
                    part_json(stream.media),
                    None if stream.clock is None else part_json(stream.clock),
                    None if stream.sensor is None else part_json(stream.sensor),
                )
            )
        version = self.ontology.version
        for index, annotation in enumerate(sample.annotations):
            annotation_id = ident(annotation.id)
            on_stream = None if annotation.stream is None else ident(annotation.stream)
            geometry = part_json(annotation.geometry)
            attributes = (
                _json(annotation.attributes, f"annotations[{index}].attributes")
                if annotation.attributes
                else "{}"
            )
            source = part_json(annotation.source)
            flags = annotation.flags
            if annotation.label in self.deprecated:
                flag = f"deprecated-class:{annotation.label}"
                if flag not in flags:
                    flags = [*flags, flag]
            ontology_version = annotation.ontology_version or version
            created["annotations"].append(annotation_id)
            rows.annotations.append(
                (
                    annotation_id,
                    sample_id,
                    project_id,
                    on_stream,
                    annotation.label,
                    geometry,
                    attributes,
                    annotation.revision,
                    ontology_version,
                    annotation.author,
                    source,
                    compact_json(flags) if flags else "[]",
                )
            )
        for entity in sample.entities:
            entity_id = ident(entity.id)
            members = [ident(member) for member in entity.members]
            created["entities"].append(entity_id)
            rows.entities.append(
                (entity_id, sample_id, project_id, entity.label, entity.revision, entity.author)
            )
            rows.members.extend((entity_id, member) for member in members)
        for index, link in enumerate(sample.links):
            link_id = ident(link.id)
            source_id = ident(link.source)
            target_id = ident(link.target)
            attributes = (
                _json(link.attributes, f"links[{index}].attributes") if link.attributes else "{}"
            )
            created["links"].append(link_id)
            rows.links.append(
                (
                    link_id,
                    sample_id,
                    project_id,
                    link.type,
                    source_id,
                    target_id,
                    link.status,
                    attributes,
                    link.revision,
                    link.source_revision,
                    link.target_revision,
                    link.author,
                )
            )
        self._add_preference(rows, sample, sample_id=sample_id, ident=ident, created=created, at=at)
        rows.events.append(
            (
                *self.event_head,
                at,
                "sample",
                sample_id,
                sample_id,
                compact_json(created),
                f"{self.file}:{line}",
            )
        )

    def _add_preference(
        self,
        rows: _Rows,
        sample: Sample,
        *,
        sample_id: str,
        ident: Callable[[str], str],
        created: dict[str, list[str]],
        at: float,
    ) -> None:
        """Append the rows of the sample's candidates and judgements (ids renamed by
        `ident`), and list their ids in `created` when there are any."""
        project_id = self.project_id
        for position, candidate in enumerate(sample.candidates):
            candidate_id = ident(candidate.id)
            created.setdefault("candidates", []).append(candidate_id)
            rows.candidates.append(
                (
                    candidate_id,
                    sample_id,
                    project_id,
                    position,
                    candidate.model,
                    candidate.model_version,
                    compact_json([ident(stream) for stream in candidate.streams]),
                    _json(candidate.metadata, f"candidates[{position}].metadata"),
                )
            )
        for judgement in sample.judgements:
            judgement_id = ident(judgement.id)
            created.setdefault("judgements", []).append(judgement_id)
            pairs = [
                pair.model_copy(update={"a": ident(pair.a), "b": ident(pair.b)})
                for pair in judgement.pairs
            ]
            scores = [
                score.model_copy(update={"candidate": ident(score.candidate)})
                for score in judgement.scores
            ]
            rows.judgements.append(
                (
                    judgement_id,
                    sample_id,
                    project_id,
                    judgement.author,
                    compact_json([ident(c) for c in judgement.presented]),
                    "[" + ",".join(part_json(pair) for pair in pairs) + "]",
                    compact_json([[ident(c) for c in tier] for tier in judgement.ranking]),
                    "[" + ",".join(part_json(score) for score in scores) + "]",
                    None if judgement.rationale is None else ident(judgement.rationale),
                    judgement.revision,
                    at,
                    at,
                )
            )

    def _collision(self, connection: Connection, rows: _Rows) -> ImportFailed | None:
        """The first line of the batch with an id that is taken already, as an error."""
        line_of: dict[str, int] = {}
        for row, line in zip(rows.samples, rows.lines, strict=True):
            line_of.setdefault(row[0], line)
        owner = samples.alias("owner")
        problems: list[tuple[int, int, int, str, str]] = []  # line, kind, index, field, detail
        seen: dict[str, int] = {}
        for order, (kind, table, table_rows) in enumerate(
            (
                ("sample", samples, rows.samples),
                ("stream", streams, rows.streams),
                ("annotation", annotations, rows.annotations),
                ("entity", entities, rows.entities),
                ("link", links, rows.links),
                ("candidate", candidates, rows.candidates),
                ("judgement", judgements, rows.judgements),
            )
        ):
            where: dict[str, tuple[int, int, str]] = {}
            index, previous = 0, None
            for position, row in enumerate(table_rows):
                ident = row[0]
                if table is samples:
                    line, field = rows.lines[position], "id"
                else:
                    index = index + 1 if row[1] == previous else 0
                    previous = row[1]
                    line, field = line_of[row[1]], f"{table.name}[{index}].id"
                if ident in seen:
                    detail = f"{kind} id {ident!r} is used on line {seen[ident]} too"
                    problems.append((line, order, index, field, detail))
                seen.setdefault(ident, line)
                where[ident] = (line, index, field)
            query = select(table.c.id, owner.c.project_id, owner.c.id).join(
                owner, owner.c.id == (table.c.id if table is samples else table.c.sample_id)
            )
            wanted = list(where)
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                for ident, project_id, sample_id in connection.execute(
                    query.where(table.c.id.in_(chunk))
                ):
                    by = (
                        "another project"
                        if project_id != self.project_id
                        else f"sample {sample_id!r} of this project"
                    )
                    line, index, field = where[ident]
                    detail = f"{kind} id {ident!r} is already used by {by}"
                    problems.append((line, order, index, field, detail))
        if not problems:
            return None
        line, _, _, field, detail = min(problems)
        return ImportFailed(
            self.file,
            line,
            field,
            f"{detail}; import with new ids (new_ids=True, `--new-ids`) to give every "
            "imported record a fresh id",
        )


def _fresh_ids(sample: Sample) -> dict[str, str]:
    """A fresh id for every id of the sample (records of one sample share no ids)."""
    ids = {sample.id: uuid.uuid4().hex}
    for items in (
        sample.streams,
        sample.annotations,
        sample.entities,
        sample.links,
        sample.candidates,
        sample.judgements,
    ):
        for item in items:
            ids[item.id] = uuid.uuid4().hex
    return ids
