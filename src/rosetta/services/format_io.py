"""Importing and exporting the file formats other tools use
(`rosetta.formats.registry`), through the native records.

**Import** reads the foreign file twice, streaming both times. The first pass maps every
label onto the ontology (`rosetta.formats.label_map`) and checks every sample against it
and against its media (`rosetta.core.validation.check_sample`); any label that maps to
nothing stops it with the list of all of them (`UnmappedLabels`), and the first sample that
breaks a rule stops it with the file, line or element, field and rule (`ImportFailed`):
either way nothing is written. The second pass writes through the native importer
(`import_samples`: batches, one `import` event per sample, idempotent by external id).

Given the server's `Settings` (an import job), the media the samples name must be the
server's to keep: a local file inside the imported folder (an upload, removed once
imported) is named relative to it, a file inside a media root keeps its path, and any
other local path fails the import naming the sample's stream (a reader may have looked
beyond its folder, following a name in the file). Readers open no file by a name the
annotations give outside the imported folder and the media root
(`ReadOptions.media_confined_to`): ``../../etc/passwd`` or an absolute path is an error
naming the file, the element and the path.

**Export** streams the project's samples (the exporter's SQL-built lines) into the
format's writer, in the output folder, beside a dataset card
(`rosetta.services.dataset_card`) that records what was exported and how.
"""

import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine

from rosetta.core.errors import ImportFailed, RosettaError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.core.validation import check_sample
from rosetta.formats.interchange import (
    CARD_FILES,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)
from rosetta.formats.label_map import LabelMap, MappingTally, map_labels
from rosetta.formats.native import field_path
from rosetta.formats.registry import FORMATS, format_spec
from rosetta.media.probe import local_path
from rosetta.services.dataset_card import ExportParameters, write_dataset_card
from rosetta.services.exporter import TrackForm, sample_lines
from rosetta.services.importer import SAMPLES_SOURCE, ImportReport, import_samples
from rosetta.services.projects import load_ontology
from rosetta.services.settings import Settings
from rosetta.store.events import Actor

#: Reports how far an import got: the pass (``checked``: read, mapped and checked;
#: ``written``: handed to the writer, which commits every batch) and its samples so far.
ImportProgress = Callable[[Literal["checked", "written"], int], None]


@dataclass(frozen=True)
class FormatInfo:
    """A format as a person picks it: its registry name, title, whether Rosetta reads and
    writes it, and what Rosetta records it has no place for."""

    name: str
    title: str
    read: bool
    write: bool
    not_carried: tuple[str, ...]


def known_formats() -> list[FormatInfo]:
    """Every registered format, by name."""
    found = []
    for name in sorted(FORMATS):
        spec = format_spec(name)
        found.append(
            FormatInfo(
                name, spec.title, spec.read is not None, spec.write is not None, spec.not_carried
            )
        )
    return found


def mapping_from_text(text: str) -> dict[str, Any]:
    """The label mapping written in `text` as a mapping file holds it (YAML or JSON),
    parsed but not yet validated (`rosetta.formats.label_map.LabelMap` does that); a
    `RuleViolation` names the line where it is not well-formed, or says it is no object."""
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "mapping" if mark is None else f"mapping (line {mark.line + 1})"
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleViolation(
            "format import", where, "mapping-syntax", f"not YAML/JSON: {problem}"
        ) from None
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise RuleViolation(
            "format import",
            "mapping",
            "mapping-syntax",
            f"expected an object (labels:, relations:, attributes:, drop:), got {type(found).__name__}",
        )
    return found


@dataclass(frozen=True)
class FormatImport:
    """What a format import did: the native import's counts, and the annotations left out
    per label the mapping dropped."""

    format: str
    source: str
    imported: ImportReport
    dropped: dict[str, int] = field(default_factory=dict)


def readable_format(name: str) -> FormatSpec:
    """The format `name`, which must have a reader (a `RosettaError` otherwise)."""
    spec = format_spec(name)
    if spec.read is None:
        raise RosettaError(f"format {name!r} can be exported only")
    return spec


def writable_format(name: str) -> FormatSpec:
    """The format `name`, which must have a writer (a `RosettaError` otherwise)."""
    spec = format_spec(name)
    if spec.write is None:
        raise RosettaError(f"format {name!r} can be imported only")
    return spec


