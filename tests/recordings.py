"""Test recordings made with sox: random beep sequences, delayed and with noise."""

from pathlib import Path

import numpy as np
import soundfile

from mediagen import sox


def tone_sequence(
    path: Path, rate: int, seed: int, *, delay: float = 0.0, noise: float = 0.0
) -> Path:
    """30 beeps of random pitch (200-900 Hz), length and spacing, synthesised by sox at
    `rate`; started `delay` seconds late and mixed with white noise of amplitude `noise`.

    The same `seed` gives the same sequence at every rate.
    """
    rng = np.random.default_rng(seed)
    chain: list[str] = []
    for _ in range(30):
        length, pitch, gap = rng.uniform(0.1, 0.3), rng.uniform(200, 900), rng.uniform(0, 0.08)
        chain += [":", "synth", f"{length:.3f}", "sine", f"{pitch:.1f}", "pad", "0", f"{gap:.3f}"]
    clean = path.with_name(f"{path.stem}-clean.wav")
    sox("-n", "-r", str(rate), "-b", "16", "-c", "1", str(clean), *chain[1:])
    delayed = path.with_name(f"{path.stem}-delayed.wav")
    sox(str(clean), str(delayed), "pad", f"{delay}")
    if not noise:
        delayed.rename(path)
        return path
    seconds = soundfile.info(str(delayed)).duration
    hiss = path.with_name(f"{path.stem}-noise.wav")
    sox(
        "-n", "-r", str(rate), "-b", "16", "-c", "1", str(hiss), "synth", f"{seconds}", "whitenoise"
    )
    sox("-m", "-v", "1", str(delayed), "-v", str(noise), str(hiss), str(path))
    return path
