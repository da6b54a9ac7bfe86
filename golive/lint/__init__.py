"""``golive lint``'s engine: what makes a runbook unsafe to run, with file:line."""

from golive.lint.engine import SEVERITIES, Finding, LintContext, Rule, Severity, lint, lint_path, read_sources
from golive.lint.rules import BUILTIN_RULES, rule

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
