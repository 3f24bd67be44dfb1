"""An LLM or vision-language model behind an OpenAI-compatible HTTP endpoint (``llm``):
captions, region descriptions and classification, each recording the prompt it sent.

The model setting (the ``llm`` entry of ``ROSETTA_PROPOSER_MODELS``) is
``<base URL>#<model>``, optionally followed by ``?key_env=<VARIABLE>``, ``timeout=<s>`` and
``media=url`` joined with ``&``::

    http://127.0.0.1:8080/v1#llava-1.6
    https://llm.example.org/v1#qwen2-vl-7b?key_env=ROSETTA_LLM_KEY&timeout=30&media=url

The base URL is where the API's paths begin: the proposer posts to
``<base>/chat/completions`` and reads ``<base>/models``. It carries no credentials: when
the endpoint needs an API key, ``key_env`` names the environment variable holding it, read
at each call and sent only as ``Authorization: Bearer <key>`` (never in an error, an
attribute or a log). ``timeout`` is the seconds one answer may take (default 120).
``media`` is how a whole image is sent: ``inline`` (the default: an endpoint on another
machine cannot reach a server on loopback) or ``url``.

The endpoint receives a system message and one user message: the task's instruction (the
person's text prompt appended) and the media, that is the image, the box's crop (every
pixel the box touches) or the video frame ``prompt.frame``, inline as a base64 PNG
``data:`` URL, or a text stream's text. With ``media=url``, a whole image (no box) whose
request carries a granted URL (`MediaRef.url`: the server has ``ROSETTA_PUBLIC_URL``) is
sent as that URL instead, for the endpoint to fetch; crops and video frames still go
inline. It never receives file paths, media URIs or Rosetta's credentials: a granted URL
reads that one stream's media for a few minutes. Each proposal records under
``details["prompt"]`` the system and user text sent and, for the media, its SHA-256 and
size instead of its bytes, or the URL fetched without its grant.

Tasks (parameter ``task``):

- ``caption``: a `Classification` with the class the person chose; the caption in
  ``details["text"]``.
- ``describe-region``: the prompt's `Box` (required), with the class the person chose; the
  description in ``details["text"]``.
- ``classify``: one of the request's ``labels``, asked for as JSON through
  ``response_format`` (a JSON schema whose ``label`` is an enum of the labels), with the
  model's confidence; on the prompt's `Box` when one is given, else a `Classification`. An
  answer that is not one of the labels is an error naming the model and its answer.

Requests of one batch run concurrently, `CONCURRENCY` at a time, one HTTP request each.
"""

import base64
import hashlib
import io
import math
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Box, Classification, Geometry, GeometryKind
from rosetta.core.modality import Modality
from rosetta.core.schema import JsonDict
from rosetta.proposers.image_input import rgb_array
from rosetta.proposers.spec import ModelInfo, PromptKind, Proposal, ProposalRequest

#: Requests one batch has in flight at once.
CONCURRENCY = 4
#: Seconds an answer may take unless the setting says ``timeout=``.
DEFAULT_TIMEOUT = 120.0
#: The system message of every request.
SYSTEM = (
    "You are an annotation assistant. Answer about the media you are given only, "
    "factually and concisely."
)

_SETTING = "'<base URL>#<model>[?key_env=VARIABLE&timeout=SECONDS&media=inline|url]'"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXCERPT = 200
#: Statuses of a ``/models`` request that mean the endpoint does not list its models.
_NO_LISTING = frozenset({404, 405, 501})

Task = Literal["caption", "describe-region", "classify"]
#: How a whole image is sent: inline as a ``data:`` URL, or as its granted URL.
MediaMode = Literal["inline", "url"]


