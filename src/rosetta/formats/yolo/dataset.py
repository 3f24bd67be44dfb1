"""The description of a YOLO dataset: an Ultralytics ``data.yaml`` or a Darknet ``obj.data``.

- **Ultralytics** ``data.yaml``: ``names`` (a list, or a mapping ``index: name``), the
  dataset root ``path`` (relative to the YAML file's folder; the folder itself when it is
  absent or does not exist, since Ultralytics' own datasets directory is not known here),
  the splits ``train``/``val``/``test`` (each a folder of images, a ``.txt`` list of image
  paths, or a list of those, relative to the root), and for pose datasets ``kpt_shape:
  [K, D]`` and optionally ``kpt_names`` (``class index: [names]``).
- **Darknet** ``obj.data`` (``key = value`` lines): ``names`` is the ``obj.names`` file
  (one name per line), ``train``/``valid``/``test`` are ``.txt`` lists of image paths.
  Paths such as ``data/train.txt`` (Darknet runs from its own folder) are looked for
  under the file's folder, dropping leading folders until one exists.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from rosetta.core.errors import ImportFailed
from rosetta.formats.text_lines import read_utf8, utf8_lines
from rosetta.media.paths import exists, is_dir

#: ``Sample.metadata[METADATA]["split"]`` is the split an image was read from.
METADATA: Final = "yolo"
SPLITS: Final = ("train", "val", "test")
_DARKNET_SPLITS: Final = {"train": "train", "valid": "val", "test": "test"}


@dataclass(frozen=True)
class Dataset:
    """A YOLO dataset's description: the file it came from, the root its paths are
    relative to, class names by index, the splits (each a list of image folders or image
    list files) and, for pose, ``kpt_shape`` and keypoint names per class index."""

    file: Path
    root: Path
    names: dict[int, str]
    splits: list[tuple[str, Path]]
    kpt_shape: tuple[int, int] | None = None
    kpt_names: dict[int, list[str]] = field(default_factory=dict)


def fail(file: Path, line: int, where: str, detail: str) -> ImportFailed:
    """An `ImportFailed` at `line` of `file` (0: the whole file)."""
    return ImportFailed(str(file), line, where, detail)


def locate(bases: Iterable[Path], relative: str) -> Path | None:
    """The first existing ``base / relative``, dropping leading folders of `relative`."""
    path = Path(relative)
    if path.is_absolute():
        return path if exists(path) else None
    parts = path.parts
    for start in range(len(parts)):
        for base in bases:
            candidate = base.joinpath(*parts[start:])
            if exists(candidate):
                return candidate
    return None


def _names(value: Any, file: Path) -> dict[int, str]:
    if isinstance(value, list):
        pairs = list(enumerate(value))
    elif isinstance(value, dict):
        pairs = []
        for key, name in value.items():
            try:
                pairs.append((int(key), name))
            except (TypeError, ValueError):
                raise fail(file, 0, f"names.{key}", "expected a class index (0, 1, ...)") from None
    else:
        raise fail(file, 0, "names", "expected the class names: a list or {index: name}")
    for index, name in pairs:
        if not isinstance(name, str | int | float) or isinstance(name, bool) or str(name) == "":
            raise fail(file, 0, f"names.{index}", f"expected a class name, got {name!r}")
    return {index: str(name) for index, name in pairs}


def _kpt_shape(value: Any, file: Path) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and value[0] > 0
        and value[1] in (2, 3)
    ):
        return value[0], value[1]
    raise fail(file, 0, "kpt_shape", f"expected [K, 2] or [K, 3], got {value!r}")


def _kpt_names(value: Any, file: Path, names: dict[int, str]) -> dict[int, list[str]]:
    if value is None:
        return {}
    if isinstance(value, list):
        value = dict.fromkeys(names, value)
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values()
    ):
        raise fail(file, 0, "kpt_names", "expected {class index: [keypoint names]}")
    try:
        return {int(key): list(v) for key, v in value.items()}
    except (TypeError, ValueError):
        raise fail(file, 0, "kpt_names", "expected class indices as keys") from None


def _ultralytics(file: Path) -> Dataset:
    try:
        data = yaml.safe_load(read_utf8(file))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise fail(file, mark.line + 1 if mark else 0, "", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise fail(file, 1, "", "expected a mapping with names and train/val/test")
    if "names" not in data:
        raise fail(file, 0, "names", "expected the class names (a list or {index: name})")
    names = _names(data["names"], file)
    root = file.parent
    if isinstance(data.get("path"), str) and is_dir(root / data["path"]):
        root = root / data["path"]
    splits: list[tuple[str, Path]] = []
    for split in SPLITS:
        value = data.get(split)
        entries = value if isinstance(value, list) else [] if value is None else [value]
        for entry in entries:
            if not isinstance(entry, str):
                raise fail(file, 0, split, f"expected a folder or a .txt list, got {entry!r}")
            splits.append((split, root / entry))
    if not splits:
        raise fail(file, 0, "train", "expected at least one of train, val, test")
    return Dataset(
        file,
        root,
        names,
        splits,
        _kpt_shape(data.get("kpt_shape"), file),
        _kpt_names(data.get("kpt_names"), file, names),
    )


def _darknet(file: Path) -> Dataset:
    entries: dict[str, tuple[int, str]] = {}
    with utf8_lines(file) as lines:
        for number, raw in enumerate(lines, start=1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            key, sep, value = text.partition("=")
            if not sep:
                raise fail(file, number, "", f"expected 'key = value', got {text!r}")
            entries[key.strip()] = (number, value.strip())
    bases = [file.parent]
    if "names" not in entries:
        raise fail(file, 0, "names", "expected 'names = <obj.names file>'")
    number, value = entries["names"]
    names_file = locate(bases, value)
    if names_file is None or not names_file.is_file():
        raise fail(file, number, "names", f"no such file: {value}")
    with utf8_lines(names_file) as lines:
        names = dict(enumerate(name for line in lines if (name := line.strip())))
    splits = []
    for key, split in _DARKNET_SPLITS.items():
        if key in entries:
            number, value = entries[key]
            found = locate(bases, value)
            if found is None or not found.is_file():
                raise fail(file, number, key, f"no such image list: {value}")
            splits.append((split, found))
    if not splits:
        raise fail(file, 0, "train", "expected at least one of train, valid, test")
    return Dataset(file, file.parent, names, splits)


def read_dataset(source: Path) -> Dataset:
    """The dataset description of `source`: a ``.yaml``, an ``obj.data`` or a folder with
    one of them (a folder with several YAML files takes ``data.yaml``)."""
    if source.is_dir():
        yamls = sorted(source.glob("*.yaml")) + sorted(source.glob("*.yml"))
        preferred = [path for path in yamls if path.stem == "data"] or yamls
        darknet = sorted(source.glob("*.data"))
        if len(preferred) == 1:
            source = preferred[0]
        elif len(darknet) == 1 and not preferred:
            source = darknet[0]
        else:
            raise fail(
                source,
                0,
                "",
                "expected one data.yaml (Ultralytics) or obj.data (Darknet) in the folder, "
                f"found {[p.name for p in preferred + darknet]}",
            )
    if not source.is_file():
        raise fail(source, 0, "", "no such file (expected a data.yaml or an obj.data)")
    if source.suffix in (".yaml", ".yml"):
        return _ultralytics(source)
    return _darknet(source)
