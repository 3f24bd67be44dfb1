"""Which media URIs may be read: local files confined to the media roots, remote URLs only
under an allow-listed prefix (fsspec), and imports that never fetch remote media."""

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import orjson
import pytest
from sqlalchemy import Engine, select

from conftest import MEDIA, TESTER
from http_media_server import MediaServer, serve_folder
from rosetta.core.errors import ImportFailed, NotFoundError, PermissionDenied, RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import Project, Sample, Stream
from rosetta.services.importer import import_jsonl, import_samples
from rosetta.services.media_access import (
    REMOTE_CHUNK,
    LocalMedia,
    RemoteMedia,
    content_type,
    local_media_path,
    locate,
    open_remote,
)
from rosetta.services.settings import Settings
from rosetta.store.tables import streams

WAV = MEDIA / "audio" / "narration.wav"


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    """A media root holding ``a.wav`` and ``sub/b.png``, and a folder outside it holding
    ``secret.txt``."""
    root = tmp_path / "media"
    (root / "sub").mkdir(parents=True)
    (root / "a.wav").write_bytes(b"RIFF")
    (root / "sub" / "b.png").write_bytes(b"\x89PNG")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    return root, outside


def _settings(*roots: Path, remote: tuple[str, ...] = ()) -> Settings:
    return Settings(media_roots=roots, remote_media=remote)


# local files


def test_a_file_inside_a_root_is_located_by_absolute_path_relative_path_and_file_uri(
    roots: tuple[Path, Path],
) -> None:
    root, _ = roots
    settings = _settings(root)
    real = (root / "sub" / "b.png").resolve()
    for uri in (str(root / "sub" / "b.png"), "sub/b.png", (root / "sub" / "b.png").as_uri()):
        assert locate(uri, settings) == LocalMedia(uri, real)
    # a percent-encoded file URI names the same file
    encoded = f"file://{root}/sub/%62.png"
    assert locate(encoded, settings) == LocalMedia(encoded, real)
    assert local_media_path("a.wav", settings) == (root / "a.wav").resolve()


