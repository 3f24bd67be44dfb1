"""Preparing streams and projects against the real store, with media files in tmp_path."""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from conftest import MEDIA, TESTER
from mediagen import add_streams, burst_wav, ntsc_clip
from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import Project
from rosetta.media.frames import FrameTable
from rosetta.media.peaks import Peaks
from rosetta.services import media_prep
from rosetta.services.jobs import JobContext, run_here
from rosetta.services.media_prep import (
    NotPrepared,
    fingerprint,
    load_artifact,
    prepare_project,
    prepare_stream,
)
from rosetta.store.tables import media_artifacts


def _kinds(engine: Engine, stream_id: str) -> dict[str, str]:
    with engine.connect() as connection:
        return {
            row.kind: row.fingerprint
            for row in connection.execute(
                select(media_artifacts).where(media_artifacts.c.stream_id == stream_id)
            )
        }


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(media_artifacts)).scalar_one()
        )


def test_audio_is_prepared_once_and_again_after_the_file_changes(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    audio = tmp_path / "narration.wav"
    shutil.copy(MEDIA / "audio" / "narration.wav", audio)
    add_streams(engine, project, "s1", [("s1-audio", Modality.AUDIO, audio)])
    seen: list[tuple[float, str | None]] = []
    report = prepare_stream(engine, "s1-audio", lambda f, m: seen.append((f, m)))
    assert report["status"] == "prepared"
    assert seen[-1] == (1.0, "peaks") and {m for _, m in seen} == {"peaks"}
    assert _kinds(engine, "s1-audio") == {"peaks": fingerprint(audio)}
    with engine.connect() as connection:
        stored = load_artifact(connection, "s1-audio", "peaks")
    assert report["artifacts"] == {"peaks": len(stored.body)}
    assert [level.length for level in Peaks.from_bytes(stored.body).levels] == [610, 305]

    assert prepare_stream(engine, "s1-audio")["status"] == "fresh"
    with engine.connect() as connection:
        assert load_artifact(connection, "s1-audio", "peaks").created_at == stored.created_at

    # the same bytes, touched: the fingerprint (mtime) changed, so it is computed again
    later = audio.stat().st_mtime_ns + 5_000_000_000
    os.utime(audio, ns=(later, later))
    assert prepare_stream(engine, "s1-audio")["status"] == "prepared"
    assert _kinds(engine, "s1-audio") == {"peaks": fingerprint(audio)}

    # new content: new peaks
    burst_wav(audio)
    assert prepare_stream(engine, "s1-audio")["status"] == "prepared"
    with engine.connect() as connection:
        levels = Peaks.from_bytes(load_artifact(connection, "s1-audio", "peaks").body).levels
    assert levels[0].length == 157
    assert levels[0].pairs[70].tolist() == [-32767, 32767]


def test_video_gets_frames_thumbnails_and_the_peaks_of_its_audio(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    video = tmp_path / "slideshow.mp4"
    shutil.copy(MEDIA / "video" / "slideshow_320x240_25fps.mp4", video)
    silent = ntsc_clip(tmp_path / "silent.mp4")
    add_streams(
        engine,
        project,
        "s1",
        [("s1-video", Modality.VIDEO, video), ("s1-silent", Modality.VIDEO, silent)],
    )
    messages: list[str | None] = []
    report = prepare_stream(engine, "s1-video", lambda _f, m: messages.append(m))
    assert set(report["artifacts"]) == {"frames", "thumbnails", "thumbnails-index", "peaks"}
    assert list(dict.fromkeys(messages)) == ["frame table", "thumbnails", "peaks"]
    with engine.connect() as connection:
        table = FrameTable.from_json(load_artifact(connection, "s1-video", "frames").json())
        index = load_artifact(connection, "s1-video", "thumbnails-index").json()
        sheet = load_artifact(connection, "s1-video", "thumbnails")
        peaks = Peaks.from_bytes(load_artifact(connection, "s1-video", "peaks").body)
    assert (len(table.ticks), table.keyframes.tolist()) == (244, [0, 91, 170])
    assert [tile["frame"] for tile in index["tiles"]] == [0, 91, 170]
    assert sheet.content_type == "image/jpeg" and sheet.body[:2] == b"\xff\xd8"
    assert peaks.levels[0].length == 610

    assert set(prepare_stream(engine, "s1-silent")["artifacts"]) == {
        "frames",
        "thumbnails",
        "thumbnails-index",
    }
    with engine.connect() as connection, pytest.raises(NotPrepared) as caught:
        load_artifact(connection, "s1-silent", "peaks")
    assert "stream 's1-silent' has no peaks: prepare it first" in str(caught.value)
    assert isinstance(caught.value, NotFoundError)


def test_a_failing_job_is_failed_names_the_file_and_writes_nothing(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.wav"
    add_streams(engine, project, "s1", [("s1-audio", Modality.AUDIO, missing)])

    def work(context: JobContext) -> dict[str, object]:
        return prepare_stream(engine, "s1-audio", context.progress)

    failed = run_here(engine, TESTER, "prepare", "s1-audio", project_id=project.id, handler=work)
    assert failed.status == "failed"
    assert str(missing) in (failed.error or "") and "no such file" in (failed.error or "")
    assert _count(engine) == 0


def test_a_file_that_breaks_keeps_the_previous_artefacts(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    video = ntsc_clip(tmp_path / "clip.mp4")
    add_streams(engine, project, "s1", [("s1-video", Modality.VIDEO, video)])
    prepare_stream(engine, "s1-video")
    before = _kinds(engine, "s1-video")
    with video.open("r+b") as handle:  # the header survives, the media data does not
        handle.truncate(2000)
    with pytest.raises(RosettaError, match=r"clip\.mp4"):
        prepare_stream(engine, "s1-video")
    assert _kinds(engine, "s1-video") == before


def test_streams_without_media_to_prepare(engine: Engine, project: Project) -> None:
    add_streams(
        engine, project, "s1", [("s1-photo", Modality.IMAGE, MEDIA / "images" / "coffee.png")]
    )
    assert prepare_stream(engine, "s1-photo")["status"] == "nothing to prepare"
    with pytest.raises(NotFoundError, match="no stream with id 'nope'"):
        prepare_stream(engine, "nope")
    with engine.connect() as connection, pytest.raises(NotFoundError, match="no stream"):
        load_artifact(connection, "nope", "peaks")


def test_prepare_project_pages_through_streams_and_reports_failures(
    engine: Engine, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media_prep, "PAGE_SIZE", 2)  # several keyset pages
    tone = burst_wav(tmp_path / "tone.wav")
    clip = ntsc_clip(tmp_path / "clip.mp4", seconds=1)
    for n in range(3):
        add_streams(
            engine,
            project,
            f"s{n}",
            [
                (f"s{n}-audio", Modality.AUDIO, tone),
                (f"s{n}-photo", Modality.IMAGE, MEDIA / "images" / "coffee.png"),
                (f"s{n}-video", Modality.VIDEO, clip),
            ],
        )
    add_streams(engine, project, "bad", [("bad-audio", Modality.AUDIO, tmp_path / "none.wav")])
    seen: list[float] = []
    job = prepare_project(engine, TESTER, project.id, lambda f, _m: seen.append(f))
    assert (job.status, job.kind, job.target, job.actor) == (
        "done",
        "prepare-project",
        project.id,
        "tester",
    )
    assert job.result == {
        "streams": 7,
        "counts": {"prepared": 6, "failed": 1},
        "failures": [
            {
                "stream": "bad-audio",
                "error": f"{tmp_path / 'none.wav'}: no such file (the media of stream bad-audio)",
            }
        ],
    }
    assert seen == sorted(seen)
    again = prepare_project(engine, TESTER, project.id)
    assert again.result is not None
    assert again.result["counts"] == {"fresh": 6, "failed": 1}
    with pytest.raises(NotFoundError, match="no project"):
        prepare_project(engine, TESTER, "nope")
