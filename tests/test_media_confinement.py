"""Services that read a stream's file on the server's behalf (media preparation, probing,
audio alignment, imports) read it only inside the media roots of the settings they are
given, and name the stream and the path when it lies outside; without settings (the
command line) they read it where it is."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clock_scenes import recording_session
from conftest import MEDIA, TESTER
from mediagen import add_streams
from rosetta.core.errors import ImportFailed, NotFoundError, PermissionDenied
from rosetta.core.modality import Modality
from rosetta.core.schema import Project, Sample, Stream
from rosetta.services.clocks import align_audio
from rosetta.services.importer import import_samples
from rosetta.services.media_access import stream_media_file
from rosetta.services.media_prep import prepare_project, prepare_stream
from rosetta.services.probing import probe_project
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.records import load_sample
from rosetta.store.tables import media_artifacts, samples

NARRATION = MEDIA / "audio" / "narration.wav"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store (confinement does not depend on the store)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'rosetta.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def inside(tmp_path: Path) -> Path:
    """The media root, holding narration.wav."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(NARRATION, folder / "narration.wav")
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the media root, holding narration.wav too."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(NARRATION, folder / "narration.wav")
    return folder


@pytest.fixture
def settings(inside: Path) -> Settings:
    return Settings(media_roots=(inside,))


def _refused(error: BaseException | str, stream_id: str, path: Path) -> None:
    """`error` says the stream's file lies outside the media roots, naming both."""
    message = str(error)
    assert f"stream {stream_id!r}" in message, message
    assert str(path) in message, message
    assert "outside every folder of ROSETTA_MEDIA_ROOTS" in message, message


def test_a_stream_file_is_read_inside_the_roots_only(
    settings: Settings, inside: Path, outside: Path
) -> None:
    assert (
        stream_media_file("a", str(inside / "narration.wav"), settings)
        == (inside / "narration.wav").resolve()
    )
    # a relative URI is looked up in the roots, a file:// URI is a path
    assert stream_media_file("a", "narration.wav", settings).parent == inside.resolve()
    assert stream_media_file("a", (inside / "narration.wav").as_uri(), settings).is_file()
    with pytest.raises(PermissionDenied) as refused:
        stream_media_file("a", str(outside / "narration.wav"), settings)
    _refused(refused.value, "a", outside / "narration.wav")
    # '..' and symbolic links are resolved before the check
    escape = str(inside / ".." / "elsewhere" / "narration.wav")
    with pytest.raises(PermissionDenied):
        stream_media_file("a", escape, settings)
    (inside / "link.wav").symlink_to(outside / "narration.wav")
    with pytest.raises(PermissionDenied):
        stream_media_file("a", str(inside / "link.wav"), settings)
    with pytest.raises(NotFoundError, match="media file of stream 'a'"):
        stream_media_file("a", str(inside / "missing.wav"), settings)
    with pytest.raises(PermissionDenied, match="no media folders are configured"):
        stream_media_file("a", str(inside / "narration.wav"), Settings())
    # without settings (the command line) the path is the one the URI names
    assert stream_media_file("a", str(outside / "narration.wav"), None) == (
        outside / "narration.wav"
    )


def test_prepare_reads_only_inside_the_roots(
    engine: Engine, project: Project, settings: Settings, inside: Path, outside: Path
) -> None:
    add_streams(
        engine,
        project,
        "s1",
        [
            ("in", Modality.AUDIO, inside / "narration.wav"),
            ("out", Modality.AUDIO, outside / "narration.wav"),
        ],
    )
    with pytest.raises(PermissionDenied) as refused:
        prepare_stream(engine, "out", settings=settings)
    _refused(refused.value, "out", outside / "narration.wav")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(media_artifacts)).scalar() == 0

    job = prepare_project(engine, TESTER, project.id, settings=settings)
    assert job.result is not None
    assert job.result["counts"] == {"prepared": 1, "failed": 1}
    [failure] = job.result["failures"]
    assert failure["stream"] == "out"
    assert str(outside / "narration.wav") in failure["error"]
    with engine.connect() as connection:
        kinds = connection.execute(
            select(media_artifacts.c.stream_id, media_artifacts.c.kind)
        ).all()
    assert [tuple(row) for row in kinds] == [("in", "peaks")]

    # the command line reads the file where it is
    assert prepare_stream(engine, "out")["status"] == "prepared"


def test_probing_reads_only_inside_the_roots(
    engine: Engine, project: Project, settings: Settings, inside: Path, outside: Path
) -> None:
    add_streams(
        engine,
        project,
        "s1",
        [
            ("in", Modality.AUDIO, inside / "narration.wav"),
            ("out", Modality.AUDIO, outside / "narration.wav"),
        ],
    )
    report = probe_project(engine, TESTER, project.id, settings=settings)
    assert report["counts"] == {"updated": 1, "failed": 1}
    [failure] = report["failures"]
    assert failure["stream"] == "out"
    _refused(failure["error"], "out", outside / "narration.wav")
    with engine.connect() as connection:
        media = {stream.id: stream.media for stream in load_sample(connection, "s1").streams}
    assert media["in"].sample_rate is not None and media["in"].duration is not None
    assert media["out"].sample_rate is None

    assert probe_project(engine, TESTER, project.id)["counts"] == {
        "unchanged": 1,
        "updated": 1,
    }


def test_alignment_reads_only_inside_the_roots(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    (tmp_path / "rec").mkdir()
    (tmp_path / "media").mkdir()
    recording_session(engine, project.id, tmp_path / "rec")
    roots = Settings(media_roots=(tmp_path / "media",))
    with pytest.raises(PermissionDenied) as refused:
        align_audio(engine, TESTER, "rec", "cam", "mic", settings=roots)
    _refused(refused.value, "cam", tmp_path / "rec" / "cam.wav")
    with engine.connect() as connection:
        assert (
            next(s for s in load_sample(connection, "rec").streams if s.id == "mic").clock is None
        )

    inside = Settings(media_roots=(tmp_path / "rec",))
    aligned = align_audio(engine, TESTER, "rec", "cam", "mic", settings=inside)
    assert aligned.stream.clock is not None and aligned.stream.clock.sync


def _sample(ident: str, uri: str) -> Sample:
    return Sample(
        id=ident,
        external_id=ident,
        streams=[Stream(id=f"{ident}.audio", name="audio", modality=Modality.AUDIO, uri=uri)],
    )


def test_an_import_probes_only_inside_the_roots(
    engine: Engine, project: Project, settings: Settings, inside: Path, outside: Path
) -> None:
    far = str(outside / "narration.wav")
    with pytest.raises(ImportFailed) as failed:
        import_samples(
            engine,
            project.id,
            [_sample("a", "narration.wav"), _sample("b", far)],
            TESTER,
            settings=settings,
        )
    assert (failed.value.line, failed.value.field) == (2, "streams[0].uri")
    _refused(failed.value, "b.audio", outside / "narration.wav")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(samples)).scalar() == 0

    # a relative URI is found in the roots and probed there; it is stored as it was given
    report = import_samples(
        engine, project.id, [_sample("a", "narration.wav")], TESTER, settings=settings
    )
    assert report.samples_written == 1
    with engine.connect() as connection:
        [stream] = load_sample(connection, "a").streams
    assert stream.uri == "narration.wav"
    assert stream.media.sample_rate is not None and stream.media.duration is not None

    # the command line probes a file where it is
    import_samples(engine, project.id, [_sample("b", far)], TESTER)
    with engine.connect() as connection:
        assert load_sample(connection, "b").streams[0].media.sample_rate is not None
