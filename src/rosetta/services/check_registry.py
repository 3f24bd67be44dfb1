"""The registry of QA checks: every check installed under the ``rosetta.checks``
entry-point group, the built-ins included (they are declared in Rosetta's own
``pyproject.toml``, exactly as a third-party package declares its checks).

An entry point names a class implementing `rosetta.core.checks.Check` (constructed with
no arguments) or an instance of one. A name used twice, or an object that is not a check,
is an error naming the entry point, raised when the registry is first read.
"""

from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from rosetta.core.checks import Check
from rosetta.core.errors import RosettaError, RuleViolation

#: The entry-point group checks are registered under.
GROUP = "rosetta.checks"


def _load(entry: EntryPoint) -> Check:
    target = entry.load()
    check = target() if isinstance(target, type) else target
    if not isinstance(check, Check):
        raise RosettaError(
            f"entry point {entry.name!r} = {entry.value!r} in group {GROUP!r}: "
            "expected a QA check (name, description, modalities, needs_embedder, run)"
        )
    if check.name != entry.name:
        raise RosettaError(
            f"entry point {entry.name!r} = {entry.value!r} in group {GROUP!r}: "
            f"the check calls itself {check.name!r}; the entry point must use that name"
        )
    return check


@cache
def available_checks() -> Mapping[str, Check]:
    """Every installed check by name, sorted by name."""
    found: dict[str, Check] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if entry.name in found:
            raise RosettaError(f"two checks are registered as {entry.name!r} in {GROUP!r}")
        found[entry.name] = _load(entry)
    return found


def select_checks(names: Iterable[str] | None = None) -> list[Check]:
    """The checks called `names` (every installed one when ``None``), in name order; an
    unknown name is a `RuleViolation` (field ``checks``) listing the installed ones."""
    checks = available_checks()
    if names is None:
        return list(checks.values())
    wanted = sorted(set(names))
    unknown = [name for name in wanted if name not in checks]
    if unknown:
        raise RuleViolation(
            "checks", "checks", "check-known", f"unknown {unknown}; installed: {sorted(checks)}"
        )
    return [checks[name] for name in wanted]