def test_a_relative_path_is_looked_up_in_each_root_in_turn(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    (second / "only-here.wav").write_bytes(b"x")
    found = locate("only-here.wav", _settings(first, second))
    assert found == LocalMedia("only-here.wav", (second / "only-here.wav").resolve())


def test_nothing_local_is_served_without_media_roots(roots: tuple[Path, Path]) -> None:
    root, _ = roots
    for uri in (str(root / "a.wav"), "a.wav", (root / "a.wav").as_uri()):
        with pytest.raises(PermissionDenied, match="ROSETTA_MEDIA_ROOTS"):
            locate(uri, _settings())


@pytest.mark.parametrize(
    "uri",
    [
        "{outside}/secret.txt",
        "{root}/../outside/secret.txt",
        "../outside/secret.txt",
        "sub/../../outside/secret.txt",
        "file://{outside}/secret.txt",
        "file://{root}/../outside/secret.txt",
        "file://{root}/%2e%2e/outside/secret.txt",
        "file://{root}/sub/%2E%2E%2F%2E%2E%2Foutside%2Fsecret.txt",
        "/etc/passwd",
        "file:///etc/passwd",
        "../../../../../../../../etc/passwd",
    ],
)
def test_paths_that_leave_the_roots_are_refused(roots: tuple[Path, Path], uri: str) -> None:
    root, outside = roots
    uri = uri.format(root=root, outside=outside)
    with pytest.raises(PermissionDenied, match="outside every folder of ROSETTA_MEDIA_ROOTS"):
        locate(uri, _settings(root))


def test_a_literal_percent_in_a_plain_path_is_not_decoded(roots: tuple[Path, Path]) -> None:
    root, _ = roots
    # a path is not a URL: "%2e%2e" is a folder of that name inside the root, not ".."
    with pytest.raises(NotFoundError):
        locate("%2e%2e/outside/secret.txt", _settings(root))


def test_symbolic_links_that_leave_the_roots_are_refused(roots: tuple[Path, Path]) -> None:
    root, outside = roots
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    (root / "away").symlink_to(outside, target_is_directory=True)
    (root / "inner.wav").symlink_to(root / "a.wav")
    settings = _settings(root)
    for uri in ("escape.txt", "away/secret.txt", str(root / "away" / "secret.txt")):
        with pytest.raises(PermissionDenied, match="symbolic links"):
            locate(uri, settings)
    # a link that stays inside the roots is followed
    assert locate("inner.wav", settings) == LocalMedia("inner.wav", (root / "a.wav").resolve())


def test_a_root_that_is_itself_a_link_holds_what_its_target_holds(
    roots: tuple[Path, Path], tmp_path: Path
) -> None:
    root, _ = roots
    link = tmp_path / "linked-root"
    link.symlink_to(root, target_is_directory=True)
    uri = str(link / "a.wav")
    assert locate(uri, _settings(link)) == LocalMedia(uri, (root / "a.wav").resolve())


def test_missing_files_folders_and_loops_inside_a_root_are_not_found(
    roots: tuple[Path, Path],
) -> None:
    root, _ = roots
    (root / "loop").symlink_to(root / "loop")
    os.mkfifo(root / "pipe")
    for uri in ("missing.wav", "sub", "loop", "pipe", ""):
        with pytest.raises(NotFoundError):
            locate(uri, _settings(root))


def test_odd_local_uris_are_refused(roots: tuple[Path, Path]) -> None:
    root, _ = roots
    with pytest.raises(RosettaError, match="NUL"):
        locate("a.wav\x00.png", _settings(root))
    with pytest.raises(RosettaError, match="must name a local file"):
        locate("file://169.254.169.254/latest/meta-data", _settings(root))


# remote URLs


@pytest.mark.parametrize(
    ("uri", "prefix"),
    [
        ("https://cdn.example.org/media/a.wav", "https://cdn.example.org/media/"),
        ("HTTPS://CDN.example.org/media/sub/a.wav?sig=1", "https://cdn.example.org/media/"),
        ("https://cdn.example.org/media/a.wav", "https://cdn.example.org/media"),
        ("https://cdn.example.org/any/a.wav", "https://cdn.example.org"),
        ("s3://bucket/clips/a.wav", "s3://bucket/clips/"),
        ("memory://store/a.wav", "memory://store/"),
    ],
)
def test_remote_uris_under_an_allowed_prefix_are_located(uri: str, prefix: str) -> None:
    assert locate(uri, _settings(remote=(prefix,))) == RemoteMedia(uri, prefix)


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("http://169.254.169.254/latest/meta-data", "under no prefix of ROSETTA_REMOTE_MEDIA"),
        ("https://cdn.example.org.evil.net/media/a.wav", "under no prefix"),
        ("https://cdn.example.org@evil.net/media/a.wav", "under no prefix"),
        ("https://cdn.example.org:8443/media/a.wav", "under no prefix"),
        ("http://cdn.example.org/media/a.wav", "under no prefix"),
        ("https://cdn.example.org/media-private/a.wav", "under no prefix"),
        ("https://cdn.example.org/private/a.wav", "under no prefix"),
        ("s3://other-bucket/clips/a.wav", "under no prefix"),
        ("gs://bucket/clips/a.wav", "under no prefix"),
        ("https://cdn.example.org/media/../private/a.wav", "'.' or '..' segments"),
        ("https://cdn.example.org/media/%2e%2e/private/a.wav", "'.' or '..' segments"),
        ("https://cdn.example.org/media/%2E%2E%2Fprivate/a.wav", "'.' or '..' segments"),
        ("https://cdn.example.org/media/..\\private/a.wav", "'.' or '..' segments"),
        ("simplecache::https://cdn.example.org/media/a.wav", "chained"),
        ("zip://a.wav::https://cdn.example.org/media/x.zip", "chained"),
        ("local:///etc/passwd", "ROSETTA_MEDIA_ROOTS"),
    ],
)
def test_remote_uris_outside_the_allow_list_are_refused(uri: str, why: str) -> None:
    settings = _settings(
        remote=("https://cdn.example.org/media", "s3://bucket/clips/", "local:///etc/")
    )
    with pytest.raises(PermissionDenied, match=why):
        locate(uri, settings)


def test_no_remote_uri_is_allowed_by_default() -> None:
    with pytest.raises(PermissionDenied, match="ROSETTA_REMOTE_MEDIA"):
        locate("memory://store/a.wav", Settings())
    with pytest.raises(RosettaError, match="remote media cannot be read here"):
        local_media_path("memory://store/a.wav", _settings(remote=("memory://store/",)))


@pytest.fixture
def memory_store() -> Iterator[str]:
    """A fresh folder of fsspec's in-process memory filesystem, as a URL prefix."""
    prefix = f"memory://media-{uuid.uuid4().hex}/"
    yield prefix
    fs = fsspec.filesystem("memory")
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


def test_a_remote_file_is_read_by_range_in_chunks(memory_store: str) -> None:
    content = os.urandom(2 * REMOTE_CHUNK + 123)
    uri = f"{memory_store}clip.bin"
    fs = fsspec.filesystem("memory")
    fs.pipe_file(uri, content)
    remote = open_remote(RemoteMedia(uri, memory_store))
    try:
        assert remote.size == len(content)
        assert remote.etag is not None and remote.etag.startswith('"')
        assert remote.last_modified is not None
        middle = list(remote.chunks(10, 10 + REMOTE_CHUNK + 5))
        assert [len(chunk) for chunk in middle] == [REMOTE_CHUNK, 5]
        assert b"".join(middle) == content[10 : 10 + REMOTE_CHUNK + 5]
        assert b"".join(remote.chunks(0, None)) == content
        assert b"".join(remote.chunks(len(content) - 3, len(content))) == content[-3:]
        with pytest.raises(RosettaError, match="ended at byte"):
            list(remote.chunks(len(content) - 3, len(content) + 10))
    finally:
        remote.close()
    # the validators follow the file
    fs.pipe_file(uri, content[:-1])
    again = open_remote(RemoteMedia(uri, memory_store))
    assert (again.size, again.etag != remote.etag) == (len(content) - 1, True)
    again.close()


