"""YOLO datasets: Ultralytics ``data.yaml`` or Darknet ``obj.data``, one label file per image.

Reading (`read`): the source is a ``data.yaml`` (any ``.yaml``), an ``obj.data``, or a
folder holding one of them (`dataset`); each image of its splits, found with its label file
(`layout`), is one sample (`reader`) whose label lines become boxes, polygons and poses in
pixels (`labels`). Writing (`write`, `writer`): label files per split and a ``data.yaml``;
what the labels cannot hold goes to ``not_carried.jsonl`` (`rosetta.formats.not_carried`),
which the reader puts back.
"""

from typing import Final

from rosetta.formats.interchange import PREFERENCES, FormatSpec
from rosetta.formats.yolo.dataset import Dataset, read_dataset
from rosetta.formats.yolo.layout import label_path
from rosetta.formats.yolo.reader import read
from rosetta.formats.yolo.writer import write

__all__ = ["SPECS", "Dataset", "label_path", "read", "read_dataset", "write"]

SPECS: Final = (
    FormatSpec(
        name="yolo",
        title="YOLO (Ultralytics data.yaml, Darknet obj.data): detection, segmentation, pose",
        read=read,
        write=write,
        not_carried=(
            "attributes",
            "masks",
            "tracks",
            "links",
            "entities other than a pose's box and keypoints",
            "annotation sources and confidences",
            "images (not copied)",
            PREFERENCES,
        ),
    ),
)
