"""COCO's own records (pydantic models of its JSON) and the parsing of a COCO file.

A COCO file is one JSON document, so a file is parsed whole (pydantic, straight from the
bytes). JSON cannot say on which line a record is: errors name the file and the record's
place (``annotations[3] (id 7): bbox``); a syntax error names the line.
"""

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.formats.interchange import Origin
from rosetta.formats.native import field_path

#: The keys of a COCO image record that Rosetta has fields for.
IMAGE_KEYS: Final = frozenset({"id", "file_name", "width", "height"})


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class CocoImage(BaseModel):
    """An ``images`` entry; other keys (license, URLs, dates) are kept as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    file_name: str = Field(min_length=1)
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)


class CocoCategory(_Record):
    """A ``categories`` entry (``supercategory`` is not read: the ontology has the tree)."""

    id: int
    name: str = Field(min_length=1)
    keypoints: list[str] | None = None
    skeleton: list[tuple[int, int]] | None = None


class CocoObject(_Record):
    """What an annotation and a detection share: where, which category, the shapes."""

    image_id: int
    category_id: int
    segmentation: list[Any] | dict[str, Any] | None = None
    bbox: list[float] | None = None
    keypoints: list[float] | None = None
    iscrowd: int = Field(default=0, ge=0, le=1)
    attributes: dict[str, Any] = Field(default_factory=dict)


class CocoAnnotation(CocoObject):
    """An ``annotations`` entry of an instances file."""

    id: int


class CocoDetection(CocoObject):
    """An entry of a results file; ``model``/``model_version`` are `write_coco`'s extras."""

    score: float
    model: str | None = None
    model_version: str | None = None


class CocoInstances(_Record):
    """An instances file."""

    images: list[CocoImage]
    annotations: list[CocoAnnotation] = Field(default_factory=list)
    categories: list[CocoCategory] = Field(default_factory=list)


_RESULTS: TypeAdapter[list[CocoDetection]] = TypeAdapter(list[CocoDetection])


@dataclass(frozen=True)
class Document:
    """A COCO file: an instances file or a results list."""

    path: Path
    instances: CocoInstances | None = None
    results: list[CocoDetection] | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


_AT_LINE = re.compile(r"line (\d+)")


def _failure(file: Path, error: ValidationError) -> ImportFailed:
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    if first["type"] == "json_invalid":
        found = _AT_LINE.search(first["msg"])
        return ImportFailed(str(file), int(found.group(1)) if found else 0, "", first["msg"])
    # the record (``annotations[3]``, ``[3]`` in a results list), then the field in it
    split = next((i + 1 for i, part in enumerate(loc) if isinstance(part, int)), 0)
    detail = (
        "a value is required here"
        if first["type"] == "missing"
        else f"{first['msg']} (got {shown(first.get('input'))})"
    )
    return Origin(str(file), 0, field_path(tuple(loc[:split])) or None).error(
        field_path(tuple(loc[split:])), detail
    )


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load(path: Path, *, in_folder: bool) -> Document | None:
    """The COCO document at `path`; in a folder, ``None`` for JSON of another kind."""
    raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    start = raw.lstrip()[:1]
    try:
        if start == b"[":
            return Document(path, results=_RESULTS.validate_json(raw))
        if start == b"{":
            return Document(path, instances=CocoInstances.model_validate_json(raw))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if in_folder and first["type"] == "missing" and first["loc"] == ("images",):
            return None  # a dataset card, an ontology: not COCO
        raise _failure(path, error) from None
    raise ImportFailed(
        str(path),
        1,
        "",
        "expected a COCO instances file (an object with images, annotations, categories) "
        "or a results file (a list of detections)",
    )