def test_a_missing_remote_file_or_folder_is_not_found(memory_store: str) -> None:
    fsspec.filesystem("memory").pipe_file(f"{memory_store}folder/x.bin", b"x")
    for name in ("missing.bin", "folder"):
        with pytest.raises(NotFoundError):
            open_remote(RemoteMedia(f"{memory_store}{name}", memory_store))


def test_an_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(RosettaError, match=re.escape("nosuchproto://x/a.wav")):
        open_remote(RemoteMedia("nosuchproto://x/a.wav", "nosuchproto://x/"))


def test_remote_files_over_http_are_read_by_range(tmp_path: Path) -> None:
    content = os.urandom(300_000)
    (tmp_path / "clip.bin").write_bytes(content)
    with serve_folder(tmp_path) as server:
        uri = f"{server.url}clip.bin"
        remote = open_remote(RemoteMedia(uri, server.url))
        try:
            assert remote.size == len(content)
            assert b"".join(remote.chunks(1000, 2000)) == content[1000:2000]
        finally:
            remote.close()
        assert ("GET", "/clip.bin", "bytes=1000-1999") in server.seen.requests
        assert server.seen.bytes_sent == 1000


# content types


@pytest.mark.parametrize(
    ("uri", "declared", "expected"),
    [
        ("a/b.wav", None, "audio/wav"),
        ("a/b.WAV", None, "audio/wav"),
        ("a/b.wav", "audio/x-wav", "audio/wav"),
        ("a/b.mp4", None, "video/mp4"),
        ("a/b.webm", None, "video/webm"),
        ("a/b.png", None, "image/png"),
        ("a/b.jpg", None, "image/jpeg"),
        ("a/b.csv", None, "text/csv"),
        ("a/b.flac", None, "audio/flac"),
        ("a/b.pcd", None, None),
        ("a/b.bin", "image/png", "image/png"),
        ("a/b.txt", "text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("a/b.png", "not a type\r\nSet-Cookie: x=1", "image/png"),
        ("https://cdn.example.org/v/clip.webm?sig=a.b", None, "video/webm"),
        ("file:///data/clip%20one.mp4", None, "video/mp4"),
    ],
)
def test_content_types(uri: str, declared: str | None, expected: str | None) -> None:
    assert content_type(uri, declared) == expected


# imports never fetch remote media


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[MediaServer]:
    """A loopback HTTP server holding a real WAV file."""
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "narration.wav").write_bytes(WAV.read_bytes())
    with serve_folder(tmp_path / "served") as server:
        yield server


def _remote_sample(sample_id: str, uri: str) -> Sample:
    return Sample(
        id=sample_id,
        streams=[Stream(id=f"{sample_id}.audio", name="audio", modality=Modality.AUDIO, uri=uri)],
    )


def _stored_media(engine: Engine, stream_id: str) -> dict[str, object]:
    with engine.connect() as connection:
        media = connection.execute(
            select(streams.c.media).where(streams.c.id == stream_id)
        ).scalar_one()
    return dict(orjson.loads(media))


def test_importing_remote_uris_fetches_nothing(
    engine: Engine, project: Project, http_server: MediaServer, tmp_path: Path
) -> None:
    url = f"{http_server.url}narration.wav"
    import_samples(engine, project.id, [_remote_sample("s1", url)], TESTER)
    lines = [
        orjson.dumps(
            _remote_sample("s2", "HTTP://" + url.removeprefix("http://")).model_dump(
                mode="json", exclude_none=True
            )
        ),
        orjson.dumps(
            _remote_sample("s3", "http://169.254.169.254/latest/meta-data").model_dump(
                mode="json", exclude_none=True
            )
        ),
    ]
    path = tmp_path / "remote.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_jsonl(engine, project.id, path, TESTER)
    assert report.samples_written == 2
    assert http_server.seen.requests == []
    for stream_id in ("s1.audio", "s2.audio", "s3.audio"):
        assert _stored_media(engine, stream_id) == {}


@pytest.mark.parametrize(
    "uri", ["file://{host}/narration.wav", "http:{host}/narration.wav", "s3:bucket/key.wav"]
)
def test_importing_uris_that_only_look_local_fails_without_fetching(
    engine: Engine, project: Project, http_server: MediaServer, uri: str
) -> None:
    host = http_server.url.removeprefix("http://").rstrip("/")
    with pytest.raises(ImportFailed, match=r"streams\[0\]\.uri"):
        import_samples(engine, project.id, [_remote_sample("s1", uri.format(host=host))], TESTER)
    assert http_server.seen.requests == []
