"""Setting stream clocks in the store (SQLite and PostgreSQL): events, stale links, alignment."""

from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from builders import insert_sample
from clock_scenes import DELAY, linked_scene, recording_session
from conftest import TESTER
from mediagen import ffmpeg
from rosetta.core.clock import Clock, compile_clock
from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.clocks import align_audio, align_hardware, set_stream_clock
from rosetta.store.events import history
from rosetta.store.records import load_sample, stream_row
from rosetta.store.tables import events, streams


def _links(engine: Engine, sample_id: str = "s1") -> dict[str, str]:
    with engine.connect() as connection:
        return {link.id: link.status for link in load_sample(connection, sample_id).links}


def _stream(engine: Engine, stream_id: str, sample_id: str) -> Stream:
    with engine.connect() as connection:
        [found] = [s for s in load_sample(connection, sample_id).streams if s.id == stream_id]
    return found


def _event_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


@pytest.fixture
def scene(engine: Engine, project: Project) -> Project:
    linked_scene(engine, project.id)
    return project


def test_moving_the_video_clock_turns_its_confirmed_links_stale(
    engine: Engine, scene: Project
) -> None:
    clock = Clock(rate="25", offset="0.5")

    stream = set_stream_clock(engine, TESTER, "s1-video", clock, note="measured by hand")

    assert stream.clock == clock
    assert _stream(engine, "s1-video", "s1").clock == clock
    # sync: its target is on the video; speaks: its source entity holds a video box
    assert _links(engine) == {
        "ref": "confirmed",
        "sync": "stale",
        "speaks": "stale",
        "maybe": "proposed",
    }
    with engine.connect() as connection:
        [change] = history(connection, "s1-video")
        *_, stale_sync = history(connection, "sync")
        *_, stale_speaks = history(connection, "speaks")
    assert (change.object_kind, change.action, change.sample_id) == ("stream", "update", "s1")
    assert change.before == {"clock": None}
    assert change.after == {"clock": {"rate": "25", "offset": "0.5", "sync": []}}
    assert (change.actor, change.note) == ("tester", "measured by hand")
    assert (stale_sync.action, stale_sync.revision) == ("stale", 2)
    assert (
        stale_sync.note == "target annotation 'scene' is on stream 's1-video', whose clock changed"
    )
    assert stale_speaks.note == (
        "source entity 'astro' holds annotation 'astronaut-video', which is on stream "
        "'s1-video', whose clock changed"
    )


def test_moving_the_audio_clock_reaches_links_of_the_speech(engine: Engine, scene: Project) -> None:
    set_stream_clock(engine, TESTER, "s1-audio", Clock(rate="16000", offset="-0.25"))

    assert _links(engine) == {
        "ref": "confirmed",
        "sync": "stale",
        "speaks": "stale",
        "maybe": "proposed",
    }


def test_the_same_clock_again_records_nothing_and_none_clears_it(
    engine: Engine, scene: Project
) -> None:
    clock = Clock(rate="25")
    set_stream_clock(engine, TESTER, "s1-video", clock)
    logged = _event_count(engine)

    set_stream_clock(engine, TESTER, "s1-video", clock)
    assert _event_count(engine) == logged

    cleared = set_stream_clock(engine, TESTER, "s1-video", None)
    assert cleared.clock is None
    assert _stream(engine, "s1-video", "s1").clock is None
    with engine.connect() as connection:
        assert history(connection, "s1-video")[-1].after == {"clock": None}


def test_an_unknown_stream_is_not_found(engine: Engine, scene: Project) -> None:
    with pytest.raises(NotFoundError, match="no stream with id 'nope'"):
        set_stream_clock(engine, TESTER, "nope", Clock(rate="25"))


# --- audio alignment ------------------------------------------------------------------------


@pytest.fixture
def recordings(engine: Engine, project: Project, tmp_path: Path) -> Project:
    recording_session(engine, project.id, tmp_path)
    return project


def test_align_audio_puts_the_microphone_on_the_camera_timeline(
    engine: Engine, recordings: Project
) -> None:
    alignment = align_audio(engine, TESTER, "rec", "cam", "mic")

    assert abs(alignment.estimate.offset - DELAY) < 0.001
    clock = alignment.stream.clock
    assert clock is not None and clock == _stream(engine, "mic", "rec").clock
    assert (clock.rate, clock.offset) == ("44100", "0")
    [point] = clock.sync
    assert (point.source, point.reference) == ("audio", "0")
    assert abs(Fraction(point.local) - Fraction(DELAY)) < Fraction(1, 1000)
    assert point.confidence is not None and point.confidence > 0.5
    assert "against stream 'cam'" in (point.note or "")
    # the beep 2 s into the camera recording is sample (2 + 1.234) * 44100 of the microphone
    at = compile_clock(clock).time_of(round((2 + DELAY) * 44100))
    assert abs(at - 2) < Fraction(1, 1000)
    with engine.connect() as connection:
        [change] = history(connection, "mic")
    assert change.note == point.note
    assert change.after["clock"]["sync"][0]["source"] == "audio"


