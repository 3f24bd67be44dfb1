"""Media grants (`rosetta.services.media_grants`) through the real app on both stores: a
grant reads its one stream's media over HTTP (byte ranges too) and nothing else, expires,
dies with its granter, is stored as a hash only; a proposer's request carries a granted
URL when the server knows its public address, and the ``llm`` proposer with ``media=url``
sends that URL to an endpoint that fetches the image from the real server (a proposal and
a ``prelabel`` job)."""

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from builders import insert_sample, streams_of
from conftest import MEDIA, TESTER
from loopback import api_token, serve
from openai_stub_server import serve_stub
from rosetta.api import create_app
from rosetta.core.errors import NotFoundError
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample, Stream
from rosetta.proposers.openai_compatible import ChatProposer, parse_endpoint
from rosetta.proposers.spec import MediaRef, ProposalRequest
from rosetta.services import accounts
from rosetta.services.job_kinds import submit
from rosetta.services.job_worker import Worker
from rosetta.services.media_grants import grant, grant_urls, media_url
from rosetta.services.settings import Settings
from rosetta.store.events import Actor
from rosetta.store.tables import annotations, media_grants

IMAGE = MEDIA / "images" / "astronaut.png"
AUDIO = MEDIA / "audio" / "narration.wav"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(media_roots=(MEDIA,), data_dir=tmp_path / "data", job_workers=0)


@pytest.fixture
def anonymous(engine: Engine, project: Project, settings: Settings) -> Iterator[TestClient]:
    """A client of the real app with no credentials, over a project with sample s1 (text,
    image, audio and video streams) and sample s2."""
    insert_sample(engine, project.id, Sample(id="s1", streams=streams_of("s1")))
    insert_sample(engine, project.id, Sample(id="s2", streams=streams_of("s2")))
    with TestClient(create_app(engine, settings)) as client:
        yield client


