"""``GET``/``HEAD /media/{stream_id}`` through the real app: byte ranges, conditional GET and
content types for local files confined to the media roots, allow-listed remote files
proxied through fsspec (in-process memory and a real HTTP server on loopback), no request
to anything else, who may fetch what, and reading no more than the range asked for."""

import os
import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import fsspec
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.datastructures import Headers

from api_clients import client_as
from builders import insert_sample
from conftest import MEDIA, TESTER
from http_media_server import MediaServer, serve_folder
from rosetta.api.ranges import MAX_RANGES, RangeNotSatisfiable, not_modified, parse_range
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.accounts import assign, find_user
from rosetta.services.settings import Settings

VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
MIB = 1 << 20


# Range and conditional headers, read as RFC 9110 says


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", [(0, 100)]),
        ("bytes=100-", [(100, 1000)]),
        ("bytes=-16", [(984, 1000)]),
        ("bytes=-5000", [(0, 1000)]),
        ("bytes=900-5000", [(900, 1000)]),
        ("BYTES = 1-2", [(1, 3)]),
        ("bytes=0-9, 20-29", [(0, 10), (20, 30)]),
        ("bytes=20-29,0-9", [(0, 10), (20, 30)]),
        ("bytes=0-9,5-14,15-19", [(0, 20)]),
        ("bytes=0-9,,", [(0, 10)]),
        ("bytes=0-9,5000-", [(0, 10)]),
        ("bytes=0-9,-0", [(0, 10)]),
        ("bytes=0-99999999999999999999999", [(0, 1000)]),
        ("bytes=5-3", None),
        ("bytes=abc", None),
        ("bytes=-", None),
        ("bytes=", None),
        ("bytes=1-2,x", None),
        ("bytes=+1-2", None),
        ("bytes=١-٢", None),
        ("items=0-5", None),
        ("0-5", None),
        ("bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES + 1)), None),
    ],
)
def test_range_headers(header: str | None, expected: list[tuple[int, int]] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=1000-,-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


def test_a_range_of_an_empty_file_is_ignored() -> None:
    assert parse_range("bytes=0-10", 0) is None


def test_conditional_headers() -> None:
    etag, date = '"abc"', formatdate(1_700_000_000, usegmt=True)

    def check(**headers: str) -> bool:
        return not_modified(Headers(headers), etag, date)

    assert check(**{"if-none-match": '"abc"'})
    assert check(**{"if-none-match": 'W/"abc"'})
    assert check(**{"if-none-match": '"x", "abc"'})
    assert check(**{"if-none-match": "*"})
    assert not check(**{"if-none-match": '"x"'})
    assert check(**{"if-modified-since": date})
    assert check(**{"if-modified-since": formatdate(1_700_000_001, usegmt=True)})
    assert not check(**{"if-modified-since": formatdate(1_699_999_999, usegmt=True)})
    assert not check(**{"if-modified-since": "yesterday"})
    # If-None-Match wins over If-Modified-Since
    assert not check(**{"if-none-match": '"x"', "if-modified-since": date})
    assert not check()


# the app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A media root holding a CSV file (served with the shared fixture media, the second
    root); beside it, a folder ``outside`` holding ``secret.txt``."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "imu.csv").write_text("t,ax\n0,1.5\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("the secret")
    return media


def _stream(
    ident: str, uri: str | None, modality: Modality = Modality.VIDEO, **media: Any
) -> Stream:
    text = "inline" if uri is None else None
    return Stream(
        id=ident, name=ident, modality=modality, uri=uri, text=text, media=MediaInfo(**media)
    )


def _add(engine: Engine, project: Project, *streams: Stream) -> str:
    """A new sample of the project holding `streams`; its id."""
    sample_id = f"s-{uuid.uuid4().hex[:8]}"
    insert_sample(engine, project.id, Sample(id=sample_id, streams=list(streams)))
    return sample_id


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind
    message: str = error["message"]
    return message


def _multipart(response: httpx.Response) -> list[tuple[str, bytes]]:
    """The (Content-Range, body) of each part of a multipart/byteranges response."""
    kind, _, boundary = response.headers["content-type"].partition("; boundary=")
    assert kind == "multipart/byteranges"
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.content
    assert body.endswith(f"--{boundary}--".encode())
    parts = []
    for raw in body.split(f"--{boundary}\r\n".encode())[1:]:
        head, _, rest = raw.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        data = rest.removesuffix(f"--{boundary}--".encode()).removesuffix(b"\r\n")
        parts.append((fields["Content-Range"], data))
    return parts


