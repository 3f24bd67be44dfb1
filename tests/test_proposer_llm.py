"""The ``llm`` proposer against a real HTTP server speaking the OpenAI chat API's shape
(`openai_stub_server`): the three tasks on real images, video frames and text, what the
endpoint receives (the crop, never a path or the key), the prompt recorded, errors."""

import base64
import hashlib
import json
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from conftest import MEDIA
from openai_stub_server import CREATED, StubServer, decode_data_url, serve_stub
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Box, Classification
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers.openai_compatible import SYSTEM, ChatParameters, ChatProposer
from rosetta.proposers.spec import (
    MediaRef,
    Prompt,
    Proposal,
    ProposalRequest,
    Proposer,
    check_request,
)

KEY = "sk-test-0123456789abcdef"
KEY_ENV = "ROSETTA_TEST_LLM_KEY"
IMAGES = MEDIA / "images"
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
COLOURS = ("red", "green", "blue")
MODELS = {
    "vlm": "ok",
    "broken": "error-500",
    "html": "not-json",
    "chatty": "prose",
    "stubborn": "off-list",
    "sluggish": "slow",
}


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    """The stub, wanting `KEY`, and the key in the environment variable `KEY_ENV`."""
    monkeypatch.setenv(KEY_ENV, KEY)
    with serve_stub(MODELS, key=KEY) as server:
        yield server


def llm(stub: StubServer, model: str = "vlm", options: str = "") -> ChatProposer:
    return ChatProposer(model=f"{stub.base_url}#{model}?key_env={KEY_ENV}{options}")


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def media_request(
    path: Path,
    modality: Modality = Modality.IMAGE,
    *,
    prompt: Prompt | None = None,
    label: str | None = "thing",
    labels: tuple[str, ...] = (),
    **parameters: Any,
) -> ProposalRequest:
    uri = path.as_uri()
    return ProposalRequest(
        sample_id="s1",
        stream=Stream(id="cam", name="cam", modality=modality, uri=uri),
        media=MediaRef.local(uri, path),
        prompt=prompt or Prompt(),
        label=label,
        labels=labels,
        parameters=ChatParameters.model_validate(parameters).model_dump(),
    )


def text_request(text: str, labels: tuple[str, ...], **parameters: Any) -> ProposalRequest:
    return ProposalRequest(
        sample_id="s1",
        stream=Stream(id="doc", name="doc", modality=Modality.TEXT, text=text),
        media=None,
        labels=labels,
        parameters=ChatParameters.model_validate(parameters).model_dump(),
    )


def sent_image(body: dict[str, Any]) -> tuple[np.ndarray, bytes]:
    """The image a chat request carried, decoded, and its encoded bytes."""
    parts = body["messages"][1]["content"]
    (url,) = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    return decode_data_url(url), base64.b64decode(url.split(",", 1)[1])


def stub_caption(region: np.ndarray) -> str:
    """What the stub answers for an image (its rule, computed here independently)."""
    height, width = region.shape[:2]
    r, g, b = (round(float(v)) for v in region.reshape(-1, 3).mean(axis=0))
    return f"{width}x{height} image, mean colour ({r}, {g}, {b})"


def only(proposals: list[list[Proposal]]) -> Proposal:
    (inner,) = proposals
    (proposal,) = inner
    return proposal


def test_it_is_the_registered_llm_proposer() -> None:
    (entry,) = entry_points(group="rosetta.proposers", name="llm")
    made = entry.load()(model=None)
    assert isinstance(made, ChatProposer)
    assert isinstance(made, Proposer)
    stream = Stream(id="cam", name="cam", modality=Modality.IMAGE, uri="file:///x.png")
    check_request(made, stream, Prompt(box=Box(x=0, y=0, w=4, h=4), text="look closely"))
    with pytest.raises(RuleViolation, match="works on image, text, video streams, not audio"):
        check_request(made, stream.model_copy(update={"modality": Modality.AUDIO}), Prompt())


