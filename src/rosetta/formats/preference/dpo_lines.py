"""The lines of DPO preference files in the dialects trainers read, parsed into one native
intermediate (`DpoLine`) and written back from it.

Dialects (`Dialect`), told apart per line by their keys:

- ``trl`` (TRL's preference datasets): ``prompt`` (optional: an *implicit* prompt is part
  of the responses), ``chosen``, ``rejected``; all strings (*standard*) or all lists of
  messages ``{"role", "content"}`` (*conversational*; ``content`` a string or a list of
  parts ``{"type": "text", "text"}``). Rosetta's own fields (`Provenance`) belong here.
- ``llamafactory-v1`` (LLaMA-Factory v1): ``chosen_messages`` / ``rejected_messages``, the
  same conversation then the response; messages ``{"role", "content": [{"type", "value"}],
  "loss_weight"}``.
- ``llamafactory-alpaca``: ``instruction``, ``input`` (optional), ``chosen``,
  ``rejected`` strings; ``system`` and ``history`` optional.
- ``llamafactory-sharegpt``: ``conversations`` (messages ``{"from", "value"}``), ``chosen``
  and ``rejected`` one message each; ``system`` and ``tools`` optional.

Every dialect may carry ``images`` / ``videos`` / ``audios`` (lists of media paths or
URLs of the prompt). The *prompt* is the text of the conversation's last user message (or
the ``prompt`` string; alpaca: ``instruction``, then ``input`` on a line of its own); a
response's *text* is its last message's text. Messages are kept as the file has them
(`Message.raw`) so that a line written in its own dialect is the line read; keys a dialect
has beyond these (``system``, ``history``, ``tools``, a dataset's own columns) are kept in
`DpoLine.extra` and written back in that dialect only. Anything else (a line of no dialect,
a field of the wrong type) is an `ImportFailed` naming the file, the line and the field.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, get_args

from rosetta.formats.interchange import Origin

JsonObject = dict[str, Any]

Dialect = Literal["trl", "llamafactory-v1", "llamafactory-alpaca", "llamafactory-sharegpt"]
DIALECTS: Final[tuple[Dialect, ...]] = get_args(Dialect)

#: The keys of the prompt's media, by the modality of their streams.
MEDIA_KEYS: Final = {"images": "image", "videos": "video", "audios": "audio"}

#: ShareGPT's speaker names for the roles (and back).
_SHAREGPT_ROLES: Final = {"human": "user", "gpt": "assistant"}
_SHAREGPT_FROM: Final = {role: name for name, role in _SHAREGPT_ROLES.items()}

#: The keys each dialect reads itself (the others of a line are its `extra`).
_OWN_KEYS: Final[dict[Dialect, frozenset[str]]] = {
    "trl": frozenset({"prompt", "chosen", "rejected"}),
    "llamafactory-v1": frozenset({"chosen_messages", "rejected_messages"}),
    "llamafactory-alpaca": frozenset({"instruction", "input", "chosen", "rejected"}),
    "llamafactory-sharegpt": frozenset({"conversations", "chosen", "rejected"}),
}


@dataclass(frozen=True)
class MediaRef:
    """A media stream named in Rosetta's fields: its stream's name, modality and URI."""

    stream: str | None
    modality: str
    uri: str

    def json(self) -> JsonObject:
        return {"stream": self.stream, "modality": self.modality, "uri": self.uri}


@dataclass(frozen=True)
class Provenance:
    """Rosetta's fields of a ``trl`` line: the sample the pair came from, the candidates'
    models and media, the prompt's media, the strength, the evaluators who chose so and
    the share of the votes on the pair that agreed."""

    sample: str | None = None
    chosen_model: str | None = None
    rejected_model: str | None = None
    chosen_media: list[MediaRef] = field(default_factory=list)
    rejected_media: list[MediaRef] = field(default_factory=list)
    prompt_media: list[MediaRef] | None = None
    strength: int | None = None
    evaluators: list[str] = field(default_factory=list)
    agreement: float | None = None

    def bare(self) -> bool:
        """Whether it names no model, media of a candidate, strength or evaluator."""
        return not (
            self.chosen_model
            or self.rejected_model
            or self.chosen_media
            or self.rejected_media
            or self.strength
            or self.evaluators
        )

    def json(self) -> JsonObject:
        return {
            "sample": self.sample,
            "chosen_model": self.chosen_model,
            "rejected_model": self.rejected_model,
            "chosen_media": [ref.json() for ref in self.chosen_media],
            "rejected_media": [ref.json() for ref in self.rejected_media],
            "prompt_media": [ref.json() for ref in self.prompt_media or []],
            "strength": self.strength,
            "evaluators": self.evaluators,
            "agreement": self.agreement,
        }


PROVENANCE_KEYS: Final = frozenset(Provenance().json())


@dataclass(frozen=True)
class Message:
    """One message: its role (``user``, ``assistant``, ``system``, ...), its text and, when
    read, the message as the file has it in the line's dialect."""

    role: str
    text: str
    raw: JsonObject | None = None