class ChatParameters(BaseModel):
    """What a request may tune: the ``task``, the sampling ``temperature``, the answer's
    length in tokens (``max_tokens``) and how closely the model looks at the image
    (``detail``, as the OpenAI API's image ``detail``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Task = "caption"
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=256, ge=1)
    detail: Literal["auto", "low", "high"] = "auto"


@dataclass(frozen=True)
class Endpoint:
    """A parsed model setting: the API's base URL (no credentials, no trailing ``/``), the
    model's name, the environment variable holding the API key, the timeout and how a
    whole image is sent."""

    base_url: str
    model: str
    key_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    media: MediaMode = "inline"

    @property
    def host(self) -> str:
        """The base URL's host and port."""
        return urlsplit(self.base_url).netloc

    def where(self, path: str) -> str:
        """How errors name a request to `path` of this endpoint (never with the key)."""
        return f"llm endpoint {self.base_url}{path} (model {self.model!r})"

    def key(self) -> str | None:
        """The API key from the environment (``None`` when the endpoint needs none)."""
        if self.key_env is None:
            return None
        found = os.environ.get(self.key_env)
        if not found:
            raise RosettaError(
                f"llm endpoint {self.base_url}: the environment variable {self.key_env}, "
                "which the model setting names for the API key (key_env), is not set"
            )
        return found


def parse_endpoint(setting: str) -> Endpoint:
    """The `Endpoint` a model setting names; a `RosettaError` saying what is wrong and
    the expected form otherwise (it never repeats a credential found in the setting)."""
    base, hashed, rest = setting.partition("#")
    name, _, query = rest.partition("?")
    name = name.strip()
    if not hashed or not name:
        raise RosettaError(f"llm model setting: no model name after '#'; expected {_SETTING}")
    parts = urlsplit(base.strip())
    if "@" in parts.netloc:
        raise RosettaError(
            "llm model setting: the base URL must not carry credentials; name the "
            "environment variable holding the API key with '?key_env=VARIABLE'"
        )
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise RosettaError(
            f"llm model setting: the base URL {base!r} is not http(s)://host[:port][/path]; "
            f"expected {_SETTING}"
        )
    if parts.query:
        raise RosettaError(f"llm model setting: the base URL {base!r} must have no query")
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except ValueError:
        raise RosettaError(
            f"llm model setting: the options {query!r} are not 'name=value' pairs joined "
            f"with '&'; expected {_SETTING}"
        ) from None
    for option, value in pairs:
        if option not in ("key_env", "timeout", "media") or option in options:
            raise RosettaError(
                f"llm model setting: unknown or repeated option {option!r} "
                "(options: key_env, timeout, media, each once)"
            )
        options[option] = value
    key_env = options.get("key_env")
    if key_env is not None and not _ENV_NAME.fullmatch(key_env):
        raise RosettaError(
            f"llm model setting: key_env={key_env!r} is not an environment variable name"
        )
    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            timeout = math.nan
        if not math.isfinite(timeout) or timeout <= 0:
            raise RosettaError(
                f"llm model setting: timeout={options['timeout']!r} is not a positive number "
                "of seconds"
            )
    media: MediaMode = "inline"
    if options.get("media", "inline") == "url":
        media = "url"
    elif options.get("media", "inline") != "inline":
        raise RosettaError(
            f"llm model setting: media={options['media']!r} is not 'inline' or 'url'"
        )
    return Endpoint(base.strip().rstrip("/"), name, key_env, timeout, media)


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Completion(BaseModel):
    choices: list[_Choice] = Field(min_length=1)


class _Label(BaseModel):
    label: str
    confidence: float | None = Field(default=None, ge=0, le=1)


class _ListedModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    created: int | None = None
    owned_by: str | None = None


class _ModelList(BaseModel):
    data: list[_ListedModel]


@dataclass(frozen=True)
class _Call:
    """One request's chat completion to make and what to make of its answer."""

    body: JsonDict
    prompt: JsonDict
    task: Task
    geometry: Geometry
    label: str | None
    labels: tuple[str, ...]


def _excerpt(text: str, key: str | None) -> str:
    """The start of a response body on one line, any API key in it masked."""
    if key:
        text = text.replace(key, "***")
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT] + "…"


