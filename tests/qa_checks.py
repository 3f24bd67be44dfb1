"""Small QA checks the findings tests run, written as a third-party package would write
them (`rosetta.core.checks.Check`), and a way to install them as one does: a
``*.dist-info`` with an ``entry_points.txt`` in a folder put on ``sys.path``."""

import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from rosetta.core.checks import CheckContext, Finding, Severity
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.services.check_registry import available_checks

#: Narrower than this many pixels, a box is a slip of the mouse.
NARROWEST = 2.0


class NarrowBox:
    """A box narrower than `NARROWEST` pixels."""

    name: ClassVar[str] = "narrow-box"
    description: ClassVar[str] = "A box narrower than 2 px: most likely a slip of the mouse."
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """A warning per box narrower than `NARROWEST`."""
        for annotation in context.sample.annotations:
            geometry = annotation.geometry
            if isinstance(geometry, Box) and geometry.w < NARROWEST:
                yield context.finding(
                    self.name,
                    Severity.WARNING,
                    [annotation.id],
                    f"box {annotation.id} is {geometry.w:g} px wide",
                    fix="redraw it or delete it",
                    width=geometry.w,
                )


class LinkedLabels:
    """A link whose two ends (annotations) carry different labels."""

    name: ClassVar[str] = "linked-labels"
    description: ClassVar[str] = "Two linked annotations with different labels."
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """An error per link between annotations of different labels."""
        found = context.index.annotations
        for link in context.sample.links:
            source, target = found.get(link.source), found.get(link.target)
            if source is not None and target is not None and source.label != target.label:
                yield context.finding(
                    self.name,
                    Severity.ERROR,
                    [link.id, source.id, target.id],
                    f"{source.label} is linked to {target.label}",
                    source=source.label,
                    target=target.label,
                )


class Broken:
    """A check with a bug: it raises on every sample with a stream."""

    name: ClassVar[str] = "broken"
    description: ClassVar[str] = "Always fails."
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """Raises."""
        raise ZeroDivisionError("division by zero")


class Gated:
    """A check that notes each sample it checks (an ``info`` finding) and, on the sample
    named `stop_at`, waits until the test lets it go (`go`), having said so (`reached`)."""

    name: ClassVar[str] = "gated"
    description: ClassVar[str] = "Notes every sample; waits on one until let go."
    modalities: ClassVar[frozenset[Modality]] = frozenset()
    needs_embedder: ClassVar[bool] = False
    stop_at: ClassVar[str | None] = None
    reached: ClassVar[threading.Event] = threading.Event()
    go: ClassVar[threading.Event] = threading.Event()

    @classmethod
    def stop(cls, sample_id: str | None) -> None:
        """Wait on `sample_id` from now on (``None``: on none), with fresh events."""
        cls.stop_at = sample_id
        cls.reached = threading.Event()
        cls.go = threading.Event()

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """An ``info`` finding naming the sample, after waiting when it is `stop_at`."""
        if context.sample.id == self.stop_at:
            self.reached.set()
            if not self.go.wait(30):
                raise TimeoutError("the test did not let the gated check go")
        yield context.finding(self.name, Severity.INFO, (), f"checked {context.sample.id}")


@contextmanager
def installed(folder: Path, distributions: Mapping[str, str]) -> Iterator[None]:
    """Install, for the block, the distributions `distributions` (name → the text of their
    ``entry_points.txt``) as metadata in `folder`, put on ``sys.path``: the way pip leaves
    an installed package for `importlib.metadata` to find. The check registry is read
    afresh inside and after the block."""
    for name, entry_points in distributions.items():
        info = folder / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(entry_points)
    sys.path.insert(0, str(folder))
    available_checks.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        available_checks.cache_clear()


#: The ``entry_points.txt`` that registers `NarrowBox` and `LinkedLabels`.
PLUGIN_ENTRY_POINTS = """[rosetta.checks]
narrow-box = qa_checks:NarrowBox
linked-labels = qa_checks:LinkedLabels
"""

#: The same with `Gated` too.
GATED_ENTRY_POINTS = PLUGIN_ENTRY_POINTS + "gated = qa_checks:Gated\n"
