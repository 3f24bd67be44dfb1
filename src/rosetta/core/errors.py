"""The domain error tree. Every error Rosetta raises on purpose derives from `RosettaError`.

RosettaError
├── RuleViolation      a write breaks a schema, geometry, ontology or link rule
├── ConflictError      a write expected a revision that is no longer current
├── AlreadyExists      a new thing takes a name that another thing holds already
├── NotFoundError      an id names nothing in this project
├── OntologyError      an ontology file or migration is not well-formed
├── ImportFailed       a line of an import file cannot be taken (file, line, field)
├── NotAuthenticated   a request names no one (no or a bad session, token or password)
├── PermissionDenied   the person may see the object but not do this to it
└── TooManyRequests    a limit on how much or how often is reached; try again later
"""

from typing import Any


class RosettaError(Exception):
    """Base of every error Rosetta raises on purpose."""


class RuleViolation(RosettaError):
    """A write breaks a rule. Names the object, the field and the rule."""

    def __init__(self, obj: str, field: str, rule: str, detail: str) -> None:
        self.obj = obj
        self.field = field
        self.rule = rule
        self.detail = detail
        super().__init__(f"{obj}: {field}: {detail} [rule: {rule}]")

    def within(self, prefix: str) -> "RuleViolation":
        """The same violation with `prefix` put before its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return RuleViolation(self.obj, field, self.rule, self.detail)


class ConflictError(RosettaError):
    """A write carried a revision that is no longer the current one; nothing was written.

    ``current`` is the object as it is now (JSON), when the writer may see it.
    """

    def __init__(self, obj: str, expected: int, actual: int, *, current: Any = None) -> None:
        self.obj = obj
        self.expected = expected
        self.actual = actual
        self.current = current
        super().__init__(
            f"{obj}: expected revision {expected} but the current revision is {actual}; "
            "reload it and apply your change again"
        )


class AlreadyExists(RosettaError):
    """A new `kind` (a user, ...) would take the name `name`, which one holds already;
    nothing was written."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"a {kind} named {name!r} exists already")


class NotFoundError(RosettaError):
    """An id names nothing (in this project)."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class OntologyError(RosettaError):
    """An ontology definition or migration is not well-formed."""


class ImportFailed(RosettaError):
    """A line of an import file cannot be taken. Nothing of its batch was written."""

    def __init__(self, file: str, line: int, field: str, detail: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.detail = detail
        where = f"{file}:{line}"
        super().__init__(f"{where}: {field}: {detail}" if field else f"{where}: {detail}")


class NotAuthenticated(RosettaError):
    """A request carries no valid credentials (session, API token or password)."""


class PermissionDenied(RosettaError):
    """The acting person may not do this. Names the action and the object."""

    def __init__(self, action: str, obj: str) -> None:
        self.action = action
        self.obj = obj
        super().__init__(f"you may not {action} {obj}")


class TooManyRequests(RosettaError):
    """A limit on how much may wait or how often something may be tried is reached
    (`limit`); nothing was written. `retry_after`: seconds until trying again may succeed,
    when known."""

    def __init__(self, detail: str, *, limit: int, retry_after: float | None = None) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(detail)
