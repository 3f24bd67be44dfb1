"""QA runs (`rosetta.services.qa_runs`) on SQLite and PostgreSQL: catching up re-checks
only the samples changed since the project's cursor, in batches, and of two callers at
once only one writes; a batch pass checks every sample, leaves a sample changed meanwhile
to the incremental checks, and moves the cursor; the ``qa`` job runs through the job
worker and resumes after its last checkpointed chunk; a check that files a finding under
another sample counts as failed."""

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import orjson
import pytest
from sqlalchemy import Engine, func, select

from builders import box, empty_sample
from conftest import TESTER
from overlap_samples import with_bob
from qa_checks import GATED_ENTRY_POINTS, Gated, LinkedLabels, NarrowBox, installed
from rosetta.core.checks import Check, CheckContext, Finding, Severity
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.schema import Project
from rosetta.demo.build import demo_samples
from rosetta.services.check_registry import select_checks
from rosetta.services.editing import create_annotation, update_annotation
from rosetta.services.findings import Recorded, sample_findings, set_finding_status
from rosetta.services.importer import import_samples
from rosetta.services.job_kinds import submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import cancel_job, retry_job
from rosetta.services.projects import load_ontology
from rosetta.services.qa_runs import (
    BatchPosition,
    catch_up,
    check_project,
    qa_cursor,
)
from rosetta.services.sample_checks import check_sample
from rosetta.store.events import Actor
from rosetta.store.records import load_sample
from rosetta.store.tables import events, findings

T = TypeVar("T")
ANN = Actor("ann")
CHECKS: list[Check] = [NarrowBox(), LinkedLabels()]


def add_thin_boxes(engine: Engine, project: Project, count: int) -> list[str]:
    """Samples s0, s1, ... each with ann's box "b<n>", 1 px wide; their ids."""
    ids = []
    for n in range(count):
        empty_sample(engine, project.id, f"s{n}")
        thin = box(f"b{n}", f"s{n}", "person").model_copy(
            update={"geometry": Box(x=1, y=1, w=1, h=30)}
        )
        create_annotation(engine, project.id, f"s{n}", thin, ANN)
        ids.append(f"s{n}")
    return ids


def widen(engine: Engine, project: Project, annotation_id: str, revision: int = 1) -> None:
    geometry = Box(x=1, y=1, w=40, h=30)
    update_annotation(engine, project.id, annotation_id, revision, ANN, geometry=geometry)


