"""What a stored sample holds at t, through the service and the API: the demo video and its
narration with word timings, the real IMU CSV on its hardware clock and a 10 Hz LiDAR."""

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from api_clients import client_as
from builders import insert_sample
from conftest import MEDIA, SHARED, TESTER
from rosetta.cli.main import app
from rosetta.core.clock import Clock
from rosetta.core.errors import NotFoundError
from rosetta.core.geometry import TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, MediaInfo, Project, Sample, Stream
from rosetta.core.sync import fit_rate_clock
from rosetta.media.timeseries import read_sensor_file
from rosetta.services.accounts import assign, find_user
from rosetta.services.projects import create_project
from rosetta.services.settings import Settings
from rosetta.services.timeline import moments_at, overlap
from rosetta.store.engine import open_store

IMU = SHARED / "fixtures" / "formats" / "sensor" / "borglab__gtsam" / "quadraped_imu_data.csv"
TIMINGS = json.loads((MEDIA / "audio" / "word_timings.json").read_text())


def _second_sentence() -> Annotation:
    """The narration's second sentence with its word times (reference seconds)."""
    sentence = TIMINGS["sentences"][1]
    offset = sentence["offset_ms"]
    words = [
        Word(
            text=word["word"],
            start=(offset + word["start_ms"]) / 1000,
            end=(offset + word["end_ms"]) / 1000,
        )
        for word in sentence["words"]
    ]
    return Annotation(
        id="chelsea-speech",
        stream="s-audio",
        label="speech",
        geometry=TranscriptSegment(
            start=words[0].start, end=words[-1].end, text=sentence["text"], words=words
        ),
        ontology_version=1,
    )


@pytest.fixture
def sample(engine: Engine, project: Project) -> Sample:
    return insert_sample(engine, project.id, _sample())


def _sample() -> Sample:
    table = read_sensor_file(IMU)
    origin = int(table.ticks[0])
    return Sample(
        id="s",
        streams=[
            Stream(
                id="s-video",
                name="slideshow",
                modality=Modality.VIDEO,
                uri=str(MEDIA / "video" / "slideshow_320x240_25fps.mp4"),
                media=MediaInfo(width=320, height=240, frame_rate="25", frame_count=244),
            ),
            Stream(
                id="s-audio",
                name="narration",
                modality=Modality.AUDIO,
                uri=str(MEDIA / "audio" / "narration.wav"),
                media=MediaInfo(duration=9.76, sample_rate=16000, channels=1),
            ),
            Stream(
                id="s-imu",
                name="imu",
                modality=Modality.TIMESERIES,
                uri=str(IMU),
                clock=table.clock(origin),
            ),
            Stream(
                id="s-lidar",
                name="lidar",
                modality=Modality.POINTCLOUD,
                clock=Clock(rate="10", offset="0.05"),
                media=MediaInfo(frame_count=60),
            ),
        ],
        annotations=[_second_sentence()],
    )


def test_each_stream_at_one_instant(engine: Engine, sample: Sample) -> None:
    segment = sample.annotations[0].geometry
    assert isinstance(segment, TranscriptSegment)
    cat = next(word for word in segment.words or () if word.text == "cat")
    t = Fraction(str(cat.start)) + Fraction(1, 100)  # 10 ms into the word "cat"
    with engine.connect() as connection:
        moments = {m.stream: m for m in moments_at(connection, "s", t)}

    video, audio = moments["s-video"], moments["s-audio"]
    assert video.index == int(t * 25) and video.time == Fraction(video.index, 25)
    assert 91 <= video.index <= 169  # the cat's image is on screen for the whole sentence
    assert audio.index == int(t * 16000)
    assert [(hit.word, hit.annotation) for hit in audio.transcript] == [("cat", "chelsea-speech")]
    lidar = moments["s-lidar"]
    assert lidar.index == round((t - Fraction(5, 100)) * 10)  # nearest sweep
    imu = moments["s-imu"]
    table = read_sensor_file(IMU)
    row = imu.index
    assert row is not None and imu.values is not None
    t_ns = t * 10**9 + int(table.ticks[0])
    before, after = int(table.ticks[row]), int(table.ticks[row + 1])
    if t_ns >= before:
        left = row
    else:
        left, before, after = row - 1, int(table.ticks[row - 1]), before
    weight = float((t_ns - before) / (after - before))
    column = table.columns.index("field.linear_acceleration.z")
    expected = table.values[left, column] + weight * (
        table.values[left + 1, column] - table.values[left, column]
    )
    assert imu.values["field.linear_acceleration.z"] == pytest.approx(expected, rel=1e-12)