def test_caption_of_an_image_sends_it_inline_and_records_the_prompt(stub: StubServer) -> None:
    path = IMAGES / "astronaut.png"
    request = media_request(path, prompt=Prompt(text="Mention the flag."), label="person")
    proposal = only(llm(stub).propose([request]))

    assert proposal.geometry == Classification()
    assert proposal.label == "person"
    assert proposal.confidence is None
    assert proposal.details["text"] == stub_caption(pixels(path))
    (body,) = stub.seen.chats()
    sent, encoded = sent_image(body)
    assert sent.shape == (512, 512, 3)
    assert np.array_equal(sent, pixels(path))
    assert body["model"] == "vlm"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 256
    assert "response_format" not in body
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    user_text = body["messages"][1]["content"][0]["text"]
    assert user_text.startswith("Write a one-sentence caption for this image.")
    assert user_text.endswith("\n\nMention the flag.")
    assert proposal.details["prompt"] == {
        "system": SYSTEM,
        "user": user_text,
        "image": {
            "mime": "image/png",
            "sha256": hashlib.sha256(encoded).hexdigest(),
            "bytes": len(encoded),
            "width": 512,
            "height": 512,
        },
    }
    (seen,) = stub.seen.requests
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    sent_json = json.dumps(body)
    assert str(path) not in sent_json
    assert "file:" not in sent_json
    assert KEY not in json.dumps(proposal.model_dump(mode="json"))


def test_describe_region_sends_every_pixel_the_box_touches(stub: StubServer) -> None:
    path = IMAGES / "coffee.png"
    box = Box(x=100.5, y=50.2, w=80, h=60)
    request = media_request(path, prompt=Prompt(box=box), task="describe-region", detail="high")
    proposal = only(llm(stub).propose([request]))

    expected = pixels(path)[50:111, 100:181]
    (body,) = stub.seen.chats()
    sent, _ = sent_image(body)
    assert np.array_equal(sent, expected)
    assert body["messages"][1]["content"][1]["image_url"]["detail"] == "high"
    assert proposal.geometry == box
    assert proposal.label == "thing"
    assert proposal.details["text"] == stub_caption(expected)
    assert proposal.details["text"].startswith("81x61 image")
    assert proposal.details["prompt"]["crop"] == [100, 50, 81, 61]
    assert proposal.details["prompt"]["user"].startswith(
        "Describe what this region of an image shows"
    )


def test_classify_asks_for_one_of_the_labels_through_a_json_schema(stub: StubServer) -> None:
    path = IMAGES / "astronaut.png"
    flag = Box(x=0, y=0, w=80, h=80)  # the blue of the flag's canton
    region = media_request(path, prompt=Prompt(box=flag), labels=COLOURS, task="classify")
    whole = media_request(IMAGES / "coffee.png", labels=COLOURS, task="classify")
    on_region, on_whole = llm(stub).propose([region, whole])

    (proposal,) = on_region
    means = pixels(path)[0:80, 0:80].reshape(-1, 3).mean(axis=0)
    assert proposal.label == "blue"
    assert proposal.geometry == flag
    assert proposal.confidence == pytest.approx(means.max() / means.sum(), abs=1e-3)
    assert proposal.attributes == {} and "text" not in proposal.details
    assert "red, green, blue" in proposal.details["prompt"]["user"]
    (proposal,) = on_whole
    assert proposal.label == "red"
    assert proposal.geometry == Classification()
    for body in stub.seen.chats():
        assert body["response_format"]["type"] == "json_schema"
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["label"]["enum"] == list(COLOURS)
        assert schema["required"] == ["label", "confidence"]


