"""The sensor panes on the master clock in Chromium: a sample of the demo's video and
narration with a real IMU recording (its hardware timestamps as the stream's clock) and a
10 Hz LiDAR with a parked car and a car track (cuboids). While playing and after seeks, the
IMU cursor and the LiDAR sweep agree with the audio and the video within one frame; the
track's cuboid is drawn solid on its key sweeps and dashed between them. The demo has no
sensors, so the sample is built here on a server of its own; its screenshot is
``workspace-sensors.png``.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from playwright.sync_api import Page, expect

from browser.conftest import log_in, require_built_workspace, served
from browser.test_playback import FRAME, Positions, assert_video_with_audio, positions
from conftest import SHARED
from rosetta.core.clock import Clock
from rosetta.core.geometry import Cuboid, Interval, Track, TrackFrame, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.demo.build import MEDIA_DIR, ONTOLOGY_FILE, read_sentences
from rosetta.media.probe import probe
from rosetta.media.timeseries import read_sensor_file
from rosetta.services.accounts import create_user
from rosetta.services.importer import import_samples
from rosetta.services.media_prep import prepare_project
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

IMU = SHARED / "fixtures" / "formats" / "sensor" / "borglab__gtsam" / "quadraped_imu_data.csv"
BUILDER = Actor("rig-builder")
PASSWORD = "rig-password"
#: The LiDAR's clock: 10 sweeps a second, the first at 0.05 s.
SWEEP_RATE, SWEEP_OFFSET = 10, 0.05
#: The car track's key sweeps.
KEY_SWEEPS = (0, 45, 90)


def _media(stream_id: str, modality: Modality, path: Path) -> Stream:
    return Stream(
        id=stream_id,
        name=stream_id,
        modality=modality,
        uri=str(path),
        media=probe(str(path), modality),
    )


def rig_sample() -> Sample:
    """Video, narration with its transcript, the IMU on its hardware clock, the LiDAR."""
    video = _media("camera", Modality.VIDEO, MEDIA_DIR / "video" / "slideshow_320x240_25fps.mp4")
    narration = _media("narration", Modality.AUDIO, MEDIA_DIR / "audio" / "narration.wav")
    table = read_sensor_file(IMU)
    seconds = float((table.ticks[-1] - table.ticks[0]) / 1e9)
    imu = Stream(
        id="imu",
        name="imu",
        modality=Modality.TIMESERIES,
        uri=str(IMU),
        clock=table.clock(int(table.ticks[0])),
        media=MediaInfo(duration=seconds),
    )
    lidar = Stream(
        id="lidar",
        name="lidar",
        modality=Modality.POINTCLOUD,
        clock=Clock(rate=str(SWEEP_RATE), offset=str(SWEEP_OFFSET)),
        media=MediaInfo(frame_count=98),
    )
    lines = [
        Annotation(
            id=f"line-{n}",
            stream=narration.id,
            label="speech",
            geometry=TranscriptSegment(
                start=s.offset_ms / 1000,
                end=(s.offset_ms + s.speech_end_ms) / 1000,
                text=s.text,
                words=[
                    Word(text=w, start=(s.offset_ms + a) / 1000, end=(s.offset_ms + b) / 1000)
                    for w, a, b in s.words
                ],
            ),
        )
        for n, s in enumerate(read_sentences(), 1)
    ]
    track = Track(
        shape="cuboid",
        keyframes=[
            TrackFrame(frame=0, center=(5, -3, 0), size=(4.5, 1.9, 1.6), rotation=(0, 0, 0)),
            TrackFrame(frame=45, center=(20, -3, 0), size=(4.5, 1.9, 1.6), rotation=(0, 0, 0.2)),
            TrackFrame(frame=90, center=(30, 5, 0), size=(4.5, 1.9, 1.6), rotation=(0, 0, 1.2)),
        ],
    )
    return Sample(
        id="rig",
        streams=[video, narration, imu, lidar],
        annotations=[
            *lines,
            Annotation(
                id="parked",
                stream=lidar.id,
                label="car",
                geometry=Cuboid(center=(12, 6, 0), size=(4.4, 1.8, 1.5)),
            ),
            Annotation(id="moving", stream=lidar.id, label="car", geometry=track),
            Annotation(
                id="trot", stream=imu.id, label="scene", geometry=Interval(start=1, end=2.5)
            ),
        ],
    )


@pytest.fixture(scope="module")
def rig_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a server holding the rig sample, prepared, and its admin."""
    require_built_workspace()
    folder = tmp_path_factory.mktemp("rig")
    engine = open_store(f"sqlite:///{folder / 'rig.db'}")
    project = create_project(engine, "rig", load_ontology_file(ONTOLOGY_FILE), BUILDER)
    import_samples(engine, project.id, [rig_sample()], BUILDER)
    prepare_project(engine, BUILDER, project.id)
    create_user(engine, "rig-admin", PASSWORD, is_admin=True)
    with served(engine, folder, (MEDIA_DIR, IMU.parent)) as url:
        yield url


