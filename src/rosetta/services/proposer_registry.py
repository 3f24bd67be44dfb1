"""The registry of proposers: every class installed under the ``rosetta.proposers``
entry-point group, the built-ins included (declared in Rosetta's own ``pyproject.toml``,
exactly as a third-party package declares its proposers).

Each is constructed once per process and configured model (`Settings.proposer_models`),
so a server or a batch worker loads a model once and reuses it for every request. An entry
point that does not name a proposer class, a name used twice, or a class that calls itself
by another name is an error naming the entry point, raised when the registry is read.
"""

from collections.abc import Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import cast

from pydantic import BaseModel, ConfigDict

from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.geometry import GeometryKind
from rosetta.core.modality import Modality
from rosetta.proposers.spec import PromptKind, Proposer
from rosetta.services.settings import Settings

#: The entry-point group proposers are registered under.
GROUP = "rosetta.proposers"


class ProposerInfo(BaseModel):
    """What a proposer can do and whether it can run here (``unavailable``: why not)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    modalities: list[Modality]
    geometries: list[GeometryKind]
    prompts: list[PromptKind]
    prompt_required: bool
    parameters: dict[str, object]
    unavailable: str | None


def _class(entry: EntryPoint) -> type[Proposer]:
    target = entry.load()
    needed = ("name", "modalities", "geometries", "prompts", "parameters", "propose")
    if not isinstance(target, type) or not all(hasattr(target, part) for part in needed):
        raise RosettaError(
            f"entry point {entry.name!r} = {entry.value!r} in group {GROUP!r}: expected a "
            "proposer class (name, modalities, geometries, prompts, parameters, propose)"
        )
    called = getattr(target, "name", None)
    if called != entry.name:
        raise RosettaError(
            f"entry point {entry.name!r} = {entry.value!r} in group {GROUP!r}: the proposer "
            f"calls itself {called!r}; the entry point must use that name"
        )
    return cast(type[Proposer], target)


@cache
def proposer_classes() -> Mapping[str, type[Proposer]]:
    """Every installed proposer class by name, sorted by name."""
    found: dict[str, type[Proposer]] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if entry.name in found:
            raise RosettaError(f"two proposers are registered as {entry.name!r} in {GROUP!r}")
        found[entry.name] = _class(entry)
    return found


@cache
def _constructed(name: str, model: str | None) -> Proposer:
    made = proposer_classes()[name](model=model)  # type: ignore[call-arg]
    if not isinstance(made, Proposer):
        raise RosettaError(f"proposer {name!r}: its class does not implement the interface")
    return made


def proposer(name: str, settings: Settings) -> Proposer:
    """The proposer called `name` with the model the settings give it (one instance per
    process and model); an unknown name is a `NotFoundError` listing the installed ones."""
    if name not in proposer_classes():
        raise NotFoundError("proposer", name)
    return _constructed(name, dict(settings.proposer_models).get(name))


def describe(name: str, settings: Settings) -> ProposerInfo:
    """What the proposer `name` declares, and why it cannot run here if it cannot."""
    found = proposer(name, settings)
    return ProposerInfo(
        name=found.name,
        description=found.description,
        modalities=sorted(found.modalities),
        geometries=sorted(found.geometries),
        prompts=sorted(found.prompts),
        prompt_required=found.prompt_required,
        parameters=found.parameters.model_json_schema(),
        unavailable=found.unavailable(),
    )


def describe_all(settings: Settings) -> list[ProposerInfo]:
    """Every installed proposer, by name."""
    return [describe(name, settings) for name in proposer_classes()]
