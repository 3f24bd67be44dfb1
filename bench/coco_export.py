"""COCO export benchmark: ``python bench/coco_export.py --samples 100000 --boxes 10``.

Builds the samples in memory first (each one image stream, 640×480, with `--boxes` boxes
of the demo ontology's classes, a tenth of them model candidates with a confidence), then
times only `write_coco` writing them (``instances.json`` and ``results.json`` into a
temporary folder), and checks the files: pycocotools loads both and finds every box.
Prints the seconds, boxes/s and the files' sizes; the target is 1M boxes in under 30 s.

A second timing starts from the samples' native JSON lines instead, parsing each into a
`Sample` on the way as `rosetta.services.format_io.export_foreign` does with the lines the
store's exporter gives: the whole export but the SQL.
"""

import argparse
import contextlib
import io
import random
import resource
import tempfile
import time
from pathlib import Path

from pycocotools.coco import COCO

from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, MediaInfo, Sample, Source, Stream
from rosetta.formats.coco import INSTANCES, RESULTS, write_coco
from rosetta.formats.native import dumps_sample
from rosetta.services.projects import load_ontology_file

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"
LABELS = ("person", "cat", "animal", "thing")
MODEL = Source(kind="model", name="detector", version="1.0", confidence=0.5)


def build(samples: int, boxes: int, seed: int = 7) -> list[Sample]:
    """`samples` one-image samples with `boxes` boxes each."""
    rng = random.Random(seed)
    built = []
    media = MediaInfo(width=640, height=480)
    for n in range(samples):
        sample_id = f"s{n}"
        stream = f"{sample_id}.image"
        annotations = [
            Annotation(
                id=f"{sample_id}.{k}",
                stream=stream,
                label=LABELS[k % len(LABELS)],
                geometry=Box(
                    x=round(rng.uniform(0, 500), 2),
                    y=round(rng.uniform(0, 380), 2),
                    w=round(rng.uniform(1, 140), 2),
                    h=round(rng.uniform(1, 100), 2),
                ),
                source=MODEL if k % 10 == 9 else Source(kind="human", name="bench"),
            )
            for k in range(boxes)
        ]
        built.append(
            Sample(
                id=sample_id,
                external_id=f"images/{n:07d}.jpg",
                streams=[
                    Stream(
                        id=stream,
                        name="image",
                        modality=Modality.IMAGE,
                        uri=f"images/{n:07d}.jpg",
                        media=media,
                    )
                ],
                annotations=annotations,
            )
        )
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=10, help="boxes per sample")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of this many")
    parser.add_argument("--no-check", action="store_true", help="skip the pycocotools check")
    args = parser.parse_args()
    ontology = load_ontology_file(ONTOLOGY)
    started = time.perf_counter()
    samples = build(args.samples, args.boxes)
    built = time.perf_counter() - started
    total = args.samples * args.boxes
    print(f"built {args.samples:,} samples with {total:,} boxes in memory in {built:.1f} s")
    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = write_coco(samples, ontology, out)
            best = min(best, time.perf_counter() - started)
        assert report.annotations == total, report
        lines = [dumps_sample(sample) for sample in samples]
        started = time.perf_counter()
        write_coco((Sample.model_validate_json(line) for line in lines), ontology, out)
        parsed = time.perf_counter() - started
        sizes = {name: (out / name).stat().st_size / 1e6 for name in (INSTANCES, RESULTS)}
        print(
            f"COCO export of {total:,} boxes: {best:.2f} s, {total / best:,.0f} boxes/s "
            f"(instances.json {sizes[INSTANCES]:.0f} MB, results.json {sizes[RESULTS]:.0f} MB; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
        )
        print(
            f"from native JSON lines (parsed on the way): {parsed:.2f} s, "
            f"{total / parsed:,.0f} boxes/s"
        )
        if not args.no_check:
            with contextlib.redirect_stdout(io.StringIO()):
                loaded = COCO(str(out / INSTANCES))
                results = loaded.loadRes(str(out / RESULTS))
            found = len(loaded.anns) + len(results.anns)
            assert found == total, f"pycocotools found {found} boxes, expected {total}"
            print(f"pycocotools loads both files: {found:,} boxes")


if __name__ == "__main__":
    main()
