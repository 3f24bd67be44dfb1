"""Importing and exporting the file formats other tools use
(`rosetta.formats.registry`), through the native records.

**Import** reads the foreign file twice, streaming both times. The first pass maps every
label onto the ontology (`rosetta.formats.label_map`) and checks every sample against it
and against its media (`rosetta.core.validation.check_sample`); any label that maps to
nothing stops it with the list of all of them (`UnmappedLabels`), and the first sample that
breaks a rule stops it with the file, line or element, field and rule (`ImportFailed`):
either way nothing is written. The second pass writes through the native importer
(`import_samples`: batches, one `import` event per sample, idempotent by external id).

**Export** streams the project's samples (the exporter's SQL-built lines) into the
format's writer, in the output folder, beside a dataset card
(`rosetta.services.dataset_card`) that records what was exported and how.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.core.validation import check_sample
from rosetta.formats.interchange import (
    CARD_FILES,
    ForeignSample,
    FormatSpec,
    ReadOptions,
    WriteReport,
)
from rosetta.formats.label_map import LabelMap, MappingTally, map_labels
from rosetta.formats.registry import format_spec
from rosetta.services.dataset_card import ExportParameters, write_dataset_card
from rosetta.services.exporter import TrackForm, sample_lines
from rosetta.services.importer import ImportReport, import_samples
from rosetta.services.projects import load_ontology
from rosetta.services.settings import Settings
from rosetta.store.events import Actor


@dataclass(frozen=True)
class FormatImport:
    """What a format import did: the native import's counts, and the annotations left out
    per label the mapping dropped."""

    format: str
    source: str
    imported: ImportReport
    dropped: dict[str, int] = field(default_factory=dict)


def _readable(name: str) -> FormatSpec:
    spec = format_spec(name)
    if spec.read is None:
        raise RosettaError(f"format {name!r} can be exported only")
    return spec


def _mapped(
    spec: FormatSpec,
    source: Path,
    *,
    options: ReadOptions,
    ontology: Ontology,
    mapping: LabelMap,
    tally: MappingTally,
) -> Iterator[tuple[ForeignSample, Sample]]:
    assert spec.read is not None
    for foreign in spec.read(source, options):
        yield foreign, map_labels(foreign, ontology, mapping, tally)


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


def check_foreign(
    engine: Engine,
    project_id: str,
    name: str,
    source: Path,
    *,
    mapping: LabelMap | None = None,
    options: ReadOptions | None = None,
) -> MappingTally:
    """The first pass of `import_foreign`: read, map and check every sample, writing
    nothing; the tally of what mapping met (raises as the import would)."""
    spec = _readable(name)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    tally = MappingTally()
    for foreign, sample in _mapped(
        spec,
        source,
        options=options or ReadOptions(),
        ontology=ontology,
        mapping=mapping or LabelMap(),
        tally=tally,
    ):
        if tally.unmapped or tally.unmapped_relations:
            continue  # the labels are reported together at the end
        try:
            check_sample(sample, ontology, allow_deprecated=False)
        except RuleViolation as error:
            raise foreign.origin_of(_record_id(sample, error.field)).error(
                error.field, f"{error.detail} [rule: {error.rule}]"
            ) from error
    tally.raise_if_unmapped(ontology)
    return tally


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
) -> FormatImport:
    """Import the file (or folder) `source` in format `name` into the project (see the
    module: nothing is written unless every sample maps and validates); `new_ids` gives
    every record a fresh id, so that one file can be imported into two projects of a
    store (ids are unique across it)."""
    spec = _readable(name)
    chosen = options or ReadOptions()
    labels = mapping or LabelMap()
    tally = check_foreign(engine, project_id, name, source, mapping=labels, options=chosen)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    again = MappingTally()
    report = import_samples(
        engine,
        project_id,
        (
            sample
            for _, sample in _mapped(
                spec, source, options=chosen, ontology=ontology, mapping=labels, tally=again
            )
        ),
        actor,
        batch_size=batch_size,
        new_ids=new_ids,
        settings=settings,
    )
    return FormatImport(name, str(source), report, dict(tally.dropped))


def export_foreign(
    engine: Engine, project_id: str, name: str, out: Path, *, tracks: TrackForm = "sparse"
) -> WriteReport:
    """Write the project in format `name` into the folder `out` (made if missing), with the
    dataset card (`rosetta.services.dataset_card`); the report lists the card's files too."""
    spec = format_spec(name)
    if spec.write is None:
        raise RosettaError(f"format {name!r} can be imported only")
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project_id)
    samples = (
        Sample.model_validate_json(line)
        for _, line in sample_lines(engine, project_id, tracks=tracks)
    )
    report = spec.write(samples, ontology, out)
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
