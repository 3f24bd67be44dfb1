"""One JSON error shape and one mapping from the domain error tree to HTTP statuses.

Every error response has the body ``{"error": {"type": ..., "message": ..., ...}}``, with
the fields of the domain error beside ``type`` and ``message``:

====================  ======  ===================  =================================
error                 status  ``type``             extra fields
====================  ======  ===================  =================================
NotFoundError         404     ``not_found``        ``kind``, ``id``
RuleViolation         422     ``rule_violation``   ``object``, ``field``, ``rule``
ConflictError         409     ``conflict``         ``object``, ``expected``, ``actual``,
                                                   ``current`` (the object now, if known)
AlreadyExists         409     ``already_exists``   ``kind``, ``name``
OntologyError         422     ``ontology_error``
ImportFailed          422     ``import_failed``    ``file``, ``line``, ``field``
NotAuthenticated      401     ``not_authenticated``
PermissionDenied      403     ``permission_denied``  ``action``, ``object``
TooManyRequests       429     ``too_many_requests``  ``limit``, ``retry_after`` (also
                                                   the ``Retry-After`` header)
body over its limit   413     ``too_large``        ``limit`` (`rosetta.api.limits`)
other RosettaError    400     ``bad_request``
bad request params    422     ``invalid_request``  ``errors`` (where and what)
store refuses value   422     ``invalid_request``  ``errors`` (the database's reason)
record refuses value  422     ``invalid_request``  ``errors`` (record type and field)
unknown route, ...    4xx     ``http_error``
====================  ======  ===================  =================================
"""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

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
    TooManyRequests,
)

#: Status and ``type`` of each domain error; the nearest class in an error's MRO wins.
ERRORS: dict[type[RosettaError], tuple[int, str]] = {
    NotFoundError: (404, "not_found"),
    RuleViolation: (422, "rule_violation"),
    ConflictError: (409, "conflict"),
    AlreadyExists: (409, "already_exists"),
    OntologyError: (422, "ontology_error"),
    ImportFailed: (422, "import_failed"),
    NotAuthenticated: (401, "not_authenticated"),
    PermissionDenied: (403, "permission_denied"),
    TooManyRequests: (429, "too_many_requests"),
    RosettaError: (400, "bad_request"),
}


def error_response(status: int, kind: str, message: str, /, **fields: Any) -> JSONResponse:
    """The one error shape."""
    return JSONResponse({"error": {"type": kind, "message": message, **fields}}, status_code=status)


def _fields(exc: RosettaError) -> dict[str, Any]:
    if isinstance(exc, NotFoundError):
        return {"kind": exc.kind, "id": exc.ident}
    if isinstance(exc, RuleViolation):
        return {"object": exc.obj, "field": exc.field, "rule": exc.rule}
    if isinstance(exc, ConflictError):
        fields = {"object": exc.obj, "expected": exc.expected, "actual": exc.actual}
        return fields if exc.current is None else {**fields, "current": exc.current}
    if isinstance(exc, AlreadyExists):
        return {"kind": exc.kind, "name": exc.name}
    if isinstance(exc, ImportFailed):
        return {"file": exc.file, "line": exc.line, "field": exc.field}
    if isinstance(exc, PermissionDenied):
        return {"action": exc.action, "object": exc.obj}
    if isinstance(exc, TooManyRequests):
        return {"limit": exc.limit, "retry_after": exc.retry_after}
    return {}


def domain_error(exc: RosettaError) -> JSONResponse:
    """The response for a domain error."""
    status, kind = next(ERRORS[cls] for cls in type(exc).__mro__ if cls in ERRORS)
    response = error_response(status, kind, str(exc), **_fields(exc))
    if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RosettaError)
    return domain_error(exc)


class BodyTooLarge(HTTPException):
    """The request's body is larger than `limit` bytes (413); `setting` names the limit."""

    def __init__(self, limit: int, setting: str = "ROSETTA_MAX_BODY_BYTES") -> None:
        self.limit = limit
        super().__init__(
            413,
            f"the request body is larger than the limit of {limit} bytes "
            f"({limit / (1 << 20):.1f} MiB, {setting}); send less, or ask for a higher limit",
        )


def too_large(exc: BodyTooLarge) -> JSONResponse:
    """The response for a body over its limit."""
    return error_response(413, "too_large", str(exc.detail), limit=exc.limit)


#: What a JSON body too deeply nested for the decoder (over ~1,000 levels) is told.
TOO_DEEP = "the JSON body nests arrays and objects too deeply to be read"


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, BodyTooLarge):
        return too_large(exc)
    if isinstance(exc.__cause__, RecursionError):  # FastAPI's 400 for a body it cannot decode
        errors = [{"where": "body", "problem": TOO_DEEP}]
        return error_response(422, "invalid_request", f"body: {TOO_DEEP}", errors=errors)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _on_invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(part) for part in error["loc"]), "problem": _problem(error)}
        for error in exc.errors()
    ]
    message = "; ".join(f"{error['where']}: {error['problem']}" for error in errors)
    return error_response(422, "invalid_request", message, errors=errors)


def _problem(error: Any) -> str:
    """What is wrong, with the decoder's reason for a body that is not JSON."""
    reason = error.get("ctx", {}).get("error") if error.get("type") == "json_invalid" else None
    return f"{error['msg']}: {reason}" if reason else str(error["msg"])


async def _on_data_error(_request: Request, exc: Exception) -> JSONResponse:
    """A value that passed validation but that the database cannot hold (on PostgreSQL: a
    NUL character in free text, a number out of its column's range); the transaction was
    rolled back, so nothing was written."""
    assert isinstance(exc, DataError)
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    problem = f"the database cannot store a value of the request: {reason}"
    return error_response(
        422, "invalid_request", problem, errors=[{"where": "body", "problem": problem}]
    )


async def record_refused(_request: Request, exc: Exception) -> JSONResponse:
    """A record built from the request's values that the schema refuses (a value that
    passed the body's own model but not the record's); nothing was written."""
    assert isinstance(exc, ValidationError)
    errors = [
        {
            "where": ".".join([exc.title, *(str(part) for part in error["loc"])]),
            "problem": str(error["msg"]),
        }
        for error in exc.errors(include_url=False)
    ]
    message = "; ".join(f"{error['where']}: {error['problem']}" for error in errors)
    return error_response(422, "invalid_request", message, errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    """Send every error `app` raises in the one shape."""
    app.add_exception_handler(RosettaError, _on_domain_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(ValidationError, record_refused)
