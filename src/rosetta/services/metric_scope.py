"""What annotator metrics are computed over (`MetricScope`: a project, a time window, one
person or all) and the running means they add up (`Tally` → `Mean`)."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, true


@dataclass(frozen=True)
class MetricScope:
    """A project's metrics over the window [`since`, `until`] (seconds since the epoch;
    ``None``: open), of one person (`user_id`, `user`: their id and name) or everyone."""

    project_id: str
    since: float | None = None
    until: float | None = None
    user_id: str | None = None
    user: str | None = None

    def within(self, column: ColumnElement[float]) -> ColumnElement[bool]:
        """The condition that the time `column` falls in the window."""
        parts = []
        if self.since is not None:
            parts.append(column >= self.since)
        if self.until is not None:
            parts.append(column <= self.until)
        return and_(true(), *parts)

    def covers(self, at: float) -> bool:
        """Whether the time `at` falls in the window."""
        return (self.since is None or at >= self.since) and (self.until is None or at <= self.until)

    def clip(self, start: float, end: float) -> tuple[float, float]:
        """The span [`start`, `end`] cut to the window (empty: end ≤ start)."""
        low = start if self.since is None else max(start, self.since)
        high = end if self.until is None else min(end, self.until)
        return low, high


@dataclass(frozen=True)
class Mean:
    """A mean (``None`` over nothing) and how many values it is over."""

    value: float | None
    count: int


@dataclass
class Tally:
    """A running sum and count: `add` values, then read their `mean`."""

    total: float = 0.0
    count: int = 0

    def add(self, value: float) -> None:
        """Count one more value."""
        self.total += value
        self.count += 1

    def merge(self, other: "Tally") -> None:
        """Count the values `other` counted too."""
        self.total += other.total
        self.count += other.count

    def mean(self) -> Mean:
        """The mean of the values added so far."""
        return Mean(self.total / self.count if self.count else None, self.count)
