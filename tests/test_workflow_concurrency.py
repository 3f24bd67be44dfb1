"""The issue's concurrency test: 50 annotators, each a thread with its own SDK client and
API token, work a queue through the real server on loopback, on SQLite and PostgreSQL.
Some release a task, some vanish holding one (their leases expire and go to others), some
hand one in after its lease expired (refused when someone took it over meanwhile).

Afterwards: no slot was ever leased to two live holders (each task's events form one
unbroken chain of transitions, and every lease took an open slot or an expired one), no
person held two slots of one sample, every submission the server acknowledged is stored,
every vanished annotator's task was taken over and handed in, every annotate slot was
handed in, and every sample went on to review exactly once.
"""

import itertools
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from builders import empty_sample
from conftest import TESTER
from loopback import api_token, serve
from rosetta.core.errors import NotFoundError, PermissionDenied
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.sdk import Client, Task
from rosetta.services.settings import Settings
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.events import history
from rosetta.store.tables import tasks, users

ANNOTATORS = 50
#: Annotators who take one task and never come back.
VANISHING = 5
#: Annotators who give their first task back.
RELEASING = 5
#: Annotators who hand their first task in only after its lease expired (theirs still
#: unless someone took it over meanwhile).
SLOW = 5
SAMPLES = 60
LEASE = 3.0
#: The longest the test may run.
DEADLINE = 60.0
WORKFLOW = Workflow(
    stages=(AnnotateStage(overlap=2, overlap_share=0.5, lease_seconds=LEASE), ReviewStage())
)
#: The fields of a task in its events (the rest of ``after`` is what a transition adds).
TASK_FIELDS = tuple(Task.model_fields)


@dataclass
class Journal:
    """What the annotators saw, appended from their threads."""

    granted: list[tuple[str, Task]] = field(default_factory=list)
    acknowledged: list[tuple[str, Task]] = field(default_factory=list)
    released: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    vanished: list[tuple[str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, entry: Any) -> None:
        with self.lock:
            getattr(self, kind).append(entry)


def annotator(
    url: str, token: str, *, project: str, index: int, journal: Journal, done: threading.Event
) -> None:
    name = f"annotator{index:02}"
    try:
        with Client(url, token) as client:
            first = True
            while not done.is_set():
                task = client.next_task(project)
                if task is None:
                    time.sleep(0.05)  # leases held by others may still expire
                    continue
                journal.add("granted", (name, task))
                if index < VANISHING:
                    journal.add("vanished", (name, task.id))
                    return
                if first and index < VANISHING + RELEASING:
                    first = False
                    client.release_task(task.id)
                    journal.add("released", (name, task.id))
                    continue
                slow, first = first and index < VANISHING + RELEASING + SLOW, False
                try:
                    client.create_annotation(
                        task.sample,
                        stream=f"{task.sample}-image",
                        label="person",
                        geometry=Box(x=10 + index, y=20, w=100, h=200),
                    )
                    if slow:
                        time.sleep(LEASE + 0.2)
                    journal.add("acknowledged", (name, client.submit_task(task.id)))
                except (PermissionDenied, NotFoundError):  # the lease went to someone else
                    journal.add("refused", (name, task.id))
    except BaseException as error:  # noqa: BLE001 - reported by the test
        journal.add("errors", error)


def waiting(engine: Engine) -> int:
    """Annotate slots not yet handed in."""
    with engine.connect() as connection:
        return len(
            connection.execute(
                select(tasks.c.pk).where(
                    tasks.c.stage == "annotate", tasks.c.status.not_in(("submitted", "done"))
                )
            ).all()
        )


def test_fifty_annotators_work_one_queue_without_double_assignments_or_lost_work(
    engine: Engine, project: Project
) -> None:
    set_workflow(engine, TESTER, project.id, WORKFLOW)
    for n in range(SAMPLES):
        empty_sample(engine, project.id, f"s{n:02}")
    slots = enqueue(engine, TESTER, project.id)
    assert SAMPLES < slots < 2 * SAMPLES
    tokens = [
        api_token(engine, f"annotator{n:02}", project_id=project.id, role=Role.ANNOTATOR)
        for n in range(ANNOTATORS)
    ]
    journal, done = Journal(), threading.Event()
    started = time.monotonic()
    with serve(engine, Settings(job_workers=0)) as url:
        threads = [
            threading.Thread(
                target=annotator,
                args=(url, token),
                kwargs={"project": project.name, "index": n, "journal": journal, "done": done},
            )
            for n, token in enumerate(tokens)
        ]
        for thread in threads:
            thread.start()
        while waiting(engine) and time.monotonic() - started < DEADLINE and not journal.errors:
            time.sleep(0.1)
        done.set()
        for thread in threads:
            thread.join(30)
    assert not journal.errors, journal.errors
    assert waiting(engine) == 0, "some annotate slots were never handed in"

    with engine.connect() as connection:
        holders = dict(connection.execute(select(users.c.id, users.c.name)).all())
        rows = connection.execute(select(tasks)).all()
        logs = {row.id: history(connection, row.id) for row in rows}

    # every acknowledged submission is stored: the slot is handed in, by them, logged
    final = {row.id: row for row in rows}
    for name, task in journal.acknowledged:
        row = final[task.id]
        assert row.status in ("submitted", "done") and holders[row.user_id] == name
        assert any(e.action == "submit" and e.actor == name for e in logs[task.id])
    assert len(journal.acknowledged) == slots  # one acknowledgement per slot

    # every sample went on to review exactly once, however its last slots raced
    reviews = [row.sample_id for row in rows if row.stage == "review"]
    assert sorted(reviews) == [f"s{n:02}" for n in range(SAMPLES)]
    assert all(
        sum(e.action == "route" for e in logs[row.id]) == 1 for row in rows if row.stage == "review"
    )

    # no one holds two annotate slots of one sample
    per_sample: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.stage == "annotate":
            per_sample[row.sample_id].append(row.user_id)
    assert all(len(set(people)) == len(people) for people in per_sample.values())

    # each task's events form one chain, and every lease took a free or expired slot
    for task_id, logged in logs.items():
        for earlier, later in itertools.pairwise(logged):
            assert {k: later.before[k] for k in TASK_FIELDS} == {
                k: earlier.after[k] for k in TASK_FIELDS
            }, f"task {task_id}: {later.action} did not start where {earlier.action} left it"
        for lease in (e for e in logged if e.action == "lease"):
            before = lease.before
            assert before["status"] == "open" or (
                before["status"] == "leased" and before["lease_expires_at"] <= lease.at
            ), f"task {task_id} leased to {lease.actor} while {before['user']} held it"

    # as the annotators saw it: a task went to someone else only once it was released or
    # its lease had expired
    grants: dict[str, list[tuple[str, Task]]] = defaultdict(list)
    for name, task in sorted(journal.granted, key=lambda grant: grant[1].updated_at):
        grants[task.id].append((name, task))
    for task_id, held in grants.items():
        for (first, before), (second, after) in itertools.pairwise(held):
            assert (
                first == second
                or (first, task_id) in journal.released
                or after.updated_at >= (before.lease_expires_at or 0)
            ), f"task {task_id} went to {second} while {first} held it"

    # the vanished annotators' tasks were taken over after their leases expired
    assert len(journal.vanished) == VANISHING
    for name, task_id in journal.vanished:
        assert holders[final[task_id].user_id] != name
        takeover = [e for e in logs[task_id] if e.action == "lease" and e.before["user"] == name]
        assert takeover and takeover[0].note == f"the lease of {name!r} had expired"
    assert len(journal.released) == RELEASING
    assert time.monotonic() - started < DEADLINE