@dataclass(frozen=True)
class _Reading:
    """How an import reads: the format, the source, the options, the ontology and mapping,
    and (on the server) the settings whose media roots confine the media named."""

    spec: FormatSpec
    source: Path
    options: ReadOptions
    ontology: Ontology
    mapping: LabelMap
    settings: Settings | None

    @classmethod
    def of(
        cls,
        engine: Engine,
        project_id: str,
        name: str,
        source: Path,
        *,
        mapping: LabelMap | None,
        options: ReadOptions | None,
        settings: Settings | None,
    ) -> "_Reading":
        spec = readable_format(name)
        with engine.connect() as connection:
            ontology = load_ontology(connection, project_id)
        options = options or ReadOptions()
        if settings is not None:  # the server: media only from the folder and the media root
            folder = source if source.is_dir() else source.parent
            roots = (folder,) if options.media_root is None else (folder, options.media_root)
            options = replace(options, media_confined_to=roots)
        return cls(spec, source, options, ontology, mapping or LabelMap(), settings)

    def samples(self, tally: MappingTally) -> Iterator[tuple[ForeignSample, Sample]]:
        """Every sample read, mapped (what mapping met counted in `tally`)."""
        assert self.spec.read is not None
        folder = self.source if self.source.is_dir() else self.source.parent
        for foreign in _records_checked(self.spec.read(self.source, self.options), self.source):
            sample = map_labels(foreign, self.ontology, self.mapping, tally)
            if self.settings is not None:
                sample = _kept_media(foreign, sample, self.settings, folder)
            yield foreign, sample

    def check(self, progress: ImportProgress | None) -> MappingTally:
        """Read, map and check every sample; the tally of what mapping met."""
        tally = MappingTally()
        for count, (foreign, sample) in enumerate(self.samples(tally), start=1):
            if progress is not None:
                progress("checked", count)
            if tally.unmapped or tally.unmapped_relations:
                continue  # the labels are reported together at the end
            try:
                check_sample(sample, self.ontology, allow_deprecated=False)
            except RuleViolation as error:
                raise foreign.origin_of(_record_id(sample, error.field)).error(
                    error.field, f"{error.detail} [rule: {error.rule}]"
                ) from error
        tally.raise_if_unmapped(self.ontology)
        return tally


def _local_absolute(uri: str) -> Path | None:
    """The real path of `uri` when it names a local file by an absolute path, else None
    (remote media, and relative paths, which are looked up in the media roots)."""
    scheme = urlsplit(uri).scheme.lower()
    if len(scheme) > 1 and scheme != "file":
        return None
    path = local_path(uri)
    return path.resolve() if path.is_absolute() else None


def _kept_media(foreign: ForeignSample, sample: Sample, settings: Settings, folder: Path) -> Sample:
    """The sample with its local media named as the server may keep them (see the module)."""
    inside = folder.resolve()
    roots = [root.resolve() for root in settings.media_roots]
    streams = []
    for index, stream in enumerate(sample.streams):
        path = None if stream.uri is None else _local_absolute(stream.uri)
        if path is not None and path.is_relative_to(inside):
            streams.append(stream.model_copy(update={"uri": path.relative_to(inside).as_posix()}))
        elif path is None or any(path.is_relative_to(root) for root in roots):
            streams.append(stream)
        else:
            raise foreign.origin.error(
                f"streams[{index}].uri",
                f"{stream.uri!r} lies outside the imported files and every folder of "
                "ROSETTA_MEDIA_ROOTS; give the media root it is in (media_root)",
            )
    return sample.model_copy(update={"streams": streams})


_RECORD = re.compile(r"^(annotations|entities|links|streams)\[(\d+)\]")


def _record_id(sample: Sample, field_path: str) -> str | None:
    """The id of the record a validation error's field path starts in
    (``annotations[3].geometry.x`` → the fourth annotation's id), to find where it was read."""
    found = _RECORD.match(field_path)
    if found is None:
        return None
    records: list[Any] = getattr(sample, found[1])
    index = int(found[2])
    return str(records[index].id) if index < len(records) else None


