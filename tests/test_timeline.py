"""What is at t in each stream: default clocks, frames of the demo video under its narration's
words, multi-rate streams, transcript segments and words, interpolated IMU readings from the
real ROS CSV, and the reverse look-up of overlapping indices."""

import csv
import json
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from conftest import MEDIA, SHARED
from rosetta.core.clock import Clock, compile_clock
from rosetta.core.errors import NotFoundError
from rosetta.core.geometry import Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.core.temporal import segments_from_words
from rosetta.core.timeline import (
    TimeSeries,
    frame_at,
    interpolate_values,
    overlapping,
    segment_at,
    segments_at,
    stream_clock,
    stream_length,
    what_is_at,
)
from rosetta.media.probe import probe

VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
NARRATION = MEDIA / "audio" / "narration.wav"
IMU_CSV = SHARED / "fixtures" / "formats" / "sensor" / "borglab__gtsam" / "quadraped_imu_data.csv"
TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())


def _video() -> Stream:
    return Stream(
        id="video",
        name="video",
        modality=Modality.VIDEO,
        uri=str(VIDEO),
        media=probe(str(VIDEO), Modality.VIDEO),
    )


def _narration() -> Stream:
    return Stream(
        id="narration",
        name="narration",
        modality=Modality.AUDIO,
        uri=str(NARRATION),
        media=probe(str(NARRATION), Modality.AUDIO),
    )


def _lidar() -> Stream:
    """10 Hz sweeps stamped in nanoseconds with a little jitter, starting 0.03 s in."""
    ticks = [i * 100_000_000 + (i % 3) * 1_000_000 for i in range(100)]
    clock = Clock(time_base="1/1000000000", ticks=ticks, offset="0.03")
    return Stream(id="lidar", name="lidar", modality=Modality.POINTCLOUD, clock=clock)


def _transcripts(stream: str) -> list[Annotation]:
    """One transcript segment per narrated sentence, from the fixture's word timings."""
    annotations = []
    for number, sentence in enumerate(TIMINGS["sentences"]):
        offset = sentence["offset_ms"]
        words = [
            (
                word["word"],
                Fraction(offset + word["start_ms"], 1000),
                Fraction(offset + word["end_ms"], 1000),
            )
            for word in sentence["words"]
        ]
        (segment,) = segments_from_words(words, max_gap="0.3")
        annotations.append(
            Annotation(id=f"s{number + 1}", stream=stream, label="speech", geometry=segment)
        )
    return annotations


