"""Automated QA checks over one sample: the interface (`spec`) and the built-in checks,
one module each, registered through the ``rosetta.checks`` entry points."""

from rosetta.core.checks.spec import (
    Check,
    CheckContext,
    CheckSettings,
    Embedder,
    Finding,
    SampleIndex,
    Severity,
    applies,
    run_checks,
)

__all__ = [
    "Check",
    "CheckContext",
    "CheckSettings",
    "Embedder",
    "Finding",
    "SampleIndex",
    "Severity",
    "applies",
    "run_checks",
]