def test_overlap_of_video_frames_in_the_audio_and_the_lidar(engine: Engine, sample: Sample) -> None:
    with engine.connect() as connection:
        audio = overlap(connection, "s", "s-video", range(100, 110), "s-audio")
        sweeps = overlap(connection, "s", "s-video", range(100, 110), "s-lidar")
        with pytest.raises(NotFoundError, match="no stream with id 'nowhere"):
            overlap(connection, "s", "s-video", range(0, 1), "nowhere")
    assert audio == range(100 * 640, 110 * 640)  # 640 samples per 25 fps frame
    # frames 100..109 run from 4.0 s to 4.4 s; sweeps start at 0.05 + k/10
    assert sweeps == range(39, 44)


def test_the_api_answers_at_a_time_and_for_a_range(engine: Engine, sample: Sample) -> None:
    with client_as(engine, settings=Settings(media_roots=(SHARED,))) as client:
        body = client.get("/api/samples/s/at", params={"t": "4.0"}).json()
        by_stream = {moment["stream"]: moment for moment in body}
        assert by_stream["s-video"]["index"] == 100
        assert by_stream["s-video"]["time"] == "4" and by_stream["s-video"]["seconds"] == 4.0
        assert by_stream["s-audio"]["index"] == 64000
        assert by_stream["s-imu"]["values"]["field.linear_acceleration.z"] > 9
        ntsc = client.get("/api/samples/s/at", params={"t": "1001/30000"}).json()
        assert ntsc[0]["index"] == 0  # 33.4 ms: still frame 0 at 25 fps
        bad = client.get("/api/samples/s/at", params={"t": "soon"})
        assert bad.status_code == 400 and "t:" in bad.json()["error"]["message"]
        missing = client.get("/api/samples/nope/at", params={"t": "1"})
        assert missing.status_code == 404
        span = client.get(
            "/api/samples/s/overlap",
            params={"stream": "s-video", "target": "s-lidar", "start": 100, "stop": 110},
        ).json()
        assert span == {"stream": "s-lidar", "start": 39, "stop": 44}


def test_the_transcript_at_t_is_only_what_the_caller_may_see(
    engine: Engine, sample: Sample, project: Project
) -> None:
    # the narration's segment is the tester's; "ann" is on the sample blind (an overlap
    # peer), so she sees no one's work but her own, here or anywhere else
    with client_as(engine, settings=Settings(media_roots=(SHARED,))) as admin:
        ann = client_as(
            engine,
            "ann",
            admin=False,
            project_id=project.id,
            role=Role.ANNOTATOR,
            settings=Settings(media_roots=(SHARED,)),
        )
        with engine.connect() as connection:
            ann_id = find_user(connection, "ann").id
        assign(engine, TESTER, "s", ann_id, blind=True)
        t = {"t": str(_second_sentence().geometry.start + 0.1)}  # type: ignore[union-attr]
        everyone = {m["stream"]: m for m in admin.get("/api/samples/s/at", params=t).json()}
        with ann:
            hers = {m["stream"]: m for m in ann.get("/api/samples/s/at", params=t).json()}
    assert [hit["annotation"] for hit in everyone["s-audio"]["transcript"]] == ["chelsea-speech"]
    assert hers["s-audio"]["transcript"] == []
    assert hers["s-video"]["index"] == everyone["s-video"]["index"]


def test_the_api_reads_sensor_files_only_inside_the_media_roots(
    engine: Engine, sample: Sample, tmp_path: Path
) -> None:
    with client_as(engine, settings=Settings(media_roots=(tmp_path,))) as client:
        refused = client.get("/api/samples/s/at", params={"t": "4.0"})
    assert refused.status_code == 403
    assert "ROSETTA_MEDIA_ROOTS" in refused.json()["error"]["message"]