@pytest.fixture
def video(engine: Engine, project: Project) -> str:
    """The id of a video stream whose URI is relative to the media root."""
    _add(engine, project, _stream("clip", "video/slideshow_320x240_25fps.mp4", mime="video/mp4"))
    return "clip"


@pytest.fixture
def client(engine: Engine, project: Project, root: Path) -> TestClient:
    """A site administrator's client of an app serving media from `root`."""
    return client_as(engine, settings=Settings(media_roots=(root, MEDIA)))


def test_a_local_file_is_served_whole_with_validators(client: TestClient, video: str) -> None:
    content = VIDEO.read_bytes()
    response = client.get(f"/media/{video}")
    assert response.status_code == 200
    assert response.content == content
    headers = response.headers
    assert headers["content-type"] == "video/mp4"
    assert headers["content-length"] == str(len(content))
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"') and headers["last-modified"].endswith("GMT")
    assert headers["cache-control"] == "private"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "sandbox"


def test_local_byte_ranges(client: TestClient, video: str) -> None:
    content = VIDEO.read_bytes()
    size = len(content)

    def get(spec: str, **headers: str) -> httpx.Response:
        return client.get(f"/media/{video}", headers={"Range": spec, **headers})

    part = get("bytes=100-199")
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.headers["content-length"] == "100"
    assert part.content == content[100:200]
    assert get("bytes=-16").content == content[-16:]
    assert get("bytes=1000-").content == content[1000:]
    assert get(f"bytes=0-{10 * size}").headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    # several ranges: multipart/byteranges, overlapping ones merged
    several = get("bytes=20-29,0-9")
    assert several.status_code == 206
    assert _multipart(several) == [
        (f"bytes 0-9/{size}", content[:10]),
        (f"bytes 20-29/{size}", content[20:30]),
    ]
    merged = get("bytes=0-9,5-14")
    assert (merged.status_code, merged.content) == (206, content[:15])
    # unsatisfiable ranges are dropped; 416 only when none is left
    some = get(f"bytes=0-9,{size}-")
    assert (some.status_code, some.content) == (206, content[:10])
    none = get(f"bytes={size}-")
    assert none.status_code == 416
    assert none.headers["content-range"] == f"bytes */{size}"
    # a Range header that does not parse, or in another unit, is ignored
    for ignored in ("bytes=5-3", "bytes=abc", "items=0-5"):
        whole = get(ignored)
        assert (whole.status_code, whole.content) == (200, content), ignored
    # If-Range: the range only while the file is the one named
    etag = client.get(f"/media/{video}").headers["etag"]
    assert get("bytes=0-9", **{"If-Range": etag}).status_code == 206
    assert get("bytes=0-9", **{"If-Range": '"other"'}).status_code == 200


