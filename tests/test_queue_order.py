"""Active learning on the queue (the ``prioritize`` job, `rosetta.services.queue_order`):
samples whose model is unsure, or whose models disagree, go before those a model is sure
about, and the next task served is the most useful one; with MiniLM embeddings a sample
whose words repeat one already handed in goes after a new one."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from builders import box, empty_sample
from conftest import TESTER
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Project, Source
from rosetta.core.workflow import AnnotateStage, Workflow
from rosetta.services import accounts
from rosetta.services.editing import create_annotation
from rosetta.services.job_kinds import submit
from rosetta.services.job_worker import Worker
from rosetta.services.task_leases import next_task
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.events import Actor
from rosetta.store.tables import streams, tasks


def candidate(
    engine: Engine,
    project: Project,
    sample_id: str,
    model: str,
    *,
    confidence: float,
    x: float = 10,
) -> None:
    made = box(f"{sample_id}-{model}", sample_id, "person", x=x).model_copy(
        update={"source": Source(kind="model", name=model, version="1", confidence=confidence)}
    )
    create_annotation(engine, project.id, sample_id, made, Actor(model))


def queue(engine: Engine, project: Project, *sample_ids: str) -> None:
    set_workflow(engine, TESTER, project.id, Workflow(stages=(AnnotateStage(),)))
    for sample_id in sample_ids:
        empty_sample(engine, project.id, sample_id)
    enqueue(engine, TESTER, project.id)


def run(engine: Engine, tmp_path: Path, **params: object) -> dict[str, object]:
    submit(engine, TESTER, "prioritize", project_id_of(engine), params)
    [done] = Worker(engine, data_dir=tmp_path / "data", poll=0.05).run_until_idle()
    assert done.status == "done", done.error
    assert done.result is not None
    return done.result


def project_id_of(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(select(tasks.c.project_id)).scalars().first())


def priorities(engine: Engine) -> dict[str, float]:
    with engine.connect() as connection:
        rows = connection.execute(select(tasks.c.sample_id, tasks.c.priority))
        return {sample: priority for sample, priority in rows}


def test_unsure_and_disagreeing_samples_go_first(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    queue(engine, project, "sure", "unsure", "disputed")
    candidate(engine, project, "sure", "detector", confidence=0.99)
    candidate(engine, project, "unsure", "detector", confidence=0.55)
    candidate(engine, project, "disputed", "detector", confidence=0.97)
    candidate(engine, project, "disputed", "other", confidence=0.97, x=300)  # no overlap: IoU 0
    result = run(engine, tmp_path, settings={"diversity": 0})
    assert result["samples"] == 3 and result["slots"] == 3
    order = [row["sample"] for row in result["head"]]  # type: ignore[index, attr-defined]
    assert order == ["disputed", "unsure", "sure"]
    assert priorities(engine) == {"disputed": 3, "unsure": 2, "sure": 1}

    user = accounts.create_user(engine, "ann")
    accounts.set_role(engine, TESTER, project.id, user.id, Role.ANNOTATOR)
    access = Access(user.principal(), project.id, Role.ANNOTATOR)
    task = next_task(engine, Actor("ann"), access, ("annotate",))
    assert task is not None and task.sample == "disputed"


def test_words_like_those_handed_in_go_after_new_ones(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    queue(engine, project, "done", "again", "new")
    captions = {
        "done": "A cup of espresso sits on a red saucer.",
        "again": "A cup of espresso is on a red saucer.",
        "new": "An astronaut in an orange suit smiles beside a flag.",
    }
    with engine.begin() as connection:
        for sample_id, text in captions.items():
            connection.execute(
                update(streams).where(streams.c.id == f"{sample_id}-text").values(text=text)
            )
        connection.execute(
            update(tasks).where(tasks.c.sample_id == "done").values(status="submitted")
        )
    result = run(engine, tmp_path, embedder="minilm", settings={"uncertainty": 0})
    head = result["head"]
    assert [row["sample"] for row in head] == ["new", "again"]  # type: ignore[index, attr-defined]
    assert head[0]["diversity"] > head[1]["diversity"]  # type: ignore[index]


def test_a_project_without_a_workflow_cannot_be_prioritized(
    engine: Engine, project: Project
) -> None:
    with pytest.raises(Exception, match="workflow"):
        submit(engine, TESTER, "prioritize", project.id, {})
