"""The check registry (`rosetta.services.check_registry`) finds checks the way a
third-party package registers them: an ``entry_points.txt`` in a ``*.dist-info`` folder on
``sys.path``, read by `importlib.metadata`, beside the built-ins. A name registered twice,
an entry point that is not a check, or one named otherwise than its check is an error
naming it."""

from pathlib import Path

import pytest

from conftest import REPO
from qa_checks import PLUGIN_ENTRY_POINTS, LinkedLabels, NarrowBox, installed
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.services.check_registry import available_checks, select_checks

BUILT_IN = {
    "attribute-consistency",
    "embedding-divergence",
    "entity-consistency",
    "ontology-conformance",
    "order-consistency",
    "partial-alignment",
    "projection-overlap",
    "stale-links",
    "temporal-overlap",
    "unlinked-mentions",
}


def test_a_third_party_check_is_found_beside_the_built_ins(tmp_path: Path) -> None:
    with installed(tmp_path, {"rosetta_test_checks": PLUGIN_ENTRY_POINTS}):
        found = available_checks()
        assert set(found) == BUILT_IN | {"narrow-box", "linked-labels"}
        assert list(found) == sorted(found)
        assert isinstance(found["narrow-box"], NarrowBox)
        assert isinstance(found["linked-labels"], LinkedLabels)
        chosen = select_checks(["stale-links", "narrow-box", "stale-links"])
        assert [check.name for check in chosen] == ["narrow-box", "stale-links"]
        with pytest.raises(RuleViolation, match=r"unknown \['thin-box'\]; installed: \["):
            select_checks(["thin-box", "narrow-box"])
    assert set(available_checks()) == BUILT_IN  # uninstalled: gone again


def test_a_name_registered_twice_is_an_error(tmp_path: Path) -> None:
    twice = {
        "rosetta_test_checks": PLUGIN_ENTRY_POINTS,
        "rosetta_copied_checks": PLUGIN_ENTRY_POINTS,
    }
    with (
        installed(tmp_path, twice),
        pytest.raises(RosettaError, match="two checks are registered as 'linked-labels'"),
    ):
        available_checks()


def test_an_entry_point_that_is_no_check_is_an_error(tmp_path: Path) -> None:
    no_check = "[rosetta.checks]\nnot-a-check = qa_checks:installed\n"
    with (
        installed(tmp_path, {"rosetta_odd_checks": no_check}),
        pytest.raises(
            RosettaError,
            match=r"entry point 'not-a-check' = 'qa_checks:installed' .*expected a QA check",
        ),
    ):
        available_checks()


def test_an_entry_point_must_carry_its_checks_name(tmp_path: Path) -> None:
    misnamed = "[rosetta.checks]\nthin-box = qa_checks:NarrowBox\n"
    with (
        installed(tmp_path, {"rosetta_misnamed_checks": misnamed}),
        pytest.raises(RosettaError, match="calls itself 'narrow-box'"),
    ):
        available_checks()


def test_every_built_in_check_is_documented() -> None:
    """The checks table of ``docs/architecture.md`` lists every check Rosetta itself
    registers (as datasette's tests fail on an undocumented hook)."""
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    built_in = {
        name
        for name, check in available_checks().items()
        if type(check).__module__.startswith("rosetta.")
    }
    assert len(built_in) == 10
    assert {name for name in built_in if f"| `{name}` |" not in page} == set()
