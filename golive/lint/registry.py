"""Where lint rules register: :data:`BUILTIN_RULES` and the :func:`rule` decorator.

A rule module (the built-in :mod:`golive.lint.rules`, or a third party's) imports
this module and the engine's types, never the engine's callers; importing it
registers its rules. :mod:`golive.lint.builtin` names the built-in rule modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from golive.lint.engine import Finding, LintContext, Rule, Severity

__all__ = ["BUILTIN_RULES", "rule"]

BUILTIN_RULES: list[Rule] = []
"""The built-in rules, in the order they run."""

_Check = Callable[[LintContext], Iterable[Finding]]


def rule(name: str, severity: Severity, description: str) -> Callable[[_Check], _Check]:
    """Register a check function as a built-in rule."""

    def register(check: _Check) -> _Check:
        BUILTIN_RULES.append(Rule(name=name, severity=severity, description=description, check=check))
        return check

    return register
