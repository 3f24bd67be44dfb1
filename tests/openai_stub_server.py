"""A real HTTP server on loopback speaking the OpenAI chat API's shape
(``POST /v1/chat/completions``, ``GET /v1/models``), deterministically: the outer edge
of the ``llm`` proposer's tests, where no model can run.

It validates a request as the real API does and answers 400 with the API's error shape
otherwise: the request's fields (unknown ones refused), each message's role and content
parts (``text``; ``image_url`` with a ``data:`` URL of a base64 PNG, JPEG, GIF or WebP that
decodes), ``response_format`` (``json_schema`` with a valid JSON Schema which, when
``strict``, names every property as required and forbids others), and the API key (401)
when the server has one. It is stricter than the real API in one way: an image URL that is
not a ``data:`` URL is refused, so a test fails if the proposer sends a media URI; served
with ``fetch_urls``, it downloads an ``http(s)`` image URL as the real API does (a plain
GET, no credentials; `Seen.fetched` records each URL and the status it got).

Answers, per model name (`Behaviour`):

- ``ok``: the text answer is ``"<w>x<h> image, mean colour (r, g, b)"`` for the user
  message's image, or ``"<n> characters: <first 40>"`` for its last text part when it has
  no image. Asked for a JSON schema, it fills it: a string enum gets, for an image, the
  choice at the index of the image's strongest mean channel (red 0, green 1, blue 2)
  modulo the number of choices, and for text the first choice found in the last text part
  (else the first); a number gets that channel's share of the sum of the means (text:
  0.5); the answer is checked against the schema.
- ``error-500``: HTTP 500 whose body echoes the request's headers (a careless proxy).
- ``not-json``: HTTP 200 with an HTML body.
- ``prose``: a chat completion whose content is prose, whatever was asked.
- ``off-list``: ``{"label": "giraffe", "confidence": 0.9}`` whatever was asked.
- ``slow``: the ``ok`` answer after `SLOW` seconds.

Every answer waits the server's ``delay`` seconds first (to observe concurrency).

Every request is recorded (`Seen`), with the peak number of requests in flight at once.
"""

import base64
import binascii
import io
import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
import jsonschema
import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Behaviour = Literal["ok", "error-500", "not-json", "prose", "off-list", "slow"]

#: Seconds the ``slow`` model takes to answer.
SLOW = 3.0
#: The ``created`` time `/v1/models` reports for the first model (the next: one more).
CREATED = 1_700_000_000

_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=]+)")
_SCHEMA_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ImageUrl(_Strict):
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ImagePart(_Strict):
    type: Literal["image_url"]
    image_url: ImageUrl


class SystemMessage(_Strict):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Strict):
    role: Literal["user"]
    content: str | list[TextPart | ImagePart] = Field(min_length=1)
    name: str | None = None


class AssistantMessage(_Strict):
    role: Literal["assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None


class JsonSchemaFormat(_Strict):
    name: str
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None


class ResponseFormat(_Strict):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class ChatRequest(_Strict):
    """The fields of a chat completion request the real API takes (a subset)."""

    model: str
    messages: list[SystemMessage | UserMessage | AssistantMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1, le=1)
    stream: Literal[False] | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    response_format: ResponseFormat | None = None
    user: str | None = None


class ApiError(Exception):
    """An error the API answers with its status and the OpenAI error shape."""

    def __init__(
        self, status: int, message: str, code: str | None = None, param: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": code,
            }
        }


