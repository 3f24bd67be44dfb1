"""Time-series CSVs (the real ROS IMU export) and timestamp files (KITTI raw layout)."""

import csv
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED
from rosetta.core.clock import Clock, compile_clock
from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.sync import absolute_clock, common_origin, fill_missing, fit_rate_clock
from rosetta.media.timeseries import (
    NANOSECOND,
    read_csv_series,
    read_ros_csv,
    read_timestamp_file,
)

IMU = SHARED / "fixtures" / "formats" / "sensor" / "borglab__gtsam" / "quadraped_imu_data.csv"
MOTION = ["field.angular_velocity.?", "field.linear_acceleration.?"]
AXES = [
    f"field.{kind}.{axis}" for kind in ("angular_velocity", "linear_acceleration") for axis in "xyz"
]


def raw_rows() -> list[dict[str, str]]:
    """The IMU file as the csv module reads it, for hand computations."""
    with IMU.open(newline="") as lines:
        return list(csv.DictReader(lines))


def kitti_timestamps(path: Path, stamps_ns: list[int]) -> Path:
    """A KITTI raw ``timestamps.txt``: ``YYYY-MM-DD HH:MM:SS.fffffffff`` per line."""
    lines = []
    for ns in stamps_ns:
        seconds, fraction = divmod(ns, 10**9)
        day = np.datetime64(seconds, "s").astype(str).replace("T", " ")
        lines.append(f"{day}.{fraction:09d}\n")
    path.write_text("".join(lines))
    return path


def test_the_ros_imu_export_reads_hardware_or_receive_stamps() -> None:
    rows = raw_rows()
    header = read_ros_csv(IMU, columns=MOTION)
    receive = read_ros_csv(IMU, columns=MOTION, stamp="receive")

    assert header.columns == receive.columns == tuple(AXES)
    assert header.values.shape == (len(rows), 6) == (2635, 6)
    assert header.time_base == NANOSECOND
    assert header.ticks.tolist() == [int(row["field.header.stamp"]) for row in rows]
    assert receive.ticks.tolist() == [int(row["%time"]) for row in rows]
    differ = np.flatnonzero(header.ticks != receive.ticks)
    assert differ.size == 379
    # line 4 of the file: received at 117.73775 s, stamped by the sensor at 117.74025 s
    assert (receive.ticks[2], header.ticks[2]) == (117_737_750_000, 117_740_250_000)
    assert header.column("field.linear_acceleration.z")[2] == float(
        rows[2]["field.linear_acceleration.z"]
    )
    np.testing.assert_array_equal(header.values, receive.values)


def test_hardware_stamps_make_a_table_clock_at_400_hz() -> None:
    """The file's header stamps step by exactly 2.5 ms: 400 Hz (not 100 Hz)."""
    imu = read_ros_csv(IMU, columns=MOTION)
    clock = Clock(ticks=imu.ticks.tolist(), time_base=imu.time_base)
    fit = fit_rate_clock(np.arange(imu.ticks.size), imu.ticks, time_base=imu.time_base)

    assert fit.clock.rate == "400"
    assert fit.clock.offset == "117.73525"
    assert fit.max_residual < 1e-9
    assert compile_clock(clock).index_at("117.7365") == 0
    assert compile_clock(clock).index_at("117.738") == 1


def test_receive_stamps_repeat_and_are_filled_before_they_make_a_clock() -> None:
    receive = read_ros_csv(IMU, columns=MOTION, stamp="receive").ticks
    assert (np.diff(receive) == 0).sum() == 248
    with pytest.raises(ValueError, match="ticks must increase"):
        Clock(ticks=receive.tolist(), time_base=NANOSECOND)

    filled = fill_missing(receive)
    fit = fit_rate_clock(np.arange(filled.size), filled, time_base=NANOSECOND)

    assert (np.diff(filled) > 0).all()
    kept = np.concatenate(([True], np.diff(receive) > 0))  # first of each run of repeats
    np.testing.assert_array_equal(filled[kept], receive[kept])
    assert Clock(ticks=filled.tolist(), time_base=NANOSECOND).ticks == filled.tolist()
    assert fit.clock.rate == "400"
    # arrival jitter: messages come up to tens of milliseconds late, in bursts
    assert 0.001 < fit.max_residual < 0.1


def test_an_interpolated_value_is_the_linear_mix_of_the_rows_around_it() -> None:
    rows = raw_rows()
    imu = read_ros_csv(IMU, columns=MOTION)
    i = 1000
    t0, t1 = int(rows[i]["field.header.stamp"]), int(rows[i + 1]["field.header.stamp"])
    t = Fraction(t0 + 600_000, 10**9)  # 0.6 ms after row i, 2.5 ms before row i + 1 ...

    value = imu.series().at(t)

    weight = (t * 10**9 - t0) / (t1 - t0)
    for column, got in zip(AXES, value, strict=True):
        before, after = float(rows[i][column]), float(rows[i + 1][column])
        assert got == pytest.approx(before + float(weight) * (after - before), rel=1e-12)
    np.testing.assert_array_equal(imu.series().at(Fraction(t0, 10**9)), imu.values[i])
    with pytest.raises(ValueError, match="outside the series"):
        imu.series().at(1.0)
    with pytest.raises(RosettaError, match=r"do not increase at row 2 \(line 4\)"):
        read_ros_csv(IMU, columns=MOTION, stamp="receive").series()


