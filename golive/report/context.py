"""What every part of a release's report reads: the release, its folded state,
its events and the runbook source, with the items by id and how to tell a moment.

The parts (:mod:`~golive.report.fields`, :mod:`~golive.report.issues`,
:mod:`~golive.report.timeline`, :mod:`~golive.report.records`) are functions of
a :class:`ReportContext`; :func:`golive.report.build.build_report` makes one and
assembles the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from golive.release.state import ReleaseState
from golive.report.model import CheckRow, Moment
from golive.report.text import clean, moment_maker, one_line
from golive.runbook.model import Item
from golive.store.events import Event, ReleaseRow

__all__ = ["ReportContext", "evidence_text"]


@dataclass
class ReportContext:
    """A release read from its log, for the parts of its report."""

    release: ReleaseRow
    state: ReleaseState
    events: list[Event]
    source: str
    audit_ok: bool
    audit_reason: str
    when: Callable[[datetime], Moment] = field(init=False)
    items: dict[str, Item] = field(init=False)
    section_of: dict[str, str] = field(init=False)
    checks: list[CheckRow] = field(default_factory=list)
    comments: list[tuple[Moment, str, str, str | None]] = field(default_factory=list)
    """(when, actor, text, item id)."""

    def __post_init__(self) -> None:
        self.when = moment_maker(self.release.launch_at, self.release.launch_tz)
        runbook = self.state.runbook
        self.items = {item.id: item for item in runbook.all_items()}
        self.section_of = {}
        for section in runbook.walk_sections():
            for item in section.all_items():
                self.section_of[item.id] = clean(section.title or runbook.title)

    def item_text(self, item_id: Any) -> str:
        item = self.items.get(str(item_id))
        return one_line(item.text if item is not None else item_id, 160)


def evidence_text(data: dict[str, Any]) -> str:
    """An evidence record (``evidence.attached`` data) on one line."""
    parts: list[str] = []
    if data.get("url"):
        parts.append(str(data["url"]))
    if data.get("file"):
        digest = str(data.get("sha256", ""))
        parts.append(f"{data['file']}" + (f" (sha256 {digest[:16]}…)" if digest else ""))
    if data.get("note"):
        parts.append(str(data["note"]))
    if data.get("by"):
        parts.append(f"by {data['by']}")
    return one_line(", ".join(parts))