@dataclass(frozen=True)
class Recorded:
    """One request as the server got it: method, path, headers and JSON body (``None``
    when there was none or it was not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Seen:
    """What the server was asked, and the most requests it had in flight at once."""

    requests: list[Recorded] = field(default_factory=list)
    fetched: list[tuple[str, int]] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def chats(self) -> list[Any]:
        """The bodies of the chat completion requests, in arrival order."""
        with self.lock:
            return [r.body for r in self.requests if r.path == "/v1/chat/completions"]


@dataclass(frozen=True)
class StubServer:
    """A running stub: its base URL (``http://127.0.0.1:<port>/v1``) and what it saw."""

    base_url: str
    seen: Seen


def decode_data_url(url: str) -> np.ndarray:
    """The RGB pixels of an image ``data:`` URL; `ApiError` 400 as the API says it."""
    matched = _DATA_URL.fullmatch(url)
    if matched is None:
        raise ApiError(
            400,
            "Invalid image URL: expected a data:image/(png|jpeg|gif|webp);base64 URL "
            "(this stub refuses remote URLs)",
            "invalid_image_url",
        )
    try:
        data = base64.b64decode(matched.group(2), validate=True)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            found = (image.format or "unknown").lower()
            if found != matched.group(1):
                raise ApiError(
                    400, f"The image is {found}, not {matched.group(1)}", "invalid_image"
                )
            return np.asarray(image.convert("RGB"))
    except (binascii.Error, OSError) as exc:
        raise ApiError(400, f"You uploaded an unsupported image: {exc}", "invalid_image") from None


def fetch_image(url: str, seen: Seen) -> np.ndarray:
    """The RGB pixels of the image at an ``http(s)`` `url`, downloaded with a plain GET
    (recorded in `seen`); `ApiError` 400 as the API says it when that fails."""
    response = httpx.get(url, timeout=10)
    with seen.lock:
        seen.fetched.append((url, response.status_code))
    if response.status_code != 200:
        raise ApiError(
            400,
            f"Error while downloading {url}: HTTP {response.status_code}",
            "invalid_image_url",
        )
    try:
        with Image.open(io.BytesIO(response.content)) as image:
            return np.asarray(image.convert("RGB"))
    except OSError as exc:
        raise ApiError(400, f"You uploaded an unsupported image: {exc}", "invalid_image") from None


def _check_schema(fmt: ResponseFormat) -> dict[str, Any] | None:
    if fmt.type != "json_schema":
        return None
    if fmt.json_schema is None:
        raise ApiError(400, "Missing required parameter: 'response_format.json_schema'.")
    spec = fmt.json_schema
    if not _SCHEMA_NAME.fullmatch(spec.name):
        raise ApiError(400, "Invalid 'response_format.json_schema.name'", param="response_format")
    schema = spec.schema_ or {}
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ApiError(400, f"Invalid schema for response_format: {exc.message}") from None
    if spec.strict:
        _check_strict(schema, "schema")
    return schema


def _check_strict(schema: Mapping[str, Any], where: str) -> None:
    """The rules of strict structured outputs: objects list every property as required and
    forbid others."""
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            raise ApiError(
                400,
                f"Invalid schema for response_format: In context={where}, "
                "'additionalProperties' is required to be supplied and to be false.",
            )
        if set(schema.get("required", [])) != set(properties):
            raise ApiError(
                400,
                f"Invalid schema for response_format: In context={where}, 'required' is "
                "required to be supplied and to be an array including every key in properties.",
            )
        for name, sub in properties.items():
            _check_strict(sub, f"{where}.{name}")


def _media(request: ChatRequest, fetch: Seen | None = None) -> tuple[list[np.ndarray], list[str]]:
    """The decoded images and the text parts of the last user message (``http(s)`` image
    URLs downloaded, recorded in `fetch`, when it is given)."""
    users = [m for m in request.messages if isinstance(m, UserMessage)]
    if not users:
        raise ApiError(400, "The messages must include a user message.", param="messages")
    content = users[-1].content
    if isinstance(content, str):
        return [], [content]
    images = [
        fetch_image(p.image_url.url, fetch)
        if fetch is not None and p.image_url.url.startswith(("http://", "https://"))
        else decode_data_url(p.image_url.url)
        for p in content
        if isinstance(p, ImagePart)
    ]
    texts = [p.text for p in content if isinstance(p, TextPart)]
    return images, texts


def _fill(schema: Mapping[str, Any], images: list[np.ndarray], texts: list[str]) -> Any:
    """The deterministic answer filling `schema` (see the module)."""
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _fill(sub, images, texts) for name, sub in schema.get("properties", {}).items()
        }
    if "enum" in schema:
        choices = list(schema["enum"])
        if images:
            return choices[int(np.argmax(_means(images[0]))) % len(choices)]
        last = texts[-1] if texts else ""
        found = [c for c in choices if str(c).lower() in last.lower()]
        return found[0] if found else choices[0]
    if kind in ("number", "integer"):
        if not images:
            return 0.5
        means = _means(images[0])
        return round(float(means.max() / max(means.sum(), 1e-9)), 3)
    if kind == "string":
        return _text_answer(images, texts)
    raise ApiError(400, f"this stub cannot fill a schema of type {kind!r}")