Seconds = npt.NDArray[np.float64]


def imu_times() -> Seconds:
    """The IMU rows' sample times (seconds from the first hardware stamp)."""
    ticks = read_sensor_file(IMU).ticks
    times: Seconds = (ticks - ticks[0]) / 1e9
    return times


def assert_sensors_in_step(p: Positions, times: Seconds) -> None:
    """The IMU cursor and the sweep where the audio is, within one frame, and the video on
    the audio's frame or a neighbour."""
    assert_video_with_audio(p)
    assert abs(p.series - p.audio) <= FRAME, p
    nearest = {int(np.abs(times - t).argmin()) for t in (p.audio - FRAME, p.audio, p.audio + FRAME)}
    assert min(nearest) <= p.row <= max(nearest), p
    sweeps = {round((t - SWEEP_OFFSET) * SWEEP_RATE) for t in (p.audio - FRAME, p.audio + FRAME)}
    assert min(sweeps) <= p.sweep <= max(sweeps), p


def test_imu_cursor_and_lidar_sweep_follow_the_clock(
    page: Page, rig_server: str, screenshots: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.goto(f"{rig_server}/app/login")
    log_in(page, "rig-admin", PASSWORD)
    expect(page.get_by_role("list", name="Projects")).to_be_visible()
    page.goto(f"{rig_server}/app/s/rig")
    times = imu_times()
    series = page.locator(".series")
    expect(series).to_have_attribute("data-rows", str(len(times)))
    expect(series.get_by_role("img", name="angular_velocity over time")).to_be_visible()
    expect(page.locator(".player-video")).to_have_attribute("data-frame", "0")
    moving = page.locator(".birds-eye [data-annotation='moving']")
    expect(moving).to_have_class("cuboid key")
    expect(page.locator(".birds-eye [data-annotation='parked']")).to_be_visible()

    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => Number(document.querySelector('.player-audio').dataset.time) > 0.6"
    )
    for _ in range(5):
        assert_sensors_in_step(positions(page), times)
        page.wait_for_timeout(150)
    expect(moving).to_have_class("cuboid interpolated")

    for target in (4.2, 1.3, 5.9):
        page.get_by_label("Position").fill(str(target))
        page.wait_for_function(
            f"() => {{ const t = Number(document.querySelector('.player-audio').dataset.time);"
            f" return t >= {target} && t < {target + 0.8}; }}"
        )
        page.wait_for_timeout(400)
        p = positions(page)
        assert p.playing
        assert_sensors_in_step(p, times)

    # paused on the middle key sweep, the track's cuboid is a key one again
    page.get_by_role("button", name="Pause").click()
    page.get_by_label("Position").fill(str(SWEEP_OFFSET + KEY_SWEEPS[1] / SWEEP_RATE))
    expect(page.locator(".player-pointcloud")).to_have_attribute("data-sweep", str(KEY_SWEEPS[1]))
    expect(moving).to_have_class("cuboid key")
    p = positions(page)
    assert p.row == int(np.abs(times - p.series).argmin())
    page.screenshot(path=screenshots / "workspace-sensors.png", full_page=True)
    assert problems == []