def _imu() -> tuple[list[int], np.ndarray]:
    """Header stamps (ns) and linear accelerations of the real ROS IMU recording."""
    stamps, rows = [], []
    with IMU_CSV.open(newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            stamps.append(int(record["field.header.stamp"]))
            rows.append([float(record[f"field.linear_acceleration.{axis}"]) for axis in "xyz"])
    return stamps, np.array(rows)


def test_a_stream_without_a_clock_runs_at_its_probed_rate_from_zero() -> None:
    video, narration = _video(), _narration()
    assert stream_clock(video) == Clock(rate="25")
    assert stream_clock(narration) == Clock(rate="16000")
    assert stream_length(video) == 244
    assert stream_length(narration) == 156160  # 9.76 s at 16 kHz
    lidar = _lidar()
    assert stream_clock(lidar) is lidar.clock
    assert stream_length(lidar) == 100
    text = Stream(id="t", name="t", modality=Modality.TEXT, text="hi")
    assert stream_clock(text) is None and frame_at(text, 1) is None
    bare = Stream(id="v", name="v", modality=Modality.VIDEO)
    assert stream_clock(bare) is None


def test_every_narrated_word_maps_to_a_frame_showing_its_sentence_image() -> None:
    video, narration = _video(), _narration()
    words = 0
    for sentence in TIMINGS["sentences"]:
        first, last = sentence["video_frames_inclusive"]
        for word in sentence["words"]:
            start = Fraction(sentence["offset_ms"] + word["start_ms"], 1000)
            end = Fraction(sentence["offset_ms"] + word["end_ms"], 1000)
            assert first <= frame_at(video, start) <= last, (sentence["image"], word)
            assert first <= frame_at(video, end, "ceil") - 1 <= last
            # the narration runs at 16 kHz from the same origin: 16 samples per millisecond
            assert frame_at(narration, start) == (sentence["offset_ms"] + word["start_ms"]) * 16
            words += 1
    assert words == 29
    # the first frame of each image is where its sentence starts (offset / 40 ms per frame)
    for sentence in TIMINGS["sentences"]:
        at = Fraction(sentence["offset_ms"], 1000)
        assert frame_at(video, at) == sentence["video_frames_inclusive"][0]
    assert frame_at(video, "9.76") is None  # after the last frame
    assert frame_at(video, "9.76", "nearest") == 243
    assert frame_at(video, -1) is None


def test_one_instant_in_streams_of_different_rates_and_offsets() -> None:
    def audio(rate: str, offset: str) -> Stream:
        return Stream(
            id=rate, name=rate, modality=Modality.AUDIO, clock=Clock(rate=rate, offset=offset)
        )

    t = "14.327"
    # by hand: floor((t - offset) * rate)
    assert frame_at(audio("16000", "0.5"), t) == 221232  # 13.827 * 16000 = 221232 exactly
    assert frame_at(audio("16000", "0.5"), t, "ceil") == 221232
    assert frame_at(audio("44100", "0.25"), t) == 620795  # 14.077 * 44100 = 620795.7
    assert frame_at(audio("44100", "0.25"), t, "nearest") == 620796
    lidar = Stream(
        id="l", name="l", modality=Modality.POINTCLOUD, clock=Clock(rate="10", offset="0.05")
    )
    assert frame_at(lidar, t) == 142  # 14.277 * 10 = 142.77
    assert frame_at(lidar, t, "nearest") == 143
    imu = Stream(
        id="i", name="i", modality=Modality.TIMESERIES, clock=Clock(rate="100", offset="-0.003")
    )
    assert frame_at(imu, t) == 1433  # 14.330 * 100 = 1433 exactly: sample 1433 starts at t
    assert frame_at(imu, "14.3269") == 1432
    assert frame_at(lidar, "0.04") is None  # before its first sweep


def test_the_transcript_segment_and_word_at_t() -> None:
    annotations = _transcripts("narration")
    assert [a.geometry.text for a in annotations] == [  # type: ignore[union-attr]
        sentence["text"].rstrip(".") for sentence in TIMINGS["sentences"]
    ]
    hit = segment_at(annotations, "narration", "3.7")  # 3.64 s + 60 ms: "A" ends at 61 ms
    assert hit is not None and hit[0].id == "s2" and hit[1] is not None and hit[1].text == "A"
    hit = segment_at(annotations, "narration", "3.701")  # "tabby" starts at 3.64 + 0.061
    assert hit is not None and hit[1] is not None and hit[1].text == "tabby"
    assert segment_at(annotations, "narration", "3.2") is None  # the pause after sentence 1
    assert segment_at(annotations, "video", "1") is None  # segments of another stream
    assert segments_at(annotations, "narration", "6.8")[0][1].text == "A"  # type: ignore[union-attr]


def test_interpolated_readings_of_the_real_imu_recording() -> None:
    stamps, accelerations = _imu()
    origin = stamps[0]
    clock = Clock(time_base="1/1000000000", ticks=stamps, offset=str(Fraction(-origin, 10**9)))
    series = TimeSeries.from_clock(clock, accelerations, ["ax", "ay", "az"])
    assert series.times[1] == pytest.approx(0.0025)  # 400 Hz
    assert series.covers(0) and not series.covers("-0.000000001")
    np.testing.assert_array_equal(series.at("0.0025"), accelerations[1])
    # halfway between rows 10 and 11: the mean of the two rows, by hand
    halfway = Fraction(stamps[10] + stamps[11] - 2 * origin, 2 * 10**9)
    np.testing.assert_allclose(
        series.at(halfway), (accelerations[10] + accelerations[11]) / 2, rtol=1e-12
    )
    assert series.row_at(halfway, "floor") == 10 and series.row_at(halfway, "nearest") == 10
    assert series.row_at(halfway + Fraction(1, 10**9), "nearest") == 11
    assert series.time_of(11) == Fraction(stamps[11] - origin, 10**9)
    end = float(series.times[-1])
    with pytest.raises(ValueError, match=r"outside the series .* not extrapolated"):
        series.at(end + 0.001)
    assert series.row_at(end + 1, "ceil") is None
    assert series.row_at(end + 1, "floor") == len(stamps) - 1  # the last row holds on
    assert series.row_at(-1, "floor") is None
    assert series.row_at(end + 1, "nearest") == len(stamps) - 1
    # the same rows without a clock: float times decide
    loose = TimeSeries(series.times, accelerations, ("ax", "ay", "az"))
    assert loose.row_at(halfway, "nearest") == 10 and loose.row_at(-1, "ceil") == 0
    np.testing.assert_allclose(loose.at(halfway), series.at(halfway))


def test_interpolate_values_checks_its_input() -> None:
    times = np.array([0.0, 1.0, 3.0])
    values = np.array([[0.0, 10.0], [2.0, 10.0], [6.0, 0.0]])
    np.testing.assert_allclose(interpolate_values(times, values, 2), [4.0, 5.0])
    np.testing.assert_array_equal(interpolate_values(times, values, 3), [6.0, 0.0])
    with pytest.raises(ValueError, match=r"outside the series \(0.0 s to 3.0 s\)"):
        interpolate_values(times, values, -0.5)
    with pytest.raises(ValueError, match="one row per time"):
        interpolate_values(times, values[:2], 1)
    with pytest.raises(ValueError, match=r"must increase: row 2 at 1\.0 s follows 1\.0 s"):
        TimeSeries(np.array([0.0, 1.0, 1.0]), values, ("a", "b"))
    with pytest.raises(ValueError, match="2 columns"):
        TimeSeries(times, values[:, :1], ("a", "b"))
    with pytest.raises(ValueError, match="the clock has 2 timestamps but values have 3 rows"):
        TimeSeries.from_clock(Clock(time_base="1/10", ticks=[0, 1]), values, ("a", "b"))


def test_what_is_at_each_stream_of_a_sample() -> None:
    stamps, accelerations = _imu()
    imu_clock = Clock(
        time_base="1/1000000000", ticks=stamps, offset=str(Fraction(-stamps[0], 10**9))
    )
    imu = Stream(id="imu", name="imu", modality=Modality.TIMESERIES, clock=imu_clock)
    text = Stream(id="caption", name="caption", modality=Modality.TEXT, text="a cat")
    sample = Sample(
        id="sample",
        streams=[_video(), _narration(), _lidar(), imu, text],
        annotations=_transcripts("narration"),
    )
    series = {"imu": TimeSeries.from_clock(imu_clock, accelerations, ["ax", "ay", "az"])}
    t = Fraction("4.3")  # "cat" is spoken from 3.64 + 0.424 to 3.64 + 0.754
    moments = {moment.stream: moment for moment in what_is_at(sample, t, series)}
    assert list(moments) == ["video", "narration", "lidar", "imu", "caption"]
    video = moments["video"]
    assert (video.modality, video.index, video.time) == (Modality.VIDEO, 107, Fraction("4.28"))
    assert moments["narration"].index == 68800
    transcript = moments["narration"].transcript
    assert [(h.annotation, h.word, h.word_index) for h in transcript] == [("s2", "cat", 2)]
    assert transcript[0].text.startswith("A tabby cat")
    assert moments["video"].transcript == ()
    # sweeps start at 0.03 + i/10 s (+ i % 3 ms): 0.03 + 4.2 + 0 ms = 4.23, 4.33 + 1 ms = 4.331
    lidar = moments["lidar"]
    assert (lidar.index, lidar.time) == (43, Fraction("4.331"))
    imu_moment = moments["imu"]
    assert imu_moment.index == 1720 and imu_moment.time == Fraction("4.3")
    assert imu_moment.values == dict(
        zip(["ax", "ay", "az"], accelerations[1720].tolist(), strict=True)
    )
    assert moments["caption"].index is None and moments["caption"].values is None
    floors = {m.stream: m.index for m in what_is_at(sample, t, series, rounding="floor")}
    assert floors["lidar"] == 42
    # without the series, the IMU stream still has its clock
    assert {m.stream: m.index for m in what_is_at(sample, t)}["imu"] == 1720
    late = {m.stream: m for m in what_is_at(sample, 100, series)}
    assert late["video"].index is None and late["imu"].values is None
    assert late["imu"].index == len(stamps) - 1


def test_overlapping_indices_of_another_stream() -> None:
    sample = Sample(
        id="s",
        streams=[
            _video(),
            _narration(),
            _lidar(),
            Stream(id="text", name="text", modality=Modality.TEXT),
        ],
    )
    # video frames 10 and 11 are [0.4, 0.48): audio samples 6400 .. 7679
    assert overlapping(sample, "video", range(10, 12), "narration") == range(6400, 7680)
    assert overlapping(sample, "narration", range(6400, 7680), "video") == range(10, 12)
    assert overlapping(sample, "narration", range(6400, 6401), "video") == range(10, 11)
    # sweeps 2 and 3 start at 0.232 and 0.33 s: [0.232, 0.431) meets frames 5 .. 10
    assert overlapping(sample, "lidar", range(2, 4), "video") == range(5, 11)
    assert overlapping(sample, "video", (0.3, 0.35), "lidar") == range(2, 4)
    assert overlapping(sample, "video", Interval(start=9, end=20), "video") == range(225, 244)
    assert overlapping(sample, "video", (-5, "0.05"), "lidar") == range(0, 1)
    assert overlapping(sample, "video", range(0), "lidar") == range(0)
    # the last sweep's span has no recorded end: up to the video's last frame
    assert len(overlapping(sample, "lidar", range(99, 100), "video")) == 0  # starts at 9.93 s
    assert overlapping(sample, "lidar", range(90, 100), "video") == range(225, 244)
    with pytest.raises(NotFoundError, match="no stream with id 'nope"):
        overlapping(sample, "video", range(1, 2), "nope")
    with pytest.raises(ValueError, match=r"'text' of sample 's' .* has no clock"):
        overlapping(sample, "video", range(1, 2), "text")
    with pytest.raises(ValueError, match="step 1"):
        overlapping(sample, "video", range(1, 9, 2), "lidar")
    with pytest.raises(IndexError):
        overlapping(sample, "lidar", range(99, 101), "video")


def test_frame_at_follows_a_table_clock() -> None:
    clock = Clock(time_base="1/90000", ticks=[0, 3003, 6006, 12012])  # a dropped frame
    vfr = Stream(
        id="v",
        name="v",
        modality=Modality.VIDEO,
        clock=clock,
        media=MediaInfo(frame_rate="30000/1001", frame_count=4),
    )
    assert [frame_at(vfr, t) for t in ("0", "0.0667", "0.1", "0.1335", "5")] == [0, 1, 2, 3, 3]
    assert compile_clock(clock).time_of(3) == Fraction(12012, 90000)
    assert frame_at(vfr, "-0.01", "ceil") == 0 and frame_at(vfr, "-0.01") is None
