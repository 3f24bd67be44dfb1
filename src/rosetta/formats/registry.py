"""Every file format by name. A format module defines ``SPECS``, the
`rosetta.formats.interchange.FormatSpec` of each format it reads or writes (the subtitles
module has two: WebVTT and SRT); the registry imports a module only when one of its formats
is asked for, so a format's dependencies load only when it is used."""

import importlib

from rosetta.core.errors import RuleViolation
from rosetta.formats.interchange import FormatSpec

#: Format name -> the module whose ``SPECS`` holds it.
FORMATS: dict[str, str] = {
    "coco": "rosetta.formats.coco",
    "yolo": "rosetta.formats.yolo",
    "voc": "rosetta.formats.voc",
    "cvat-images": "rosetta.formats.cvat_images",
    "cvat-video": "rosetta.formats.cvat_video_format",
    "label-studio": "rosetta.formats.label_studio",
    "elan": "rosetta.formats.elan",
    "textgrid": "rosetta.formats.textgrid",
    "webvtt": "rosetta.formats.subtitles",
    "srt": "rosetta.formats.subtitles",
    "kitti": "rosetta.formats.kitti_format",
    "parquet": "rosetta.formats.parquet",
    "dpo": "rosetta.formats.preference",
    "dpo-parquet": "rosetta.formats.preference",
    "ranked-lists": "rosetta.formats.preference",
}


def format_spec(name: str) -> FormatSpec:
    """The format called `name`; an unknown name is a `RuleViolation` listing the known."""
    module = FORMATS.get(name)
    if module is None:
        raise RuleViolation(
            "format", "format", "format-known", f"unknown {name!r}; known: {sorted(FORMATS)}"
        )
    specs: tuple[FormatSpec, ...] = importlib.import_module(module).SPECS
    return next(spec for spec in specs if spec.name == name)
