"""The QA check interface: which checks the host runs on a sample, what a failing check
gives, and when two findings are the same one."""

from collections.abc import Iterable
from typing import ClassVar

from rosetta.core.checks import (
    Check,
    CheckContext,
    Finding,
    Severity,
    applies,
    run_checks,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.demo.build import demo_samples


class _WideBoxes:
    """Boxes wider than half their image's height: a real (if odd) check."""

    name: ClassVar[str] = "wide-boxes"
    description: ClassVar[str] = "boxes wider than half their image's height"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterable[Finding]:
        for annotation in context.sample.annotations:
            stream = context.index.streams.get(annotation.stream or "")
            width = getattr(annotation.geometry, "w", None)
            if stream is not None and width is not None and width > (stream.media.height or 0) / 2:
                yield context.finding(
                    self.name, Severity.INFO, [annotation.id], f"{annotation.id} is wide"
                )


class _Broken(_WideBoxes):
    name: ClassVar[str] = "broken"
    modalities: ClassVar[frozenset[Modality]] = frozenset()

    def run(self, context: CheckContext) -> Iterable[Finding]:
        raise KeyError("boom")


class _NeedsEmbedder(_WideBoxes):
    name: ClassVar[str] = "needs-embedder"
    needs_embedder: ClassVar[bool] = True


def _sample(name: str) -> Sample:
    return next(s for s in demo_samples() if s.id == name)


def test_a_check_runs_only_on_samples_with_its_modalities_and_embedder(
    demo_ontology: Ontology,
) -> None:
    portrait = CheckContext(_sample("portrait"), demo_ontology)
    spoken = CheckContext(_sample("spoken-1"), demo_ontology)
    assert isinstance(_WideBoxes(), Check)
    assert applies(_WideBoxes(), portrait)
    assert not applies(_WideBoxes(), spoken)
    assert not applies(_NeedsEmbedder(), portrait)
    assert run_checks([_WideBoxes()], spoken) == []


def test_a_failing_check_becomes_one_error_finding_and_the_others_still_run(
    demo_ontology: Ontology,
) -> None:
    context = CheckContext(_sample("portrait"), demo_ontology)
    found = run_checks([_Broken(), _WideBoxes()], context)
    failed = [f for f in found if f.check == "broken"]
    assert len(failed) == 1
    assert failed[0].severity is Severity.ERROR
    assert failed[0].message == "the check failed: KeyError: 'boom'"
    assert failed[0].detail == {"kind": "check-failed"}
    wide = [f for f in found if f.check == "wide-boxes"]
    # The astronaut's box is 347 px wide on a 512 px image; the flag's and the shuttle's
    # are narrower than 256.
    assert [f.subjects for f in wide] == [("portrait.astronaut",)]


def test_the_key_ignores_subject_order_and_tells_kinds_apart() -> None:
    first = Finding(check="c", severity=Severity.INFO, sample="s", subjects=("a", "b"), message="m")
    swapped = first.model_copy(update={"subjects": ("b", "a"), "message": "other words"})
    kinded = first.model_copy(update={"detail": {"kind": "drift"}})
    assert first.key == swapped.key
    assert first.key != kinded.key
