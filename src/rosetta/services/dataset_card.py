"""The dataset card written beside every export: what the export holds, under which
ontology, who and which tools and models made its annotations, what quality assurance
found and decided, and how it was exported — the documented, auditable trail that
human-oversight rules (EU AI Act, Art. 14) ask for.

Three files go into the export's folder: ``dataset_card.json`` (the `dataset_card`
object), ``README.md`` (a Hugging Face dataset card: YAML front matter with the pretty
name, tags, size category and, for Parquet files, one configuration per table; then the
same facts as Markdown) and ``ontology.json`` (the ontology version the labels belong to).

Every number is counted by the database (``GROUP BY`` queries over the project's rows and
events, `rosetta.services.findings.findings_summary` for the findings): the project is
never loaded.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
import yaml
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Engine,
    Table,
    cast,
    func,
    literal_column,
    select,
)

import rosetta
from rosetta.services.exporter import TrackForm
from rosetta.services.findings import findings_summary
from rosetta.services.projects import find_project, load_ontology
from rosetta.store.tables import annotations, entities, events, links, reviews, samples, streams

#: The files the card is made of, in the order written.

#: Hugging Face's size categories (by number of samples), smallest first.
_SIZES: Final = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
)
_SHARD_SUFFIX = re.compile(r"-\d+$")


@dataclass(frozen=True)
class ExportParameters:
    """How an export was made: the format, the form of tracks, the files written (relative
    to the folder), what the writer counted, what the format could not carry and where it
    went, and the format's own options (a shard size)."""

    format: str
    tracks: TrackForm = "sparse"
    files: list[str] = field(default_factory=list)
    samples: int | None = None
    annotations: int | None = None
    not_carried: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def _json_member(connection: Connection, column: ColumnElement[Any], key: str) -> Any:
    """The text of member `key` (a plain name) of the JSON object stored as text in
    `column`. The key is written into the statement, not bound, so that the same
    expression in ``SELECT`` and ``GROUP BY`` is the same SQL."""
    if connection.dialect.name == "postgresql":
        return func.json_extract_path_text(cast(column, JSON), literal_column(f"'{key}'"))
    return func.json_extract(column, literal_column(f"'$.{key}'"))


def _count(connection: Connection, table: Table, project_id: str) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(table).where(table.c.project_id == project_id)
        ).scalar_one()
    )


def _grouped(connection: Connection, statement: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(statement)]


def _counts(connection: Connection, project_id: str) -> dict[str, Any]:
    in_project = annotations.c.project_id == project_id
    modality = (
        select(streams.c.modality, func.count())
        .join(samples, samples.c.id == streams.c.sample_id)
        .where(samples.c.project_id == project_id)
        .group_by(streams.c.modality)
        .order_by(streams.c.modality)
    )
    label = (
        select(annotations.c.label, func.count())
        .where(in_project)
        .group_by(annotations.c.label)
        .order_by(annotations.c.label)
    )
    geometry_type = _json_member(connection, annotations.c.geometry, "type")
    geometry = (
        select(geometry_type, func.count())
        .where(in_project)
        .group_by(geometry_type)
        .order_by(geometry_type)
    )
    relation = (
        select(links.c.type, func.count())
        .where(links.c.project_id == project_id)
        .group_by(links.c.type)
        .order_by(links.c.type)
    )
    return {
        "samples": _count(connection, samples, project_id),
        "annotations": _count(connection, annotations, project_id),
        "entities": _count(connection, entities, project_id),
        "links": _count(connection, links, project_id),
        "streams_by_modality": dict(_grouped(connection, modality)),
        "annotations_by_label": dict(_grouped(connection, label)),
        "annotations_by_geometry": dict(_grouped(connection, geometry)),
        "links_by_type": dict(_grouped(connection, relation)),
    }


def _annotators(connection: Connection, project_id: str) -> list[dict[str, Any]]:
    """Each author (none: ``null``) with how many annotations, entities and links are theirs."""
    made: defaultdict[str | None, dict[str, int]] = defaultdict(
        lambda: {"annotations": 0, "entities": 0, "links": 0}
    )
    for kind, table in (("annotations", annotations), ("entities", entities), ("links", links)):
        statement = (
            select(table.c.author, func.count())
            .where(table.c.project_id == project_id)
            .group_by(table.c.author)
        )
        for author, count in connection.execute(statement):
            made[author][kind] = int(count)
    ordered = sorted(made.items(), key=lambda item: (-item[1]["annotations"], item[0] or ""))
    return [{"author": author, **counts} for author, counts in ordered]


