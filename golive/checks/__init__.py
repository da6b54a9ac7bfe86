"""Checks: machine verifications attached to runbook items.

Public API: :func:`prepare_checks`, :func:`run_checks`, :class:`CheckContext`,
:class:`CheckResult`, :class:`CheckKind` (to add a kind), :func:`register`.
"""

from golive.checks.context import Attestation, CheckContext
from golive.checks.registry import CheckKind, all_kinds, get_kind, register
from golive.checks.result import CheckResult, ConditionOutcome, Observation
from golive.checks.runner import PreparedCheck, prepare_check, prepare_checks, run_check, run_checks, select
from golive.checks.spec import KindSpec

__all__ = [
    "Attestation",
    "CheckContext",
    "CheckKind",
    "CheckResult",
    "ConditionOutcome",
    "KindSpec",
    "Observation",
    "PreparedCheck",
    "all_kinds",
    "get_kind",
    "prepare_check",
    "prepare_checks",
    "register",
    "run_check",
    "run_checks",
    "select",
]
