"""Due windows: every phase and task placed on the calendar from its offset to
T-0 and the release's launch time (in the launch's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from golive.runbook.model import Item, Runbook, Schedule, Section

__all__ = ["Window", "item_windows", "phase_windows", "resolve"]


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None
    label: str

    def contains(self, when: datetime) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)

    def overdue(self, when: datetime) -> bool:
        return self.end is not None and when >= self.end


def resolve(schedule: Schedule, launch: datetime, tz: str) -> Window:
    """The absolute window of a schedule for a launch time."""
    if schedule.anchor == "launch_day":
        zone = ZoneInfo(tz)
        local = launch.astimezone(zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)

        def at(offset: timedelta | None) -> datetime | None:
            if offset is None:
                return None
            # wall-clock arithmetic in the launch's zone (DST-safe)
            days = offset.days
            rest = offset - timedelta(days=days)
            day = (midnight + timedelta(days=days)).replace(tzinfo=None)
            return (day + rest).replace(tzinfo=zone)

        return Window(at(schedule.start), at(schedule.end), schedule.label)
    start = launch + schedule.start if schedule.start is not None else None
    end = launch + schedule.end if schedule.end is not None else None
    return Window(start, end, schedule.label)


def phase_windows(runbook: Runbook, launch: datetime, tz: str) -> dict[str, Window]:
    return {s.id: resolve(s.schedule, launch, tz) for s in runbook.walk_sections() if s.schedule is not None}


def item_windows(runbook: Runbook, launch: datetime, tz: str) -> dict[str, tuple[Window, Section]]:
    """Each item's due window: its own schedule, else its step's, else its nearest phase's."""
    out: dict[str, tuple[Window, Section]] = {}

    def visit_items(items: list[Item], inherited: Window | None, phase: Section | None) -> None:
        for item in items:
            window = resolve(item.schedule, launch, tz) if item.schedule is not None else inherited
            if window is not None and phase is not None:
                out[item.id] = (window, phase)
            visit_items(item.items, window, phase)

    def visit(section: Section, inherited: Window | None, phase: Section | None) -> None:
        if section.schedule is not None:
            inherited = resolve(section.schedule, launch, tz)
            phase = section
        visit_items(section.items, inherited, phase)
        for child in section.sections:
            visit(child, inherited, phase)

    for section in runbook.sections:
        visit(section, None, None)
    return out