def test_local_conditional_get_and_head(client: TestClient, video: str) -> None:
    first = client.get(f"/media/{video}")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    same = client.get(f"/media/{video}", headers={"If-None-Match": etag})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    assert client.get(f"/media/{video}", headers={"If-None-Match": '"x"'}).status_code == 200
    assert client.get(f"/media/{video}", headers={"If-Modified-Since": modified}).status_code == 304
    older = formatdate(0, usegmt=True)
    assert client.get(f"/media/{video}", headers={"If-Modified-Since": older}).status_code == 200
    head = client.head(f"/media/{video}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]
    assert head.headers["etag"] == etag
    ranged = client.head(f"/media/{video}", headers={"Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.headers["content-length"], ranged.content) == (
        206,
        "10",
        b"",
    )


def test_content_types_of_local_media(engine: Engine, project: Project, client: TestClient) -> None:
    _add(
        engine,
        project,
        _stream("wav", "audio/narration.wav", Modality.AUDIO),
        _stream("wav-declared", "audio/narration.wav", Modality.AUDIO, mime="audio/x-wav"),
        _stream("webm", "video/slideshow_320x240_25fps.webm"),
        _stream("png", "images/astronaut.png", Modality.IMAGE),
        _stream("jpeg", "images/rocket.jpg", Modality.IMAGE, mime="image/jpeg"),
        _stream("csv", "imu.csv", Modality.TIMESERIES),
    )
    expected = {
        "wav": "audio/wav",
        "wav-declared": "audio/wav",
        "webm": "video/webm",
        "png": "image/png",
        "jpeg": "image/jpeg",
        "csv": "text/csv; charset=utf-8",
    }
    for stream, content_type in expected.items():
        response = client.get(f"/media/{stream}")
        assert response.status_code == 200, stream
        assert response.headers["content-type"] == content_type, stream
    assert client.get("/media/csv").text == "t,ax\n0,1.5\n"


def test_media_outside_the_roots_is_refused(
    engine: Engine, project: Project, root: Path, client: TestClient
) -> None:
    outside = root.parent / "outside"
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    uris = {
        "dotdot": "../outside/secret.txt",
        "absolute": str(outside / "secret.txt"),
        "dotdot-absolute": f"{root}/../outside/secret.txt",
        "file-uri": (outside / "secret.txt").as_uri(),
        "file-dotdot": f"file://{root}/../outside/secret.txt",
        "file-encoded": f"file://{root}/%2e%2e/outside/secret.txt",
        "file-encoded-slash": f"file://{root}/video%2F..%2F..%2Foutside%2Fsecret.txt",
        "symlink": "escape.txt",
        "etc": "/etc/passwd",
    }
    _add(engine, project, *(_stream(name, uri, Modality.TEXT) for name, uri in uris.items()))
    for name in uris:
        for method in (client.get, client.head):
            response = method(f"/media/{name}")
            assert response.status_code == 403, (name, method)
            assert b"the secret" not in response.content
        message = _error(client.get(f"/media/{name}"), 403, "permission_denied")
        assert "ROSETTA_MEDIA_ROOTS" in message, name


def test_without_media_roots_nothing_local_is_served(
    engine: Engine, project: Project, video: str
) -> None:
    client = client_as(engine, settings=Settings())
    message = _error(client.get(f"/media/{video}"), 403, "permission_denied")
    assert "no media folders are configured" in message
    assert "ROSETTA_MEDIA_ROOTS" in message


def test_streams_without_a_file_and_unknown_streams_are_not_found(
    engine: Engine, project: Project, client: TestClient
) -> None:
    _add(
        engine,
        project,
        _stream("inline", None, Modality.TEXT),
        _stream("missing", "video/missing.mp4"),
    )
    for stream in ("inline", "missing", "nope", "%2e%2e"):
        _error(client.get(f"/media/{stream}"), 404, "not_found")
    # an id is looked up, never used as a path
    assert client.get("/media/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_who_may_fetch_media(engine: Engine, project: Project, root: Path) -> None:
    settings = Settings(media_roots=(root, MEDIA))
    sample = _add(engine, project, _stream("clip", "video/slideshow_320x240_25fps.mp4"))
    _add(engine, project, _stream("other", "video/slideshow_320x240_25fps.mp4"))
    annotator = client_as(
        engine,
        settings=settings,
        name="ann",
        admin=False,
        project_id=project.id,
        role=Role.ANNOTATOR,
    )
    with engine.connect() as connection:
        user_id = find_user(connection, "ann").id
    assign(engine, TESTER, sample, user_id)
    assert annotator.get("/media/clip").status_code == 200
    assert annotator.head("/media/clip").status_code == 200
    # a sample not assigned to them does not exist for them
    _error(annotator.get("/media/other"), 404, "not_found")
    assert annotator.head("/media/other").status_code == 404
    reviewer = client_as(
        engine,
        settings=settings,
        name="rev",
        admin=False,
        project_id=project.id,
        role=Role.REVIEWER,
    )
    assert reviewer.get("/media/other").status_code == 200
    stranger = client_as(engine, settings=settings, name="stranger", admin=False)
    _error(stranger.get("/media/clip"), 404, "not_found")
    anonymous = TestClient(annotator.app)
    _error(anonymous.get("/media/clip"), 401, "not_authenticated")
    assert anonymous.head("/media/clip").status_code == 401


def test_the_route_declares_its_policy(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]["/media/{stream_id}"]
    assert {method: spec["x-rosetta-policy"] for method, spec in paths.items()} == {
        "get": "annotator",
        "head": "annotator",
    }
    assert {paths["get"]["operationId"], paths["head"]["operationId"]} == {"media", "media_head"}


# remote media


@pytest.fixture
def memory_store() -> Iterator[str]:
    """A fresh folder of fsspec's in-process memory filesystem, as a URL prefix."""
    prefix = f"memory://media-{uuid.uuid4().hex}/"
    yield prefix
    fs = fsspec.filesystem("memory")
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


def test_remote_media_is_proxied_with_ranges(
    engine: Engine, project: Project, memory_store: str
) -> None:
    content = os.urandom(3 * MIB + 17)
    fsspec.filesystem("memory").pipe_file(f"{memory_store}clip.webm", content)
    _add(engine, project, _stream("remote", f"{memory_store}clip.webm"))
    client = client_as(engine, settings=Settings(remote_media=(memory_store,)))
    size = len(content)

    whole = client.get("/media/remote")
    assert whole.status_code == 200
    assert whole.content == content
    headers = whole.headers
    assert headers["content-type"] == "video/webm"
    assert headers["content-length"] == str(size)
    assert headers["accept-ranges"] == "bytes"
    assert headers["cache-control"] == "private"
    assert headers["content-security-policy"] == "sandbox"
    etag = headers["etag"]

    part = client.get("/media/remote", headers={"Range": f"bytes={MIB - 5}-{2 * MIB + 5}"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes {MIB - 5}-{2 * MIB + 5}/{size}"
    assert part.content == content[MIB - 5 : 2 * MIB + 6]
    assert client.get("/media/remote", headers={"Range": "bytes=-10"}).content == content[-10:]
    several = client.get("/media/remote", headers={"Range": "bytes=0-1,-2"})
    assert _multipart(several) == [
        (f"bytes 0-1/{size}", content[:2]),
        (f"bytes {size - 2}-{size - 1}/{size}", content[-2:]),
    ]
    unsatisfiable = client.get("/media/remote", headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"
    assert client.get("/media/remote", headers={"Range": "items=0-1"}).content == content

    assert client.get("/media/remote", headers={"If-None-Match": etag}).status_code == 304
    assert (
        client.get("/media/remote", headers={"Range": "bytes=0-1", "If-Range": etag}).status_code
        == 206
    )
    assert (
        client.get("/media/remote", headers={"Range": "bytes=0-1", "If-Range": '"x"'}).status_code
        == 200
    )
    head = client.head("/media/remote", headers={"Range": "bytes=0-9"})
    assert (head.status_code, head.headers["content-length"], head.content) == (206, "10", b"")


def test_remote_media_not_allow_listed_is_refused(
    engine: Engine, project: Project, memory_store: str
) -> None:
    fsspec.filesystem("memory").pipe_file(f"{memory_store}clip.webm", b"data")
    _add(engine, project, _stream("remote", f"{memory_store}clip.webm"))
    client = client_as(engine, settings=Settings(remote_media=("memory://elsewhere/",)))
    message = _error(client.get("/media/remote"), 403, "permission_denied")
    assert "ROSETTA_REMOTE_MEDIA" in message and memory_store in message
    _error(
        client_as(engine, settings=Settings(), name="x").get("/media/remote"),
        403,
        "permission_denied",
    )


def test_a_missing_remote_file_is_not_found(
    engine: Engine, project: Project, memory_store: str
) -> None:
    _add(engine, project, _stream("remote", f"{memory_store}missing.webm"))
    client = client_as(engine, settings=Settings(remote_media=(memory_store,)))
    _error(client.get("/media/remote"), 404, "not_found")


@pytest.fixture
def http_store(tmp_path: Path) -> Iterator[MediaServer]:
    """A loopback HTTP server with ``public/clip.webm`` (300 kB), a 100 MB sparse
    ``public/big.bin``, ``private/secret.txt``, and ``public/moved.txt`` redirecting to it."""
    served = tmp_path / "served"
    (served / "public").mkdir(parents=True)
    (served / "private").mkdir()
    (served / "public" / "clip.webm").write_bytes(os.urandom(300_000))
    with (served / "public" / "big.bin").open("wb") as big:
        big.truncate(100 * 1000 * 1000)
    (served / "private" / "secret.txt").write_text("the secret")
    redirects = {"/public/moved.txt": "{base}private/secret.txt"}
    with serve_folder(served, redirects) as server:
        yield server


def test_remote_media_over_http_is_proxied_by_range(
    engine: Engine, project: Project, http_store: MediaServer, tmp_path: Path
) -> None:
    content = (tmp_path / "served" / "public" / "clip.webm").read_bytes()
    _add(engine, project, _stream("remote", f"{http_store.url}public/clip.webm"))
    client = client_as(engine, settings=Settings(remote_media=(f"{http_store.url}public/",)))
    part = client.get("/media/remote", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["content-type"] == "video/webm"
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(content)}"
    assert part.content == content[1000:2000]
    assert ("GET", "/public/clip.webm", "bytes=1000-1999") in http_store.seen.requests
    assert client.get("/media/remote").content == content


def test_no_request_leaves_for_hosts_and_paths_not_allow_listed(
    engine: Engine, project: Project, http_store: MediaServer
) -> None:
    base = http_store.url
    host = base.removeprefix("http://").rstrip("/")
    uris = {
        "private": f"{base}private/secret.txt",
        "dotdot": f"{base}public/../private/secret.txt",
        "encoded": f"{base}public/%2e%2e/private/secret.txt",
        "encoded-slash": f"{base}public%2F..%2Fprivate/secret.txt",
        "userinfo": f"http://{host}@169.254.169.254/public/clip.webm",
        "metadata": "http://169.254.169.254/latest/meta-data",
        "chained": f"simplecache::{base}private/secret.txt",
        "https": f"https://{host}/public/clip.webm",
    }
    _add(engine, project, *(_stream(name, uri, Modality.TEXT) for name, uri in uris.items()))
    client = client_as(engine, settings=Settings(remote_media=(f"{base}public/",)))
    for name in uris:
        response = client.get(f"/media/{name}")
        assert response.status_code == 403, name
        assert b"the secret" not in response.content
        assert client.head(f"/media/{name}").status_code == 403, name
    assert http_store.seen.requests == []


def test_redirects_of_an_allow_listed_server_are_not_followed(
    engine: Engine, project: Project, http_store: MediaServer
) -> None:
    _add(engine, project, _stream("moved", f"{http_store.url}public/moved.txt", Modality.TEXT))
    client = client_as(engine, settings=Settings(remote_media=(f"{http_store.url}public/",)))
    message = _error(client.get("/media/moved"), 403, "permission_denied")
    assert "never through redirects" in message
    assert client.head("/media/moved").status_code == 403
    assert {path for _, path, _ in http_store.seen.requests} == {"/public/moved.txt"}


def test_a_one_megabyte_range_of_a_100_megabyte_file_reads_one_megabyte(
    engine: Engine, project: Project, root: Path, http_store: MediaServer
) -> None:
    big = root / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(100 * 1000 * 1000)
    _add(
        engine,
        project,
        _stream("local-big", "big.bin"),
        _stream("remote-big", f"{http_store.url}public/big.bin"),
    )
    client = client_as(
        engine,
        settings=Settings(media_roots=(root, MEDIA), remote_media=(f"{http_store.url}public/",)),
    )
    start = 50 * 1000 * 1000
    spec = f"bytes={start}-{start + MIB - 1}"

    before = _bytes_read()
    local = client.get("/media/local-big", headers={"Range": spec})
    read = _bytes_read() - before
    assert (local.status_code, len(local.content)) == (206, MIB)
    assert read < 8 * MIB, f"read {read} bytes for a 1 MiB range"

    remote = client.get("/media/remote-big", headers={"Range": spec})
    assert (remote.status_code, len(remote.content)) == (206, MIB)
    assert remote.content == bytes(MIB)
    assert http_store.seen.bytes_sent == MIB
    assert http_store.seen.requests == [
        ("HEAD", "/public/big.bin", None),
        ("GET", "/public/big.bin", f"bytes={start}-{start + MIB - 1}"),
    ]


def _bytes_read() -> int:
    """Bytes this process has read through read system calls (Linux ``/proc/self/io``)."""
    io = Path("/proc/self/io")
    if not io.exists():
        pytest.skip("needs /proc/self/io (Linux) to count the bytes read")
    fields = dict(line.split(": ") for line in io.read_text().splitlines())
    return int(fields["rchar"])
