"""Real media made by the tests: sox and ffmpeg through subprocess, and ffprobe as the
independent reference for what a container holds."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from builders import insert_sample
from rosetta.core.modality import Modality
from rosetta.core.schema import Project, Sample, Stream


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (make system-tools installs it)")
    return found


def sox(*args: str | Path) -> None:
    """Run sox without dither (silence stays exactly zero)."""
    subprocess.run([_tool("sox"), "-D", *map(str, args)], check=True, capture_output=True)


def ffmpeg(*args: str | Path) -> None:
    """Run ffmpeg quietly, overwriting its output."""
    subprocess.run(
        [_tool("ffmpeg"), "-y", "-nostdin", "-loglevel", "error", *map(str, args)],
        check=True,
        capture_output=True,
    )


def burst_wav(path: Path, rate: int = 16000) -> Path:
    """1 s of silence, 0.5 s of a full-scale 100 Hz square wave, 1 s of silence (mono)."""
    sox("-r", rate, "-n", "-b", 16, "-c", 1, path, "synth", 0.5, "square", 100, "pad", 1, 1)
    return path


def ntsc_clip(path: Path, seconds: int = 3, audio: bool = False) -> Path:
    """testsrc at 30000/1001 fps, H.264 with a keyframe every 12 frames and 2 B-frames."""
    sources = ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate=30000/1001:duration={seconds}"]
    if audio:
        sources += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=16000:duration={seconds}"]
    ffmpeg(
        *sources,
        "-c:v",
        "libx264",
        "-g",
        12,
        "-bf",
        2,
        "-x264-params",
        "b-adapt=0:scenecut=0",
        "-pix_fmt",
        "yuv420p",
        *(["-c:a", "aac", "-shortest"] if audio else []),
        path,
    )
    return path


def _ffprobe(path: Path, *entries: str) -> Any:
    """ffprobe's JSON about the first video track of `path`."""
    command = [_tool("ffprobe"), "-v", "error", "-select_streams", "v:0", *entries]
    out = subprocess.run(
        [*command, "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def ffprobe_video_pts(path: Path) -> list[int]:
    """The PTS of every video packet ffprobe reports (but discarded ones), in presentation
    order."""
    packets = _ffprobe(path, "-show_entries", "packet=pts,flags")["packets"]
    return sorted(int(p["pts"]) for p in packets if "pts" in p and "D" not in p["flags"])


def ffprobe_stream(path: Path) -> dict[str, str]:
    """ffprobe's view of the first video track (time_base, start_pts, avg_frame_rate, ...)."""
    stream: dict[str, str] = _ffprobe(path, "-show_streams")["streams"][0]
    return stream


def add_streams(
    engine: Engine, project: Project, sample_id: str, files: list[tuple[str, Modality, Path]]
) -> Sample:
    """Store a sample whose streams ``(id, modality, path)`` point at media files."""
    streams = [
        Stream(id=stream_id, name=stream_id, modality=modality, uri=str(path))
        for stream_id, modality, path in files
    ]
    return insert_sample(engine, project.id, Sample(id=sample_id, streams=streams))
