"""Sensor time series and timestamp files: the tables a sensor stream's clock is made from.

- `read_csv_series`: a CSV with a header row, one timestamp column and numeric value
  columns chosen by name (shell-style patterns: ``field.angular_velocity.*``).
- `read_ros_csv`: the layout of ``rostopic echo -p`` (``%time`` is the time the message
  was received, ``field.header.stamp`` the time the sensor stamped it, both integer
  nanoseconds; they differ when messages arrive late or in bursts).
- `read_timestamp_file`: one timestamp per line, as KITTI raw's ``timestamps.txt``
  (``2011-09-26 13:02:25.964389445``) or plain numbers.

Timestamps come back as integer ticks of one nanosecond (``SensorTable.time_base``), so
absolute epoch times keep every digit; values as float64. Files are streamed row by row
with the `csv` module. A bad cell is an `ImportFailed` naming the file, the line and the
column.
"""

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from fractions import Fraction
from pathlib import Path
from typing import Literal, TextIO

import numpy as np
from numpy.typing import NDArray

from rosetta.core.clock import Clock
from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.sync import absolute_clock, first_step_back
from rosetta.core.timeline import TimeSeries

#: Seconds per tick of every table read here.
NANOSECOND = Fraction(1, 10**9)

#: The unit of timestamps written as numbers.
TimeUnit = Literal["s", "ms", "us", "ns"]
_NS_PER_UNIT: dict[str, int] = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}

#: The column ``rostopic echo -p`` writes each kind of stamp in.
ROS_STAMPS = {"header": "field.header.stamp", "receive": "%time"}

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?")


@dataclass(frozen=True)
class SensorTable:
    """The rows of a sensor file: a timestamp per row (``ticks`` × ``time_base`` seconds,
    as recorded) and the values of the chosen ``columns`` (rows × columns)."""

    path: Path
    ticks: NDArray[np.int64]
    time_base: Fraction
    values: NDArray[np.float64]
    columns: tuple[str, ...]

    def column(self, name: str) -> NDArray[np.float64]:
        """The values of one column."""
        try:
            return self.values[:, self.columns.index(name)]
        except ValueError:
            raise RosettaError(
                f"{self.path}: no value column {name!r} (read: {', '.join(self.columns)})"
            ) from None

    def clock(self, origin_ticks: int = 0) -> Clock:
        """The stream clock of the recorded timestamps, tick `origin_ticks` at reference 0
        (`rosetta.core.sync.absolute_clock`; pass the sample's `common_origin`)."""
        row = first_step_back(self.ticks)
        if row is not None:
            raise RosettaError(
                f"{self.path}: timestamps do not increase at row {row} (line {row + 2}); "
                "fill the missing stamps first (rosetta.core.sync.fill_missing)"
            )
        return absolute_clock(self.ticks.tolist(), self.time_base, origin_ticks)

    def series(self, origin_ticks: int = 0) -> TimeSeries:
        """The values on the reference timeline of `clock`, for interpolation at any t."""
        return TimeSeries.from_clock(self.clock(origin_ticks), self.values, self.columns)


def read_csv_series(
    path: str | Path,
    *,
    time_column: str,
    columns: Sequence[str],
    unit: TimeUnit = "ns",
) -> SensorTable:
    """The rows of the CSV at `path`: `time_column` in `unit`, and every column whose name
    matches one of the patterns in `columns`, in the file's order.

    Timestamps may be integers or decimals (``1317384506.402881`` seconds); they are kept
    to the nanosecond. Value cells must be numbers.
    """
    file = Path(path)
    with _open(file) as lines:
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            raise ImportFailed(str(file), 1, "", "the file is empty; expected a header row")
        time_at = _time_index(file, header, time_column)
        chosen = _value_indices(file, header, columns)
        ticks: list[int] = []
        rows: list[list[float]] = []
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise ImportFailed(
                    str(file),
                    number,
                    "",
                    f"expected {len(header)} columns as in the header, found {len(row)}",
                )
            ticks.append(_parse_time(file, number, time_column, row[time_at], unit))
            rows.append([_parse_value(file, number, header[i], row[i]) for i in chosen])
    if not ticks:
        raise ImportFailed(str(file), 2, "", "no data rows after the header")
    return SensorTable(
        path=file,
        ticks=np.asarray(ticks, dtype=np.int64),
        time_base=NANOSECOND,
        values=np.asarray(rows, dtype=np.float64).reshape(len(rows), len(chosen)),
        columns=tuple(header[i] for i in chosen),
    )


