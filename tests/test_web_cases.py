"""The cases the web workspace's TypeScript core is tested against (recorded from the
Python: the clock, the ontology's link rules, whole-sample submissions through the app)
are what the Python answers today: each generator run again gives the checked-in file.
A change to the Python side that the TypeScript must follow fails here first."""

import importlib.util
from pathlib import Path

import pytest

from conftest import REPO

GENERATORS = sorted((REPO / "web" / "src").glob("*/testdata/make_*_cases.py"))


def test_every_case_file_has_its_generator() -> None:
    assert {path.parent.parent.name for path in GENERATORS} >= {"clock", "ontology", "work"}


@pytest.mark.parametrize("generator", GENERATORS, ids=lambda path: path.parent.parent.name)
def test_the_recorded_cases_are_current(generator: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"cases_{generator.stem}", generator)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checked_in: Path = module.OUT
    module.OUT = tmp_path / checked_in.name
    module.main()
    assert module.OUT.read_text() == checked_in.read_text(), (
        f"{checked_in} is out of date: run .venv/bin/python {generator.relative_to(REPO)}"
    )
