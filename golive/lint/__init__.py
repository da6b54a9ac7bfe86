"""``golive lint``'s engine: what makes a runbook unsafe to run, with file:line.

:mod:`golive.lint.engine` defines findings, rules and the context they read;
rules register with :mod:`golive.lint.registry`; :mod:`golive.lint.builtin`
names the built-in rule modules; :mod:`golive.lint.api` runs them.
"""

from golive.lint.api import lint, lint_path
from golive.lint.engine import SEVERITIES, Finding, LintContext, Rule, Severity, read_sources
from golive.lint.registry import BUILTIN_RULES, rule

__all__ = [
    "BUILTIN_RULES",
    "SEVERITIES",
    "Finding",
    "LintContext",
    "Rule",
    "Severity",
    "lint",
    "lint_path",
    "read_sources",
    "rule",
]