def _sources(connection: Connection, project_id: str) -> list[dict[str, Any]]:
    """The annotations counted by where they came from (source kind, name and version)."""
    parts = [
        _json_member(connection, annotations.c.source, key) for key in ("kind", "name", "version")
    ]
    statement = (
        select(*parts, func.count()).where(annotations.c.project_id == project_id).group_by(*parts)
    )
    rows = _grouped(connection, statement)
    return [
        {"kind": kind, "name": name, "version": version, "annotations": int(count)}
        for kind, name, version, count in sorted(
            rows, key=lambda row: (-row[3], str(row[0]), str(row[1]), str(row[2]))
        )
    ]


def _tools(connection: Connection, project_id: str) -> list[dict[str, Any]]:
    """The project's events counted by the tool (and version) that made them, with how many
    people used each."""
    statement = (
        select(
            events.c.tool,
            events.c.tool_version,
            func.count(),
            func.count(func.distinct(events.c.actor)),
        )
        .where(events.c.project_id == project_id)
        .group_by(events.c.tool, events.c.tool_version)
    )
    rows = _grouped(connection, statement)
    return [
        {"tool": tool, "version": version, "events": int(count), "people": int(people)}
        for tool, version, count, people in sorted(
            rows, key=lambda row: (-row[2], str(row[0]), str(row[1]))
        )
    ]


def _verdicts(connection: Connection, project_id: str) -> dict[str, dict[str, int]]:
    """The latest review decision on each sample (its verdict) and on each annotation that
    still exists, counted by decision."""
    latest = (
        select(func.max(reviews.c.pk))
        .where(reviews.c.project_id == project_id)
        .group_by(reviews.c.object_kind, reviews.c.object_id)
    )
    on_samples = (
        select(reviews.c.decision, func.count())
        .where(reviews.c.pk.in_(latest), reviews.c.object_kind == "sample")
        .group_by(reviews.c.decision)
    )
    on_annotations = (
        select(reviews.c.decision, func.count())
        .join(annotations, annotations.c.id == reviews.c.object_id)
        .where(reviews.c.pk.in_(latest), reviews.c.object_kind == "annotation")
        .group_by(reviews.c.decision)
    )
    return {
        "samples": dict(sorted(_grouped(connection, on_samples))),
        "annotations": dict(sorted(_grouped(connection, on_annotations))),
    }


def _quality(connection: Connection, project_id: str) -> dict[str, Any]:
    summary = findings_summary(connection, project_id)
    by_status: defaultdict[str, int] = defaultdict(int)
    for item in summary.checks:
        by_status[item.status] += item.count
    return {
        "findings": {
            "total": summary.total,
            "by_status": dict(sorted(by_status.items())),
            "open_by_check": [
                {"check": item.check, "severity": item.severity.value, "open": item.count}
                for item in summary.checks
                if item.status == "open"
            ],
        },
        "verdicts": _verdicts(connection, project_id),
    }


def dataset_card(
    connection: Connection, project_id: str, parameters: ExportParameters
) -> dict[str, Any]:
    """The card of an export of the project made with `parameters` (see the module)."""
    project = find_project(connection, project_id)
    ontology = load_ontology(connection, project.id)
    by_version = (
        select(annotations.c.ontology_version, func.count())
        .where(annotations.c.project_id == project.id)
        .group_by(annotations.c.ontology_version)
        .order_by(annotations.c.ontology_version)
    )
    return {
        "project": {"id": project.id, "name": project.name},
        "ontology": {
            "name": ontology.name,
            "version": ontology.version,
            "classes": len(ontology.classes),
            "relations": len(ontology.relations),
            "file": "ontology.json",
            "annotations_by_version": {
                "none" if version is None else str(version): int(count)
                for version, count in connection.execute(by_version)
            },
        },
        "counts": _counts(connection, project.id),
        "annotators": _annotators(connection, project.id),
        "sources": _sources(connection, project.id),
        "tools": _tools(connection, project.id),
        "quality": _quality(connection, project.id),
        "export": {
            "format": parameters.format,
            "tracks": parameters.tracks,
            "options": parameters.options,
            "files": parameters.files,
            "samples": parameters.samples,
            "annotations": parameters.annotations,
            "not_carried": parameters.not_carried,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rosetta_version": rosetta.__version__,
        },
    }


def _size_category(samples: int) -> str:
    return next((name for limit, name in _SIZES if samples < limit), "n>100M")


def _configs(files: list[str]) -> list[dict[str, Any]]:
    """One Hugging Face configuration per Parquet table (numbered shards of one table
    together, as a pattern)."""
    tables: dict[str, list[str]] = {}
    for name in files:
        if name.endswith(".parquet"):
            tables.setdefault(_SHARD_SUFFIX.sub("", name.removesuffix(".parquet")), []).append(name)
    return [
        {
            "config_name": table,
            "data_files": [
                {"split": "train", "path": names[0] if len(names) == 1 else f"{table}-*.parquet"}
            ],
        }
        for table, names in tables.items()
    ]