def last_seen(engine: Engine) -> dict[str, float]:
    """The time each sample's findings were last found (the latest, per sample)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(findings.c.sample_id, func.max(findings.c.last_seen)).group_by(
                findings.c.sample_id
            )
        ).all()
    return {sample_id: at for sample_id, at in rows}


def statuses(engine: Engine, sample_id: str, check: str = "narrow-box") -> list[str]:
    with engine.connect() as connection:
        return [f.status for f in sample_findings(connection, sample_id) if f.check == check]


def newest_event(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(events.c.pk))).scalar_one())


def test_catching_up_checks_only_the_samples_that_changed(engine: Engine, project: Project) -> None:
    add_thin_boxes(engine, project, 3)
    first = catch_up(engine, project.id, checks=CHECKS)
    assert (first.samples, first.recorded, first.caught_up) == (3, Recorded(3, 3), True)
    assert first.cursor == newest_event(engine)
    before = last_seen(engine)

    widen(engine, project, "b1")
    second = catch_up(engine, project.id, checks=CHECKS)
    assert (second.samples, second.recorded) == (1, Recorded(resolved=1))
    after = last_seen(engine)
    assert (after["s0"], after["s2"]) == (before["s0"], before["s2"])  # not checked again
    assert statuses(engine, "s1") == ["resolved"]

    nothing = catch_up(engine, project.id, checks=CHECKS)
    assert (nothing.samples, nothing.cursor, nothing.caught_up) == (0, second.cursor, True)

    # a person's status change is an event without a sample: it checks nothing
    with engine.connect() as connection:
        [s0] = sample_findings(connection, "s0")
    set_finding_status(engine, TESTER, s0.id, "resolved", expected_revision=1)
    after_status = catch_up(engine, project.id, checks=CHECKS)
    assert (after_status.samples, after_status.cursor) == (0, newest_event(engine))
    assert statuses(engine, "s0") == ["resolved"]
    assert last_seen(engine) == after


def test_catching_up_in_batches_up_to_a_limit(
    engine: Engine, project: Project, gate: type[Gated]
) -> None:
    add_thin_boxes(engine, project, 5)
    widen(engine, project, "b0")  # s0 changes again after the others
    checks: list[Check] = [NarrowBox(), gate()]  # gated notes each sample it checks
    part = catch_up(engine, project.id, checks=checks, batch=2, limit=3)
    assert (part.samples, part.caught_up) == (4, False)
    assert sorted(last_seen(engine)) == ["s0", "s1", "s2", "s3"]
    with engine.connect() as connection:
        assert qa_cursor(connection, project.id) == part.cursor < newest_event(engine)
    rest = catch_up(engine, project.id, checks=checks, batch=2)
    assert (rest.samples, rest.caught_up, rest.cursor) == (2, True, newest_event(engine))  # s4, s0
    assert statuses(engine, "s0") == []
    assert statuses(engine, "s4") == ["open"]


@pytest.fixture
def gate() -> Iterator[type[Gated]]:
    """The gated check, waiting on no sample yet; let go at the end whatever happened."""
    Gated.stop(None)
    yield Gated
    Gated.go.set()
    Gated.stop(None)


def in_thread(work: Callable[[], T]) -> tuple[threading.Thread, list[T]]:
    """Run `work` in a thread; the thread and a list that will hold its result."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def test_of_two_callers_catching_up_at_once_one_writes(
    engine: Engine, project: Project, gate: type[Gated]
) -> None:
    add_thin_boxes(engine, project, 2)
    gate.stop("s1")
    slow, slow_result = in_thread(lambda: catch_up(engine, project.id, checks=[gate()]))
    assert gate.reached.wait(30)
    fast = catch_up(engine, project.id, checks=CHECKS)
    assert fast.samples == 2
    gate.go.set()
    slow.join(30)
    [late] = slow_result
    assert late.samples == 0  # its batch was recorded meanwhile: it read again, found none
    with engine.connect() as connection:
        checks = set(connection.execute(select(findings.c.check)).scalars())
    assert checks == {"narrow-box"}


def test_a_batch_pass_leaves_a_sample_changed_meanwhile_to_the_incremental_checks(
    engine: Engine, project: Project, gate: type[Gated]
) -> None:
    add_thin_boxes(engine, project, 3)
    head = newest_event(engine)
    gate.stop("s1")
    checks: Sequence[Check] = [NarrowBox(), gate()]
    batch, batch_result = in_thread(lambda: check_project(engine, project.id, checks=checks))
    assert gate.reached.wait(30)
    widen(engine, project, "b1")  # after the batch read s1
    gate.go.set()
    batch.join(30)
    [end] = batch_result
    assert isinstance(end, BatchPosition)
    assert (end.samples, end.skipped, end.head) == (3, 1, head)
    assert end.counts == {"gated": {"info": 2}, "narrow-box": {"warning": 2}}
    assert sorted(last_seen(engine)) == ["s0", "s2"]
    with engine.connect() as connection:
        assert qa_cursor(connection, project.id) == 0  # named checks: the cursor stays
    caught = catch_up(engine, project.id, checks=checks)
    assert caught.samples == 3
    assert statuses(engine, "s1") == []  # checked as it is now: wide
    assert statuses(engine, "s0") == statuses(engine, "s2") == ["open"]


@pytest.fixture
def plugins(tmp_path: Path) -> Iterator[None]:
    """The test checks installed as a package installs them."""
    with installed(tmp_path / "site", {"rosetta_test_checks": GATED_ENTRY_POINTS}):
        yield


def worker(engine: Engine, tmp_path: Path) -> Worker:
    return Worker(engine, data_dir=tmp_path / "data", poll=0.05)


