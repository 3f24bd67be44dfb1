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

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.formats.native import field_path

#: The files a dataset card adds to every export folder (`rosetta.services.dataset_card`):
#: a reader of a folder passes over them, so an export folder imports back as it is.
CARD_FILES: Final = ("dataset_card.json", "README.md", "ontology.json")


#: The file beside a writer's output that holds what its format could not carry
#: (`rosetta.formats.not_carried`).
NOT_CARRIED: Final = "not_carried.jsonl"
#: What every format with a `NOT_CARRIED` file sends there besides what its spec names.
PREFERENCES: Final = "preference candidates and judgements"


@dataclass(frozen=True, slots=True)
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the records of one large sample are
    made (a document of 100,000 ELAN annotations or subtitle cues, the mapping of its
    labels): every object made lives on in the sample, so the collector's full passes,
    which grow with the sample, free nothing, and they were most of the time spent
    (`docs/benchmarks.md`). Reference counting still frees what dies at once; the
    collector runs as before afterwards (unless it was off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sample_from(data: dict[str, Any], origin: Origin, parts: Mapping[str, Origin]) -> Sample:
    """The `Sample` of `data` (its records as JSON objects or records), validated at once
    (one pydantic call: a reader builds plain objects, the cheapest way to many records);
    an invalid record is an `ImportFailed` where it was read (`parts`, by its id; else at
    `origin`) naming its field."""
    try:
        return Sample.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = first["loc"]
        where, path = origin, loc
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(data.get(str(loc[0])), list):
            record = data[str(loc[0])][loc[1]]
            ident = record.get("id") if isinstance(record, dict) else getattr(record, "id", None)
            if isinstance(ident, str) and ident in parts:
                where, path = parts[ident], loc[2:]
        raise where.error(field_path(path), str(first["msg"])) from None


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
    records the format leaves without one (none: an error). Format by format:
    `instances` is the COCO instances file (or a folder of them) whose images and
    categories a results file names by id, when they are not beside it;
    `zero_based_pixels` reads VOC coordinates as pixel edges counted from 0 (as Datumaro
    and CVAT write them) instead of VOC's 1-based inclusive pixels. `media_confined_to`
    (an import on the server: the imported folder and the media root) are the only folders
    whose files a reader may open by a name the annotations give; none: any."""

    media_root: Path | None = None
    default_label: str | None = None
    instances: Path | None = None
    zero_based_pixels: bool = False
    media_confined_to: tuple[Path, ...] | None = None

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
    (``{"links": "3 written to not_carried.jsonl"}``)."""

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