def _cell(value: Any) -> str:
    text = "–" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "None.\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def card_readme(card: dict[str, Any]) -> str:
    """The card as a Hugging Face ``README.md``: YAML front matter, then Markdown."""
    export, counts, ontology = card["export"], card["counts"], card["ontology"]
    front: dict[str, Any] = {
        "pretty_name": card["project"]["name"],
        "tags": ["rosetta", export["format"]],
        "size_categories": [_size_category(counts["samples"])],
    }
    configs = _configs(export["files"])
    if configs:
        front["configs"] = configs
    findings = card["quality"]["findings"]
    verdicts = card["quality"]["verdicts"]
    carried = export["not_carried"]
    sections = [
        f"# {card['project']['name']}\n",
        f"Exported from Rosetta {export['rosetta_version']} on {export['exported_at']} as "
        f"**{export['format']}**. This card records what the export holds, under which "
        "ontology, who and which tools and models made its annotations, what quality "
        "assurance found and decided, and how it was exported: the trail of human "
        "oversight (EU AI Act, Art. 14). `dataset_card.json` holds the same facts.\n",
        "## Ontology\n",
        f"{_cell(ontology['name'])}, version {ontology['version']} (`ontology.json`): "
        f"{ontology['classes']} classes, {ontology['relations']} relation types.\n",
        _table(
            ["made under ontology version", "annotations"],
            [[k, v] for k, v in ontology["annotations_by_version"].items()],
        ),
        "## Contents\n",
        _table(
            ["records", "count"],
            [[name, counts[name]] for name in ("samples", "annotations", "entities", "links")]
            + [[f"{m} streams", n] for m, n in counts["streams_by_modality"].items()],
        ),
        "### Annotations by label\n",
        _table(
            ["label", "annotations"], [[k, v] for k, v in counts["annotations_by_label"].items()]
        ),
        "### Annotations by geometry\n",
        _table(
            ["geometry", "annotations"],
            [[k, v] for k, v in counts["annotations_by_geometry"].items()],
        ),
        "### Links by type\n",
        _table(["relation", "links"], [[k, v] for k, v in counts["links_by_type"].items()]),
        "## Who annotated\n",
        _table(
            ["author", "annotations", "entities", "links"],
            [
                [a["author"], a["annotations"], a["entities"], a["links"]]
                for a in card["annotators"]
            ],
        ),
        "## Tools and models\n",
        "Where the annotations came from (`human`: drawn by a person; `model`: a model's "
        "candidate; `import`: read from a file):\n",
        _table(
            ["kind", "name", "version", "annotations"],
            [[s["kind"], s["name"], s["version"], s["annotations"]] for s in card["sources"]],
        ),
        "The tools every recorded change was made with:\n",
        _table(
            ["tool", "version", "events", "people"],
            [[t["tool"], t["version"], t["events"], t["people"]] for t in card["tools"]],
        ),
        "## Quality assurance\n",
        f"{findings['total']} findings: "
        + (", ".join(f"{n} {status}" for status, n in findings["by_status"].items()) or "none")
        + ".\n",
        _table(
            ["check", "severity", "open findings"],
            [[f["check"], f["severity"], f["open"]] for f in findings["open_by_check"]],
        ),
        "Latest review decisions:\n",
        _table(
            ["on", "decision", "count"],
            [
                [kind, decision, n]
                for kind, made in verdicts.items()
                for decision, n in made.items()
            ],
        ),
        "## Export\n",
        _table(
            ["parameter", "value"],
            [
                ["format", export["format"]],
                ["tracks", export["tracks"]],
                *[
                    [name, orjson.dumps(value).decode()]
                    for name, value in export["options"].items()
                ],
                ["samples written", export["samples"]],
                ["annotations written", export["annotations"]],
                ["files", ", ".join(export["files"])],
                ["exported at", export["exported_at"]],
                ["Rosetta version", export["rosetta_version"]],
            ],
        ),
    ]
    if carried:
        sections += [
            "What the format cannot carry, and where it went:\n",
            _table(["records", "where"], [[k, v] for k, v in sorted(carried.items())]),
        ]
    matter = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    return f"---\n{matter}---\n\n" + "\n".join(sections)


def write_dataset_card(
    engine: Engine, project_id: str, out: Path, parameters: ExportParameters
) -> dict[str, Any]:
    """Write `CARD_FILES` into the folder `out`; the card."""
    with engine.connect() as connection:
        card = dataset_card(connection, project_id, parameters)
        ontology = load_ontology(connection, card["project"]["id"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "dataset_card.json").write_bytes(orjson.dumps(card, option=orjson.OPT_INDENT_2) + b"\n")
    (out / "README.md").write_text(card_readme(card), encoding="utf-8")
    (out / "ontology.json").write_bytes(
        orjson.dumps(
            ontology.model_dump(mode="json", exclude_none=True), option=orjson.OPT_INDENT_2
        )
        + b"\n"
    )
    return card