def test_a_text_stream_is_sent_as_text(stub: StubServer) -> None:
    text = "A tabby cat with green eyes stares at the camera."
    labels = ("astronaut", "cat", "coffee")
    classified, captioned = llm(stub).propose(
        [
            text_request(text, labels, task="classify"),
            ProposalRequest(
                sample_id="s1",
                stream=Stream(id="doc", name="doc", modality=Modality.TEXT, text=text),
                media=None,
                label="cat",
            ),
        ]
    )

    assert classified[0].label == "cat"
    assert classified[0].geometry == Classification()
    assert captioned[0].details["text"] == f"{len(text)} characters: {text[:40]}"
    assert captioned[0].label == "cat"
    for body in stub.seen.chats():
        parts = body["messages"][1]["content"]
        assert [p["type"] for p in parts] == ["text", "text"]
        assert parts[1]["text"] == text
    record = classified[0].details["prompt"]
    assert record["text"] == {
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "chars": len(text),
    }
    assert "image" not in record


def test_a_video_frame_and_a_box_on_it(stub: StubServer) -> None:
    box = Box(x=40, y=30, w=100, h=50)
    framed = media_request(VIDEO, Modality.VIDEO, prompt=Prompt(frame=120))
    boxed = media_request(
        VIDEO, Modality.VIDEO, prompt=Prompt(frame=120, box=box), task="describe-region"
    )
    whole, region = llm(stub).propose([framed, boxed])

    assert whole[0].geometry == Classification()
    assert whole[0].details["text"].startswith("320x240 image")
    assert whole[0].details["prompt"]["frame"] == 120
    assert region[0].geometry == box.model_copy(update={"frame": 120})
    assert region[0].details["text"].startswith("100x50 image")
    sizes = sorted(sent_image(body)[0].shape for body in stub.seen.chats())
    assert sizes == [(50, 100, 3), (240, 320, 3)]


def test_a_batch_runs_concurrently_bounded_and_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    boxes = [Box(x=10 * i, y=0, w=10 + i, h=20 + i) for i in range(7)]
    requests = [
        media_request(IMAGES / "chelsea.png", prompt=Prompt(box=b), task="describe-region")
        for b in boxes
    ]
    with serve_stub({"vlm": "ok"}, key=KEY, delay=0.3) as server:
        proposed = llm(server).propose(requests)

    sizes = [p[0].details["text"].split(" ")[0] for p in proposed]
    assert sizes == [f"{10 + i}x{20 + i}" for i in range(7)]
    assert len(server.seen.chats()) == 7
    assert 2 <= server.seen.peak_in_flight <= 4


@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        ("broken", "", r"HTTP 500: upstream failed .*Bearer \*\*\*"),
        ("html", "", r"HTTP 200 but the body is not JSON: <html><body>502 Bad Gateway"),
        ("chatty", "", r"answered 'I think it is a cat\.', not a JSON object"),
        (
            "stubborn",
            "",
            r"answered the label 'giraffe', which is not one of the choices \(red, green, blue\)",
        ),
        ("sluggish", "&timeout=0.3", r"no answer within 0\.3 s"),
        ("nonexistent", "", r"HTTP 404: .*model `nonexistent` does not exist"),
    ],
)
def test_failures_name_the_endpoint_and_never_the_key(
    stub: StubServer, model: str, options: str, expected: str
) -> None:
    request = media_request(IMAGES / "chelsea.png", labels=COLOURS, task="classify")
    with pytest.raises(RosettaError, match=expected) as failed:
        llm(stub, model, options).propose([request])

    message = str(failed.value)
    assert message.startswith(f"llm endpoint {stub.base_url}/chat/completions (model {model!r})")
    assert KEY not in message
    assert len(message) < 500


def test_a_wrong_key_is_refused_with_the_status(
    stub: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-wrong")
    with pytest.raises(RosettaError, match=r"HTTP 401: .*Incorrect API key provided") as failed:
        llm(stub).propose([media_request(IMAGES / "chelsea.png")])
    assert "sk-wrong" not in str(failed.value)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (media_request(IMAGES / "chelsea.png", task="describe-region"), "needs a box"),
        (
            media_request(IMAGES / "chelsea.png", prompt=Prompt(box=Box(x=0, y=0, w=9, h=9))),
            "use describe-region",
        ),
        (media_request(IMAGES / "chelsea.png", task="classify"), "no labels to choose among"),
        (media_request(IMAGES / "chelsea.png", label=None), "none was chosen"),
        (media_request(VIDEO, Modality.VIDEO), "needs the frame"),
        (
            media_request(
                IMAGES / "chelsea.png",
                prompt=Prompt(box=Box(x=500, y=0, w=9, h=9)),
                task="describe-region",
            ),
            "lies outside the 451 x 300 image",
        ),
    ],
)
def test_requests_a_task_cannot_take_are_refused_before_any_call(
    stub: StubServer, request_: ProposalRequest, expected: str
) -> None:
    good = media_request(IMAGES / "chelsea.png")
    with pytest.raises(RuleViolation, match=expected):
        llm(stub).propose([good, request_])
    assert stub.seen.requests == []