def _means(pixels: np.ndarray) -> np.ndarray:
    means: np.ndarray = pixels.reshape(-1, 3).mean(axis=0)
    return means


def _text_answer(images: list[np.ndarray], texts: list[str]) -> str:
    if images:
        height, width = images[0].shape[:2]
        r, g, b = (round(float(v)) for v in _means(images[0]))
        return f"{width}x{height} image, mean colour ({r}, {g}, {b})"
    last = texts[-1] if texts else ""
    return f"{len(last)} characters: {last[:40]}"


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read `seen`, not the log

    def _reply(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test)

    def _authorised(self) -> bool:
        key = self.server.key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        error = ApiError(401, "Incorrect API key provided.", "invalid_api_key")
        self._reply(401, error.body)
        return False

    def _record(self, body: Any) -> None:
        with self.server.seen.lock:
            self.server.seen.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), body)
            )

    def do_GET(self) -> None:
        self._record(None)
        if self.path != "/v1/models":
            self._reply(404, ApiError(404, f"Unknown path {self.path}").body)
            return
        if not self._authorised():
            return
        listed = [
            {"id": name, "object": "model", "created": CREATED + i, "owned_by": "rosetta-stub"}
            for i, name in enumerate(self.server.models)
        ]
        self._reply(200, {"object": "list", "data": listed})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._record(body)
        seen = self.server.seen
        with seen.lock:
            seen.in_flight += 1
            seen.peak_in_flight = max(seen.peak_in_flight, seen.in_flight)
        try:
            self._chat(body)
        except ApiError as exc:
            self._reply(exc.status, exc.body)
        finally:
            with seen.lock:
                seen.in_flight -= 1

    def _chat(self, body: Any) -> None:
        if self.path != "/v1/chat/completions":
            raise ApiError(404, f"Unknown path {self.path}")
        if not self._authorised():
            return
        if body is None:
            raise ApiError(400, "We could not parse the JSON body of your request.")
        try:
            request = ChatRequest.model_validate(body)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ApiError(
                400, f"Invalid value at '{where}': {error['msg']}", param=where
            ) from None
        behaviour = self.server.models.get(request.model)
        if behaviour is None:
            raise ApiError(
                404, f"The model `{request.model}` does not exist.", "model_not_found", "model"
            )
        schema = _check_schema(request.response_format) if request.response_format else None
        images, texts = _media(request, self.server.seen if self.server.fetch_urls else None)
        if self.server.stopping.wait(self.server.delay):
            return
        if behaviour == "error-500":
            headers = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
            self._reply(
                500, f"upstream failed for request with headers {headers}".encode(), "text/plain"
            )
        elif behaviour == "not-json":
            self._reply(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif behaviour == "prose":
            self._reply(200, _completion(request.model, "I think it is a cat."))
        elif behaviour == "off-list":
            answer = json.dumps({"label": "giraffe", "confidence": 0.9})
            self._reply(200, _completion(request.model, answer))
        else:
            if behaviour == "slow" and self.server.stopping.wait(SLOW):
                return
            if schema is None:
                content = _text_answer(images, texts)
            else:
                answer = _fill(schema, images, texts)
                jsonschema.validate(answer, schema)
                content = json.dumps(answer)
            self._reply(200, _completion(request.model, content))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, models: Mapping[str, Behaviour], key: str | None, delay: float, fetch_urls: bool
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.models = dict(models)
        self.key = key
        self.delay = delay
        self.fetch_urls = fetch_urls
        self.seen = Seen()
        self.stopping = threading.Event()


@contextmanager
def serve_stub(
    models: Mapping[str, Behaviour],
    *,
    key: str | None = None,
    delay: float = 0.0,
    fetch_urls: bool = False,
) -> Iterator[StubServer]:
    """Serve the stub on a free loopback port while the block runs: `models` name the
    models it lists and how each answers; with a `key`, requests must carry it as
    ``Authorization: Bearer <key>``; each answer waits `delay` seconds first; with
    `fetch_urls`, ``http(s)`` image URLs are downloaded rather than refused."""
    server = _Server(models, key, delay, fetch_urls)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield StubServer(f"http://127.0.0.1:{server.server_address[1]}/v1", server.seen)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