def test_the_cli_prints_each_stream_at_an_instant(tmp_path: Path, demo_ontology: Ontology) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    insert_sample(engine, create_project(engine, "p", demo_ontology, TESTER).id, _sample())
    engine.dispose()
    result = CliRunner().invoke(
        app, ["--db", url, "clock", "at", "s", "4.0"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "100" in rows["s-video"] and "64000" in rows["s-audio"]
    bad = CliRunner().invoke(app, ["--db", url, "clock", "at", "s", "later"])
    assert bad.exit_code == 1 and "T:" in bad.output


def imu_100hz_csv(path: Path, *, start_ns: int, rows: int) -> Path:
    """A 100 Hz IMU export as a logger writes it: nanosecond stamps every 10 ms (±0.2 ms of
    jitter, one reading dropped), yaw rate ``gyro_z`` = sin(2π·0.5·t) and a constant 9.81."""
    rng = np.random.default_rng(100)
    stamps = [start_ns + k * 10_000_000 + int(rng.integers(-200_000, 200_000)) for k in range(rows)]
    stamps[0] = start_ns
    del stamps[rows // 2]  # a dropped reading: a table clock keeps the gap, a rate clock would not
    lines = ["stamp_ns,gyro_z,accel_z,frame_id"]
    for stamp in stamps:
        seconds = (stamp - start_ns) / 1e9
        lines.append(f"{stamp},{math.sin(math.pi * seconds)!r},9.81,imu_link")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_100_hz_imu_csv_next_to_ntsc_video_at_14_327_s(
    tmp_path: Path, engine: Engine, project: Project
) -> None:
    """The IMU starts 250 ms after the video (hardware stamps); at 14.327 s the video shows
    frame 429 and the IMU value is the linear mix of the two
    readings stamped around that instant."""
    start = 1_700_000_000_250_000_000
    path = imu_100hz_csv(tmp_path / "imu.csv", start_ns=start, rows=2000)
    table = read_sensor_file(path)
    assert table.columns == ("gyro_z", "accel_z")
    assert table.ticks.size == 1999
    half = table.ticks[:999]
    assert fit_rate_clock(np.arange(half.size), half, time_base=table.time_base).clock.rate == "100"
    # over the dropped reading no single rate fits: the table clock is the one to use
    whole = fit_rate_clock(np.arange(table.ticks.size), table.ticks, time_base=table.time_base)
    assert whole.max_residual > 0.004
    video_origin = start - 250_000_000
    insert_sample(
        engine,
        project.id,
        Sample(
            id="drive",
            streams=[
                Stream(
                    id="drive-video",
                    name="front",
                    modality=Modality.VIDEO,
                    media=MediaInfo(frame_rate="30000/1001", frame_count=900),
                ),
                Stream(
                    id="drive-imu",
                    name="imu",
                    modality=Modality.TIMESERIES,
                    uri=str(path),
                    clock=table.clock(video_origin),
                ),
            ],
        ),
    )
    t = Fraction("14.327")
    with engine.connect() as connection:
        moments = {m.stream: m for m in moments_at(connection, "drive", t, rounding="floor")}

    assert moments["drive-video"].index == 429  # floor(14.327 × 30000/1001)
    row = moments["drive-imu"].index
    assert row is not None
    t_ns = video_origin + t * 10**9
    before, after = int(table.ticks[row]), int(table.ticks[row + 1])
    assert before <= t_ns < after and after - before < 10_500_000
    weight = float((t_ns - before) / (after - before))
    expected = math.sin(math.pi * (before - start) / 1e9) + weight * (
        math.sin(math.pi * (after - start) / 1e9) - math.sin(math.pi * (before - start) / 1e9)
    )
    values = moments["drive-imu"].values
    assert values is not None
    assert values["gyro_z"] == pytest.approx(expected, rel=1e-9)
    assert values["accel_z"] == 9.81
    # the interpolated value is within the linear-interpolation error of the true signal
    assert values["gyro_z"] == pytest.approx(math.sin(math.pi * (t_ns - start) / 1e9), abs=2e-4)
    # across the dropped reading the clock keeps real time: row k is not at k × 10 ms
    gap = 999
    assert int(table.ticks[gap + 1] - table.ticks[gap]) > 19_000_000
