"""Frame tables, frame clocks and keyframe thumbnails on real video: ffmpeg-made NTSC and
variable-frame-rate clips, and the demo MP4 and WebM; ffprobe is the reference."""

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine

from conftest import MEDIA, TESTER
from mediagen import ffmpeg, ffprobe_stream, ffprobe_video_pts, ntsc_clip
from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import Project, Sample, Stream
from rosetta.core.timebase import exact
from rosetta.core.timeline import what_is_at
from rosetta.media.frames import (
    FrameTable,
    frame_clock,
    frame_table,
    keyframe_choice,
    sprite_sheet,
    thumbnails,
)
from rosetta.services.importer import import_samples
from rosetta.store.records import load_sample

MP4 = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
WEBM = MEDIA / "video" / "slideshow_320x240_25fps.webm"
NTSC = Fraction(30000, 1001)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The clips these tests read, made once."""
    folder = tmp_path_factory.mktemp("clips")
    ntsc = ntsc_clip(folder / "ntsc.mp4")
    # 10 fps for the first second (every third frame of 30 fps), then 30 fps
    vfr = folder / "vfr.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=30:duration=3",
        "-vf",
        r"select='not(mod(n\,3))+gte(n\,30)'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-g",
        15,
        "-pix_fmt",
        "yuv420p",
        vfr,
    )
    ntsc_webm = folder / "ntsc.webm"
    ffmpeg("-i", ntsc, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-g", 12, ntsc_webm)
    no_edit_list = folder / "no_edit_list.mp4"
    ffmpeg("-i", ntsc, "-c", "copy", "-use_editlist", 0, no_edit_list)
    transport = folder / "ntsc.ts"
    ffmpeg("-i", ntsc, "-c", "copy", transport)
    return {
        "ntsc": ntsc,
        "vfr": vfr,
        "ntsc_webm": ntsc_webm,
        "no_edit_list": no_edit_list,
        "ts": transport,
    }


def _local_times(table: FrameTable) -> list[Fraction]:
    """Each frame's local time as its frame clock says it, exactly."""
    clock = frame_clock(table)
    offset = exact(clock.offset)
    if clock.rate is not None:
        return [offset + i / exact(clock.rate) for i in range(len(table.ticks))]
    assert clock.ticks is not None and clock.time_base is not None
    return [offset + tick * exact(clock.time_base) for tick in clock.ticks]


def test_ntsc_clip_with_b_frames_is_a_rate_clock(clips: dict[str, Path]) -> None:
    path = clips["ntsc"]
    table = frame_table(path)
    decode_order = [packet.pts for packet in av.open(str(path)).demux(video=0) if packet.size]
    assert decode_order != sorted(decode_order)  # B-frames: decoded out of order
    assert len(table.ticks) == 90
    assert table.ticks.tolist() == ffprobe_video_pts(path)
    assert table.keyframes.tolist() == list(range(0, 90, 12))
    assert table.constant_rate == NTSC
    assert table.duration == Fraction(90) / NTSC
    clock = frame_clock(table)
    assert (clock.rate, clock.offset, clock.ticks) == ("30000/1001", "0", None)
    assert _local_times(table)[89] == Fraction(89 * 1001, 30000)


def test_variable_frame_rate_is_a_timestamp_table(clips: dict[str, Path]) -> None:
    path = clips["vfr"]
    table = frame_table(path)
    reference = ffprobe_video_pts(path)
    assert len(reference) == 10 + 60
    assert table.ticks.tolist() == reference
    assert table.constant_rate is None
    assert sorted(set(np.diff(table.ticks).tolist())) == [512, 1536]  # 1/30 s and 1/10 s
    time_base = Fraction(ffprobe_stream(path)["time_base"])
    clock = frame_clock(table)
    assert clock.rate is None and exact(clock.time_base or "0") == time_base
    assert clock.ticks == [tick - reference[0] for tick in reference]
    assert _local_times(table) == [tick * time_base for tick in reference]
    assert _local_times(table)[10] == 1  # the 30 fps part starts at exactly one second


def test_webm_millisecond_time_base(clips: dict[str, Path]) -> None:
    path = clips["ntsc_webm"]
    table = frame_table(path)
    assert table.time_base == Fraction(1, 1000)
    assert table.ticks.tolist() == ffprobe_video_pts(path)
    assert table.ticks[:4].tolist() == [0, 33, 67, 100]  # 30000/1001 fps rounded to ms
    assert table.constant_rate is None
    clock = frame_clock(table)
    assert (clock.time_base, clock.ticks, clock.offset) == ("0.001", table.ticks.tolist(), "0")


def test_non_zero_start_is_the_clock_offset(clips: dict[str, Path]) -> None:
    # without an edit list the first frame of a B-frame stream shows at 2 frames' delay
    no_edit = frame_table(clips["no_edit_list"])
    assert no_edit.ticks.tolist() == ffprobe_video_pts(clips["no_edit_list"])
    assert no_edit.start == Fraction(2002, 30000)
    assert frame_clock(no_edit).offset == "1001/15000"
    # MPEG-TS: 90 kHz ticks from a non-zero start, still evenly spaced
    transport = frame_table(clips["ts"])
    reference = ffprobe_video_pts(clips["ts"])
    assert transport.ticks.tolist() == reference
    assert transport.constant_rate == NTSC
    clock = frame_clock(transport)
    assert exact(clock.offset) == Fraction(reference[0], 90000)
    assert _local_times(transport) == [Fraction(tick, 90000) for tick in reference]


