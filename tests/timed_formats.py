"""What the tests of the timed-tier formats (ELAN, TextGrid, WebVTT, SRT) share: the
fixtures' folder, an ontology with the relations ELAN's dependent tiers make, and the
store's row counts."""

from pathlib import Path

from sqlalchemy import Engine, func, select

from conftest import SHARED
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample
from rosetta.services.exporter import sample_lines
from rosetta.store.tables import annotations, entities, events, links, samples, streams

FIXTURES = SHARED / "fixtures" / "formats"

#: The demo ontology's speech, person and speaker-of, with classes for ELAN's vocabulary
#: entries and the relations of its dependent tiers.
TIMED_ONTOLOGY = Ontology.model_validate(
    {
        "name": "timed-test",
        "classes": [
            {"name": "person"},
            {"name": "speech", "geometries": ["interval", "transcript"]},
            {"name": "language", "geometries": ["interval"]},
            {"name": "marker", "geometries": ["interval", "transcript"]},
        ],
        "relations": [
            {
                "name": "speaker-of",
                "source": {"classes": ["person"]},
                "target": {
                    "geometries": ["transcript", "interval"],
                    "classes": ["speech"],
                    "entity": False,
                },
            },
            {"name": "part-of", "source": {"entity": False}, "target": {"entity": False}},
            {"name": "associated-with", "source": {"entity": False}, "target": {"entity": False}},
            {"name": "same-as", "directed": False},
        ],
    }
)


def counts(engine: Engine) -> tuple[int, ...]:
    """Rows of the tables an import writes."""
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, streams, annotations, entities, links, events)
        )


def stored(engine: Engine, project_id: str) -> list[Sample]:
    """The project's samples as the exporter gives them."""
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def records(sample: Sample) -> list[tuple[str, str, object]]:
    """(id without the sample's prefix, label, geometry) of each annotation."""
    return [(_local(sample, a), a.label, a.geometry) for a in sample.annotations]


def link_ends(sample: Sample) -> list[tuple[str, str, str]]:
    """(type, source, target) of each link, ids without the sample's prefix."""
    prefix = f"{sample.id}."
    return sorted(
        (k.type, k.source.removeprefix(prefix), k.target.removeprefix(prefix)) for k in sample.links
    )


def _local(sample: Sample, annotation: Annotation) -> str:
    return annotation.id.removeprefix(f"{sample.id}.")


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """A file `name` in `folder` holding `text`."""
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path