@dataclass(frozen=True)
class Response:
    """A response: its text, and its messages when the dialect has them."""

    text: str
    messages: list[Message] | None = None


@dataclass(frozen=True)
class DpoLine:
    """One preference pair in no particular dialect (see the module); `plain`: read from a
    line without Rosetta's fields (written back without them while they say nothing)."""

    dialect: Dialect
    prompt: str | None
    chosen: Response
    rejected: Response
    conversation: list[Message] | None = None
    media: dict[str, list[str]] = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    plain: bool = False


# --- messages ----------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _string(value: Any, origin: Origin, where: str) -> str:
    if not isinstance(value, str):
        raise origin.error(where, f"expected a string, got {_kind(value)}")
    return value


def _object(value: Any, origin: Origin, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise origin.error(where, f"expected an object, got {_kind(value)}")
    return value


def _list(value: Any, origin: Origin, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise origin.error(where, f"expected a list, got {_kind(value)}")
    return value


def _parts_text(parts: list[Any], key: str, origin: Origin, where: str) -> str:
    texts = []
    for index, item in enumerate(parts):
        part = _object(item, origin, f"{where}[{index}]")
        if part.get("type") == "text":
            texts.append(_string(part.get(key), origin, f"{where}[{index}].{key}"))
    return "".join(texts)


def message_of(dialect: Dialect, raw: Any, origin: Origin, where: str) -> Message:
    """The message `raw` of a line in `dialect` (field path `where` in errors)."""
    raw = _object(raw, origin, where)
    if dialect == "llamafactory-sharegpt":
        speaker = _string(raw.get("from"), origin, f"{where}.from")
        text = _string(raw.get("value"), origin, f"{where}.value")
        return Message(_SHAREGPT_ROLES.get(speaker, speaker), text, raw)
    role = _string(raw.get("role"), origin, f"{where}.role")
    content = raw.get("content")
    if isinstance(content, str) and dialect == "trl":
        return Message(role, content, raw)
    if not isinstance(content, list):
        expected = "a string or a list of parts" if dialect == "trl" else "a list of parts"
        raise origin.error(f"{where}.content", f"expected {expected}, got {_kind(content)}")
    parts = content
    key = "value" if dialect == "llamafactory-v1" else "text"
    return Message(role, _parts_text(parts, key, origin, f"{where}.content"), raw)


def _messages(dialect: Dialect, raw: Any, origin: Origin, where: str) -> list[Message]:
    items = _list(raw, origin, where)
    return [
        message_of(dialect, item, origin, f"{where}[{index}]") for index, item in enumerate(items)
    ]


def _with_parts_text(parts: list[JsonObject], key: str, text: str) -> list[JsonObject]:
    texts = [index for index, part in enumerate(parts) if part.get("type") == "text"]
    if len(texts) == 1:
        return [part | {key: text} if i == texts[0] else part for i, part in enumerate(parts)]
    others = [part for part in parts if part.get("type") != "text"]
    return [{"type": "text", key: text}, *others] if text or not others else others


def message_json(message: Message, dialect: Dialect, read_in: Dialect | None) -> JsonObject:
    """`message` as `dialect` writes it: as read (its text put in) when it was read in that
    dialect (`read_in`), else made from its role and text."""
    raw = message.raw if read_in == dialect else None
    if dialect == "llamafactory-sharegpt":
        speaker = _SHAREGPT_FROM.get(message.role, message.role)
        return (raw or {"from": speaker}) | {"value": message.text}
    if raw is None:
        if dialect == "trl":
            return {"role": message.role, "content": message.text}
        return {"role": message.role, "content": [{"type": "text", "value": message.text}]}
    content = raw.get("content")
    if not isinstance(content, list):
        return raw | {"content": message.text}
    key = "value" if dialect == "llamafactory-v1" else "text"
    if _parts_text(content, key, Origin(""), "") == message.text:
        return raw
    return raw | {"content": _with_parts_text(content, key, message.text)}


def prompt_index(conversation: Sequence[Message]) -> int | None:
    """The place of the prompt in a conversation: its last user message."""
    users = [index for index, message in enumerate(conversation) if message.role == "user"]
    return users[-1] if users else None


# --- reading -----------------------------------------------------------------------------


def dialect_of(line: JsonObject, origin: Origin) -> Dialect:
    """The dialect of the JSON object `line`, told by its keys (see the module)."""
    if "chosen_messages" in line or "rejected_messages" in line:
        return "llamafactory-v1"
    if "conversations" in line:
        return "llamafactory-sharegpt"
    if "instruction" in line:
        return "llamafactory-alpaca"
    if "chosen" in line or "rejected" in line or "prompt" in line:
        return "trl"
    raise origin.error(
        "",
        "no DPO dialect has these keys "
        f"({', '.join(sorted(line)) or 'none'}); expected prompt/chosen/rejected (TRL), "
        "chosen_messages/rejected_messages (LLaMA-Factory v1), instruction/chosen/rejected "
        "(alpaca) or conversations/chosen/rejected (sharegpt)",
    )


def _required(line: JsonObject, key: str, origin: Origin) -> Any:
    if key not in line:
        raise origin.error(key, "missing")
    return line[key]


def _response(messages: list[Message], origin: Origin, where: str) -> Response:
    if not messages:
        raise origin.error(where, "expected at least one message")
    return Response(messages[-1].text, messages)


def _trl(
    line: JsonObject, origin: Origin
) -> tuple[str | None, list[Message] | None, Response, Response]:
    chosen, rejected = _required(line, "chosen", origin), _required(line, "rejected", origin)
    prompt = line.get("prompt")
    if isinstance(chosen, str):
        rejected = _string(rejected, origin, "rejected")
        if prompt is not None:
            prompt = _string(prompt, origin, "prompt")
        return prompt, None, Response(chosen), Response(rejected)
    if not isinstance(chosen, list):
        raise origin.error(
            "chosen", f"expected a string or a list of messages, got {_kind(chosen)}"
        )
    chosen_messages = _response(_messages("trl", chosen, origin, "chosen"), origin, "chosen")
    rejected_messages = _response(
        _messages("trl", rejected, origin, "rejected"), origin, "rejected"
    )
    if prompt is None:
        return None, None, chosen_messages, rejected_messages
    conversation = _messages("trl", prompt, origin, "prompt")
    at = prompt_index(conversation)
    return (
        None if at is None else conversation[at].text,
        conversation,
        chosen_messages,
        rejected_messages,
    )


def _v1(line: JsonObject, origin: Origin) -> tuple[str | None, list[Message], Response, Response]:
    chosen = _messages(
        "llamafactory-v1", _required(line, "chosen_messages", origin), origin, "chosen_messages"
    )
    rejected = _messages(
        "llamafactory-v1", _required(line, "rejected_messages", origin), origin, "rejected_messages"
    )
    if not chosen:
        raise origin.error("chosen_messages", "expected at least one message")
    if not rejected:
        raise origin.error("rejected_messages", "expected at least one message")
    conversation = chosen[:-1]
    if [m.raw for m in rejected[:-1]] != [m.raw for m in conversation]:
        raise origin.error(
            "rejected_messages",
            "expected the same messages as chosen_messages before the last (the response)",
        )
    at = prompt_index(conversation)
    prompt = None if at is None else conversation[at].text
    return (
        prompt,
        conversation,
        Response(chosen[-1].text, chosen[-1:]),
        Response(rejected[-1].text, rejected[-1:]),
    )


def _alpaca(line: JsonObject, origin: Origin) -> tuple[str, Response, Response, JsonObject]:
    instruction = _string(_required(line, "instruction", origin), origin, "instruction")
    entry = line.get("input")
    kept: JsonObject = {}
    if "input" in line:
        kept["input"] = _string(entry, origin, "input")
    prompt = f"{instruction}\n{entry}" if entry else instruction
    chosen = _string(_required(line, "chosen", origin), origin, "chosen")
    rejected = _string(_required(line, "rejected", origin), origin, "rejected")
    return prompt, Response(chosen), Response(rejected), kept


def _sharegpt(
    line: JsonObject, origin: Origin
) -> tuple[str | None, list[Message], Response, Response]:
    conversation = _messages(
        "llamafactory-sharegpt", _required(line, "conversations", origin), origin, "conversations"
    )
    chosen = message_of(
        "llamafactory-sharegpt", _required(line, "chosen", origin), origin, "chosen"
    )
    rejected = message_of(
        "llamafactory-sharegpt", _required(line, "rejected", origin), origin, "rejected"
    )
    at = prompt_index(conversation)
    prompt = None if at is None else conversation[at].text
    return (
        prompt,
        conversation,
        Response(chosen.text, [chosen]),
        Response(rejected.text, [rejected]),
    )


def _refs(value: Any, origin: Origin, where: str) -> list[MediaRef]:
    refs = []
    for index, value_at in enumerate(_list(value, origin, where)):
        at = f"{where}[{index}]"
        item = _object(value_at, origin, at)
        stream = item.get("stream")
        if stream is not None:
            _string(stream, origin, f"{at}.stream")
        modality = _string(item.get("modality"), origin, f"{at}.modality")
        refs.append(MediaRef(stream, modality, _string(item.get("uri"), origin, f"{at}.uri")))
    return refs


def _optional_string(line: JsonObject, key: str, origin: Origin) -> str | None:
    value = line.get(key)
    return None if value is None else _string(value, origin, key)


def _provenance(line: JsonObject, origin: Origin) -> Provenance:
    strength = line.get("strength")
    if strength is not None and strength not in (1, 2, 3):
        raise origin.error("strength", f"expected 1, 2, 3 or null, got {strength!r:.40}")
    evaluators = line.get("evaluators") or []
    for index, name in enumerate(_list(evaluators, origin, "evaluators")):
        _string(name, origin, f"evaluators[{index}]")
    agreement = line.get("agreement")
    if agreement is not None and (
        isinstance(agreement, bool)
        or not isinstance(agreement, int | float)
        or not 0 <= agreement <= 1
    ):
        raise origin.error("agreement", f"expected a number from 0 to 1, got {agreement!r:.40}")
    prompt_media = line.get("prompt_media")
    return Provenance(
        sample=_optional_string(line, "sample", origin),
        chosen_model=_optional_string(line, "chosen_model", origin),
        rejected_model=_optional_string(line, "rejected_model", origin),
        chosen_media=_refs(line.get("chosen_media") or [], origin, "chosen_media"),
        rejected_media=_refs(line.get("rejected_media") or [], origin, "rejected_media"),
        prompt_media=None if prompt_media is None else _refs(prompt_media, origin, "prompt_media"),
        strength=strength,
        evaluators=list(evaluators),
        agreement=agreement,
    )


def parse_line(line: Any, origin: Origin) -> DpoLine:
    """The `DpoLine` of one JSON value read at `origin` (see the module)."""
    if not isinstance(line, dict):
        raise origin.error("", f"expected a JSON object, got {_kind(line)}")
    dialect = dialect_of(line, origin)
    conversation: list[Message] | None = None
    kept: JsonObject = {}
    if dialect == "trl":
        prompt, conversation, chosen, rejected = _trl(line, origin)
    elif dialect == "llamafactory-v1":
        prompt, conversation, chosen, rejected = _v1(line, origin)
    elif dialect == "llamafactory-alpaca":
        prompt, chosen, rejected, kept = _alpaca(line, origin)
    else:
        prompt, conversation, chosen, rejected = _sharegpt(line, origin)
    media: dict[str, list[str]] = {}
    for key in MEDIA_KEYS:
        if key in line:
            paths = _list(line[key], origin, key)
            media[key] = [_string(path, origin, f"{key}[{i}]") for i, path in enumerate(paths)]
    taken = _OWN_KEYS[dialect] | MEDIA_KEYS.keys() | PROVENANCE_KEYS
    extra = kept | {key: value for key, value in line.items() if key not in taken}
    return DpoLine(
        dialect,
        prompt,
        chosen,
        rejected,
        conversation,
        media,
        extra,
        _provenance(line, origin),
        plain=not PROVENANCE_KEYS & line.keys(),
    )


# --- writing -----------------------------------------------------------------------------


def _conversation(line: DpoLine) -> list[Message]:
    """The line's conversation with its prompt's text (a user message when it has none)."""
    if line.conversation is None:
        return [] if line.prompt is None else [Message("user", line.prompt)]
    at = prompt_index(line.conversation)
    if at is None or line.prompt is None:
        return list(line.conversation)
    conversation = list(line.conversation)
    conversation[at] = replace(conversation[at], text=line.prompt)
    return conversation


def _response_messages(response: Response) -> list[Message]:
    if not response.messages:
        return [Message("assistant", response.text)]
    return [*response.messages[:-1], replace(response.messages[-1], text=response.text)]


def dump_line(line: DpoLine, dialect: Dialect, *, provenance: bool) -> JsonObject:
    """The JSON object of `line` in `dialect`, with Rosetta's fields when `provenance` (but
    for a `plain` line in its own dialect whose fields say nothing: a line written in the
    dialect it was read in is the line read)."""
    own = line.dialect
    out: JsonObject = {}

    def messages(items: list[Message]) -> list[JsonObject]:
        return [message_json(message, dialect, own) for message in items]

    if dialect == "trl":
        structured = line.conversation is not None or line.chosen.messages or line.rejected.messages
        if not structured:
            if line.prompt is not None:
                out["prompt"] = line.prompt
            out |= {"chosen": line.chosen.text, "rejected": line.rejected.text}
        else:
            if line.conversation is not None or line.prompt is not None:
                out["prompt"] = messages(_conversation(line))
            out["chosen"] = messages(_response_messages(line.chosen))
            out["rejected"] = messages(_response_messages(line.rejected))
    elif dialect == "llamafactory-v1":
        conversation = messages(_conversation(line))
        out["chosen_messages"] = conversation + messages(_response_messages(line.chosen)[-1:])
        out["rejected_messages"] = conversation + messages(_response_messages(line.rejected)[-1:])
    elif dialect == "llamafactory-alpaca":
        entry = line.extra.get("input") if own == dialect else None
        prompt = line.prompt or ""
        if entry and prompt.endswith(f"\n{entry}"):
            prompt = prompt[: -len(entry) - 1]
        out["instruction"] = prompt
        if own == dialect and "input" in line.extra:
            out["input"] = line.extra["input"] if prompt != line.prompt else ""
        out |= {"chosen": line.chosen.text, "rejected": line.rejected.text}
    else:
        out["conversations"] = messages(_conversation(line))
        out["chosen"] = messages(_response_messages(line.chosen)[-1:])[0]
        out["rejected"] = messages(_response_messages(line.rejected)[-1:])[0]
    out |= line.media
    if own == dialect:
        out |= {
            key: value for key, value in line.extra.items() if key not in out and key != "input"
        }
    if provenance and not (line.plain and own == dialect and line.provenance.bare()):
        out |= line.provenance.json()
    return out
