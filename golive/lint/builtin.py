"""The built-in lint rules, plugged in the way a third-party rule module is: each
module in :data:`BUILTIN_MODULES` registers its rules with
:func:`golive.lint.registry.rule` when imported. The engine imports none of them.
"""

from __future__ import annotations

from types import ModuleType

from golive.lint import rules
from golive.lint.engine import Rule
from golive.lint.registry import BUILTIN_RULES

__all__ = ["BUILTIN_MODULES", "load_builtin"]

BUILTIN_MODULES: tuple[ModuleType, ...] = (rules,)
"""The modules whose rules are the built-in ones (imported above, so registered)."""


def load_builtin() -> list[Rule]:
    """The built-in rules, in the order they run."""
    return BUILTIN_RULES
