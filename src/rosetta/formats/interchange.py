"""What every file format module provides: a reader that streams a foreign file (or
folder) as `ForeignSample`s, a writer that writes samples in the format, and the
`FormatSpec` that names both (`rosetta.formats.registry` finds it by the format's name).

A reader turns the format's own records into Rosetta records (`rosetta.core.schema`)
through the format's native intermediate (its parsed objects), keeping the format's label
names as they are: `rosetta.formats.label_map` maps them onto the project's ontology
afterwards, so that no label is ever dropped silently. Each sample says where it came
from (`Origin`: file and line, or file and element), so that an error names it.

Ids: a reader derives every id from the file (``<stem>.<image id>.<annotation id>``), so
reading the same file twice gives the same ids; an import with ``new_ids`` renames them.
Geometry follows Rosetta's conventions (`rosetta.core.geometry`): boxes in pixels with the
top-left corner, intervals in seconds, spans in code points; each reader converts at its
edge and says how in its module docstring.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Protocol, Self

import orjson

from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample

#: The files a dataset card adds to every export folder (`rosetta.services.dataset_card`):
#: a reader of a folder passes over them, so an export folder imports back as it is.
CARD_FILES: Final = ("dataset_card.json", "README.md", "ontology.json")


#: The file beside a writer's output that holds what its format could not carry.
NOT_CARRIED: Final = "not_carried.jsonl"


class NotCarried:
    """`NOT_CARRIED` in an output folder, one JSON line per record the format could not
    carry (``{"sample", "kind", "record"}``), the file made when the first record comes;
    `counts` per kind. Use it as a context manager (the file is closed at its end)."""

    def __init__(self, out: Path) -> None:
        self.path = out / NOT_CARRIED
        self.handle: IO[bytes] | None = None
        self.counts: Counter[str] = Counter()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, sample: Sample, kind: str, record: Any) -> None:
        """Write one record of `sample` that the format could not carry."""
        if self.handle is None:
            self.handle = self.path.open("wb")
        self.handle.write(
            orjson.dumps({"sample": sample.id, "kind": kind, "record": record}) + b"\n"
        )
        self.counts[kind] += 1

    def close(self) -> None:
        """Close the file, if one was made."""
        if self.handle is not None:
            self.handle.close()

    def files(self) -> list[str]:
        """The file's name, when anything was written to it."""
        return [NOT_CARRIED] if self.counts else []


@dataclass(frozen=True)
class Origin:
    """Where a record was read: a file and a 1-based line (0: unknown), and optionally the
    element or key path inside it (``annotations[3]``, ``<track id="2">``)."""

    file: str
    line: int = 0
    element: str | None = None

    def error(self, field_path: str, detail: str) -> ImportFailed:
        """An `ImportFailed` naming this place, `field_path` and what was expected."""
        where = f"{self.element}: {field_path}" if self.element else field_path
        return ImportFailed(self.file, self.line, where, detail)


@dataclass(frozen=True)
class ForeignSample:
    """A sample read from a foreign file, its labels still the format's own, with where
    it (and, where known, each of its annotations, by id) came from."""

    sample: Sample
    origin: Origin
    parts: dict[str, Origin] = field(default_factory=dict)

    def origin_of(self, object_id: str | None) -> Origin:
        """Where the object `object_id` was read (the sample's place when unknown)."""
        return self.parts.get(object_id or "", self.origin)


@dataclass(frozen=True)
class ReadOptions:
    """How to read: `media_root` is where the media files the annotations refer to are
    (stream URIs are made relative to it when they are inside), `default_label` names
    records the format leaves without one (none: an error)."""

    media_root: Path | None = None
    default_label: str | None = None

    def uri_of(self, path: Path) -> str:
        """The stream URI of the media file `path`: relative to the media root when it is
        inside it (so the store does not depend on where the root is), else absolute."""
        absolute = path.resolve()
        if self.media_root is not None:
            root = self.media_root.resolve()
            if absolute.is_relative_to(root):
                return absolute.relative_to(root).as_posix()
        return absolute.as_posix()


@dataclass(frozen=True)
class WriteReport:
    """What a writer wrote: the files (relative to its output folder), how many samples
    and annotations, and what the format could not carry, with where it went instead
    (``{"links": "written to links.jsonl beside the file"}``)."""

    files: list[str]
    samples: int
    annotations: int
    not_carried: dict[str, str] = field(default_factory=dict)


class Reader(Protocol):
    """Streams the samples of `source` (a file or a folder, as the format has it)."""

    def __call__(self, source: Path, options: ReadOptions) -> Iterator[ForeignSample]: ...


class Writer(Protocol):
    """Writes `samples` (labels are the ontology's classes) into the folder `out`."""

    def __call__(self, samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport: ...


@dataclass(frozen=True)
class FormatSpec:
    """A file format: its registry `name`, a one-line `title`, its reader and writer (either
    may be absent: KITTI is read only, Parquet written only), and `not_carried`: what
    Rosetta records the format has no place for (the writer says where they went)."""

    name: str
    title: str
    read: Reader | None = None
    write: Writer | None = None
    not_carried: tuple[str, ...] = ()
