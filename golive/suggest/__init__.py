"""Suggestions from prose: propose checks for the items of a runbook that have
none, from their own words, as an overlay file a person reviews.

``golive suggest RUNBOOK`` never edits the runbook. Each proposal carries the
sentence it came from (``file:line``), the rule that read it and the check it
compiled to; every check is validated like a hand-written one. The report says
how many of the machine-verifiable items could be compiled.

The rules (each reads one kind of phrase) live in :mod:`golive.suggest.web`
(curl lines, request lines, URLs, response fields, health endpoints, homepage,
tls, dns), :mod:`golive.suggest.ops` (env, thresholds -> metric, log markers,
backups -> file) and :mod:`golive.suggest.commands` (verification commands);
the PromQL templates in :mod:`golive.suggest.promql`. :mod:`golive.suggest.engine`
runs rules and knows none of them; :mod:`golive.suggest.builtin` names the
built-in rule modules and :mod:`golive.suggest.api` runs them.
"""

from __future__ import annotations

from golive.suggest.api import suggest
from golive.suggest.builtin import all_rules
from golive.suggest.engine import Draft, Miss, Subject, SuggestContext, SuggestRule
from golive.suggest.render import render_overlay
from golive.suggest.report import Proposal, SuggestReport, Unresolved

__all__ = [
    "Draft",
    "Miss",
    "Proposal",
    "Subject",
    "SuggestContext",
    "SuggestReport",
    "SuggestRule",
    "Unresolved",
    "all_rules",
    "render_overlay",
    "suggest",
]
