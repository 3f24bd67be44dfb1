"""Revisions in HTTP headers: reads send ``ETag: "<n>"``, writes that must not overwrite
a change they have not seen send ``If-Match: "<n>"`` (a stale one is a 409)."""

import re
from typing import Annotated

from fastapi import Header

from rosetta.core.errors import RuleViolation

#: The ``If-Match`` request header (required: a missing one is a 422 naming it).
IfMatch = Annotated[
    str,
    Header(description='The revision the change is based on, as the ETag gave it: "<n>".'),
]

_REVISION = re.compile(r'^\s*"(\d+)"\s*$')


def etag(revision: int) -> str:
    """The ``ETag`` value of `revision`."""
    return f'"{revision}"'


def expected_revision(if_match: str, obj: str) -> int:
    """The revision of `obj` an ``If-Match`` header names; a `RuleViolation` (422) when it
    is not one quoted revision."""
    found = _REVISION.match(if_match)
    if found is None:
        raise RuleViolation(
            obj,
            "If-Match",
            "if-match",
            f'expected the header If-Match: "<revision>" (the ETag you read), got {if_match!r}',
        )
    return int(found.group(1))
