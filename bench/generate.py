"""Generate a synthetic multimodal project as native JSONL: ``python bench/generate.py N out.jsonl``.

Every sample has an image, an audio, a video and a text stream (media info inline, so an
import needs no probing), ten annotations of mixed geometry (box, polygon, mask, two text
spans, interval, transcript with word timings, track, stream and sample classification),
one entity and four links (refers-to ×2, synchronized-with, speaker-of). Every sample is
valid against the demo ontology (``src/rosetta/demo/ontology.yaml``), and every line is
written by `rosetta.formats.native.write_sample`, so an export of the imported project
reproduces the file byte for byte.
"""

import argparse
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from rosetta.core.schema import Sample
from rosetta.formats.native import write_sample

IMAGE = {"width": 512, "height": 512, "mime": "image/png"}
AUDIO = {"duration": 9.76, "sample_rate": 16000, "channels": 1, "mime": "audio/x-wav"}
VIDEO = {
    "width": 320,
    "height": 240,
    "duration": 9.76,
    "frame_rate": "25/1",
    "frame_count": 244,
    "codec": "h264",
    "mime": "video/mp4",
}
SENTENCE = "An astronaut in an orange suit smiles beside a flag."
WORDS = [
    ("An", 0.0, 0.069),
    ("astronaut", 0.069, 0.694),
    ("in", 0.694, 0.752),
    ("an", 0.752, 0.833),
    ("orange", 0.833, 1.28),
    ("suit", 1.28, 1.606),
    ("smiles", 1.606, 2.098),
    ("beside", 2.098, 2.484),
    ("a", 2.484, 2.553),
    ("flag", 2.553, 3.049),
]


@cache
def shuttle_mask() -> dict[str, Any]:
    """A COCO RLE ellipse on the 512×512 image (computed once)."""
    rows, cols = np.ogrid[:512, :512]
    inside = ((rows - 360) / 60.0) ** 2 + ((cols - 405) / 75.0) ** 2 <= 1.0
    encoded = coco_mask.encode(np.asfortranarray(inside.astype(np.uint8)))
    return {"size": [512, 512], "counts": encoded["counts"].decode("ascii")}


