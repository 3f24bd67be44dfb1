"""Audio-anchored alignment: the offset between two recordings of one event (camera audio
and a separate microphone, say), found by FFT cross-correlation.

Sign convention (`rosetta.core.sync.OffsetEstimate`): a sound at time ``t`` of recording
*a* is at time ``t + offset`` of recording *b*, i.e. ``b(t) = a(t - offset)``; the offset
is positive when *b* started recording before *a* (its copy of each sound comes later).

Method. Both recordings are mixed to mono, their mean removed, and resampled with
`scipy.signal.resample_poly` to a common analysis rate (`ANALYSIS_RATE`, 2 kHz: voices and
most event sounds have energy below 1 kHz, one analysis sample is 0.5 ms, and it keeps a
10-minute pair under a second). Their full cross-correlation comes from
`scipy.signal.correlate` (FFT method); the lag of the largest absolute value is the offset
(so an inverted recording aligns too), refined to a fraction of a sample by a parabola
through the peak and its two neighbours.

Confidence is ``1 - second_peak``: ``second_peak`` is the highest correlation more than
`LOBE_BLOCKS` envelope blocks of 10 ms (20-30 ms) away from the chosen peak, relative to
it (the envelope is the maximum of the absolute correlation per block, so a tone's fine
oscillation is not mistaken for a competitor). The normalised correlation at the peak
alone does not tell a right answer from a wrong one: two microphones with different
responses and room noise may correlate at 0.2 when aligned, while over millions of lags
an unrelated pair finds some lag that correlates just as well; what matters is whether
one offset explains the match clearly better than any offset farther than the tolerance.
A repetitive or steady signal (a metronome, a hum), or an unrelated pair, leaves a
competitor nearly as high as the peak: confidence near 0 (measured: unrelated tone
sequences, noise and two different sentences of one voice stay below 0.2; recordings of
the same speech or of 20 or more tones score 0.4 to 0.95). The Pearson correlation over
the overlap at the offset is reported beside it (``correlation``).

Cost: reading and resampling are linear in the length; the correlation is one FFT of the
combined length at the analysis rate. ``bench/align.py`` times a 10-minute pair (16 kHz
against 44.1 kHz).
"""

from dataclasses import dataclass, replace
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from rosetta.core.errors import RosettaError
from rosetta.core.sync import OffsetEstimate
from rosetta.media.audio import mono_blocks

#: The rate (Hz) recordings are compared at, unless both are slower.
ANALYSIS_RATE = 2000
#: The correlation envelope's block (seconds): the maximum of each block is its value.
ENVELOPE_BLOCK = 0.01
#: Blocks on each side of the peak's own block that belong to the peak, not to a competitor.
LOBE_BLOCKS = 2
#: Filter taps per polyphase branch on each side of the centre. `resample_poly`'s default
#: is 10; 3 is three times faster, and what it lets through above the analysis band only
#: adds uncorrelated noise to the correlation.
HALF_TAPS = 3
#: Below this RMS (after removing the mean) a recording counts as silent (-100 dBFS).
SILENCE = 1e-5

METHOD = "fft cross-correlation"

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    """A recording mixed to mono: its samples, sample rate (Hz) and start time (s).

    ``start`` is the container time of the first sample (nonzero for some tracks in
    video containers); a plain audio file starts at 0.
    """

    samples: Samples
    rate: int
    start: float = 0.0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.size / self.rate


def read_audio(path: str | Path) -> Audio:
    """The audio of `path` mixed to mono (mean of the channels) as float32
    (`rosetta.media.audio.mono_blocks`)."""
    track = mono_blocks(Path(path))
    blocks = list(track.blocks)
    samples = np.concatenate(blocks) if blocks else np.empty(0, dtype=np.float32)
    return Audio(samples, track.rate, track.start)


def estimate_file_offset(
    path_a: str | Path,
    path_b: str | Path,
    *,
    max_lag: float | None = None,
    min_confidence: float = 0.0,
    analysis_rate: int = ANALYSIS_RATE,
) -> OffsetEstimate:
    """The offset of the recording in `path_b` against the one in `path_a` (`estimate_offset`).

    Times are the files' own: a track in a container that starts at a nonzero time keeps
    that start. Errors name the file: unreadable, no audio, silent, or no peak with at
    least `min_confidence`.
    """
    a, b = read_audio(path_a), read_audio(path_b)
    found = _estimate(
        a,
        b,
        max_lag=max_lag,
        min_confidence=min_confidence,
        analysis_rate=analysis_rate,
        names=(str(path_a), str(path_b)),
    )
    if a.start == b.start:
        return found
    return replace(found, offset=found.offset + b.start - a.start)


def estimate_offset(
    a: ArrayLike,
    rate_a: int,
    b: ArrayLike,
    rate_b: int,
    *,
    max_lag: float | None = None,
    min_confidence: float = 0.0,
    analysis_rate: int = ANALYSIS_RATE,
) -> OffsetEstimate:
    """How much later the sounds of recording `a` occur in recording `b` (seconds; see the
    module's sign convention), with a confidence.

    `a` and `b` are samples (one channel, or frames × channels, mixed to mono) at `rate_a`
    and `rate_b` Hz. `max_lag` bounds the offset searched (``|offset| <= max_lag``); by
    default every offset at which the two overlap is searched. Raises `RosettaError` when
    either is silent or too short, or when the confidence is below `min_confidence`.
    """
    return _estimate(
        Audio(_mono(a, "a"), int(rate_a)),
        Audio(_mono(b, "b"), int(rate_b)),
        max_lag=max_lag,
        min_confidence=min_confidence,
        analysis_rate=analysis_rate,
        names=("recording a", "recording b"),
    )


