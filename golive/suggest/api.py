"""``suggest``: the engine run with the built-in rules unless told otherwise."""

from __future__ import annotations

from golive.runbook.model import Runbook
from golive.suggest.builtin import all_rules
from golive.suggest.engine import SuggestRule, run_rules
from golive.suggest.report import SuggestReport

__all__ = ["suggest"]


def suggest(
    runbook: Runbook,
    *,
    base_url: str | None = None,
    host: str | None = None,
    prometheus_url: str | None = None,
    timeout: str | None = None,
    rules: list[SuggestRule] | None = None,
) -> SuggestReport:
    """Propose checks for the runbook's items that have none, from their own words
    (``rules`` default: the built-in rules)."""
    return run_rules(
        runbook,
        all_rules() if rules is None else rules,
        base_url=base_url,
        host=host,
        prometheus_url=prometheus_url,
        timeout=timeout,
    )
