"""ELAN and WebVTT import rates: ``python bench/timed_import.py [--n 100000] [--repeat 1]``.

Generates one large file of each format into a temporary folder:

- **ELAN**: an ``.eaf`` with two participants' tiers of `--n` annotations in all (one
  second each, alternating speakers, free text), every annotation with its own two time
  slots, as ELAN writes them;
- **WebVTT**: a ``.vtt`` of `--n` cues, each with a ``<v Speaker k>`` voice span (two
  speakers).

Then, for each, it times (best of `--repeat`) reading the file alone (the format reader)
and `import_foreign` into a fresh SQLite store with the demo ontology (a mapping turns the
tiers' label and ``cue`` into ``speech``; the speakers become ``person`` entities with a
``speaker-of`` link per annotation), and prints annotations per second for both.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rosetta.formats.elan import read_elan
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap
from rosetta.formats.subtitles import read_webvtt
from rosetta.services.format_io import import_foreign
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"
ACTOR = Actor("bench")
MAPPING = LabelMap(labels={"utterance": "speech", "cue": "speech"})


def write_eaf(path: Path, n: int) -> None:
    """An ELAN document of `n` one-second annotations on two participants' tiers."""
    slots = "".join(
        f'<TIME_SLOT TIME_SLOT_ID="ts{2 * i + 1}" TIME_VALUE="{1000 * i}"/>\n'
        f'<TIME_SLOT TIME_SLOT_ID="ts{2 * i + 2}" TIME_VALUE="{1000 * i + 900}"/>\n'
        for i in range(n)
    )
    tiers = []
    for speaker in (0, 1):
        annotations = "".join(
            f'<ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a{i + 1}" '
            f'TIME_SLOT_REF1="ts{2 * i + 1}" TIME_SLOT_REF2="ts{2 * i + 2}">'
            f"<ANNOTATION_VALUE>words of turn {i + 1}</ANNOTATION_VALUE>"
            "</ALIGNABLE_ANNOTATION></ANNOTATION>\n"
            for i in range(speaker, n, 2)
        )
        tiers.append(
            f'<TIER LINGUISTIC_TYPE_REF="utterance" PARTICIPANT="speaker {speaker}" '
            f'TIER_ID="speaker {speaker}">\n{annotations}</TIER>\n'
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ANNOTATION_DOCUMENT AUTHOR="bench" DATE="2025-01-01T00:00:00+00:00" FORMAT="3.0" '
        'VERSION="3.0">\n<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds">\n'
        '<MEDIA_DESCRIPTOR MEDIA_URL="file:///media/talk.wav" MIME_TYPE="audio/x-wav" '
        'RELATIVE_MEDIA_URL="./talk.wav"/>\n</HEADER>\n'
        f"<TIME_ORDER>\n{slots}</TIME_ORDER>\n{''.join(tiers)}"
        '<LINGUISTIC_TYPE LINGUISTIC_TYPE_ID="utterance" TIME_ALIGNABLE="true"/>\n'
        "</ANNOTATION_DOCUMENT>\n",
        encoding="utf-8",
    )


def _timestamp(milliseconds: int) -> str:
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_vtt(path: Path, n: int) -> None:
    """A WebVTT file of `n` one-second cues of two speakers."""
    cues = "".join(
        f"\n{_timestamp(1000 * i)} --> {_timestamp(1000 * i + 900)}\n"
        f"<v Speaker {i % 2}>words of cue {i + 1}\n"
        for i in range(n)
    )
    path.write_text(f"WEBVTT\n{cues}", encoding="utf-8")


def _best(repeat: int, run: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(name: str, source: Path, folder: Path, repeat: int) -> dict[str, Any]:
    """Read and import times of `source` in format `name`."""
    reader = read_elan if name == "elan" else read_webvtt
    read_seconds, sample = _best(repeat, lambda: next(iter(reader(source, ReadOptions()))).sample)
    count = len(sample.annotations)

    def run_import() -> Any:
        db = folder / f"{name}-{time.perf_counter_ns()}.db"
        engine = open_store(f"sqlite:///{db}")
        project = create_project(engine, "bench", load_ontology_file(ONTOLOGY), ACTOR)
        started = time.perf_counter()
        report = import_foreign(engine, project.id, name, source, ACTOR, mapping=MAPPING)
        seconds = time.perf_counter() - started
        engine.dispose()
        return seconds, report

    import_seconds = float("inf")
    links = 0
    for _ in range(repeat):
        seconds, report = run_import()
        import_seconds = min(import_seconds, seconds)
        links = report.imported.links
    return {
        "format": name,
        "annotations": count,
        "links": links,
        "read_s": round(read_seconds, 2),
        "read_per_s": round(count / read_seconds),
        "import_s": round(import_seconds, 2),
        "import_per_s": round(count / import_seconds),
    }


def main() -> None:
    """Generate the files, measure, print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="annotations/cues per file")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of this many")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_eaf(folder / "talk.eaf", args.n)
        write_vtt(folder / "talk.vtt", args.n)
        rows = [
            measure("elan", folder / "talk.eaf", folder, args.repeat),
            measure("webvtt", folder / "talk.vtt", folder, args.repeat),
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'format':8} {'annotations':>11} {'links':>8} {'read s':>7} {'read/s':>9} "
        f"{'import s':>9} {'import/s':>9}"
    )
    for row in rows:
        print(
            f"{row['format']:8} {row['annotations']:>11} {row['links']:>8} "
            f"{row['read_s']:>7} {row['read_per_s']:>9} {row['import_s']:>9} "
            f"{row['import_per_s']:>9}"
        )


if __name__ == "__main__":
    main()