def read_ros_csv(
    path: str | Path,
    *,
    columns: Sequence[str],
    stamp: Literal["header", "receive"] = "header",
) -> SensorTable:
    """A ``rostopic echo -p`` CSV: timestamps from ``field.header.stamp`` (``stamp="header"``,
    the sensor's own time) or ``%time`` (``"receive"``), values from `columns` (patterns)."""
    file = Path(path)
    with _open(file) as lines:
        header = next(csv.reader(lines), [])
    missing = [name for name in ROS_STAMPS.values() if name not in header]
    if missing:
        raise ImportFailed(
            str(file),
            1,
            missing[0],
            "not a 'rostopic echo -p' CSV: the header has no "
            + " and no ".join(repr(name) for name in missing),
        )
    return read_csv_series(file, time_column=ROS_STAMPS[stamp], columns=columns, unit="ns")


def read_sensor_file(path: str | Path) -> SensorTable:
    """A time-series stream's CSV with every numeric column as a value column.

    The ``rostopic echo -p`` layout is read with its hardware stamps (``field.header.stamp``)
    and its numeric ``field.*`` columns; any other CSV's first column is the timestamp in
    nanoseconds. Columns whose first data cell is not a number (a ``frame_id``) are left out.
    """
    file = Path(path)
    with _open(file) as lines:
        reader = csv.reader(lines)
        header = next(reader, [])
        first = next(reader, [])
    if not header or len(first) != len(header):
        raise ImportFailed(str(file), 2, "", "expected a header row and data rows below it")
    ros = all(name in header for name in ROS_STAMPS.values())
    skip = set(ROS_STAMPS.values()) | {"field.header.seq"} if ros else {header[0]}
    numeric = [
        name for name, cell in zip(header, first, strict=True) if name not in skip and _number(cell)
    ]
    if ros:
        return read_ros_csv(file, columns=numeric)
    return read_csv_series(file, time_column=header[0], columns=numeric, unit="ns")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_timestamp_file(
    path: str | Path, *, unit: Literal["iso", "s", "ms", "us", "ns"] = "iso"
) -> NDArray[np.int64]:
    """One timestamp per line as integer nanoseconds (blank lines are skipped).

    ``unit="iso"`` reads KITTI raw's ``YYYY-MM-DD HH:MM:SS.fffffffff`` (a ``T`` may stand
    for the space; up to nine decimals; no time zone, taken as UTC); otherwise each line is
    a number in that unit (``1317042145.964389445`` seconds).
    """
    file = Path(path)
    out: list[int] = []
    with _open(file) as lines:
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            if unit == "iso":
                out.append(_parse_iso(file, number, text))
            else:
                out.append(_parse_time(file, number, "timestamp", text, unit))
    if not out:
        raise ImportFailed(str(file), 1, "timestamp", "the file holds no timestamps")
    return np.asarray(out, dtype=np.int64)


def _open(file: Path) -> TextIO:
    try:
        return file.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise RosettaError(f"{file}: cannot read: {exc.strerror}") from exc


def _time_index(file: Path, header: list[str], name: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise ImportFailed(
            str(file), 1, name, f"no timestamp column {name!r}; columns are: {', '.join(header)}"
        ) from None


def _value_indices(file: Path, header: list[str], patterns: Sequence[str]) -> list[int]:
    if not patterns:
        raise ImportFailed(str(file), 1, "", "no value columns asked for")
    chosen: list[int] = []
    for pattern in patterns:
        found = [i for i, name in enumerate(header) if fnmatchcase(name, pattern)]
        if not found:
            raise ImportFailed(
                str(file), 1, pattern, f"no column matches; columns are: {', '.join(header)}"
            )
        chosen.extend(i for i in found if i not in chosen)
    return sorted(chosen)


def _parse_time(file: Path, line: int, column: str, text: str, unit: str) -> int:
    try:
        nanoseconds = Decimal(text.strip()) * _NS_PER_UNIT[unit]
        if not nanoseconds.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ImportFailed(
            str(file), line, column, f"expected a timestamp in {unit}, got {text!r}"
        ) from None
    return int(nanoseconds.to_integral_value())


def _parse_value(file: Path, line: int, column: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ImportFailed(str(file), line, column, f"expected a number, got {text!r}") from None


def _parse_iso(file: Path, line: int, text: str) -> int:
    if not _ISO.fullmatch(text):
        raise ImportFailed(
            str(file),
            line,
            "timestamp",
            f"expected a time like 2011-09-26 13:02:25.964389445, got {text!r}",
        )
    try:
        return int(np.datetime64(text.replace(" ", "T"), "ns").astype(np.int64))
    except ValueError as exc:
        raise ImportFailed(str(file), line, "timestamp", f"{text!r}: {exc}") from None
