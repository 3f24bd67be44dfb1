"""What the job tests share: samples to export, waiting for a job, and small job kinds that
tests register in `rosetta.services.job_kinds.KINDS` (as a plugin would)."""

import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from builders import box, interval, span, speech, streams_of
from conftest import TESTER
from rosetta.core.schema import Entity, Link, Sample
from rosetta.services.importer import import_samples
from rosetta.services.job_kinds import JobKind
from rosetta.services.jobs import Job, JobContext, get_job
from rosetta.store.records import load_sample

FINISHED = ("done", "failed", "cancelled")


def rich_sample(index: int) -> Sample:
    """A sample with four streams, a span, a box, a transcript, an interval, an entity and
    a link: every part of a sample an export must carry."""
    sid = f"x{index}"
    return Sample(
        id=sid,
        external_id=f"ext-{index:03d}",
        status="new" if index % 2 else "review",
        metadata={"index": index, "note": f"Ünïcode {index} ✓"},
        streams=streams_of(sid),
        annotations=[
            span(f"{sid}.span", sid, 3, 12),
            box(f"{sid}.box", sid, "person", x=index),
            speech(f"{sid}.speech", sid),
            interval(f"{sid}.scene", sid),
        ],
        entities=[Entity(id=f"{sid}.who", label="person", members=[f"{sid}.span", f"{sid}.box"])],
        links=[Link(id=f"{sid}.ref", type="refers-to", source=f"{sid}.span", target=f"{sid}.box")],
    )


def add_samples(engine: Engine, project_id: str, count: int) -> list[str]:
    """Import `count` rich samples into the project; their ids in order."""
    samples = [rich_sample(index) for index in range(count)]
    import_samples(engine, project_id, samples, TESTER)
    return [sample.id for sample in samples]


def stored_samples(engine: Engine, ids: list[str]) -> list[Sample]:
    """The samples `ids` as stored."""
    with engine.connect() as connection:
        return [load_sample(connection, sample_id) for sample_id in ids]


def read_job(engine: Engine, job_id: str) -> Job:
    """The job as stored now."""
    with engine.connect() as connection:
        return get_job(connection, job_id)


def wait_for(engine: Engine, job_id: str, timeout: float = 60) -> Job:
    """The job once it is finished (done, failed or cancelled)."""
    deadline = time.monotonic() + timeout
    while (job := read_job(engine, job_id)).status not in FINISHED:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.02)
    return job


def shard_bytes(folder: Path, suffix: str) -> bytes:
    """The shards of one format in `folder`, concatenated in order."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob(f"samples-*.{suffix}")))


class Square(BaseModel):
    """The params of the test kind ``square``."""

    n: int


def _square(context: JobContext, params: Square) -> dict[str, Any]:
    context.progress(0.5, "squaring")
    context.log(f"{params.n} squared")
    return {"square": params.n * params.n, "worker": context.worker}


#: A quick job kind: squares ``n``.
SQUARE = JobKind("square", "Square a number.", Square, _square)


class Gate(BaseModel):
    """The params of the test kind ``gate``."""

    name: str


#: Per gate name: set by the test to let a ``gate`` job end; ``entered`` once it runs.
GATES: dict[str, threading.Event] = {}
ENTERED: dict[str, threading.Event] = {}


def _gate(context: JobContext, params: Gate) -> dict[str, Any]:
    ENTERED.setdefault(params.name, threading.Event()).set()
    gate = GATES.setdefault(params.name, threading.Event())
    while not gate.wait(0.02):
        context.progress(0.5, "waiting at the gate")
    return {"passed": params.name, "attempts": context.job.attempts}


#: A job kind that reports progress until the test opens its gate.
GATE = JobKind("gate", "Wait at a gate.", Gate, _gate)
