"""Imports point downwards: the import-linter contract holds and says what the docs say."""

import tomllib

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

from conftest import REPO

LAYERS = [
    "rosetta.cli | rosetta.sdk",
    "rosetta.api",
    "rosetta.demo",
    "rosetta.services",
    "rosetta.store | rosetta.formats | rosetta.proposers",
    "rosetta.media",
    "rosetta.core",
]


def test_contract_lists_the_layers_top_down() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert [c["layers"] for c in contracts if c["type"] == "layers"] == [LAYERS]
    architecture = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        for package in layer.split(" | "):
            assert f"`{package.removeprefix('rosetta.')}`" in architecture, package


def test_no_layer_imports_one_above_it() -> None:
    config = str(REPO / "pyproject.toml")
    assert lint_imports(config, no_cache=True, no_logo=True) == EXIT_STATUS_SUCCESS
