"""Media that lies and media URIs that point inwards.

- A text file named ``.png``, a PNG header followed by garbage and an HTML page named
  ``.png`` are refused by probing (an import fails naming the file, the line and the
  file, writing nothing), and the media route serves them only as the inert type their
  name or stream says, ``nosniff`` and sandboxed, so a browser never runs them.
- Media URIs naming the server itself or the cloud metadata address under other
  spellings (``localhost``, ``[::1]``, decimal, hex and short IPv4, a trailing dot, a
  DNS name resolving to loopback) are refused by the allow-list even when the loopback
  server's own URL is allowed, and no request reaches it; a proposal request cannot name
  the proposer's endpoint (the operator's setting alone).

Path traversal in media URIs (``..``, absolute paths, ``file://``, ``%2e%2e``, symbolic
links) is refused in test_media_access.py, test_media_serving.py and
test_format_media_confinement.py.
"""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api_clients import client_as
from builders import insert_sample
from conftest import TESTER
from foreign_formats import row_counts
from http_media_server import MediaServer, serve_folder
from rosetta.core.errors import ImportFailed, PermissionDenied
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.importer import import_jsonl
from rosetta.services.media_access import locate
from rosetta.services.settings import Settings

PNG_HEADER = b"\x89PNG\r\n\x1a\n"
LIARS = {
    "text.png": b"just some text, not an image\n",
    "garbage.png": PNG_HEADER + b"\x00\x00\x00\rIHDR" + b"\xde\xad\xbe\xef" * 64,
    "page.png": b"<html><script>window.__pwned = 1</script></html>",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    for name, content in LIARS.items():
        (media / name).write_bytes(content)
    (media / "page.html").write_bytes(LIARS["page.png"])
    return media


@pytest.mark.parametrize("name", sorted(LIARS))
def test_probing_refuses_media_that_lies_about_its_type(
    engine: Engine, project: Project, root: Path, tmp_path: Path, name: str
) -> None:
    line = {
        "id": "liar",
        "streams": [{"id": "liar.image", "name": "photo", "modality": "image", "uri": name}],
    }
    path = tmp_path / "liar.jsonl"
    path.write_text(json.dumps(line) + "\n")
    settings = Settings(media_roots=(root,), data_dir=tmp_path / "data")

    with pytest.raises(ImportFailed) as failed:
        import_jsonl(engine, project.id, path, TESTER, settings=settings)

    assert (failed.value.file, failed.value.line) == (str(path), 1)
    assert "not readable as" in failed.value.detail
    assert row_counts(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("uri", "declared", "served"),
    [
        ("text.png", None, "image/png"),
        ("garbage.png", "image/png", "image/png"),
        ("page.png", None, "image/png"),
        ("page.html", None, "text/html"),
        ("page.png", "text/html", "text/html"),
    ],
)
def test_the_media_route_serves_lying_media_inert(
    *, engine: Engine, project: Project, root: Path, uri: str, declared: str | None, served: str
) -> None:
    stream = f"s{uuid.uuid4().hex[:8]}"
    media = MediaInfo(width=4, height=4, mime=declared)
    insert_sample(
        engine,
        project.id,
        Sample(
            id=f"{stream}-sample",
            streams=[
                Stream(id=stream, name="photo", modality=Modality.IMAGE, uri=uri, media=media)
            ],
        ),
    )
    client = client_as(engine, settings=Settings(media_roots=(root,)))

    response = client.get(f"/media/{stream}")

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == served
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


@pytest.fixture
def internal(tmp_path: Path) -> Iterator[MediaServer]:
    folder = tmp_path / "internal"
    (folder / "public").mkdir(parents=True)
    (folder / "public" / "clip.webm").write_bytes(b"webm")
    (folder / "secret.txt").write_text("the secret")
    with serve_folder(folder) as server:
        yield server


def _spellings(port: int) -> list[str]:
    """The loopback server and the metadata address, spelt as a URL host other ways."""
    return [
        f"http://localhost:{port}/public/clip.webm",
        f"http://localhost.:{port}/public/clip.webm",
        f"http://[::1]:{port}/public/clip.webm",
        f"http://[::ffff:127.0.0.1]:{port}/public/clip.webm",
        f"http://2130706433:{port}/public/clip.webm",
        f"http://0x7f000001:{port}/public/clip.webm",
        f"http://0177.0.0.1:{port}/public/clip.webm",
        f"http://127.1:{port}/public/clip.webm",
        f"http://127.0.0.1.nip.io:{port}/public/clip.webm",
        f"http://LOCALHOST:{port}/secret.txt",
        f"http://127.0.0.1:{port}/secret.txt",
        f"http://127.0.0.1:{port}@169.254.169.254/public/clip.webm",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ]


def test_internal_addresses_are_refused_under_every_spelling(
    engine: Engine, project: Project, internal: MediaServer
) -> None:
    port = int(internal.url.rsplit(":", 1)[1].strip("/"))
    allowed = f"{internal.url}public/"
    settings = Settings(remote_media=(allowed,))
    uris = _spellings(port)
    for uri in uris:
        with pytest.raises(PermissionDenied, match=r"ROSETTA_REMOTE_MEDIA|never fetched"):
            locate(uri, settings)
    streams = [
        Stream(id=f"ssrf{n}", name=f"v{n}", modality=Modality.VIDEO, uri=uri)
        for n, uri in enumerate(uris)
    ]
    insert_sample(engine, project.id, Sample(id="ssrf", streams=streams))
    client = client_as(engine, settings=settings)
    for stream in streams:
        response = client.get(f"/media/{stream.id}")
        assert response.status_code == 403, stream.uri
        assert b"the secret" not in response.content
    assert internal.seen.requests == []
    # the allowed prefix itself is served: the refusals above are the spellings'
    assert locate(f"{allowed}clip.webm", settings).uri == f"{allowed}clip.webm"


def test_a_proposal_request_cannot_point_a_proposer_at_an_internal_address(
    engine: Engine, project: Project, internal: MediaServer, tmp_path: Path
) -> None:
    """The llm proposer's endpoint is the operator's setting alone: a request naming
    another one (as a parameter: 422; as the proposer: 404) is refused and nothing is
    fetched."""
    settings = Settings(
        data_dir=tmp_path / "data", proposer_models={"llm": "http://127.0.0.1:9/v1#model"}
    )
    stream = Stream(id="t", name="caption", modality=Modality.TEXT, text="a cat")
    insert_sample(engine, project.id, Sample(id="s1", streams=[stream]))
    client = client_as(engine, settings=settings)
    asks = [
        {"proposer": "llm", "parameters": {"base_url": f"{internal.url}v1"}},
        {"proposer": "llm", "parameters": {"endpoint": f"{internal.url}v1#model"}},
        {"proposer": "llm", "parameters": {"model": f"{internal.url}v1#model"}},
        {"proposer": f"{internal.url}v1#model"},
        {"proposer": "llm", "parameters": {"task": f"{internal.url}v1"}},
    ]
    for ask in asks:
        response = client.post("/api/samples/s1/proposals", json={"stream": "t", **ask})
        assert response.status_code in (404, 422), (ask, response.text)
    assert internal.seen.requests == []
