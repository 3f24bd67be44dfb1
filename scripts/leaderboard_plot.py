"""Write the leaderboard plot of a preference report to ``docs/images/preference_leaderboard.svg``.

``.venv/bin/python scripts/leaderboard_plot.py`` imports the synthetic preference project
of ``bench/preference_report.py`` (`--n` samples, three evaluators, five models of known
strength) into a temporary SQLite store and draws the report's Bradley–Terry leaderboard
(`rosetta.services.preference_plots.leaderboard`); ``--db URL --project NAME`` draws an
existing project's instead.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from rosetta.services.importer import import_samples
from rosetta.services.preference_plots import leaderboard
from rosetta.services.preference_report import preference_report
from rosetta.services.projects import create_project, find_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "docs" / "images" / "preference_leaderboard.svg"
ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"


def draw(url: str, project_name: str, target: Path) -> None:
    """Draw the leaderboard of the project `project_name` in the store at `url` to `target`."""
    engine = open_store(url)
    try:
        with engine.connect() as connection:
            project = find_project(connection, project_name)
            report = preference_report(connection, project.id)
    finally:
        engine.dispose()
    svg = leaderboard(report.stats.bradley_terry)
    if svg is None:
        raise SystemExit(f"project {project_name!r} has no two models compared")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(svg, encoding="utf-8")
    print(f"wrote {target} ({report.stats.judgements:,} judgements)")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store's URL (default: a synthetic project)")
    parser.add_argument("--project", default="synthetic-preferences")
    parser.add_argument("--n", type=int, default=1000, help="synthetic samples")
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args()
    if args.db:
        draw(args.db, args.project, args.out)
        return
    sys.path.insert(0, str(REPO / "bench"))
    from preference_report import synthetic_samples  # bench/preference_report.py

    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'preferences.db'}"
        engine = open_store(url)
        actor = Actor("leaderboard-plot")
        project = create_project(engine, args.project, load_ontology_file(ONTOLOGY), actor)
        import_samples(engine, project.id, synthetic_samples(project.id, args.n), actor)
        engine.dispose()
        draw(url, args.project, args.out)


if __name__ == "__main__":
    main()