def test_demo_mp4_and_webm() -> None:
    mp4 = frame_table(MP4)
    assert (len(mp4.ticks), mp4.constant_rate, mp4.duration) == (244, 25, Fraction(244, 25))
    assert mp4.ticks.tolist() == ffprobe_video_pts(MP4)
    assert mp4.keyframes.tolist() == [0, 91, 170]  # one per image of the slideshow
    assert frame_clock(mp4).model_dump(exclude_none=True) == {
        "rate": "25",
        "offset": "0",
        "sync": [],
    }
    webm = frame_table(WEBM)
    assert (len(webm.ticks), webm.constant_rate, webm.time_base) == (244, 25, Fraction(1, 1000))
    assert webm.ticks.tolist() == ffprobe_video_pts(WEBM)
    assert frame_clock(webm).offset == "0.007"  # the WebM's video starts at 7 ms


def test_table_json_round_trip(clips: dict[str, Path]) -> None:
    table = frame_table(clips["vfr"])
    back = FrameTable.from_json(table.to_json())
    assert back.to_json() == table.to_json()
    assert back.seconds()[10] == 1.0


def test_thumbnails_are_the_keyframes(clips: dict[str, Path]) -> None:
    path = clips["ntsc"]
    table = frame_table(path)
    # the last keyframe at or before each of 0, 0.8, 1.6 and 2.4 s
    assert keyframe_choice(table, every_seconds=0.8) == [0, 12, 36, 60]
    seen: list[float] = []
    thumbs = thumbnails(path, table, every_seconds=0.8008, width=80, progress=seen.append)
    # a keyframe every 12 frames (0.4004 s): one falls exactly on each target
    assert [thumb.frame for thumb in thumbs] == [0, 24, 48, 72]
    assert seen[-1] == 1.0
    decoded = {frame.pts: frame for frame in av.open(str(path)).decode(video=0)}
    for thumb in thumbs:
        assert thumb.pts == table.ticks[thumb.frame]
        image = Image.open(io.BytesIO(thumb.jpeg))
        assert (image.format, image.size) == ("JPEG", (80, 60))
        # the picture is that frame's, not another keyframe's
        distances = {
            pts: np.abs(
                np.asarray(image.convert("RGB"), dtype=float)
                - np.asarray(frame.to_image().resize((80, 60)), dtype=float)
            ).mean()
            for pts, frame in decoded.items()
            if pts in table.ticks[table.keyframes]
        }
        assert min(distances, key=lambda pts: distances[pts]) == thumb.pts


def test_keyframe_choice_and_sprite_sheet() -> None:
    table = frame_table(MP4)
    assert keyframe_choice(table, count=4) == [0, 91, 170]  # 0, 2.44, 4.88, 7.32 s
    assert keyframe_choice(table, every_seconds=5) == [0, 91]
    with pytest.raises(ValueError, match="either"):
        keyframe_choice(table)
    thumbs = thumbnails(MP4, table, count=4)
    sheet, index = sprite_sheet(table, thumbs, columns=2)
    image = Image.open(io.BytesIO(sheet))
    assert (image.format, image.size) == ("JPEG", (320, 240))
    assert (index["width"], index["height"]) == (320, 240)
    tiles = index["tiles"]
    assert [(t["frame"], t["x"], t["y"], t["w"], t["h"]) for t in tiles] == [
        (0, 0, 0, 160, 120),
        (91, 160, 0, 160, 120),
        (170, 0, 120, 160, 120),
    ]
    assert [(t["start"], t["end"]) for t in tiles] == [(0.0, 3.64), (3.64, 6.8), (6.8, 9.76)]
    tile = image.crop((0, 120, 160, 240))
    own = Image.open(io.BytesIO(thumbs[2].jpeg)).convert("RGB")
    assert np.abs(np.asarray(tile, dtype=float) - np.asarray(own, dtype=float)).mean() < 4


def test_unreadable_video_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RosettaError, match=r"missing\.mp4"):
        frame_table(tmp_path / "missing.mp4")
    with pytest.raises(RosettaError, match=r"narration\.wav: has no video track"):
        frame_table(MEDIA / "audio" / "narration.wav")


def test_an_imported_vfr_video_gets_its_frame_times_as_its_clock(
    clips: dict[str, Path], engine: Engine, project: Project
) -> None:
    stream = Stream(id="v", name="camera", modality=Modality.VIDEO, uri=str(clips["vfr"]))
    steady = Stream(id="n", name="ntsc", modality=Modality.VIDEO, uri=str(clips["ntsc"]))
    import_samples(engine, project.id, [Sample(id="s", streams=[stream, steady])], TESTER)
    with engine.connect() as connection:
        sample = load_sample(connection, "s")
    vfr, ntsc = sample.streams
    assert vfr.clock is not None and vfr.clock.ticks is not None and len(vfr.clock.ticks) == 70
    assert ntsc.clock is None and ntsc.media.frame_rate == "30000/1001"
    moments = {moment.stream: moment for moment in what_is_at(sample, "1.05")}
    # 10 frames in the first second, then 30 fps: 1.05 s is frame 10 + 1
    assert moments["v"].index == 11 and moments["v"].time == Fraction(1) + Fraction(1, 30)
    assert moments["n"].index == 31  # 1.05 s × 30000/1001 = 31.47
