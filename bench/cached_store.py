"""A benchmark's store, built once into its work folder and kept for later runs.

Built under a ``.partial`` name and renamed into place, so that a build killed half-way
leaves nothing that a later run would take for a whole store.
"""

import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

#: The ontology every benchmark project uses: the demo's.
ONTOLOGY = Path(__file__).resolve().parents[1] / "src" / "rosetta" / "demo" / "ontology.yaml"
_ACTOR = Actor("bench")


def cached_store(db: Path, project: str, fill: Callable[[Engine, str], None]) -> Path:
    """The SQLite store `db`; when missing, built with the project `project` (the demo
    ontology) and filled by ``fill(engine, project_id)``, timed on standard error."""
    if db.exists():
        return db
    partial = db.with_suffix(".partial")
    for leftover in db.parent.glob(partial.name + "*"):
        leftover.unlink()
    engine = open_store(f"sqlite:///{partial}")
    made = create_project(engine, project, load_ontology_file(ONTOLOGY), _ACTOR)
    started = time.perf_counter()
    fill(engine, made.id)
    print(f"built {db.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    engine.dispose()
    partial.rename(db)
    for lock in db.parent.glob(partial.name + "*"):
        lock.unlink()  # the writers' lock file the store left beside it
    return db