def test_alignment_follows_the_reference_stream_own_clock(
    engine: Engine, recordings: Project
) -> None:
    """The camera's audio starts at reference 3 s: the microphone follows it there."""
    set_stream_clock(engine, TESTER, "cam", Clock(rate="16000", offset="3"))

    clock = align_audio(engine, TESTER, "rec", "cam", "mic").stream.clock

    assert clock is not None
    assert clock.sync[0].reference == "3"
    at = compile_clock(clock).time_of(round((2 + DELAY) * 44100))
    assert abs(at - 5) < Fraction(1, 1000)


def test_a_video_stream_gets_its_frame_rate_and_the_sync_point(
    engine: Engine, recordings: Project, tmp_path: Path
) -> None:
    """A video whose audio track is the microphone: its clock counts frames at 25 fps."""
    video = tmp_path / "phone.mp4"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=size=64x48:rate=25:duration=9"),
        *("-i", str(tmp_path / "mic.wav"), "-shortest"),
        *("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video)),
    )
    phone = Stream(
        id="phone",
        name="phone",
        modality=Modality.VIDEO,
        uri=str(video),
        media=MediaInfo(width=64, height=48, frame_rate="25/1", frame_count=225),
    )
    with engine.begin() as connection:
        connection.execute(insert(streams).values(stream_row(phone, "rec")))

    clock = align_audio(engine, TESTER, "rec", "cam", "phone").stream.clock

    assert clock is not None and clock.rate == "25"
    # the beep 2 s into the camera audio is on screen in frame floor((2 + 1.234) * 25) = 80
    assert compile_clock(clock).index_at(2) == 80


def test_an_unrelated_recording_is_refused_and_nothing_changes(
    engine: Engine, recordings: Project
) -> None:
    logged = _event_count(engine)

    with pytest.raises(RosettaError, match="no confident offset"):
        align_audio(engine, TESTER, "rec", "cam", "other")

    assert _stream(engine, "other", "rec").clock is None
    assert _event_count(engine) == logged


def test_alignment_needs_audio_streams_of_the_sample(
    engine: Engine, recordings: Project, scene: Project
) -> None:
    with pytest.raises(RosettaError, match="cannot be aligned to itself"):
        align_audio(engine, TESTER, "rec", "mic", "mic")
    with pytest.raises(RosettaError, match="stream 'note' is text"):
        align_audio(engine, TESTER, "rec", "cam", "note")
    with pytest.raises(NotFoundError, match="'s1-audio'"):
        align_audio(engine, TESTER, "rec", "cam", "s1-audio")
    with pytest.raises(NotFoundError, match="no sample with id 'nope'"):
        align_audio(engine, TESTER, "nope", "cam", "mic")


# --- hardware timestamps --------------------------------------------------------------------


def _sensor(ident: str, modality: Modality, clock: Clock | None) -> Stream:
    return Stream(id=ident, name=ident, modality=modality, uri=f"/data/{ident}", clock=clock)


def test_align_hardware_puts_absolute_tables_on_their_common_origin(
    engine: Engine, project: Project
) -> None:
    imu = [117_735_250_000 + 2_500_000 * k for k in range(8)]
    lidar = [117_685_250_000 + 100_000_000 * k for k in range(3)]
    ns = "1/1000000000"
    insert_sample(
        engine,
        project.id,
        Sample(
            id="rig",
            streams=[
                _sensor("imu", Modality.TIMESERIES, Clock(ticks=imu, time_base=ns)),
                _sensor("lidar", Modality.POINTCLOUD, Clock(ticks=lidar, time_base=ns)),
                _sensor("cam", Modality.VIDEO, None),
            ],
        ),
    )

    moved = align_hardware(engine, TESTER, "rig")

    assert [stream.id for stream in moved] == ["imu", "lidar"]
    for stream in moved:
        assert stream.clock is not None
        assert stream.clock == _stream(engine, stream.id, "rig").clock
        assert stream.clock.offset == "-117.68525"
        assert stream.clock.sync[0].source == "hardware"
    imu_clock, lidar_clock = (stream.clock for stream in moved)
    assert imu_clock is not None and lidar_clock is not None
    assert compile_clock(imu_clock).time_of(0) == Fraction(5, 100)
    assert compile_clock(lidar_clock).time_of(2) == Fraction(2, 10)
    with engine.connect() as connection:
        [change] = history(connection, "lidar")
    assert "reference 0 is tick 117685250000" in (change.note or "")

    with pytest.raises(RosettaError, match="'cam' has no timestamp table"):
        align_hardware(engine, TESTER, "rig", ["imu", "cam"])


def test_align_hardware_refuses_mixed_time_bases(engine: Engine, project: Project) -> None:
    insert_sample(
        engine,
        project.id,
        Sample(
            id="mixed",
            streams=[
                _sensor("a", Modality.TIMESERIES, Clock(ticks=[1, 2], time_base="1/1000")),
                _sensor("b", Modality.TIMESERIES, Clock(ticks=[1, 2], time_base="1/1000000")),
            ],
        ),
    )

    with pytest.raises(RosettaError, match="different time bases"):
        align_hardware(engine, TESTER, "mixed")
    with pytest.raises(NotFoundError, match="'c'"):
        align_hardware(engine, TESTER, "mixed", ["a", "c"])