def _png_part(pixels: np.ndarray, detail: str) -> tuple[JsonDict, JsonDict]:
    """The content part sending `pixels` as a PNG data URL, and what provenance records of
    it (the PNG's SHA-256 and size, not its bytes)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    data = buffer.getvalue()
    height, width = pixels.shape[:2]
    part = {
        "type": "image_url",
        "image_url": {
            "url": "data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            "detail": detail,
        },
    }
    record = {
        "mime": "image/png",
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "width": int(width),
        "height": int(height),
    }
    return part, record


def _url_part(url: str, detail: str) -> tuple[JsonDict, JsonDict]:
    """The content part sending the image at its granted `url`, and what provenance
    records of it: the URL without its query (the grant is never recorded)."""
    part = {"type": "image_url", "image_url": {"url": url, "detail": detail}}
    return part, {"url": urlunsplit(urlsplit(url)._replace(query="", fragment=""))}


def _crop(pixels: np.ndarray, box: Box, stream_id: str) -> tuple[np.ndarray, list[int]]:
    """The pixels `box` touches and that region as ``[x, y, w, h]`` whole pixels."""
    height, width = pixels.shape[:2]
    left, top = max(math.floor(box.x), 0), max(math.floor(box.y), 0)
    right = min(math.ceil(box.x + box.w), width)
    bottom = min(math.ceil(box.y + box.h), height)
    if right <= left or bottom <= top:
        raise RuleViolation(
            stream_id,
            "prompt.box",
            "proposer-prompt",
            f"the box ({box.x}, {box.y}, {box.w} x {box.h}) lies outside the "
            f"{width} x {height} image",
        )
    return pixels[top:bottom, left:right], [left, top, right - left, bottom - top]


def _stream_text(request: ProposalRequest) -> str:
    """A text stream's text: inline, else its media read as UTF-8."""
    if request.stream.text is not None:
        return request.stream.text
    if request.media is None:
        raise RuleViolation(
            request.stream.id, "text", "proposer-media", "the text stream has no text"
        )
    with request.media.open() as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleViolation(
            request.stream.id,
            "uri",
            "proposer-media",
            f"the text stream's media is not UTF-8 (byte {exc.start})",
        ) from None


def _instruction(task: Task, subject: str, request: ProposalRequest) -> str:
    """The user message's text: what to do with `subject`, then the person's text prompt."""
    if task == "caption":
        said = f"Write a one-sentence caption for {subject}."
    elif task == "describe-region":
        said = f"Describe what {subject} shows in one or two sentences."
    else:
        said = (
            f"Classify {subject}. Choose exactly one of these labels: "
            f"{', '.join(request.labels)}. Answer with a JSON object "
            '{"label": <one of the labels>, "confidence": <a number from 0 to 1>}.'
        )
    if task != "classify" and request.label is not None:
        said += f" An annotator classed it as {request.label!r}."
    if request.prompt.text is not None:
        said += "\n\n" + request.prompt.text
    return said