def rows(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    with engine.connect() as connection:
        return [
            (row.token_hash, row.stream_id, row.sample_id, row.granted_by, row.purpose)
            for row in connection.execute(select(media_grants).order_by(media_grants.c.pk))
        ]


def test_a_grant_reads_its_streams_media_whole_and_by_range(
    engine: Engine, project: Project, anonymous: TestClient
) -> None:
    tokens = grant(engine, TESTER, ["s1-image", "s1-audio"], ttl=60, purpose="proposer 'x'")
    token = tokens["s1-image"]
    assert token.startswith("rsg_") and tokens["s1-audio"] != token

    whole = anonymous.get("/media/s1-image", params={"grant": token})
    assert whole.status_code == 200, whole.text
    assert whole.content == IMAGE.read_bytes()
    assert whole.headers["content-type"] == "image/png"
    assert whole.headers["cache-control"] == "private"

    part = anonymous.get(
        "/media/s1-audio", params={"grant": tokens["s1-audio"]}, headers={"Range": "bytes=4-15"}
    )
    assert part.status_code == 206, part.text
    assert part.content == AUDIO.read_bytes()[4:16]
    assert part.headers["content-range"] == f"bytes 4-15/{AUDIO.stat().st_size}"

    head = anonymous.head("/media/s1-image", params={"grant": token})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == IMAGE.stat().st_size

    # only the tokens' hashes are kept, with the stream, its sample, who and why
    assert rows(engine) == [
        (hashlib.sha256(token.encode()).hexdigest(), "s1-image", "s1", "tester", "proposer 'x'"),
        (
            hashlib.sha256(tokens["s1-audio"].encode()).hexdigest(),
            "s1-audio",
            "s1",
            "tester",
            "proposer 'x'",
        ),
    ]
    with engine.connect() as connection:
        [project_id] = connection.execute(select(media_grants.c.project_id).distinct()).scalars()
    assert project_id == project.id


def test_a_grant_opens_no_other_stream_and_no_api_route(
    engine: Engine, project: Project, anonymous: TestClient
) -> None:
    token = grant(engine, TESTER, ["s1-image"], ttl=60, purpose="test")["s1-image"]
    for other in ("s1-audio", "s2-image"):
        refused = anonymous.get(f"/media/{other}", params={"grant": token})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["type"] == "permission_denied"
        assert "another stream" in refused.json()["error"]["message"]
    assert anonymous.head("/media/s2-image", params={"grant": token}).status_code == 403
    for path in (
        "/api/streams/s1-image",
        "/api/samples/s1",
        "/api/samples/s1/streams",
        f"/api/projects/{project.id}/samples",
        "/api/streams/s1-image/frames",
        "/api/me",
    ):
        assert anonymous.get(path, params={"grant": token}).status_code == 401, path
        bearer = anonymous.get(path, headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 401, path
    proposed = anonymous.post(
        "/api/samples/s1/proposals",
        params={"grant": token},
        json={"proposer": "webrtc-vad", "stream": "s1-audio", "label": "speech"},
    )
    assert proposed.status_code == 401
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(annotations)).scalar() == 0
    unknown = anonymous.get("/media/s1-image", params={"grant": "rsg_" + "x" * 43})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["message"] == "the media grant is not valid"


def test_an_expired_grant_is_refused_and_removed_by_the_next_grant(
    engine: Engine, anonymous: TestClient
) -> None:
    old = grant(engine, TESTER, ["s1-image"], ttl=60, purpose="old", now=time.time() - 3600)
    refused = anonymous.get("/media/s1-image", params={"grant": old["s1-image"]})
    assert refused.status_code == 401, refused.text
    assert "expired" in refused.json()["error"]["message"]
    assert [row[4] for row in rows(engine)] == ["old"]

    fresh = grant(engine, TESTER, ["s1-image"], ttl=60, purpose="new")
    assert [row[4] for row in rows(engine)] == ["new"]
    assert anonymous.get("/media/s1-image", params={"grant": fresh["s1-image"]}).status_code == 200


def test_a_grant_ends_with_its_granter_and_an_unknown_stream_grants_nothing(
    engine: Engine, project: Project, anonymous: TestClient
) -> None:
    ann = accounts.create_user(engine, "ann")
    accounts.set_role(engine, TESTER, project.id, ann.id, Role.MANAGER)
    token = grant(engine, Actor("ann"), ["s1-image"], ttl=60, purpose="test")["s1-image"]
    assert anonymous.get("/media/s1-image", params={"grant": token}).status_code == 200
    accounts.update_user(engine, ann.id, active=False)
    assert anonymous.get("/media/s1-image", params={"grant": token}).status_code == 401

    before = rows(engine)
    with pytest.raises(NotFoundError, match="no-such"):
        grant(engine, TESTER, ["s2-image", "no-such"], ttl=60, purpose="test")
    assert rows(engine) == before


def test_a_grant_ends_when_its_granter_can_no_longer_read_the_sample(
    engine: Engine, project: Project, anonymous: TestClient
) -> None:
    """A grant carries its granter's access, not more: an annotator's ends when the sample
    is taken from them, a manager's when they leave the project."""
    bea = accounts.create_user(engine, "bea")
    accounts.set_role(engine, TESTER, project.id, bea.id, Role.ANNOTATOR)
    accounts.assign(engine, TESTER, "s1", bea.id)
    token = grant(engine, Actor("bea"), ["s1-image"], ttl=60, purpose="test")["s1-image"]
    assert anonymous.get("/media/s1-image", params={"grant": token}).status_code == 200

    accounts.unassign(engine, TESTER, "s1", bea.id)

    refused = anonymous.get("/media/s1-image", params={"grant": token})
    assert refused.status_code == 403, refused.text
    assert "granter can no longer read" in refused.json()["error"]["message"]
    assert anonymous.head("/media/s1-image", params={"grant": token}).status_code == 403
    cy = accounts.create_user(engine, "cy")
    accounts.set_role(engine, TESTER, project.id, cy.id, Role.MANAGER)
    token = grant(engine, Actor("cy"), ["s2-audio"], ttl=60, purpose="test")["s2-audio"]
    assert anonymous.get("/media/s2-audio", params={"grant": token}).status_code == 200
    accounts.set_role(engine, TESTER, project.id, cy.id, None)
    assert anonymous.get("/media/s2-audio", params={"grant": token}).status_code == 403


def test_grant_urls_need_a_public_url(engine: Engine, anonymous: TestClient) -> None:
    assert grant_urls(engine, Settings(), TESTER, ["s1-image"], purpose="test") == {}
    public = Settings(public_url="https://rosetta.example.org/base/", grant_minutes=2)
    [url] = grant_urls(engine, public, TESTER, ["s1-image"], purpose="test").values()
    assert url.startswith("https://rosetta.example.org/base/media/s1-image?grant=rsg_")
    with engine.connect() as connection:
        row = connection.execute(select(media_grants)).one()
    assert row.expires_at - row.created_at == 120
    token = url.partition("?grant=")[2]
    assert anonymous.get("/media/s1-image", params={"grant": token}).status_code == 200
    assert media_url("http://h", "a b", "t") == "http://h/media/a%20b?grant=t"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("http://rosetta.example.org", "plain HTTP"),
        ("ftp://rosetta.example.org", "http(s)://host"),
        ("https://rosetta.example.org/?x=1", "without a query"),
        ("https://user:pw@rosetta.example.org", "credentials"),
    ],
)
def test_an_unsafe_public_url_is_refused(given: str, says: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        Settings(public_url=given)


def test_safe_public_urls_are_taken() -> None:
    assert Settings(public_url="http://127.0.0.1:8000").public_url == "http://127.0.0.1:8000"
    assert Settings(public_url="http://rosetta.lan", dev=True).public_url == "http://rosetta.lan"
    assert Settings(public_url="https://rosetta.example.org").grant_minutes == 15


def test_the_llm_setting_chooses_how_an_image_is_sent() -> None:
    assert parse_endpoint("http://h/v1#m").media == "inline"
    assert parse_endpoint("http://h/v1#m?media=url").media == "url"
    with pytest.raises(Exception, match="media='file' is not 'inline' or 'url'"):
        parse_endpoint("http://h/v1#m?media=file")


def test_without_a_url_the_llm_proposer_sends_the_image_inline() -> None:
    """``media=url`` and a request whose media has no granted URL: inline as before."""
    with serve_stub({"vlm": "ok"}) as stub:
        chat = ChatProposer(model=f"{stub.base_url}#vlm?media=url")
        uri = IMAGE.as_uri()
        request = ProposalRequest(
            sample_id="s1",
            stream=Stream(id="cam", name="cam", modality=Modality.IMAGE, uri=uri),
            media=MediaRef.local(uri, IMAGE),
            label="scene",
            parameters={"task": "caption"},
        )
        [[proposal]] = chat.propose([request])
        [body] = stub.seen.chats()
    sent = body["messages"][1]["content"][1]["image_url"]["url"]
    assert sent.startswith("data:image/png;base64,")
    assert proposal.details["prompt"]["image"]["width"] == 512


def expected_caption() -> str:
    with Image.open(IMAGE) as image:
        pixels = np.asarray(image.convert("RGB"))
    r, g, b = (round(float(v)) for v in pixels.reshape(-1, 3).mean(axis=0))
    return f"512x512 image, mean colour ({r}, {g}, {b})"


def test_a_proposal_sends_a_granted_url_the_endpoint_fetches_from_the_server(
    engine: Engine, project: Project, settings: Settings
) -> None:
    insert_sample(engine, project.id, Sample(id="s1", streams=streams_of("s1")))
    token = api_token(engine, "ann", project_id=project.id, role=Role.ANNOTATOR)
    with engine.connect() as connection:
        ann = accounts.find_user(connection, "ann")
    accounts.assign(engine, TESTER, "s1", ann.id)
    with serve_stub({"vlm": "ok"}, fetch_urls=True) as stub:
        configured = Settings(
            **{
                **settings.model_dump(),
                "proposer_models": {"llm": f"{stub.base_url}#vlm?media=url"},
            }
        )
        with serve(engine, configured, public=True) as base:
            made = httpx.post(
                f"{base}/api/samples/s1/proposals",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "proposer": "llm",
                    "stream": "s1-image",
                    "label": "scene",
                    "parameters": {"task": "caption"},
                },
                timeout=30,
            )
            assert made.status_code == 201, made.text
            [(url, status)] = stub.seen.fetched
            # the URL still reads that stream only
            grant_token = url.partition("?grant=")[2]
            other = httpx.get(f"{base}/media/s1-audio", params={"grant": grant_token})
            assert other.status_code == 403
        [body] = stub.seen.chats()
    assert url.startswith(f"{base}/media/s1-image?grant=rsg_") and status == 200
    assert body["messages"][1]["content"][1]["image_url"]["url"] == url
    [candidate] = made.json()
    details = candidate["source"]["parameters"]["details"]
    assert details["text"] == expected_caption()
    assert details["prompt"]["image"] == {"url": f"{base}/media/s1-image"}
    assert grant_token not in made.text
    [row] = rows(engine)
    assert row[1:] == ("s1-image", "s1", "ann", "proposer 'llm'")


