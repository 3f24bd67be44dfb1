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
other RosettaError    400     ``bad_request``
bad request params    422     ``invalid_request``  ``errors`` (where and what)
unknown route, ...    4xx     ``http_error``
====================  ======  ===================  =================================
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
    return {}


def domain_error(exc: RosettaError) -> JSONResponse:
    """The response for a domain error."""
    status, kind = next(ERRORS[cls] for cls in type(exc).__mro__ if cls in ERRORS)
    return error_response(status, kind, str(exc), **_fields(exc))


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RosettaError)
    return domain_error(exc)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _on_invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"where": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]}
        for error in exc.errors()
    ]
    message = "; ".join(f"{error['where']}: {error['problem']}" for error in errors)
    return error_response(422, "invalid_request", message, errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    """Send every error `app` raises in the one shape."""
    app.add_exception_handler(RosettaError, _on_domain_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
