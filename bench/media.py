"""Waveform peaks benchmark: ``python bench/media.py [--seconds 3600] [--rate 16000] [--json]``.

Generates a mono 16-bit WAV of the given length with sox (a slow sine sweep under pink
noise) in a temporary folder, computes its peaks (`rosetta.media.peaks.compute_peaks`)
and prints the time taken, the peak memory of the process before and after (ru_maxrss:
reading in blocks keeps it flat however long the file), the size of the stored peaks
(every level) and of the coarsest level as the JSON the browser loads first.
"""

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import orjson

from rosetta.media.peaks import compute_peaks


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(seconds: int, rate: int) -> dict[str, float | int]:
    """Make the WAV, compute its peaks, and return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "long.wav"
        output = ["-r", str(rate), "-n", "-b", "16", "-c", "1", str(wav)]
        signal = [
            "synth",
            str(seconds),
            "sine",
            "100-2000",
            "synth",
            str(seconds),
            "pinknoise",
            "mix",
        ]
        subprocess.run(
            ["sox", "-D", *output, *signal, "vol", "0.5"],
            check=True,
        )
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        peaks = compute_peaks(wav)
        elapsed = time.perf_counter() - started
        rss_after = _peak_rss_mb()
        coarsest = peaks.levels[-1]
        return {
            "audio_seconds": seconds,
            "sample_rate": rate,
            "wav_bytes": wav.stat().st_size,
            "peaks_seconds": round(elapsed, 3),
            "realtime_factor": round(seconds / elapsed),
            "peak_rss_mb_before": round(rss_before, 1),
            "peak_rss_mb_after": round(rss_after, 1),
            "levels": len(peaks.levels),
            "finest_buckets": peaks.levels[0].length,
            "stored_bytes": len(peaks.to_bytes()),
            "coarsest_samples_per_pixel": coarsest.samples_per_pixel,
            "coarsest_buckets": coarsest.length,
            "coarsest_json_bytes": len(orjson.dumps(coarsest.to_json())),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3600, help="Length of the audio.")
    parser.add_argument("--rate", type=int, default=16000, help="Sample rate (Hz).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    figures = run(args.seconds, args.rate)
    if args.json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
        return
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
