"""The server's error answers turned back into the domain error tree of
`rosetta.core.errors`, so code using the SDK catches the same classes as code using the
services.

Every error answer has the body ``{"error": {"type", "message", ...fields}}``
(`rosetta.api.errors`); `error_from` builds the class its ``type`` names from its fields:

=====================  ============================================================
``type``               raised
=====================  ============================================================
``not_found``          ``NotFoundError(kind, ident)``
``rule_violation``     ``RuleViolation(obj, field, rule, detail)``
``conflict``           ``ConflictError(obj, expected, actual, current=...)``; ``current``
                       is the object as it is now (its JSON), when the server sent it
``already_exists``     ``AlreadyExists(kind, name)``
``ontology_error``     ``OntologyError``
``import_failed``      ``ImportFailed(file, line, field, detail)``
``not_authenticated``  ``NotAuthenticated``
``permission_denied``  ``PermissionDenied(action, obj)``
anything else          ``RosettaError`` (``bad_request``, ``invalid_request``, ...)
=====================  ============================================================

``str(error)`` is the server's message. A note on the error (shown under its traceback)
names the request, the HTTP status and the error ``type``. Failures to reach the server at
all are httpx's own (`httpx.TransportError`).
"""

from collections.abc import Mapping
from typing import Any

import httpx

from rosetta.core.errors import (
    AlreadyExists,
    ConflictError,
    ImportFailed,
    NotAuthenticated,
    NotFoundError,
    OntologyError,
    PermissionDenied,
    RosettaError,
    RuleViolation,
)


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value)


def _int(fields: Mapping[str, Any], name: str) -> int:
    value = fields.get(name)
    return value if isinstance(value, int) else 0


def _detail(message: str, prefix: str, suffix: str = "") -> str:
    """The part of `message` between `prefix` and `suffix` (the whole when they differ)."""
    if message.startswith(prefix) and message.endswith(suffix):
        return message[len(prefix) : len(message) - len(suffix)]
    return message


def _rule_violation(message: str, fields: Mapping[str, Any]) -> RuleViolation:
    obj, field, rule = _text(fields, "object"), _text(fields, "field"), _text(fields, "rule")
    detail = _detail(message, f"{obj}: {field}: ", f" [rule: {rule}]")
    return RuleViolation(obj, field, rule, detail)


def _import_failed(message: str, fields: Mapping[str, Any]) -> ImportFailed:
    file, line, field = _text(fields, "file"), _int(fields, "line"), _text(fields, "field")
    prefix = f"{file}:{line}: {field}: " if field else f"{file}:{line}: "
    return ImportFailed(file, line, field, _detail(message, prefix))


def _typed(kind: str, message: str, fields: Mapping[str, Any]) -> RosettaError:
    if kind == "not_found":
        return NotFoundError(_text(fields, "kind"), _text(fields, "id"))
    if kind == "rule_violation":
        return _rule_violation(message, fields)
    if kind == "conflict":
        obj, expected, actual = (
            _text(fields, "object"),
            _int(fields, "expected"),
            _int(fields, "actual"),
        )
        return ConflictError(obj, expected, actual, current=fields.get("current"))
    if kind == "already_exists":
        return AlreadyExists(_text(fields, "kind"), _text(fields, "name"))
    if kind == "ontology_error":
        return OntologyError(message)
    if kind == "import_failed":
        return _import_failed(message, fields)
    if kind == "not_authenticated":
        return NotAuthenticated(message)
    if kind == "permission_denied":
        return PermissionDenied(_text(fields, "action"), _text(fields, "object"))
    return RosettaError(message)


def _error_fields(body: Any) -> Mapping[str, Any] | None:
    """The ``error`` object of a body in the error shape, else ``None``."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return error
    return None


def error_from(status: int, body: Any) -> RosettaError:
    """The domain error an error answer with `status` and the parsed JSON `body` stands
    for, its message the server's (a body not in the error shape gives a `RosettaError`
    quoting it)."""
    error = _error_fields(body)
    if error is None:
        return RosettaError(f"HTTP {status}: {str(body)[:500]}")
    message: str = error["message"]
    found = _typed(str(error.get("type")), message, error)
    found.args = (message,)
    return found


def raise_for_error(response: httpx.Response) -> None:
    """Raise the domain error of `response` unless it is a success (2xx); its body must
    have been read."""
    if response.is_success:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    error = error_from(response.status_code, body)
    fields = _error_fields(body)
    kind = f" ({fields.get('type')})" if fields is not None else ""
    request = response.request
    error.add_note(f"{request.method} {request.url} answered HTTP {response.status_code}{kind}")
    raise error
