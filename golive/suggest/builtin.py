"""The built-in suggestion rules, plugged in the way a third-party rule module is:
each module in :data:`BUILTIN_MODULES` makes its ``@rule`` decorator with
:func:`golive.suggest.engine.registry` and lists its rules in ``RULES``. The
engine imports none of them.
"""

from __future__ import annotations

from golive.suggest import commands, ops, web
from golive.suggest.engine import SuggestRule

__all__ = ["BUILTIN_MODULES", "all_rules"]

BUILTIN_MODULES = (web, ops, commands)
"""The modules of the built-in rules, in the order their rules run."""


def all_rules() -> list[SuggestRule]:
    """The built-in rules in the order they run: requests first (later rules add
    to the http checks they made), then operational facts."""
    return [rule for module in BUILTIN_MODULES for rule in module.RULES]
