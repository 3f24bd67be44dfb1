"""Where a YOLO dataset's images and label files are.

The label file of an image is Ultralytics' rule: the image's path with its last ``images``
folder replaced by ``labels`` and the suffix by ``.txt`` (beside the image when there is no
``images`` folder, as Darknet has it). A split that is a folder is listed both ways: every
image (an image without a label file has no objects) and every label file (LabelImg's
``classes.txt`` excepted). A split that is a ``.txt`` list names its images (relative to
the dataset root, the list's folder or ``ReadOptions.media_root``). An image not beside its
label file is looked for under the media root: at the image folder's path relative to the
dataset root, then directly.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from rosetta.formats.interchange import Origin, ReadOptions
from rosetta.formats.text_lines import utf8_lines
from rosetta.formats.yolo.dataset import Dataset, fail, locate
from rosetta.media.paths import is_dir, is_file

#: The image suffixes Ultralytics reads (``ultralytics.data.utils.IMG_FORMATS``).
IMAGE_SUFFIXES: Final = (
    ".bmp",
    ".dng",
    ".jpeg",
    ".jpg",
    ".mpo",
    ".png",
    ".tif",
    ".tiff",
    ".webp",
    ".pfm",
    ".heic",
)
#: LabelImg keeps its class list beside the label files.
_NOT_LABELS: Final = frozenset({"classes.txt"})


def label_path(image: Path) -> Path:
    """The label file of `image` (Ultralytics' ``img2label_paths``)."""
    folder = _labels_folder(image.parent)
    return folder / f"{image.stem}.txt"


def _labels_folder(folder: Path) -> Path:
    parts = list(folder.parts)
    if "images" in parts:
        last = len(parts) - 1 - parts[::-1].index("images")
        parts[last] = "labels"
    return Path(*parts)


# --- finding the images ----------------------------------------------------------------------


def _with_suffix(base: Path) -> Path | None:
    """The image ``base.<suffix>`` for an image suffix (either case), if there is one."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (
            base.with_name(base.name + suffix),
            base.with_name(base.name + suffix.upper()),
        ):
            if is_file(candidate):
                return candidate
    return None


def _tree(folder: Path, keep: Callable[[Path], bool]) -> dict[Path, Path]:
    """The files under `folder` that `keep` accepts, by their path without suffix relative
    to `folder`."""
    if not is_dir(folder):
        return {}
    return {
        path.relative_to(folder).with_suffix(""): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and keep(path)
    }


@dataclass(frozen=True)
class Item:
    """One image of a split: its label file and, when found, the image."""

    split: str
    label: Path
    image: Path | None
    where: Origin


def _folder_items(
    dataset: Dataset, split: str, images: Path, options: ReadOptions
) -> Iterator[Item]:
    labels = _labels_folder(images)
    found = _tree(images, lambda p: p.suffix.lower() in IMAGE_SUFFIXES)
    texts = _tree(labels, lambda p: p.suffix == ".txt" and p.name not in _NOT_LABELS)
    if not found and not texts:
        raise fail(
            dataset.file,
            0,
            split,
            f"expected images in {images} or label files in {labels}: found neither",
        )
    relative = images.relative_to(dataset.root) if images.is_relative_to(dataset.root) else None
    for key in sorted(found.keys() | texts.keys()):
        label = texts.get(key, labels / key.parent / f"{key.name}.txt")
        image = found.get(key)
        if image is None and options.media_root is not None:
            roots = [options.media_root / relative] if relative is not None else []
            for root in [*roots, options.media_root]:
                image = _with_suffix(root / key)
                if image is not None:
                    break
        yield Item(split, label, image, Origin(str(label), 0))


def _list_items(
    dataset: Dataset, split: str, listing: Path, options: ReadOptions
) -> Iterator[Item]:
    bases = [dataset.root, listing.parent]
    if options.media_root is not None:
        bases.append(options.media_root)
    with utf8_lines(listing) as lines:
        for number, text in enumerate(lines, start=1):
            entry = text.strip()
            if not entry:
                continue
            if entry.startswith("./"):
                entry = str(listing.parent / entry[2:])
            image = locate(bases, entry)
            if image is None:
                guess = Path(entry) if Path(entry).is_absolute() else dataset.root / entry
                label = label_path(guess)
                yield Item(split, label, None, Origin(str(listing), number))
                continue
            yield Item(split, label_path(image), image, Origin(str(image), 0))


def items(dataset: Dataset, options: ReadOptions) -> Iterator[Item]:
    """The images of every split of `dataset`, in order, with their label files."""
    for split, path in dataset.splits:
        if is_file(path):
            yield from _list_items(dataset, split, path, options)
        else:
            yield from _folder_items(dataset, split, path, options)