def _classification_format(labels: tuple[str, ...]) -> JsonDict:
    """The ``response_format`` asking for one of `labels` and a confidence."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "classification",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {
                    "label": {"type": "string", "enum": list(labels)},
                    "confidence": {"type": "number"},
                },
                "required": ["label", "confidence"],
                "additionalProperties": False,
            },
        },
    }


def _refuse(request: ProposalRequest, field: str, detail: str) -> RuleViolation:
    return RuleViolation(request.stream.id, field, "proposer-prompt", detail)


def _plan(request: ProposalRequest, endpoint: Endpoint) -> _Call:
    """Check `request` against its task and build the chat completion it needs."""
    parameters = ChatParameters.model_validate(dict(request.parameters))
    task, prompt, stream = parameters.task, request.prompt, request.stream
    box = prompt.box
    if task == "describe-region" and box is None:
        raise _refuse(request, "prompt.box", "task 'describe-region' needs a box: the region")
    if task == "caption" and box is not None:
        raise _refuse(
            request, "prompt.box", "task 'caption' is on the whole stream; use describe-region"
        )
    if task == "classify" and not request.labels:
        raise RuleViolation(
            stream.id, "labels", "proposer-labels", "task 'classify' has no labels to choose among"
        )
    if task != "classify" and request.label is None:
        raise RuleViolation(
            stream.id,
            "label",
            "proposer-label",
            f"task {task!r} proposes the class the person chose, and none was chosen",
        )
    record: JsonDict = {"system": SYSTEM}
    geometry: Geometry = Classification()
    if stream.modality is Modality.TEXT:
        if box is not None:
            raise _refuse(request, "prompt.box", "a box applies to images and video frames")
        text = _stream_text(request)
        subject = "the text below"
        media: JsonDict = {"type": "text", "text": text}
        record["text"] = {
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "chars": len(text),
        }
    elif (
        endpoint.media == "url"
        and stream.modality is Modality.IMAGE
        and box is None
        and request.media is not None
        and request.media.url is not None
    ):
        subject = "this image"
        media, record["image"] = _url_part(request.media.url, parameters.detail)
    else:
        if stream.modality is Modality.VIDEO and prompt.frame is None:
            raise _refuse(request, "prompt.frame", "a video needs the frame to look at")
        pixels = rgb_array(request)
        subject = "this video frame" if prompt.frame is not None else "this image"
        if prompt.frame is not None:
            record["frame"] = prompt.frame
        if box is not None:
            pixels, record["crop"] = _crop(pixels, box, stream.id)
            subject = (
                f"this region of {'a video frame' if prompt.frame is not None else 'an image'}"
            )
            geometry = (
                box if prompt.frame is None else box.model_copy(update={"frame": prompt.frame})
            )
        media, record["image"] = _png_part(np.ascontiguousarray(pixels), parameters.detail)
    instruction = _instruction(task, subject, request)
    record["user"] = instruction
    body: JsonDict = {
        "model": endpoint.model,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": [{"type": "text", "text": instruction}, media]},
        ],
        "temperature": parameters.temperature,
        "max_tokens": parameters.max_tokens,
    }
    if task == "classify":
        body["response_format"] = _classification_format(request.labels)
    return _Call(body, record, task, geometry, request.label, request.labels)


def _headers(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _answer(client: httpx.Client, endpoint: Endpoint, key: str | None, call: _Call) -> str:
    """The model's answer (the message's text) to `call`; a `RosettaError` naming the
    endpoint, the status and the start of the body when there is none."""
    where = endpoint.where("/chat/completions")
    try:
        response = client.post(
            f"{endpoint.base_url}/chat/completions", json=call.body, headers=_headers(key)
        )
    except httpx.TimeoutException:
        raise RosettaError(f"{where}: no answer within {endpoint.timeout:g} s") from None
    except httpx.TransportError as exc:
        raise RosettaError(f"{where}: {type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise RosettaError(f"{where}: HTTP {response.status_code}: {_excerpt(response.text, key)}")
    try:
        completion = _Completion.model_validate_json(response.content)
    except ValidationError as exc:
        problem = (
            "not JSON" if exc.errors()[0]["type"] == "json_invalid" else "not a chat completion"
        )
        raise RosettaError(
            f"{where}: HTTP 200 but the body is {problem}: {_excerpt(response.text, key)}"
        ) from None
    choice = completion.choices[0]
    if choice.message.refusal:
        raise RosettaError(f"{where}: the model refused: {_excerpt(choice.message.refusal, key)}")
    content = (choice.message.content or "").strip()
    if not content:
        raise RosettaError(
            f"{where}: the model gave an empty answer (finish_reason {choice.finish_reason!r})"
        )
    return content


def _proposal(endpoint: Endpoint, call: _Call, content: str) -> Proposal:
    """The proposal `content` (the model's answer) makes for `call`."""
    if call.task != "classify":
        return Proposal(
            geometry=call.geometry,
            label=call.label,
            details={"text": content, "prompt": call.prompt},
        )
    where = endpoint.where("/chat/completions")
    try:
        answer = _Label.model_validate_json(content)
    except ValidationError:
        raise RosettaError(
            f"{where}: the model answered {_excerpt(content, None)!r}, not a JSON object "
            'such as {"label": <one of the labels>, "confidence": <0 to 1>}'
        ) from None
    if answer.label not in call.labels:
        raise RosettaError(
            f"{where}: the model answered the label {answer.label!r}, which is not one of "
            f"the choices ({', '.join(call.labels)})"
        )
    return Proposal(
        geometry=call.geometry,
        label=answer.label,
        confidence=answer.confidence,
        details={"prompt": call.prompt},
    )


class ChatProposer:
    """Captions, region descriptions and classes from a chat model behind an
    OpenAI-compatible endpoint (see the module for the setting and what is sent)."""

    name: ClassVar[str] = "llm"
    description: ClassVar[str] = (
        "A language or vision-language model behind an OpenAI-compatible endpoint: "
        "captions, region descriptions and classification, with the prompt recorded"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset(
        {Modality.IMAGE, Modality.VIDEO, Modality.TEXT}
    )
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"classification", "box"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"box", "text"})
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = ChatParameters

    def __init__(self, model: str | None = None) -> None:
        self._setting = model
        self._info: ModelInfo | None = None

    def _endpoint(self) -> Endpoint:
        if self._setting is None:
            raise RosettaError(
                "no endpoint is configured for 'llm': set its model in ROSETTA_PROPOSER_MODELS "
                f"to {_SETTING}"
            )
        return parse_endpoint(self._setting)

    def unavailable(self) -> str | None:
        """Why it cannot run: no or a malformed model setting, an API key variable unset."""
        try:
            self._endpoint().key()
        except RosettaError as exc:
            return str(exc)
        return None

    def model(self) -> ModelInfo:
        """The model's name and the version the endpoint's ``/models`` lists for it
        (``created``, ``owned_by`` and any revision), else ``endpoint <host>``."""
        if self._info is None:
            endpoint = self._endpoint()
            self._info = ModelInfo(name=endpoint.model, version=_version(endpoint))
        return self._info

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """One chat completion per request, `CONCURRENCY` at a time, in order."""
        if not requests:
            return []
        endpoint = self._endpoint()
        key = endpoint.key()
        calls = [_plan(request, endpoint) for request in requests]
        with (
            httpx.Client(timeout=endpoint.timeout) as client,
            ThreadPoolExecutor(min(CONCURRENCY, len(calls))) as pool,
        ):
            answers = list(pool.map(lambda call: _answer(client, endpoint, key, call), calls))
        return [
            [_proposal(endpoint, call, answer)] for call, answer in zip(calls, answers, strict=True)
        ]