def _records_checked(read: Iterator[ForeignSample], source: Path) -> Iterator[ForeignSample]:
    """What `read` yields; a record a reader made that the schema refuses (a value from the
    document no check of the reader's caught: a NUL in a name) an `ImportFailed` naming
    the source, the record type and field, and where the last whole record was read."""
    after: Origin | None = None
    while True:
        try:
            foreign = next(read)
        except StopIteration:
            return
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = f"; the record after {after.file}:{after.line}" if after is not None else ""
            field = f"{exc.title}.{field_path(first['loc'])}" if first["loc"] else exc.title
            detail = f"{first['msg']} (got {first['input']!r:.60}){where}"
            raise ImportFailed(str(source), 0, field, detail) from None
        after = foreign.origin
        yield foreign


def check_foreign(
    engine: Engine,
    project_id: str,
    name: str,
    source: Path,
    *,
    mapping: LabelMap | None = None,
    options: ReadOptions | None = None,
    settings: Settings | None = None,
    progress: ImportProgress | None = None,
) -> MappingTally:
    """The first pass of `import_foreign`: read, map and check every sample, writing
    nothing; the tally of what mapping met (raises as the import would)."""
    reading = _Reading.of(
        engine, project_id, name, source, mapping=mapping, options=options, settings=settings
    )
    return reading.check(progress)


def import_foreign(
    engine: Engine,
    project_id: str,
    name: str,
    source: Path,
    actor: Actor,
    *,
    mapping: LabelMap | None = None,
    options: ReadOptions | None = None,
    batch_size: int = 500,
    new_ids: bool = False,
    settings: Settings | None = None,
    progress: ImportProgress | None = None,
) -> FormatImport:
    """Import the file (or folder) `source` in format `name` into the project (see the
    module: nothing is written unless every sample maps and validates); `new_ids` gives
    every record a fresh id, so that one file can be imported into two projects of a
    store (ids are unique across it). A sample whose external id the project holds is
    skipped, with or without `new_ids`, so an import that stopped half way (a failed or
    cancelled job) can be run again. `progress` hears of every sample of each pass."""
    reading = _Reading.of(
        engine, project_id, name, source, mapping=mapping, options=options, settings=settings
    )
    tally = reading.check(progress)
    # where the samples of the batch being written were read: the writer's errors (a media
    # file probed) name a sample by its position, the user wants the file and line
    origins: deque[tuple[int, Origin]] = deque(maxlen=batch_size + 1)
    try:
        report = import_samples(
            engine,
            project_id,
            _counted(reading.samples(MappingTally()), progress, origins),
            actor,
            batch_size=batch_size,
            new_ids=new_ids,
            settings=settings,
        )
    except ImportFailed as failed:
        origin = dict(origins).get(failed.line) if failed.file == SAMPLES_SOURCE else None
        if origin is None:
            raise
        raise origin.error(failed.field, failed.detail) from failed
    return FormatImport(name, str(source), report, dict(tally.dropped))


def _counted(
    samples: Iterator[tuple[ForeignSample, Sample]],
    progress: ImportProgress | None,
    origins: deque[tuple[int, Origin]],
) -> Iterator[Sample]:
    """The samples alone, each reported to `progress` and its origin kept in `origins` as
    it is handed on."""
    for count, (foreign, sample) in enumerate(samples, start=1):
        if progress is not None:
            progress("written", count)
        origins.append((count, foreign.origin))
        yield sample


def export_foreign(
    engine: Engine,
    project_id: str,
    name: str,
    out: Path,
    *,
    tracks: TrackForm = "sparse",
    progress: Callable[[int], None] | None = None,
) -> WriteReport:
    """Write the project in format `name` into the folder `out` (made if missing), with the
    dataset card (`rosetta.services.dataset_card`); the report lists the card's files too.
    `progress` is called with the number of samples handed to the writer so far."""
    spec = writable_format(name)
    assert spec.write is not None
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    report = spec.write(_exported(engine, project_id, tracks, progress), ontology, out)
    parameters = ExportParameters(
        format=name,
        tracks=tracks,
        files=report.files,
        samples=report.samples,
        annotations=report.annotations,
        not_carried=report.not_carried,
    )
    write_dataset_card(engine, project_id, out, parameters)
    return replace(report, files=[*report.files, *CARD_FILES])


def _exported(
    engine: Engine, project_id: str, tracks: TrackForm, progress: Callable[[int], None] | None
) -> Iterator[Sample]:
    """The project's samples, each reported to `progress` once the writer took it."""
    for count, (_, line) in enumerate(sample_lines(engine, project_id, tracks=tracks), start=1):
        yield Sample.model_validate_json(line)
        if progress is not None:
            progress(count)