def test_a_prelabel_job_grants_each_stream_and_the_endpoint_fetches_them(
    engine: Engine, project: Project, settings: Settings
) -> None:
    for index in range(3):
        insert_sample(engine, project.id, Sample(id=f"s{index}", streams=streams_of(f"s{index}")))
    with serve_stub({"vlm": "ok"}, fetch_urls=True) as stub:
        configured = Settings(
            **{
                **settings.model_dump(),
                "proposer_models": {"llm": f"{stub.base_url}#vlm?media=url"},
            }
        )
        with serve(engine, configured) as base:
            job = submit(
                engine,
                TESTER,
                "prelabel",
                project.id,
                {
                    "proposer": "llm",
                    "label": "scene",
                    "stream_name": "photo",
                    "batch": 2,
                    "parameters": {"task": "caption"},
                },
            )
            public = Settings(**{**configured.model_dump(), "public_url": base})
            worker = Worker(engine, data_dir=settings.data_dir, settings=public, poll=0.05)
            [done] = worker.run_until_idle()
    assert (done.id, done.status) == (job.id, "done"), done.error
    assert done.result == {"streams": 3, "candidates": 3, "failed": 0, "skipped": 0}
    fetched = sorted(stub.seen.fetched)
    assert [(url.partition("?")[0], status) for url, status in fetched] == [
        (f"{base}/media/s{index}-image", 200) for index in range(3)
    ]
    granted = rows(engine)
    assert [(row[1], row[4]) for row in granted] == [
        (f"s{index}-image", f"prelabel job {job.id}, proposer 'llm'") for index in range(3)
    ]
    with engine.connect() as connection:
        stored = connection.execute(select(annotations.c.source)).scalars().all()
    assert len(stored) == 3
    assert all(expected_caption() in source for source in stored)
    assert not any("rsg_" in source for source in stored)