def sample_dict(index: int) -> dict[str, Any]:
    """The record of synthetic sample number `index` (ids derive from the index)."""
    sid = f"s{index}"
    shift = index % 40
    text = f"Sample {index}: an astronaut — smiling ☺ beside a flag, café «{index % 7}»."
    span_astronaut = text.index("astronaut")
    span_flag = text.index("flag")
    model_source = {"kind": "model", "name": "bench-detector", "version": "1.0", "confidence": 0.87}
    annotation_common: dict[str, Any] = {"ontology_version": 1, "author": "generator"}

    def annotation(
        key: str, stream: str | None, label: str, geometry: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": f"{sid}.{key}",
            "stream": None if stream is None else f"{sid}.{stream}",
            "label": label,
            "geometry": geometry,
            **annotation_common,
            **extra,
        }

    angle = (index % 12) * math.pi / 6
    return {
        "id": sid,
        "external_id": f"bench-{index:08d}",
        "status": ("new", "in_progress", "review", "done")[index % 4],
        "metadata": {"batch": index // 1000, "split": "train" if index % 5 else "test"},
        "streams": [
            {
                "id": f"{sid}.image",
                "name": "camera",
                "modality": "image",
                "uri": "media/images/astronaut.png",
                "media": IMAGE,
            },
            {
                "id": f"{sid}.audio",
                "name": "microphone",
                "modality": "audio",
                "uri": "media/audio/narration.wav",
                "media": AUDIO,
            },
            {
                "id": f"{sid}.video",
                "name": "clip",
                "modality": "video",
                "uri": "media/video/slideshow_320x240_25fps.mp4",
                "media": VIDEO,
            },
            {
                "id": f"{sid}.text",
                "name": "caption",
                "modality": "text",
                "text": text,
                "media": {"length": len(text)},
            },
        ],
        "annotations": [
            annotation(
                "person",
                "image",
                "person",
                {"type": "box", "x": 150.5 + shift, "y": 40.25, "w": 220.0, "h": 460.0},
                attributes={"role": "astronaut", "occluded": False},
            ),
            annotation(
                "flag",
                "image",
                "flag",
                {
                    "type": "polygon",
                    "points": [
                        [2.0, 10.0],
                        [118.5 + shift, 12.0],
                        [120.0, 205.75],
                        [60.0 + 10 * math.cos(angle), 230.0],
                        [0.0, 200.0],
                    ],
                },
                attributes={"colour": "red"},
                source=model_source,
            ),
            annotation("shuttle", "image", "spacecraft", {"type": "mask", "rle": shuttle_mask()}),
            annotation(
                "mention",
                "text",
                "person",
                {"type": "span", "start": span_astronaut, "end": span_astronaut + 9},
            ),
            annotation(
                "flag-mention",
                "text",
                "flag",
                {"type": "span", "start": span_flag, "end": span_flag + 4},
            ),
            annotation(
                "speech-video",
                "video",
                "speech",
                {"type": "interval", "start": 0.0, "end": 3.64},
                attributes={"language": "en"},
            ),
            annotation(
                "transcript",
                "audio",
                "speech",
                {
                    "type": "transcript",
                    "start": 0.0,
                    "end": 3.049,
                    "text": SENTENCE,
                    "words": [{"text": w, "start": s, "end": e} for w, s, e in WORDS],
                },
                attributes={"language": "en-US"},
                source=model_source,
            ),
            annotation(
                "track",
                "video",
                "person",
                {
                    "type": "track",
                    "keyframes": [
                        {"frame": 0, "x": 100.0, "y": 20.0, "w": 120.0, "h": 200.0},
                        {"frame": 45, "x": 90.0 + shift / 4, "y": 18.0, "w": 130.0, "h": 210.0},
                        {
                            "frame": 91,
                            "x": 90.0,
                            "y": 18.0,
                            "w": 130.0,
                            "h": 210.0,
                            "outside": True,
                        },
                    ],
                },
            ),
            annotation(
                "scene-video",
                "video",
                "scene",
                {"type": "classification"},
                attributes={"quality": round(0.5 + (index % 50) / 100, 2)},
            ),
            annotation("scene", None, "scene", {"type": "classification"}),
        ],
        "entities": [
            {
                "id": f"{sid}.astronaut",
                "label": "person",
                "members": [f"{sid}.person", f"{sid}.track", f"{sid}.mention"],
                "author": "generator",
            }
        ],
        "links": [
            {
                "id": f"{sid}.l1",
                "type": "refers-to",
                "source": f"{sid}.mention",
                "target": f"{sid}.person",
                "status": "confirmed",
                "source_revision": 1,
                "target_revision": 1,
                "author": "generator",
            },
            {
                "id": f"{sid}.l2",
                "type": "refers-to",
                "source": f"{sid}.flag-mention",
                "target": f"{sid}.flag",
                "author": "generator",
            },
            {
                "id": f"{sid}.l3",
                "type": "synchronized-with",
                "source": f"{sid}.speech-video",
                "target": f"{sid}.transcript",
                "attributes": {"offset": 0.0},
            },
            {
                "id": f"{sid}.l4",
                "type": "speaker-of",
                "source": f"{sid}.astronaut",
                "target": f"{sid}.transcript",
                "status": "confirmed",
                "source_revision": 1,
                "target_revision": 1,
            },
        ],
    }


def generate(count: int, out: Path) -> None:
    """Write `count` synthetic samples to `out`."""
    with out.open("wb") as handle:
        for index in range(count):
            write_sample(handle, Sample.model_validate(sample_dict(index)))


def main() -> None:
    """Command line: ``generate.py N out.jsonl``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of samples")
    parser.add_argument("out", type=Path, help="JSONL file to write")
    args = parser.parse_args()
    generate(args.count, args.out)


if __name__ == "__main__":
    main()
