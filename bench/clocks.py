"""Clock conversion benchmark: ``python bench/clocks.py [--n 1000000] [--repeat 3] [--json]``.

Two clocks, as streams of a long recording have them:

- **ntsc**: 30000/1001 fps with an offset and two sync points (the camera's clock drifts
  by 80 ppm against the reference over the hour);
- **vfr**: a 108,000-entry timestamp table (an hour of ~30 fps video with jittered PTS
  in a 1/90000 time base).

For each it times, best of `--repeat`:

- **compile**: `compile_clock` (done per request by callers) and the first bulk call's
  table set-up;
- **scalar**: `index_at` (floor and nearest) of float seconds and `time_of`, one call each
  (`--scalar` times of them);
- **bulk**: `indices_at_ns` (floor and nearest) of `--n` random integer nanoseconds,
  `indices_at` of the same as float seconds, `times_of` of `--n` indices, and
  `indices_at_ns` of times lying exactly on index starts (the worst case: every one is
  decided by the exact path);

and prints conversions per second. Bulk results are checked against the scalar path on a
sample of the inputs.
"""

import argparse
import json
import time
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from rosetta.core.clock import Clock, ClockMap, Rounding, SyncPoint, compile_clock

T = TypeVar("T")
NS = 10**9
HOUR = 3600


def clocks() -> dict[str, Clock]:
    """The two benchmarked clocks."""
    rng = np.random.default_rng(1)
    pts = (np.cumsum(rng.integers(2850, 3150, 108_000)) + 1200).tolist()
    return {
        "ntsc": Clock(
            rate="30000/1001",
            offset="0.0415",
            sync=[
                SyncPoint(local="0", reference="0.25", source="audio", confidence=0.93),
                SyncPoint(local="3600", reference="3600.538", source="audio", confidence=0.91),
            ],
        ),
        "vfr": Clock(time_base="1/90000", ticks=pts, offset="-0.0133"),
    }


def best(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `repeat` runs (seconds) and the last result."""
    times = []
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def bench(name: str, clock: Clock, n: int, scalar: int, repeat: int) -> dict[str, Any]:
    """The figures of one clock."""
    rng = np.random.default_rng(2)
    compile_s, clock_map = best(repeat, lambda: compile_clock(clock))
    setup_s, _ = best(1, lambda: clock_map.indices_at_ns(np.zeros(1, dtype=np.int64)))
    count = clock_map.count or 108_000
    ns = rng.integers(0, HOUR * NS, n)
    seconds = ns / NS
    floats = seconds[:scalar].tolist()
    indices = rng.integers(0, count, n)
    on_starts = np.array(
        [int(clock_map.time_of(int(i)) * NS) for i in indices[:scalar]], dtype=np.int64
    )
    figures: dict[str, Any] = {"clock": name, "n": n, "scalar_n": scalar}
    figures["compile_us"] = compile_s * 1e6
    figures["bulk_setup_ms"] = setup_s * 1e3
    rounding: Rounding
    for rounding in ("floor", "nearest"):
        run_s, _ = best(repeat, partial(_scalar_index_at, clock_map, floats, rounding))
        figures[f"scalar_index_at_{rounding}_per_s"] = scalar / run_s
    run_s, _ = best(repeat, lambda: [clock_map.time_of(i) for i in indices[:scalar].tolist()])
    figures["scalar_time_of_per_s"] = scalar / run_s
    for rounding in ("floor", "nearest"):
        run_s, found = best(repeat, partial(clock_map.indices_at_ns, ns, rounding))
        figures[f"bulk_indices_at_ns_{rounding}_per_s"] = n / run_s
        _check(clock_map, ns[:2000], found[:2000], rounding)
    run_s, _ = best(repeat, lambda: clock_map.indices_at(seconds))
    figures["bulk_indices_at_float_per_s"] = n / run_s
    run_s, _ = best(repeat, lambda: clock_map.times_of(indices))
    figures["bulk_times_of_per_s"] = n / run_s
    run_s, found = best(repeat, lambda: clock_map.indices_at_ns(on_starts))
    figures["bulk_on_index_starts_per_s"] = scalar / run_s
    _check(clock_map, on_starts[:2000], found[:2000], "floor")
    return figures


def _scalar_index_at(clock: ClockMap, times: list[float], rounding: Rounding) -> list[int]:
    return [clock.index_at(t, rounding) for t in times]


def _check(
    clock: ClockMap, ns: NDArray[np.int64], found: NDArray[np.int64], rounding: Rounding
) -> None:
    expected = [clock.index_at(Fraction(int(v), NS), rounding) for v in ns]
    if found.tolist() != expected:
        raise SystemExit(f"bulk {rounding} disagrees with the scalar path")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="times per bulk call")
    parser.add_argument("--scalar", type=int, default=100_000, help="scalar calls per figure")
    parser.add_argument("--repeat", type=int, default=3, help="keep the best of this many runs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = [
        bench(name, clock, args.n, args.scalar, args.repeat) for name, clock in clocks().items()
    ]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    rows = [
        ("compile_clock", "compile_us", "µs"),
        ("first bulk call set-up", "bulk_setup_ms", "ms"),
        ("index_at floor (float s)", "scalar_index_at_floor_per_s", "/s"),
        ("index_at nearest (float s)", "scalar_index_at_nearest_per_s", "/s"),
        ("time_of", "scalar_time_of_per_s", "/s"),
        ("indices_at_ns floor", "bulk_indices_at_ns_floor_per_s", "/s"),
        ("indices_at_ns nearest", "bulk_indices_at_ns_nearest_per_s", "/s"),
        ("indices_at floor (float s)", "bulk_indices_at_float_per_s", "/s"),
        ("times_of", "bulk_times_of_per_s", "/s"),
        ("indices_at_ns on index starts", "bulk_on_index_starts_per_s", "/s"),
    ]
    print(f"{'':32}" + "".join(f"{r['clock']:>16}" for r in results))
    for label, key, unit in rows:
        cells = "".join(f"{r[key]:>13,.0f} {unit:<2}" for r in results)
        print(f"{label:32}{cells}")
    print(
        f"bulk: {args.n:,} random times in an hour; scalar: {args.scalar:,} calls; "
        f"best of {args.repeat}"
    )


if __name__ == "__main__":
    main()
