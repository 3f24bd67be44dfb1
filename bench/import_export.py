"""Import/export benchmark: ``python bench/import_export.py --n 10000 100000``.

For each N it generates a synthetic project (`generate.py`), then runs, each in its own
subprocess so that the peak RSS is that run's alone:

- **import**: `import_jsonl` into a fresh SQLite store (samples/s, annotations/s, rows/s);
- **export**: `export_jsonl` of that project, checked to be byte-identical to the input;
- **baseline**: the same rows (every row the import inserted, read back as prebuilt tuples)
  inserted into a fresh store with the same schema, indexes and pragmas by raw ``sqlite3``
  ``executemany`` in one transaction (rows/s).

It prints one table and the import row rate as a percentage of the baseline. Results
are noisy on shared machines; ``--repeat`` keeps the best of several runs.
"""

import argparse
import filecmp
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from generate import generate
from rosetta.services.exporter import export_jsonl
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import create_project, find_project, load_ontology_file
from rosetta.store.engine import make_engine, open_store
from rosetta.store.events import Actor
from rosetta.store.tables import (
    annotations,
    entities,
    entity_members,
    events,
    links,
    metadata,
    samples,
    streams,
)

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"
ACTOR = Actor("bench")
PROJECT = "bench"
#: The tables an import fills, parents first.
IMPORTED = (samples, streams, annotations, entities, entity_members, links, events)
BASELINE_SLICE = 200_000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def _imported_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in IMPORTED
        )


def run_import(db: Path, source: Path, batch_size: int) -> dict[str, Any]:
    """Child: import `source` into a fresh store at `db`."""
    engine = open_store(_url(db))
    project = create_project(engine, PROJECT, load_ontology_file(ONTOLOGY), ACTOR)
    report = import_jsonl(engine, project.id, source, ACTOR, batch_size=batch_size)
    return {
        "seconds": report.seconds,
        "samples": report.samples_written,
        "annotations": report.annotations,
        "rows": _imported_rows(engine),
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_export(db: Path, out: Path) -> dict[str, Any]:
    """Child: export the project of the store at `db` to `out`."""
    engine = make_engine(_url(db))
    with engine.connect() as connection:
        project = find_project(connection, PROJECT)
    with out.open("wb") as handle:
        report = export_jsonl(engine, project.id, handle)
    return {
        "seconds": report.seconds,
        "samples": report.samples,
        "annotations": report.annotations,
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_baseline(source_db: Path, db: Path) -> dict[str, Any]:
    """Child: insert the imported rows of `source_db` into a fresh store at `db` with sqlite3."""
    source = make_engine(_url(source_db))
    target = open_store(_url(db))
    with source.connect() as reader, target.begin() as writer:
        for table in (metadata.tables["projects"], metadata.tables["ontology_versions"]):
            writer.execute(table.insert(), [row._asdict() for row in reader.execute(select(table))])
    raw = target.raw_connection()  # the sqlite3 connection, with the store's pragmas applied
    driver = raw.driver_connection
    assert driver is not None
    driver.execute("BEGIN")  # the store leaves beginning transactions to the caller
    seconds = 0.0
    rows = 0
    with source.connect() as reader:
        for table in IMPORTED:
            columns = [column for column in table.columns if column.name != "pk"]
            names = ", ".join(f'"{column.name}"' for column in columns)
            sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
            result = reader.execute(select(*columns).order_by(table.c.pk)).tuples()
            while chunk := result.fetchmany(BASELINE_SLICE):
                prebuilt = [tuple(row) for row in chunk]
                started = time.perf_counter()
                driver.executemany(sql, prebuilt)
                seconds += time.perf_counter() - started
                rows += len(prebuilt)
    started = time.perf_counter()
    driver.commit()
    seconds += time.perf_counter() - started
    raw.close()
    return {"seconds": seconds, "rows": rows}


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def bench(count: int, workdir: Path, batch_size: int, repeat: int) -> dict[str, Any]:
    """Every figure for one N (best of `repeat` runs each)."""
    source = workdir / f"bench-{count}.jsonl"
    if not source.exists():
        generate(count, source)
    db = workdir / f"import-{count}.db"
    out = workdir / f"export-{count}.jsonl"
    base_db = workdir / f"baseline-{count}.db"
    imported: list[dict[str, Any]] = []
    exported: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    for _ in range(repeat):
        imported.append(_child("import", str(_fresh(db)), str(source), str(batch_size)))
        exported.append(_child("export", str(db), str(out)))
        if not filecmp.cmp(source, out, shallow=False):
            raise SystemExit(f"export of {count} samples differs from its input {source}")
        baseline.append(_child("baseline", str(db), str(_fresh(base_db))))
    best_import = min(imported, key=lambda run: run["seconds"])
    best_export = min(exported, key=lambda run: run["seconds"])
    best_baseline = min(baseline, key=lambda run: run["seconds"])
    for path in (db, base_db, out):
        _fresh(path)
    return {
        "n": count,
        "file_mb": source.stat().st_size / 2**20,
        "import": best_import | {"peak_rss_mb": max(run["peak_rss_mb"] for run in imported)},
        "export": best_export | {"peak_rss_mb": max(run["peak_rss_mb"] for run in exported)},
        "baseline": best_baseline,
    }


def _table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| N | file MB | import s | import samples/s | import annotations/s | import rows/s "
        "| import peak RSS MB | baseline rows/s | import vs baseline | export s "
        "| export samples/s | export annotations/s | export peak RSS MB |",
        "|" + "---|" * 13,
    ]
    for result in results:
        imp, exp, base = result["import"], result["export"], result["baseline"]
        import_rows = imp["rows"] / imp["seconds"]
        base_rows = base["rows"] / base["seconds"]
        lines.append(
            f"| {result['n']:,} | {result['file_mb']:.0f} | {imp['seconds']:.2f} "
            f"| {imp['samples'] / imp['seconds']:,.0f} | {imp['annotations'] / imp['seconds']:,.0f} "
            f"| {import_rows:,.0f} | {imp['peak_rss_mb']:.0f} | {base_rows:,.0f} "
            f"| {100 * import_rows / base_rows:.0f}% | {exp['seconds']:.2f} "
            f"| {exp['samples'] / exp['seconds']:,.0f} | {exp['annotations'] / exp['seconds']:,.0f} "
            f"| {exp['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command line."""
    if len(sys.argv) > 1 and sys.argv[1] in ("import", "export", "baseline"):
        role, *values = sys.argv[1:]
        if role == "import":
            result = run_import(Path(values[0]), Path(values[1]), int(values[2]))
        elif role == "export":
            result = run_export(Path(values[0]), Path(values[1]))
        else:
            result = run_baseline(Path(values[0]), Path(values[1]))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the best counts")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rosetta-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        results = []
        for count in args.n:
            results.append(bench(count, workdir, args.batch_size, args.repeat))
            print(_table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, batch size {args.batch_size}")
    print(_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
