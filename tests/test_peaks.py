"""Waveform peaks on real audio: sox-made signals with known content, the narration WAV and
the AAC track of the demo MP4."""

import itertools
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import MEDIA
from mediagen import burst_wav, ffmpeg, sox
from rosetta.core.errors import RosettaError
from rosetta.media.audio import has_audio
from rosetta.media.peaks import COARSEST_BUCKETS, Peaks, compute_peaks

NARRATION = MEDIA / "audio" / "narration.wav"
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"


def test_burst_is_full_scale_and_silence_is_zero(tmp_path: Path) -> None:
    peaks = compute_peaks(burst_wav(tmp_path / "burst.wav"))
    finest = peaks.levels[0]
    assert (finest.sample_rate, finest.samples_per_pixel) == (16000, 256)
    assert finest.length == math.ceil(40000 / 256)
    # silence: samples 0..15999 are buckets 0..61, the burst (16000..23999) fills 63..92
    assert (finest.pairs[:62] == 0).all()
    assert (finest.pairs[63:93, 0] == -32767).all()
    assert (finest.pairs[63:93, 1] == 32767).all()
    assert (finest.pairs[94:] == 0).all()
    # the buckets straddling an edge (62: 15872..16127, 93: 23808..24063) hold burst samples
    assert finest.pairs[62].tolist() == finest.pairs[93].tolist() == [-32767, 32767]


def test_buckets_match_an_independent_reading(tmp_path: Path) -> None:
    path = tmp_path / "tones.wav"
    sox("-r", 16000, "-n", "-b", 16, "-c", 1, path, "synth", 3.3, "sine", 300, "vol", 0.6)
    samples, _rate = soundfile.read(path, dtype="int16")
    finest = compute_peaks(path).levels[0]
    for bucket in range(finest.length):
        chunk = samples[bucket * 256 : (bucket + 1) * 256]
        assert finest.pairs[bucket].tolist() == [chunk.min(), chunk.max()]


def test_coarser_levels_are_min_max_of_pairs(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sox("-r", 16000, "-n", "-b", 16, "-c", 1, path, "synth", 40, "pinknoise", "vol", 0.5)
    levels = compute_peaks(path).levels
    assert [level.samples_per_pixel for level in levels] == [256 * 2**k for k in range(len(levels))]
    assert levels[-1].length <= COARSEST_BUCKETS < levels[-2].length
    for fine, coarse in itertools.pairwise(levels):
        assert coarse.length == math.ceil(fine.length / 2)
        for bucket in range(coarse.length):
            pair = fine.pairs[2 * bucket : 2 * bucket + 2]
            assert coarse.pairs[bucket].tolist() == [pair[:, 0].min(), pair[:, 1].max()]


def test_channels_are_mixed_to_their_mean(tmp_path: Path) -> None:
    mono = tmp_path / "square.wav"
    sox("-r", 8000, "-n", "-b", 16, "-c", 1, mono, "synth", 1, "square", 100)
    stereo = tmp_path / "left_only.wav"
    sox(mono, stereo, "remix", 1, 0)  # square wave on the left, silence on the right
    finest = compute_peaks(stereo).levels[0]
    assert np.abs(finest.pairs[:, 0] + 32767 / 2).max() <= 0.5
    assert np.abs(finest.pairs[:, 1] - 32767 / 2).max() <= 0.5


def test_narration_and_the_mp4_aac_track_have_the_length_of_their_duration() -> None:
    info = soundfile.info(str(NARRATION))
    wav = compute_peaks(NARRATION)
    aac = compute_peaks(VIDEO)
    expected = math.ceil(info.duration * info.samplerate / 256)
    assert expected == 610  # 9.76 s at 16 kHz
    for peaks in (wav, aac):
        assert (peaks.levels[0].sample_rate, peaks.levels[0].length) == (16000, expected)
        assert [level.length for level in peaks.levels] == [610, 305]
    # the AAC track is the same narration: its loud and silent buckets are the WAV's
    loud_wav = np.abs(wav.levels[0].pairs.astype(int)).max(axis=1)
    loud_aac = np.abs(aac.levels[0].pairs.astype(int)).max(axis=1)
    assert np.median(np.abs(loud_wav - loud_aac)) < 200
    assert np.corrcoef(loud_wav, loud_aac)[0, 1] > 0.98


def test_progress_rises_to_one(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    sox("-r", 16000, "-n", "-b", 16, "-c", 1, path, "synth", 40, "whitenoise")
    seen: list[float] = []
    compute_peaks(path, progress=seen.append)
    assert len(seen) > 2
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_stored_layout_is_audiowaveform_dat_v2(tmp_path: Path) -> None:
    peaks = compute_peaks(NARRATION)
    body = peaks.to_bytes()
    version, flags, rate, per_pixel, length, channels = struct.unpack_from("<iIiiIi", body)
    assert (version, flags, rate, per_pixel, length, channels) == (2, 0, 16000, 256, 610, 1)
    first = np.frombuffer(body, dtype="<i2", count=2 * length, offset=24).reshape(-1, 2)
    assert (first == peaks.levels[0].pairs).all()
    second = struct.unpack_from("<iIiiIi", body, 24 + 4 * length)
    assert second == (2, 0, 16000, 512, 305, 1)
    assert len(body) == 2 * 24 + 4 * (610 + 305)
    back = Peaks.from_bytes(body)
    assert [(level.samples_per_pixel, level.pairs.tolist()) for level in back.levels] == [
        (level.samples_per_pixel, level.pairs.tolist()) for level in peaks.levels
    ]
    with pytest.raises(RosettaError, match="truncated"):
        Peaks.from_bytes(body[:-2])


def test_json_level_and_time_window(tmp_path: Path) -> None:
    level = compute_peaks(burst_wav(tmp_path / "burst.wav")).levels[0]
    whole = level.to_json()
    assert set(whole) == {
        "version",
        "channels",
        "sample_rate",
        "samples_per_pixel",
        "bits",
        "length",
        "start_bucket",
        "data",
    }
    assert (whole["bits"], whole["length"], len(whole["data"])) == (16, 157, 314)
    window = level.to_json(1.0, 1.5)  # buckets floor(62.5) = 62 to ceil(93.75) = 94
    assert (window["start_bucket"], window["length"]) == (62, 32)
    assert window["data"] == whole["data"][2 * 62 : 2 * 94]
    assert level.to_json(100, 200)["length"] == 0


def test_unreadable_audio_names_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(RosettaError, match=r"notes\.wav"):
        compute_peaks(text)
    silent_video = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1", silent_video)
    assert not has_audio(silent_video)
    assert has_audio(VIDEO)
    with pytest.raises(RosettaError, match=r"silent\.mp4: has no audio track"):
        compute_peaks(silent_video)