def _version(endpoint: Endpoint) -> str:
    """What the endpoint's ``/models`` says of the model, else ``endpoint <host>``."""
    where = endpoint.where("/models")
    key = endpoint.key()
    try:
        response = httpx.get(
            f"{endpoint.base_url}/models", headers=_headers(key), timeout=endpoint.timeout
        )
    except httpx.TimeoutException:
        raise RosettaError(f"{where}: no answer within {endpoint.timeout:g} s") from None
    except httpx.TransportError as exc:
        raise RosettaError(f"{where}: {type(exc).__name__}: {exc}") from None
    fallback = f"endpoint {endpoint.host}"
    if response.status_code in _NO_LISTING:
        return fallback
    if response.status_code != 200:
        raise RosettaError(f"{where}: HTTP {response.status_code}: {_excerpt(response.text, key)}")
    try:
        listed = _ModelList.model_validate_json(response.content)
    except ValidationError:
        raise RosettaError(
            f"{where}: the body is not a model list: {_excerpt(response.text, key)}"
        ) from None
    for entry in listed.data:
        if entry.id == endpoint.model:
            extra = entry.model_extra or {}
            parts = [
                f"{field} {extra[field]}"
                for field in ("revision", "version")
                if isinstance(extra.get(field), str | int) and str(extra[field])
            ]
            if entry.created is not None:
                parts.append(f"created {entry.created}")
            if entry.owned_by:
                parts.append(f"owned by {entry.owned_by}")
            return ", ".join(parts) or fallback
    return fallback
