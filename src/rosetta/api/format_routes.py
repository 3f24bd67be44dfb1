"""Other tools' file formats over HTTP: which there are (`rosetta.formats.registry`), and
uploading a file, or a ``.zip`` of a folder, to import in one as a ``format-import`` job
(`rosetta.services.job_kinds`). An export in one is a ``format-export`` job submitted like
any other (``POST /api/projects/{project}/jobs``), its files downloaded from the job.

An upload is checked before its body is read: the format must be one Rosetta reads, the
mapping well-formed and valid, the media root inside the media roots, the file name a
plain name. The body is streamed to the data folder (at most ``ROSETTA_MAX_UPLOAD_BYTES``);
an archive is unpacked there safely (`rosetta.services.uploads`). A refused upload leaves
nothing behind. Uploading needs the ``manager`` role in the project, as every import does.
"""

import shutil
from pathlib import PurePosixPath
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response

from rosetta.api.auth import CurrentUser, UserActor, policy
from rosetta.api.deps import Store
from rosetta.api.job_routes import importer_of, quota_left, receive_upload, submitted
from rosetta.core.policies import Access
from rosetta.services.format_io import FormatInfo, known_formats, mapping_from_text
from rosetta.services.job_kinds import FORMAT_IMPORT, new_folder_upload, parse_params, submit
from rosetta.services.jobs import Job
from rosetta.services.settings import Settings
from rosetta.services.uploads import unpack_upload, upload_name

router = APIRouter()


@router.get("/api/formats", openapi_extra=policy("user"))
def list_formats(_caller: CurrentUser) -> list[FormatInfo]:
    """The file formats of other tools, by name: whether Rosetta reads and writes each,
    and what Rosetta records each has no place for."""
    return known_formats()


@router.post(
    "/api/projects/{project}/format-imports",
    status_code=202,
    responses={
        413: {"description": "The file is larger than ROSETTA_MAX_UPLOAD_BYTES."},
        429: {"description": "The project has ROSETTA_MAX_PENDING_JOBS jobs pending."},
    },
    openapi_extra={
        **policy("manager"),
        "requestBody": {
            "required": True,
            "description": "The file, or a .zip of the folder, as the raw body.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
    },
)
async def upload_format_import(
    *,
    request: Request,
    response: Response,
    store: Store,
    actor: UserActor,
    access: Annotated[Access, Depends(importer_of)],
    format: Annotated[str, Query(description="The format (``GET /api/formats``).")],
    filename: Annotated[
        str,
        Query(
            description="The file's name (readers derive ids from it, as from a file read "
            "where it lies); for a .zip, the archive's."
        ),
    ],
    mapping: Annotated[
        str | None,
        Query(
            description="The label mapping as YAML or JSON text: ``labels``, ``relations``, "
            "``attributes``, ``drop``."
        ),
    ] = None,
    media_root: Annotated[
        str | None,
        Query(description="The folder of the media, inside ROSETTA_MEDIA_ROOTS."),
    ] = None,
    default_label: Annotated[
        str | None, Query(description="The label of records the format leaves without one.")
    ] = None,
    instances: Annotated[
        str | None,
        Query(
            description="COCO: the instances file (or folder) whose images and categories a "
            "results file names by id, relative to the folder imported (the .zip's folder)."
        ),
    ] = None,
    zero_based_pixels: Annotated[
        bool,
        Query(description="VOC: coordinates are pixel edges counted from 0 (Datumaro, CVAT)."),
    ] = False,
    new_ids: Annotated[bool, Query(description="Give every record a fresh id.")] = False,
    batch_size: Annotated[
        int, Query(ge=1, le=10_000, description="Samples per transaction.")
    ] = 500,
) -> Job:
    """Upload a file in another tool's format, or a ``.zip`` of a folder (the request body,
    streamed to the data folder), and queue its import (``Location``: the job). An
    archive's members must stay inside it (no absolute paths, ``..`` or links), at most
    ``ROSETTA_ARCHIVE_MEMBERS`` of them inflating to at most ``ROSETTA_MAX_UPLOAD_BYTES``;
    an archive holding one folder imports that folder."""
    settings: Settings = request.app.state.settings
    kept_as = upload_name(filename)
    params = {
        "format": format,
        "file": "uploads/pending",
        "mapping": {} if mapping is None else mapping_from_text(mapping),
        "media_root": media_root,
        "default_label": default_label,
        "instances": None if instances is None else f"uploads/pending/{instances}",
        "zero_based_pixels": zero_based_pixels,
        "new_ids": new_ids,
        "batch_size": batch_size,
    }
    await anyio.to_thread.run_sync(lambda: parse_params(FORMAT_IMPORT, params, settings=settings))
    await anyio.to_thread.run_sync(quota_left, store, access, settings)
    name, folder = new_folder_upload(settings.data_dir)
    received = folder.with_name(folder.name + ".upload")
    await receive_upload(
        request, received, settings.max_upload_bytes, what="the file, or a .zip of the folder"
    )
    source = await anyio.to_thread.run_sync(
        lambda: unpack_upload(
            received,
            folder,
            kept_as,
            max_members=settings.archive_members,
            max_bytes=settings.max_upload_bytes,
            max_member_bytes=settings.max_archive_member_bytes,
        )
    )
    params["file"] = f"{name}/{source.relative_to(folder).as_posix()}".removesuffix("/.")
    if instances is not None:  # relative to the folder imported (a file's: its folder)
        base = (source if source.is_dir() else source.parent).relative_to(folder)
        params["instances"] = (PurePosixPath(name) / base.as_posix() / instances).as_posix()
    try:
        job = await anyio.to_thread.run_sync(
            lambda: submit(
                store, actor, FORMAT_IMPORT, access.project_id, params, settings=settings
            )
        )
    except BaseException:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(folder, ignore_errors=True))
        raise
    return submitted(request, response, job)
