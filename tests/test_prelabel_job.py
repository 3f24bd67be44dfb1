"""Pre-labelling a project as a job (`rosetta.services.prelabel_runs`): one proposer over
every stream of its modality in batches, candidates written with provenance, a rerun adds
nothing twice, a stream whose media is missing is logged and the job goes on, and a job
that needs a prompt it cannot give is refused when submitted; the same job with a real
built-in (webrtc-vad) on the shared narration."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from builders import insert_sample
from conftest import MEDIA, TESTER
from proposer_plugins import CentreBox, centre_box_installed
from rosetta.core.errors import RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.job_kinds import submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import read_log
from rosetta.services.settings import Settings
from rosetta.store.records import annotation_from_row
from rosetta.store.tables import annotations

IMAGES = {
    "astronaut.png": (512, 512),
    "chelsea.png": (451, 300),
    "coffee.png": (600, 400),
    "rocket.jpg": (640, 427),
}


@pytest.fixture
def plugins(tmp_path: Path) -> Iterator[None]:
    with centre_box_installed(tmp_path / "plugins"):
        yield


def image_sample(index: int, name: str, size: tuple[int, int] = (100, 100)) -> Sample:
    return Sample(
        id=f"s{index}",
        streams=[
            Stream(
                id=f"s{index}-photo",
                name="photo",
                modality=Modality.IMAGE,
                uri=f"images/{name}",
                media=MediaInfo(width=size[0], height=size[1]),
            ),
            Stream(
                id=f"s{index}-caption",
                name="caption",
                modality=Modality.TEXT,
                text="An astronaut in an orange suit smiles beside a flag.",
                media=MediaInfo(length=52),
            ),
        ],
    )


def run(engine: Engine, tmp_path: Path) -> Worker:
    settings = Settings(media_roots=(MEDIA,), data_dir=tmp_path / "data")
    return Worker(engine, data_dir=tmp_path / "data", settings=settings, poll=0.05)


def candidates(engine: Engine) -> list:  # type: ignore[type-arg]
    with engine.connect() as connection:
        rows = connection.execute(select(annotations).order_by(annotations.c.pk)).all()
    return [annotation_from_row(row) for row in rows]


@pytest.mark.usefixtures("plugins")
def test_the_job_proposes_on_every_image_in_batches_and_a_rerun_adds_nothing(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    for index, (name, size) in enumerate(IMAGES.items()):
        insert_sample(engine, project.id, image_sample(index, name, size))
    insert_sample(engine, project.id, image_sample(9, "missing.png"))
    CentreBox.calls.clear()
    job = submit(
        engine,
        TESTER,
        "prelabel",
        project.id,
        {"proposer": "centre-box", "label": "object", "batch": 2, "parameters": {"share": 0.5}},
    )
    [done] = run(engine, tmp_path).run_until_idle()
    assert (done.id, done.status) == (job.id, "done"), done.error
    assert done.result == {"streams": 4, "candidates": 4, "failed": 1, "skipped": 0}
    assert CentreBox.calls[:2] == [2, 2]  # batched: two streams a call
    found = candidates(engine)
    assert [(c.stream, c.label, c.source.name) for c in found] == [
        (f"s{i}-photo", "object", "centre-box-model") for i in range(4)
    ]
    coffee = found[2].geometry
    assert (coffee.x, coffee.y, coffee.w, coffee.h) == (150.0, 100.0, 300.0, 200.0)  # 600×400
    with engine.connect() as connection:
        [error] = [line for line in read_log(connection, job.id) if line.level == "error"]
    assert "s9-photo" in error.message and "missing.png" in error.message

    again = submit(
        engine, TESTER, "prelabel", project.id, {"proposer": "centre-box", "label": "object"}
    )
    [rerun] = run(engine, tmp_path).run_until_idle()
    assert (rerun.id, rerun.status) == (again.id, "done")
    assert rerun.result == {"streams": 0, "candidates": 0, "failed": 1, "skipped": 0}
    assert len(candidates(engine)) == 4


@pytest.mark.usefixtures("plugins")
def test_a_job_that_cannot_give_the_prompt_needed_is_refused(
    engine: Engine, project: Project
) -> None:
    with pytest.raises(RuleViolation, match="unknown proposer"):
        submit(engine, TESTER, "prelabel", project.id, {"proposer": "no-such"})
    with pytest.raises(RuleViolation, match="needs a prompt"):
        submit(engine, TESTER, "prelabel", project.id, {"proposer": "grabcut", "label": "cup"})


def test_speech_segments_of_the_narration_as_a_job(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    sample = Sample(
        id="talk",
        streams=[
            Stream(
                id="talk-audio",
                name="narration",
                modality=Modality.AUDIO,
                uri="audio/narration.wav",
                media=MediaInfo(duration=9.76, sample_rate=16000, channels=1),
            )
        ],
    )
    insert_sample(engine, project.id, sample)
    submit(engine, TESTER, "prelabel", project.id, {"proposer": "webrtc-vad", "label": "speech"})
    [done] = run(engine, tmp_path).run_until_idle()
    assert done.status == "done", done.error
    assert done.result == {"streams": 1, "candidates": 3, "failed": 0, "skipped": 0}
    starts = [c.geometry.start for c in candidates(engine)]  # type: ignore[union-attr]
    assert starts == pytest.approx([0.0, 3.64, 6.80], abs=0.15)