def test_lidar_sweeps_at_10_hz_from_a_kitti_timestamp_file(tmp_path: Path) -> None:
    """10 Hz sweeps with up to 2 ms of jitter, on the IMU's clock, beginning 50 ms before
    the IMU's first stamp: absolute hardware times put both on one timeline."""
    imu = read_ros_csv(IMU, columns=MOTION)
    rng = np.random.default_rng(7)
    first = int(imu.ticks[0]) - 50_000_000
    written = [
        first + k * 100_000_000 + int(rng.integers(-2_000_000, 2_000_000)) for k in range(60)
    ]
    written[0] = first
    lidar = read_timestamp_file(kitti_timestamps(tmp_path / "timestamps.txt", written))

    assert lidar.tolist() == written
    fit = fit_rate_clock(np.arange(lidar.size), lidar, time_base=NANOSECOND)
    assert fit.clock.rate == "10"
    assert 0.0005 < fit.max_residual < 0.004

    origin = common_origin([lidar.tolist(), imu.ticks.tolist()])
    assert origin == first
    lidar_map = compile_clock(absolute_clock(lidar.tolist(), NANOSECOND, origin))
    imu_map = compile_clock(absolute_clock(imu.ticks.tolist(), NANOSECOND, origin))

    assert lidar_map.time_of(0) == 0
    assert imu_map.time_of(0) == Fraction(50, 1000)
    sweep = 7
    at = lidar_map.time_of(sweep)
    assert at == Fraction(written[sweep] - first, 10**9)
    row = imu_map.index_at(at)  # the IMU row that holds the sweep's instant
    assert imu.ticks[row] <= written[sweep] < imu.ticks[row + 1]
    expected = imu.values[row] + (written[sweep] - imu.ticks[row]) / 2_500_000 * (
        imu.values[row + 1] - imu.values[row]
    )
    np.testing.assert_allclose(imu.series(origin).at(at), expected, rtol=1e-12)


def test_a_generic_csv_with_decimal_seconds(tmp_path: Path) -> None:
    path = tmp_path / "can.csv"
    path.write_text(
        "timestamp,speed,steer,label\n"
        "1317384506.402881,12.5,0.01,a\n"
        "1317384506.412881234,12.75,-0.02,b\n"
    )

    series = read_csv_series(path, time_column="timestamp", columns=["s*"], unit="s")

    assert series.ticks.tolist() == [1_317_384_506_402_881_000, 1_317_384_506_412_881_234]
    assert series.columns == ("speed", "steer")
    np.testing.assert_array_equal(series.values, [[12.5, 0.01], [12.75, -0.02]])


@pytest.mark.parametrize(
    ("body", "time_column", "pattern", "line", "field", "detail"),
    [
        ("t,v\n1,2\n2,x\n", "t", "v", 3, "v", "expected a number, got 'x'"),
        ("t,v\n1,2\n2\n", "t", "v", 3, "", "expected 2 columns as in the header, found 1"),
        ("t,v\n1.5e,2\n", "t", "v", 2, "t", "expected a timestamp in ns, got '1.5e'"),
        ("t,v\n1,2\n", "time", "v", 1, "time", "no timestamp column 'time'"),
        ("t,v\n1,2\n", "t", "w*", 1, "w*", "no column matches"),
        ("t,v\n", "t", "v", 2, "", "no data rows"),
        ("", "t", "v", 1, "", "the file is empty"),
    ],
)
def test_bad_csv_names_file_line_and_column(
    tmp_path: Path, *, body: str, time_column: str, pattern: str, line: int, field: str, detail: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)

    with pytest.raises(ImportFailed) as caught:
        read_csv_series(path, time_column=time_column, columns=[pattern])

    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), line, field)
    assert detail in caught.value.detail


def test_a_csv_without_ros_columns_is_not_taken_for_a_ros_export(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("t,v\n1,2\n")

    with pytest.raises(ImportFailed, match="not a 'rostopic echo -p' CSV"):
        read_ros_csv(path, columns=["v"])


def test_timestamp_files_in_seconds_and_bad_lines(tmp_path: Path) -> None:
    seconds = tmp_path / "seconds.txt"
    seconds.write_text("1317042145.964389445\n\n1317042146.0643\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("2011-09-26 13:02:25.964389445\n2011-09-26 13:02:26\n26/09/2011 13:02:27\n")

    assert read_timestamp_file(seconds, unit="s").tolist() == [
        1_317_042_145_964_389_445,
        1_317_042_146_064_300_000,
    ]
    with pytest.raises(ImportFailed, match=r"bad.txt:3: timestamp: expected a time like"):
        read_timestamp_file(bad)
    with pytest.raises(RosettaError, match="cannot read"):
        read_timestamp_file(tmp_path / "missing.txt")