def _mono(samples: ArrayLike, name: str) -> Samples:
    array = np.asarray(samples, dtype=np.float32)
    if array.ndim == 2:
        return np.asarray(array.mean(axis=1), dtype=np.float32)
    if array.ndim != 1:
        raise RosettaError(f"recording {name}: expected samples or frames × channels")
    return array


def _estimate(
    a: Audio,
    b: Audio,
    *,
    max_lag: float | None,
    min_confidence: float,
    analysis_rate: int,
    names: tuple[str, str],
) -> OffsetEstimate:
    rate = min(analysis_rate, a.rate, b.rate)
    x = _prepare(a, rate, names[0])
    y = _prepare(b, rate, names[1])
    # c[k] = sum_n y[n + k] x[n]: the peak lag k is the offset in analysis samples
    correlation = signal.correlate(y, x, mode="full", method="fft")
    lags = signal.correlation_lags(y.size, x.size, mode="full")
    low, high = 0, correlation.size
    if max_lag is not None:
        if max_lag < 0:
            raise RosettaError(f"max_lag must be zero or more seconds, got {max_lag}")
        reach = int(np.ceil(max_lag * rate))
        low = max(0, int(np.searchsorted(lags, -reach)))
        high = min(correlation.size, int(np.searchsorted(lags, reach, side="right")))
    window = np.abs(correlation[low:high])
    peak = int(np.argmax(window))
    height = float(window[peak])
    if not height > 0:
        raise RosettaError(
            f"{names[0]} and {names[1]}: no correlation peak (the recordings share no sound "
            "at any offset searched)"
        )
    second = _second_peak(window, peak, max(1, round(ENVELOPE_BLOCK * rate)))
    k = low + peak
    lag = float(lags[k]) + _parabolic(correlation, k)
    confidence = 1.0 - second
    estimate = OffsetEstimate(
        offset=lag / rate,
        confidence=confidence,
        second_peak=second,
        correlation=_pearson(x, y, int(lags[k])),
        overlap=_overlap(x.size, y.size, int(lags[k])) / rate,
        analysis_rate=rate,
        method=METHOD,
    )
    if confidence < min_confidence:
        raise RosettaError(
            f"{names[0]} and {names[1]}: no confident offset: the best ({estimate.offset:+.3f} s)"
            f" has confidence {confidence:.3f}, below {min_confidence} (another offset "
            f"correlates {second:.0%} as well); they may not record the same event"
        )
    return estimate


def _prepare(audio: Audio, rate: int, name: str) -> Samples:
    """Mean removed, at the analysis rate; refuses silence and recordings under 3 samples."""
    if audio.rate <= 0:
        raise RosettaError(f"{name}: sample rate must be positive, got {audio.rate}")
    x = _resample(audio.samples, audio.rate, rate)
    if x.size < 3:
        raise RosettaError(f"{name}: too short to align ({audio.duration:.4f} s)")
    x = x - np.float32(x.mean(dtype=np.float64))
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if not rms > SILENCE:
        raise RosettaError(f"{name}: silent (RMS {rms:.1e}); there is nothing to align by")
    return x


def _resample(samples: Samples, rate: int, target: int) -> Samples:
    if rate == target:
        return samples
    common = gcd(rate, target)
    up, down = target // common, rate // common
    resampled: Samples = signal.resample_poly(samples, up, down, window=_filter(up, down))
    return resampled


@lru_cache(maxsize=16)
def _filter(up: int, down: int) -> Samples:
    """`resample_poly`'s own low-pass design (Kaiser, beta 5) with `HALF_TAPS` per branch."""
    widest = max(up, down)
    taps = signal.firwin(2 * HALF_TAPS * widest + 1, 1.0 / widest, window=("kaiser", 5.0))
    return np.asarray(taps * up, dtype=np.float32)


def _second_peak(magnitude: NDArray[np.float32], peak: int, block: int) -> float:
    """The highest envelope value more than `LOBE_BLOCKS` blocks from the peak's, relative
    to the peak (0..1)."""
    blocks = -(-magnitude.size // block)
    padded = np.zeros(blocks * block, dtype=magnitude.dtype)
    padded[: magnitude.size] = magnitude
    envelope = padded.reshape(blocks, block).max(axis=1)
    home = peak // block
    outside = np.ones(blocks, dtype=bool)
    outside[max(0, home - LOBE_BLOCKS) : home + LOBE_BLOCKS + 1] = False
    if not outside.any():
        return 0.0
    return min(1.0, float(envelope[outside].max()) / float(envelope[home]))


def _parabolic(values: NDArray[np.float32], k: int) -> float:
    """Sub-sample position of the extremum at `k` from a parabola through its neighbours."""
    if k == 0 or k == values.size - 1:
        return 0.0
    sign = 1.0 if values[k] >= 0 else -1.0
    before, at, after = (sign * float(values[i]) for i in (k - 1, k, k + 1))
    curvature = before - 2 * at + after
    if curvature >= 0:
        return 0.0
    return 0.5 * (before - after) / curvature


def _overlap(size_x: int, size_y: int, lag: int) -> int:
    return max(0, min(size_x, size_y - lag) - max(0, -lag))


def _pearson(x: Samples, y: Samples, lag: int) -> float:
    """Pearson correlation of x[n] and y[n + lag] over their overlap."""
    start = max(0, -lag)
    end = min(x.size, y.size - lag)
    if end - start < 2:
        return 0.0
    u = x[start:end].astype(np.float64)
    v = y[start + lag : end + lag].astype(np.float64)
    u -= u.mean()
    v -= v.mean()
    norm = float(np.sqrt(np.dot(u, u) * np.dot(v, v)))
    return float(np.dot(u, v) / norm) if norm > 0 else 0.0
