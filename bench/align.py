"""Audio-offset benchmark: ``python bench/align.py [--minutes 10] [--repeat 3] [--json]``.

Writes a pair of recordings of one random beep sequence (200-900 Hz beeps of 0.1-0.3 s with
gaps up to 80 ms, the same continuous-time signal sampled twice) into a temporary folder:
the "camera" at 16 kHz and the "microphone" at 44.1 kHz, which starts `--delay` seconds
earlier and carries white noise, both 16-bit WAV. Then it times, best of `--repeat`:

- **read**: `read_audio` of both files (decode and mix to mono);
- **estimate**: `estimate_offset` on the samples in memory (resampling to the analysis
  rate, the FFT cross-correlation, the peak and its confidence);
- **total**: `estimate_file_offset` (both together, as the service runs it);

and prints the estimate's error against the true delay and its confidence.
"""

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import soundfile

from rosetta.media.align import estimate_file_offset, estimate_offset, read_audio

T = TypeVar("T")


def beeps(seconds: float, seed: int) -> list[tuple[float, float, float]]:
    """(start, length, pitch) of random beeps filling `seconds`."""
    rng = np.random.default_rng(seed)
    out = []
    start = 0.0
    while start < seconds:
        length = rng.uniform(0.1, 0.3)
        out.append((start, length, rng.uniform(200, 900)))
        start += length + rng.uniform(0, 0.08)
    return out


def render(
    sequence: list[tuple[float, float, float]],
    seconds: float,
    rate: int,
    *,
    delay: float = 0.0,
    noise: float = 0.0,
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The beeps sampled at `rate`, starting `delay` seconds in, plus white noise."""
    total = int((seconds + delay) * rate)
    out = np.zeros(total, dtype=np.float32)
    for start, length, pitch in sequence:
        first = int(np.ceil((start + delay) * rate))
        last = min(total, int((start + delay + length) * rate))
        t = np.arange(first, last) / rate - delay - start
        out[first:last] = 0.5 * np.sin(2 * np.pi * pitch * t)
    if noise:
        out += noise * np.random.default_rng(0).standard_normal(total).astype(np.float32)
    return out


def best(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest of `repeat` runs (seconds) and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the recordings")
    parser.add_argument("--delay", type=float, default=83.456, help="true offset (seconds)")
    parser.add_argument("--noise", type=float, default=0.1, help="white noise amplitude on b")
    parser.add_argument("--repeat", type=int, default=3, help="keep the best of this many runs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    seconds = args.minutes * 60
    sequence = beeps(seconds, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        camera, microphone = Path(folder) / "camera.wav", Path(folder) / "microphone.wav"
        soundfile.write(camera, render(sequence, seconds, 16000), 16000, subtype="PCM_16")
        soundfile.write(
            microphone,
            render(sequence, seconds, 44100, delay=args.delay, noise=args.noise),
            44100,
            subtype="PCM_16",
        )
        read_s, (a, b) = best(args.repeat, lambda: (read_audio(camera), read_audio(microphone)))
        estimate_s, _ = best(
            args.repeat, lambda: estimate_offset(a.samples, a.rate, b.samples, b.rate)
        )
        total_s, found = best(args.repeat, lambda: estimate_file_offset(camera, microphone))

    figures = {
        "minutes": args.minutes,
        "rates_hz": [16000, 44100],
        "true_offset_s": args.delay,
        "estimated_offset_s": found.offset,
        "error_ms": (found.offset - args.delay) * 1000,
        "confidence": found.confidence,
        "correlation": found.correlation,
        "analysis_rate_hz": found.analysis_rate,
        "read_s": read_s,
        "estimate_s": estimate_s,
        "total_s": total_s,
        "repeat": args.repeat,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{args.minutes:g}-minute pair (16 kHz vs 44.1 kHz, true offset {args.delay} s), "
        f"best of {args.repeat}:\n"
        f"  read both files        {read_s:7.3f} s\n"
        f"  estimate (in memory)   {estimate_s:7.3f} s\n"
        f"  estimate_file_offset   {total_s:7.3f} s\n"
        f"  offset {found.offset:.6f} s, error {figures['error_ms']:+.4f} ms, "
        f"confidence {found.confidence:.3f}, correlation {found.correlation:.3f} "
        f"at {found.analysis_rate} Hz"
    )


if __name__ == "__main__":
    main()
