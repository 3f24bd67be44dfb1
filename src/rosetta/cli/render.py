"""Rich renderings for the CLI: the ontology tree, history, the review queue, reports."""

import datetime as dt
from typing import Any

import orjson
from rich.table import Table
from rich.tree import Tree

from rosetta.core.ontology import Ontology
from rosetta.services.exporter import ExportReport
from rosetta.services.importer import ImportReport
from rosetta.services.ontology_migrations import MigrationReport
from rosetta.services.review import ReviewQueue
from rosetta.store.events import IMPORTED, Event

SHORT = 48


def short(value: Any, limit: int = SHORT) -> str:
    """A one-line rendering of a JSON value, cut to `limit` characters.

    A geometry-like object (one with a ``type``) reads ``box x=0 y=0 w=96 h=512``.
    """
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        fields = " ".join(
            f"{key}={item}" for key, item in value.items() if key != "type" and item is not None
        )
        text = f"{value['type']} {fields}".strip()
    elif isinstance(value, str):
        text = value
    else:
        text = orjson.dumps(value).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_summary(before: Any, after: Any) -> str:
    """What an event changed: the fields that differ, each ``old → new`` (the revision has
    its own column)."""
    if before is None and after is None:
        return ""
    if before is None:
        return f"created {_record(after)}"
    if after is None:
        return f"deleted {_record(before)}"
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [
            key
            for key in {**before, **after}
            if key != "revision" and before.get(key) != after.get(key)
        ]
        return "; ".join(
            f"{key}: {short(before.get(key))} → {short(after.get(key))}" for key in keys
        )
    return f"{short(before)} → {short(after)}"


def _record(value: Any) -> str:
    if not isinstance(value, dict):
        return short(value)
    if "geometry" in value:
        return f"{value.get('label')} {short(value['geometry'])}"
    if "source" in value and "target" in value:
        return f"{value.get('type')} {value['source']} → {value['target']} ({value.get('status')})"
    if "members" in value:
        label = f"{value['label']} " if value.get("label") else ""
        return f"entity {label}of {len(value['members'])} annotations"
    if "classes" in value:
        return f"ontology version {value.get('version')} ({len(value['classes'])} classes)"
    return short(value)


def history_table(object_id: str, history: list[Event]) -> Table:
    """Every event about one object, oldest first."""
    table = Table(title=f"History of {object_id}", title_justify="left")
    for column in ("when", "actor", "tool", "action", "rev"):
        table.add_column(column, no_wrap=column in ("when", "action", "rev"), overflow="fold")
    table.add_column("change", overflow="fold", ratio=1)
    for event in history:
        when = dt.datetime.fromtimestamp(event.at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        tool = " ".join(part for part in (event.tool, event.tool_version) if part)
        if event.object_kind == "sample" and event.action == "import":
            counts = ", ".join(f"{len(event.after.get(part, []))} {part}" for part in IMPORTED)
            change = f"sample {event.object_id} imported: {counts}"
        else:
            change = change_summary(event.before, event.after)
        if event.note:
            change = f"{change} ({event.note})" if change else event.note
        table.add_row(
            when,
            event.actor,
            tool,
            event.action,
            "" if event.revision is None else str(event.revision),
            change,
        )
    return table


def ontology_tree(ontology: Ontology) -> Tree:
    """Classes as an is-a tree with their attributes and allowed geometries."""
    tree = Tree(f"[bold]{ontology.name}[/] version {ontology.version}")
    children: dict[str | None, list[str]] = {}
    for cls in ontology.classes:
        children.setdefault(cls.parent, []).append(cls.name)

    def grow(node: Tree, name: str) -> None:
        cls = ontology.class_map[name]
        notes = [
            f"{a.name}: {a.type}" + (f" {a.values}" if a.values else "") for a in cls.attributes
        ]
        if cls.geometries:
            notes.append(f"geometries {', '.join(cls.geometries)}")
        label = f"[bold]{name}[/]" + (" [red](deprecated)[/]" if cls.deprecated else "")
        if notes:
            label += f" [dim]— {'; '.join(notes)}[/]"
        branch = node.add(label)
        for child in children.get(name, []):
            grow(branch, child)

    for root in children.get(None, []):
        grow(tree, root)
    return tree


def relations_table(ontology: Ontology) -> Table:
    """Relation types with their endpoint rules."""
    table = Table(title="Relation types", title_justify="left")
    for column in ("relation", "directed", "source", "target"):
        table.add_column(column, overflow="fold")
    for relation in ontology.relations:
        ends = []
        for rule in (relation.source, relation.target):
            parts = [
                f"{name} {', '.join(str(v) for v in values)}"
                for name, values in (
                    ("modalities", rule.modalities),
                    ("geometries", rule.geometries),
                    ("classes", rule.classes),
                )
                if values
            ]
            if not rule.entity:
                parts.append("no entities")
            ends.append("; ".join(parts) or "any")
        name = relation.name + (" (deprecated)" if relation.deprecated else "")
        table.add_row(name, "yes" if relation.directed else "no", *ends)
    return table


def review_tables(queue: ReviewQueue) -> list[Table]:
    """The stale links and the flagged annotations of one review page."""
    links = Table(title=f"Stale links ({len(queue.stale_links)})", title_justify="left")
    for column in ("sample", "link", "type", "source", "target", "revision"):
        links.add_column(column, overflow="fold")
    for link in queue.stale_links:
        links.add_row(
            queue.sample_of[link.id],
            link.id,
            link.type,
            link.source,
            link.target,
            str(link.revision),
        )
    flagged = Table(title=f"Flagged annotations ({len(queue.flagged)})", title_justify="left")
    for column in ("sample", "annotation", "label", "flags", "revision"):
        flagged.add_column(column, overflow="fold")
    for annotation in queue.flagged:
        flagged.add_row(
            queue.sample_of[annotation.id],
            annotation.id,
            annotation.label,
            ", ".join(annotation.flags),
            str(annotation.revision),
        )
    return [links, flagged]


def import_summary(report: ImportReport) -> str:
    """One line about an import."""
    return (
        f"{report.file}: {report.lines_read} lines read, {report.samples_written} samples written, "
        f"{report.samples_skipped} skipped (already imported); {report.annotations} annotations, "
        f"{report.entities} entities, {report.links} links in {report.seconds:.1f} s"
    )


def export_summary(report: ExportReport, target: str) -> str:
    """One line about an export."""
    return (
        f"{target}: {report.samples} samples, {report.annotations} annotations, "
        f"{report.entities} entities, {report.links} links in {report.seconds:.1f} s"
    )


def migration_summary(report: MigrationReport) -> Table:
    """What an ontology migration did to the project."""
    table = Table(
        title=f"Ontology version {report.from_version} → {report.to_version}", title_justify="left"
    )
    table.add_column("effect")
    table.add_column("count", justify="right")
    for label, count in sorted(report.relabelled.items()):
        table.add_row(f"relabelled from {label}", str(count))
    table.add_row("annotations flagged for review", str(report.flagged))
    table.add_row("links turned stale", str(report.stale_links))
    for rule in report.dropped_rules:
        table.add_row(f"attribute rule dropped: {rule}", "1")
    return table