@pytest.mark.usefixtures("plugins")
def test_the_qa_job_runs_every_installed_check_and_moves_the_cursor(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    add_thin_boxes(engine, project, 3)
    with pytest.raises(RuleViolation, match="no-such-check"):
        submit(engine, TESTER, "qa", project.id, {"checks": ["no-such-check"]})
    named = submit(engine, TESTER, "qa", project.id, {"checks": ["narrow-box", "gated"]})
    assert named.params["checks"] == ["gated", "narrow-box"]
    [done] = worker(engine, tmp_path).run_until_idle()
    assert (done.id, done.status, done.progress) == (named.id, "done", 1.0)
    assert done.result == {
        "samples": 3,
        "skipped": 0,
        "findings": {"gated": {"info": 3}, "narrow-box": {"warning": 3}},
        "found": 6,
        "new": 6,
        "reopened": 0,
        "resolved": 0,
    }
    with engine.connect() as connection:
        assert qa_cursor(connection, project.id) == 0

    head = newest_event(engine)
    every = submit(engine, TESTER, "qa", project.id)
    [done] = worker(engine, tmp_path).run_until_idle()
    assert (done.id, done.status) == (every.id, "done")
    assert done.result is not None and done.result["samples"] == 3
    assert {"gated", "narrow-box"} <= set(done.result["findings"])
    with engine.connect() as connection:
        assert qa_cursor(connection, project.id) >= head
    assert catch_up(engine, project.id).samples == 0


@pytest.mark.usefixtures("plugins")
def test_a_cancelled_qa_job_resumes_after_its_last_checkpoint(
    engine: Engine, project: Project, tmp_path: Path, gate: type[Gated]
) -> None:
    add_thin_boxes(engine, project, 6)
    gate.stop("s3")
    job = submit(engine, TESTER, "qa", project.id, {"checks": ["gated"], "chunk": 2})
    running, ended = in_thread(worker(engine, tmp_path).run_until_idle)
    assert gate.reached.wait(30)
    cancel_job(engine, TESTER, job.id)
    gate.go.set()
    running.join(30)
    [cancelled] = ended[0]
    assert cancelled.status == "cancelled"
    assert cancelled.checkpoint is not None
    assert (cancelled.checkpoint["samples"], cancelled.checkpoint["counts"]) == (
        2,
        {"gated": {"info": 2}},
    )
    first = last_seen(engine)
    assert sorted(first) == ["s0", "s1", "s2", "s3"]  # s2, s3 recorded, not checkpointed

    gate.stop(None)
    retry_job(engine, TESTER, job.id)
    [done] = worker(engine, tmp_path).run_until_idle()
    assert (done.status, done.result) == (
        "done",
        {
            "samples": 6,
            "skipped": 0,
            "findings": {"gated": {"info": 6}},
            "found": 6,
            "new": 4,
            "reopened": 0,
            "resolved": 0,
        },
    )
    again = last_seen(engine)
    assert (again["s0"], again["s1"]) == (first["s0"], first["s1"])  # not checked again
    assert again["s2"] > first["s2"] and sorted(again) == [f"s{n}" for n in range(6)]
    assert done.checkpoint is not None and done.checkpoint["samples"] == 6


class Astray(NarrowBox):
    """A buggy plugin: it files its findings under another sample."""

    name = "astray"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for finding in super().run(context):
            yield finding.model_copy(update={"check": self.name, "sample": "elsewhere"})


def test_a_check_reporting_on_another_sample_failed(engine: Engine, project: Project) -> None:
    add_thin_boxes(engine, project, 1)
    with engine.connect() as connection:
        sample = load_sample(connection, "s0")
        ontology = load_ontology(connection, project.id)
    checked = check_sample(sample, ontology, [Astray(), NarrowBox()])
    assert [(f.check, f.severity, f.subjects, f.detail) for f in checked.found] == [
        ("narrow-box", Severity.WARNING, ("b0",), {"width": 1.0}),
        ("astray", Severity.ERROR, (), {"kind": "check-failed"}),
    ]
    assert checked.ran == ["narrow-box"]


def test_worker_processes_find_what_this_process_finds(engine: Engine, project: Project) -> None:
    """A batch run with two checking processes records, chunk by chunk, the findings
    `check_sample` gives each sample here (every installed check, the demo's samples with a
    second annotator's perturbed copy)."""
    import_samples(engine, project.id, [with_bob(s) for s in demo_samples()], TESTER)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project.id)
        expected = {
            (finding.sample, finding.check, finding.subjects, finding.message)
            for sample in demo_samples()
            for finding in check_sample(
                load_sample(connection, sample.id), ontology, select_checks()
            ).found
        }
    end = check_project(engine, project.id, chunk=2, workers=2)
    assert end.samples == len(demo_samples())
    with engine.connect() as connection:
        stored = {
            (row.sample_id, row.check, tuple(orjson.loads(row.subjects)), row.message)
            for row in connection.execute(
                select(
                    findings.c.sample_id, findings.c.check, findings.c.subjects, findings.c.message
                )
            )
        }
    assert stored == expected and len(expected) == 3