def test_model_reports_what_the_endpoint_lists(stub: StubServer) -> None:
    info = llm(stub, "broken").model()
    assert info.name == "broken"
    assert info.version == f"created {CREATED + 1}, owned by rosetta-stub"
    (seen,) = stub.seen.requests
    assert (seen.method, seen.path) == ("GET", "/v1/models")
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    host = stub.base_url.split("/")[2]
    assert llm(stub, "unlisted").model().version == f"endpoint {host}"
    elsewhere = ChatProposer(model=f"{stub.base_url}/nowhere#vlm?key_env={KEY_ENV}")
    assert elsewhere.model().version == f"endpoint {host}"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "no endpoint is configured for 'llm'"),
        ("http://127.0.0.1:8080/v1", "no model name after '#'"),
        ("ftp://127.0.0.1/v1#vlm", "is not http"),
        ("http://user:hunter2@127.0.0.1/v1#vlm", "must not carry credentials"),
        ("http://127.0.0.1/v1?x=1#vlm", "must have no query"),
        ("http://127.0.0.1/v1#vlm?key_env=1KEY", "not an environment variable name"),
        ("http://127.0.0.1/v1#vlm?timeout=-1", "not a positive number"),
        ("http://127.0.0.1/v1#vlm?colour=red", "unknown or repeated option 'colour'"),
        ("http://127.0.0.1/v1#vlm?key_env=ROSETTA_NO_SUCH_VARIABLE", "ROSETTA_NO_SUCH_VARIABLE"),
    ],
)
def test_unavailable_says_what_is_wrong_with_the_setting(
    setting: str | None, expected: str
) -> None:
    why = ChatProposer(model=setting).unavailable()
    assert why is not None
    assert expected in why
    assert "hunter2" not in why


def test_a_good_setting_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    setting = f"https://llm.example.org/v1/#Qwen/Qwen2-VL-7B?key_env={KEY_ENV}&timeout=30"
    assert ChatProposer(model=setting).unavailable() is None
    assert ChatProposer(model="http://127.0.0.1:8080/v1#llava:13b").unavailable() is None


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda b: b["messages"][1]["content"][1]["image_url"].update(url="file:///etc/x.png"),
            "Invalid image URL",
        ),
        (
            lambda b: b["messages"][1]["content"][1]["image_url"].update(
                url="data:image/png;base64,AAAA"
            ),
            "unsupported image",
        ),
        (
            lambda b: b["response_format"]["json_schema"]["schema"].pop("additionalProperties"),
            "additionalProperties",
        ),
        (
            lambda b: b["response_format"]["json_schema"]["schema"]["properties"]["label"].update(
                type=7
            ),
            "Invalid schema",
        ),
        (lambda b: b.update(temperature=3), "temperature"),
        (lambda b: b.update(functions=[]), "functions"),
        (lambda b: b["messages"].append({"role": "robot", "content": "hi"}), "messages"),
    ],
)
def test_the_stub_refuses_what_the_api_refuses(
    stub: StubServer, mutate: Any, expected: str
) -> None:
    llm(stub).propose([media_request(IMAGES / "chelsea.png", labels=COLOURS, task="classify")])
    (body,) = stub.seen.chats()
    mutate(body)
    answer = httpx.post(
        f"{stub.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.status_code == 400
    assert expected in answer.json()["error"]["message"]
