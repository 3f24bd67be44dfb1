"""The query parameters of keyset-paged listings."""

from typing import Annotated

from fastapi import Query

#: Where a page starts: the ``next_cursor`` of the page before.
Cursor = Annotated[
    str | None, Query(description="The next_cursor of the previous page (none: the first).")
]

#: How many items a page holds at most.
PageLimit = Annotated[int, Query(ge=1, le=1000, description="At most this many.")]
