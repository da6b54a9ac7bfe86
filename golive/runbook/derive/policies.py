"""The document's own policies: the rules of its "Don'ts" and "Do's" sections
(no Friday deploys, a backup before deploying, …)."""

from __future__ import annotations

import re

from golive.runbook.model import Policy, Runbook
from golive.runbook.text import clean_title, strip_markdown

__all__ = ["derive_policies"]

_DONTS_TITLE = re.compile(r"don'?ts|do not|never", re.I)
_DOS_TITLE = re.compile(r"\bdo'?s\b|best practices", re.I)
_POLICIES: list[tuple[str, str]] = [
    (r"friday", "no_friday"),
    (r"weekend", "no_weekend"),
    (r"low[- ]traffic", "low_traffic_hours"),
    (r"without (?:a )?backup", "backup_before_deploy"),
    (r"without (?:a )?rollback", "rollback_plan_required"),
    (r"without testing|test on staging", "test_before_deploy"),
    (r"without monitoring|monitor closely", "monitor_after_deploy"),
    (r"multiple changes", "one_change_at_a_time"),
    (r"team availab", "team_available"),
    (r"holiday", "no_holidays"),
    (r"code freeze", "code_freeze"),
]


def derive_policies(runbook: Runbook) -> list[Policy]:
    out: list[Policy] = []
    for section in runbook.walk_sections():
        negative = bool(_DONTS_TITLE.search(section.title))
        positive = bool(_DOS_TITLE.search(section.title)) and not negative
        if not (negative or positive):
            continue
        lines: list[tuple[str, int, str | None]] = []
        for note in section.notes:
            for offset, text in enumerate(note.text.split("\n")):
                lines.append((text, note.line + offset, note.file))
        lines.extend((item.text, item.line, item.file) for item in section.all_items())
        for text, line, file in lines:
            clean = clean_title(strip_markdown(text))
            if not clean:
                continue
            rule = next((name for pattern, name in _POLICIES if re.search(pattern, clean, re.I)), "custom")
            if positive and rule not in ("low_traffic_hours", "monitor_after_deploy", "test_before_deploy"):
                continue
            out.append(Policy(rule=rule, text=clean, line=line, file=file))
    return out
