"""Checking samples: one sample (`check_sample`), and many in worker processes
(`CheckPool`) for a batch run over a large project.

A check counts as *run* on a sample, so that its stored findings there that it did not
find again are resolved, unless it needs an embedder and none is given, or it failed (its
``check-failed`` finding stands for the findings it could not report).

The checks are pure functions of a sample and the ontology, so a chunk of samples can be
checked anywhere: `CheckPool` sends the samples' native JSON lines and the ontology's JSON
to worker processes (``forkserver``: a server's threads are never forked), which load the
installed checks by name and send back what they found. Only installed checks (the
registry's, found by name in every process) and no embedder can go to a pool.
"""

import gc
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context

from rosetta.core.checks import (
    Check,
    CheckContext,
    CheckSettings,
    Embedder,
    Finding,
    Severity,
    run_checks,
)
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.services.check_registry import available_checks, select_checks

#: The detail kind of the finding `run_checks` gives for a check that raised.
_FAILED = "check-failed"


@dataclass(frozen=True)
class Checked:
    """What the checks found on one sample, and the checks that count as run there."""

    sample: str
    found: list[Finding]
    ran: list[str]


def check_sample(
    sample: Sample,
    ontology: Ontology,
    checks: Sequence[Check],
    *,
    settings: CheckSettings | None = None,
    embedder: Embedder | None = None,
) -> Checked:
    """Run `checks` on `sample` (see the module for which count as run). A check that
    reports a finding on another sample failed: its findings give way to one
    ``check-failed`` finding, as for a check that raised."""
    context = CheckContext(sample, ontology, settings or CheckSettings(), embedder)
    found = run_checks(checks, context)
    stray = sorted({finding.check for finding in found if finding.sample != sample.id})
    if stray:
        found = [finding for finding in found if finding.check not in stray]
        found.extend(
            context.finding(
                name,
                Severity.ERROR,
                (),
                "the check failed: it reported a finding on another sample",
                fix="report it to the check's authors; its other findings are missing",
                kind=_FAILED,
            )
            for name in stray
        )
    failed = {finding.check for finding in found if finding.detail.get("kind") == _FAILED}
    ran = [
        check.name
        for check in checks
        if (embedder is not None or not check.needs_embedder) and check.name not in failed
    ]
    return Checked(sample.id, found, ran)


def check_lines(
    lines: Sequence[bytes],
    ontology: Ontology,
    checks: Sequence[Check],
    *,
    settings: CheckSettings | None = None,
    embedder: Embedder | None = None,
) -> list[Checked]:
    """`check_sample` of each sample given as its native JSON line, in order."""
    return [
        check_sample(
            Sample.model_validate_json(line), ontology, checks, settings=settings, embedder=embedder
        )
        for line in lines
    ]


def poolable(checks: Sequence[Check], embedder: Embedder | None) -> bool:
    """Whether `checks` can run in a `CheckPool`: every one the registry's own, and no
    embedder (an embedder holds a model that does not travel between processes)."""
    installed = available_checks()
    return embedder is None and all(installed.get(check.name) is check for check in checks)


def default_workers() -> int:
    """Worker processes for a pool: the cores this process may use, at most 4."""
    return max(1, min(len(os.sched_getaffinity(0)), 4))


class CheckPool:
    """Worker processes that check chunks of samples with installed checks, until
    `close`."""

    def __init__(
        self, workers: int, checks: Sequence[Check], settings: CheckSettings | None = None
    ) -> None:
        self.workers = workers
        self._names = [check.name for check in checks]
        self._settings = (settings or CheckSettings()).model_dump_json()
        self._executor = ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))

    def close(self) -> None:
        """Stop the workers (what they have not started is dropped)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, lines: Sequence[bytes], ontology: Ontology) -> "PoolRun":
        """Start checking `lines` (split across the workers); `PoolRun.results` waits."""
        body = ontology.model_dump_json()
        size = -(-len(lines) // self.workers) or 1
        parts = [list(lines[i : i + size]) for i in range(0, len(lines), size)]
        return PoolRun(
            [
                self._executor.submit(_check_part, part, body, self._names, self._settings)
                for part in parts
            ]
        )


@dataclass(frozen=True)
class PoolRun:
    """A chunk being checked by a pool's workers."""

    parts: list[Future[list[Checked]]]

    def results(self) -> list[Checked]:
        """What the checks found on the chunk's samples, in order (waits for the workers)."""
        return [checked for part in self.parts for checked in part.result()]


def _check_part(
    lines: list[bytes], ontology: str, names: list[str], settings: str
) -> list[Checked]:
    """A worker's share of a chunk (runs in the worker process, which does nothing else).

    The cyclic garbage collector is paused meanwhile: parsing a sample makes hundreds of
    objects, none in a cycle (reference counting frees them), and the collections their
    number set off took two thirds of the parsing time."""
    gc.disable()
    try:
        return check_lines(
            lines,
            _ontology(ontology),
            select_checks(names),
            settings=CheckSettings.model_validate_json(settings),
        )
    finally:
        gc.enable()


@lru_cache(maxsize=4)
def _ontology(body: str) -> Ontology:
    return Ontology.model_validate_json(body)
