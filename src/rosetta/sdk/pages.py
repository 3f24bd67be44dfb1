"""Listings that come a page at a time, read lazily as one iterator over all their items."""

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: One page: its items and the cursor of the next page (``None``: it is the last).
Page = tuple[Sequence[T], str | None]


class Pages(Iterator[T]):
    """Every item of a keyset-paged listing, in the server's order.

    A page is fetched only when iteration reaches it (``itertools.islice(pages, 10)`` reads
    one page), following each page's cursor until the last. A page may hold no items and
    still not be the last (a filtered listing); iteration goes on to the next. An iterator
    is used once: ask the client again to start over.
    """

    def __init__(self, what: str, fetch: Callable[[str | None], Page[T]]) -> None:
        """`what` names the listing in the repr; `fetch(cursor)` reads one page (``None``:
        the first)."""
        self._what = what
        self._fetch = fetch
        self._buffer: deque[T] = deque()
        self._cursor: str | None = None
        self._done = False
        #: how many pages were fetched so far
        self.pages_read = 0

    def __iter__(self) -> "Pages[T]":
        return self

    def __next__(self) -> T:
        while not self._buffer:
            if self._done:
                raise StopIteration
            items, self._cursor = self._fetch(self._cursor)
            self.pages_read += 1
            self._done = self._cursor is None
            self._buffer.extend(items)
        return self._buffer.popleft()

    def __repr__(self) -> str:
        state = "all read" if self._done and not self._buffer else "more to come"
        return f"<Pages of {self._what}: {self.pages_read} page(s) read, {state}>"
