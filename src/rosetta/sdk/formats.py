"""Other tools' file formats: which the server reads and writes, importing a file or a
folder in one (uploaded, a folder zipped first) and exporting a project to one, each as a
background job.

::

    job = rosetta.wait(rosetta.import_format("my-project", "yolo", "datasets/coco8",
                                             mapping={"labels": {"Car": "car"}}))
    job = rosetta.wait(rosetta.export_format("my-project", "coco"))
    rosetta.download_export(job, "out/")   # instances.json, the dataset card, ...
"""

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.sdk.jobs import file_chunks
from rosetta.sdk.models import Job
from rosetta.sdk.transport import MethodGroup, segment

#: A label mapping: the object itself (``labels``, ``relations``, ``attributes``, ``drop``),
#: or the path of a YAML or JSON file holding it.
MappingSource = Mapping[str, Any] | str | os.PathLike[str]


class FormatInfo(BaseModel):
    """A file format: its name, title, whether the server reads and writes it, and what
    Rosetta records it has no place for."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    title: str
    read: bool
    write: bool
    not_carried: list[str]


_FORMATS = TypeAdapter(list[FormatInfo])
_JOB = TypeAdapter(Job)


class FormatMethods(MethodGroup):
    """Importing and exporting other tools' formats."""

    def formats(self) -> list[FormatInfo]:
        """The file formats the server knows, by name."""
        return self._http.parse(_FORMATS, "GET", "/api/formats")

    def import_format(
        self,
        project: str,
        format: str,
        path: str | os.PathLike[str],
        *,
        mapping: MappingSource | None = None,
        media_root: str | None = None,
        default_label: str | None = None,
        instances: str | None = None,
        zero_based_pixels: bool = False,
        new_ids: bool = False,
        batch_size: int = 500,
    ) -> Job:
        """Upload the file or folder at `path` in `format` (a folder is zipped into a
        temporary file first; either is streamed in chunks) and queue its import into the
        project (managers). `mapping` maps its labels onto the ontology; `media_root` is
        the server's folder of the media it names (inside its media roots). COCO:
        `instances` is the instances file (or folder) a results file names images and
        categories of, relative to the folder uploaded (`path` itself, or the file's
        folder); VOC: `zero_based_pixels` reads coordinates as pixel edges from 0. Follow the
        job with `wait`: unmapped labels fail it, listed in its error."""
        source = Path(path)
        params: dict[str, str | int | bool | None] = {
            "format": format,
            "filename": f"{source.name}.zip" if source.is_dir() else source.name,
            "mapping": None if mapping is None else _mapping_text(mapping),
            "media_root": media_root,
            "default_label": default_label,
            "instances": instances,
            "zero_based_pixels": zero_based_pixels,
            "new_ids": new_ids,
            "batch_size": batch_size,
        }
        with tempfile.TemporaryDirectory() as scratch:
            upload = _zipped(source, Path(scratch) / "upload.zip") if source.is_dir() else source
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(upload.stat().st_size),
            }
            return self._http.parse(
                _JOB,
                "POST",
                f"/api/projects/{segment(project)}/format-imports",
                params=params,
                content=file_chunks(upload),
                headers=headers,
            )

    def export_format(
        self,
        project: str,
        format: str,
        *,
        tracks: str = "sparse",
    ) -> Job:
        """Queue an export of the project in `format` with its dataset card (managers),
        tracks ``sparse`` (key frames) or ``dense``. Follow it with `wait`, then
        `download_export`."""
        return self._http.parse(
            _JOB,
            "POST",
            f"/api/projects/{segment(project)}/jobs",
            json={"kind": "format-export", "params": {"format": format, "tracks": tracks}},
        )


def _mapping_text(mapping: MappingSource) -> str:
    if isinstance(mapping, Mapping):
        return json.dumps(dict(mapping))
    return Path(mapping).read_text(encoding="utf-8")


def _zipped(folder: Path, archive: Path) -> Path:
    """`folder`'s files (links followed, as the reader would) zipped into `archive`."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                out.write(file, file.relative_to(folder).as_posix())
    return archive
