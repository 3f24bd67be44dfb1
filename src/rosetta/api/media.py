"""Serving a stream's media from where its URI points, with HTTP range requests."""

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from rosetta.api.deps import Db
from rosetta.core.errors import NotFoundError
from rosetta.media.probe import local_path
from rosetta.services.catalog import find_stream

router = APIRouter()


@router.get("/media/{stream_id}", response_class=FileResponse)
def media(db: Db, stream_id: str) -> FileResponse:
    """The media file of stream `stream_id` (``Range: bytes=…`` answers 206 with that part)."""
    stream = find_stream(db, stream_id)
    if stream.uri is None:
        raise NotFoundError("media file for stream", stream_id)
    path = local_path(stream.uri)
    if not path.is_file():
        raise NotFoundError("media file", str(path))
    mime = stream.media.mime or mimetypes.guess_type(path.name)[0]
    return FileResponse(path, media_type=mime)
