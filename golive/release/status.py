"""A release's status at a moment: progress per phase, the items due now and
overdue, the next gate (the service adds the decision and the configuration in force)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from golive.config import Config
from golive.release.decide import Decision
from golive.release.schedule import Window, item_windows, phase_windows
from golive.release.state import ItemStatus, ReleaseState
from golive.runbook.model import Item, Section
from golive.store.events import ReleaseRow

__all__ = ["PhaseProgress", "StatusReport", "status_report"]


@dataclass
class PhaseProgress:
    section: Section
    window: Window
    total: int
    done: int
    failed: int


@dataclass
class StatusReport:
    release: ReleaseRow
    state: ReleaseState
    now: datetime
    phases: list[PhaseProgress] = field(default_factory=list)
    due_now: list[tuple[Item, Window]] = field(default_factory=list)
    overdue: list[tuple[Item, Window]] = field(default_factory=list)
    next_gate: Item | None = None
    decision: Decision | None = None
    config: Config | None = None
    """The configuration in force, from the release's log."""


def status_report(release: ReleaseRow, state: ReleaseState, now: datetime) -> StatusReport:
    report = StatusReport(release=release, state=state, now=now)
    windows = phase_windows(state.runbook, release.launch_at, release.launch_tz)
    for section in state.runbook.walk_sections():
        if section.id not in windows:
            continue
        items = [i for s in section.walk() for i in s.all_items()]
        statuses = [state.items[i.id].status if i.id in state.items else ItemStatus.PENDING for i in items]
        report.phases.append(
            PhaseProgress(
                section=section,
                window=windows[section.id],
                total=len(items),
                done=sum(1 for s in statuses if s in (ItemStatus.DONE, ItemStatus.SKIPPED)),
                failed=sum(1 for s in statuses if s == ItemStatus.FAILED),
            )
        )
    by_id = {i.id: i for i in state.runbook.all_items()}
    for item_id, (window, _phase) in item_windows(
        state.runbook, release.launch_at, release.launch_tz
    ).items():
        item = by_id.get(item_id)
        if item is None or item.context != "normal" or item.items:
            continue
        status = state.items[item_id].status if item_id in state.items else ItemStatus.PENDING
        if status in (ItemStatus.DONE, ItemStatus.SKIPPED):
            continue
        if window.overdue(now) and not item.optional:
            report.overdue.append((item, window))
        elif window.contains(now):
            report.due_now.append((item, window))
    for gate in state.runbook.gates():
        if state.gate_holds(gate.id) is not True and not gate.optional:
            report.next_gate = gate
            break
    return report
