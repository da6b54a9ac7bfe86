"""The rehearsal's script: who does what, when, on the runbook's own timeline.

Built from the runbook alone (and the launch time), before anything runs, so
``golive rehearse`` can say what it is going to do and a test can read it.

When each thing happens:

- An item with a due window (its own schedule, its step's, its phase's) is done
  inside it: the items of one window are spread over it in document order
  (over the section's stated duration when it has one, else at most
  :data:`DEFAULT_SPAN`), so a phase's go/no-go comes after the phase's work.
- An item without a window happens right after the item before it in the
  document. Before the first scheduled item it happens at the start of the
  rehearsal, unless it comes after the runbook's rollout plan in the document
  (seed 001's smoke tests and post-deployment checklist): then it happens once
  the rollout should have finished.
- A step with sub-items is done right after its last sub-item.
- Contingencies (rollback procedures, troubleshooting, emergencies), rollback
  criteria and success metrics are not done by anyone; their checks, if an
  overlay gave them any, run with their section's.
- Checks of a section run once, after the section's last item that has checks
  (manual checks then find their attestations), and the owners of the automated
  items mark them done or failed from the results.
- Sign-offs happen where the runbook asks for them (an approval item, the end of
  a go/no-go section), or just before the decision when that is not before T-0
  (a sign-off table at the end of the document).
- The decision is recorded at T-0, before anything scheduled at T-0, and the
  rollout starts right after it.
- The rehearsal ends with the last action or the end of the last phase after
  T-0 (000's "T+72 Hours"), whichever is later, and never before the guard's
  hypercare is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from golive.config import Config
from golive.release.decide import required_signoffs
from golive.release.schedule import Window, item_windows, resolve
from golive.release.state import ReleaseState
from golive.rollout.spec import RolloutGuard
from golive.runbook.model import Item, Runbook, Section

__all__ = ["DEFAULT_SPAN", "MANUAL_WATCH", "Action", "Script", "build_script", "rollout_estimate"]

DEFAULT_SPAN = timedelta(hours=2)
MANUAL_WATCH = timedelta(minutes=30)
"""How long the simulated release manager watches a step that waits to be promoted."""
LEAD_IN = timedelta(hours=1)
"""The rehearsal starts this long before T-0 when the runbook schedules nothing earlier."""

ActionKind = Literal["item", "checks", "signoff", "decision", "rollout"]


@dataclass
class Action:
    at: datetime
    order: float
    kind: ActionKind
    item: Item | None = None
    skip: bool = False
    section: Section | None = None
    checked: list[Item] = field(default_factory=list)
    """For ``checks``: the items whose checks run now (their owners mark them after)."""
    role: str | None = None
    phase: Section | None = None

    @property
    def key(self) -> tuple[datetime, float]:
        return (self.at, self.order)

    def describe(self) -> str:
        if self.kind == "item" and self.item is not None:
            return ("skip " if self.skip else "") + self.item.text
        if self.kind == "checks" and self.section is not None:
            return f"checks of {self.section.title} ({len(self.checked)} items)"
        if self.kind == "signoff":
            return f"sign-off: {self.role}"
        return self.kind


@dataclass
class Script:
    start: datetime
    launch: datetime
    actions: list[Action]
    end: datetime


def rollout_estimate(guard: RolloutGuard) -> timedelta:
    """How long the rollout takes when nothing goes wrong (bakes, manual watches, soak)."""
    longest = timedelta(0)
    for component in guard.components:
        total = sum(((s.bake or MANUAL_WATCH) for s in component.steps[:-1]), timedelta(0))
        longest = max(longest, total)
    return longest + guard.soak + 2 * guard.interval


def _span(window: Window, phase: Section | None) -> timedelta:
    if window.start is None or window.end is None:
        return timedelta(0)
    span = min(window.end - window.start, DEFAULT_SPAN)
    if phase is not None and phase.duration is not None:
        span = min(window.end - window.start, phase.duration.max)
    return max(span, timedelta(0))


def _acts(item: Item) -> bool:
    """Does a person do this item (rather than keep it for when things go wrong)?"""
    return item.context == "normal"


def build_script(runbook: Runbook, launch: datetime, tz: str, guard: RolloutGuard, config: Config) -> Script:
    windows = item_windows(runbook, launch, tz)
    sections: dict[str, Section] = {}
    order: list[Item] = []
    for section in runbook.walk_sections():
        for item in section.all_items():
            sections[item.id] = section
            order.append(item)
    position: dict[str, float] = {item.id: float(index) for index, item in enumerate(order)}
    rollout_line = runbook.rollout[0].line if runbook.rollout else None
    rollout_file = runbook.rollout[0].file if runbook.rollout else None
    after_rollout = launch + rollout_estimate(guard)

    # scheduled items: spread over their window, in document order
    groups: dict[tuple[str, datetime | None, datetime | None], list[Item]] = {}
    for item in order:
        if item.id in windows:
            window, phase = windows[item.id]
            groups.setdefault((phase.id, window.start, window.end), []).append(item)
    planned: dict[str, datetime] = {}
    for (_phase_id, _start, _end), members in groups.items():
        window, phase = windows[members[0].id]
        start = window.start if window.start is not None else launch
        span = _span(window, phase)
        for index, item in enumerate(members):
            planned[item.id] = start + span * index / max(len(members), 1)
    first = min(planned.values(), default=launch)
    start = first if first < launch else launch - LEAD_IN

    # unscheduled items: after the item before them
    previous: datetime | None = None
    for item in order:
        if item.id in planned:
            previous = planned[item.id]
            continue
        if previous is not None:
            planned[item.id] = previous
        elif rollout_line is not None and item.file == rollout_file and item.line > rollout_line:
            planned[item.id] = after_rollout
        else:
            planned[item.id] = start
    # a step with sub-items: right after its last sub-item
    for item in order:
        if item.items:
            descendants = [d for d in item.walk() if d is not item]
            planned[item.id] = max(planned[d.id] for d in descendants)
            position[item.id] = max(position[d.id] for d in descendants) + 0.5
    planned = {k: max(v, start) for k, v in planned.items()}

    actions: list[Action] = []
    checked_by_section: dict[str, list[Item]] = {}
    for item in order:
        automated = [c for c in item.checks if c.kind != "manual"]
        if item.checks and item.context != "contingency":
            checked_by_section.setdefault(sections[item.id].id, []).append(item)
        if not _acts(item) or automated:
            continue
        where = windows[item.id][1] if item.id in windows else None
        skip = item.optional and item.gate is None  # an optional gate is still done: it was written as one
        actions.append(Action(planned[item.id], position[item.id], "item", item=item, skip=skip, phase=where))
    for members in checked_by_section.values():
        last = max(members, key=lambda i: (planned[i.id], position[i.id]))
        where = windows[last.id][1] if last.id in windows else None
        actions.append(
            Action(
                planned[last.id],
                position[last.id] + 0.25,
                "checks",
                section=sections[last.id],
                checked=members,
                phase=where,
            )
        )

    # sign-offs where the runbook asks for them, else just before the decision
    probe = ReleaseState(release_id="rehearsal", runbook=runbook)
    needed = required_signoffs(probe, config)
    for role in needed:
        record = next((s for s in runbook.sign_offs if s.role == role), None)
        at, pos = launch, -2.0
        if record is not None:
            anchor = _signoff_anchor(runbook, record.line, record.file, order)
            if anchor is not None and planned[anchor.id] < launch:
                at, pos = planned[anchor.id], position[anchor.id] + 0.75
        actions.append(Action(at, pos, "signoff", role=role))
    actions.append(Action(launch, -1.0, "decision"))
    actions.append(Action(launch, -0.5, "rollout"))
    actions.sort(key=lambda a: a.key)
    # the end: the last action, or the end of the last phase after T-0 (000's "T+72 Hours")
    ends = [w.end for w, _ in windows.values() if w.end is not None and w.end > launch]
    ends += [
        window.end
        for section in runbook.phases()
        if section.schedule is not None
        and (window := resolve(section.schedule, launch, tz)).end is not None
        and window.end > launch
    ]
    end = max([a.at for a in actions] + [launch] + ends)
    return Script(start=start, launch=launch, actions=actions, end=end)


def _signoff_anchor(runbook: Runbook, line: int, file: str | None, order: list[Item]) -> Item | None:
    """The item after which a sign-off declared at ``file:line`` is given: the item
    on that line, the last item of the section headed there, or the last item
    before that line (a sign-off table's row)."""
    for item in order:
        if item.line == line and item.file == file:
            return item
    for section in runbook.walk_sections():
        if section.line == line and section.file == file:
            items = [i for s in section.walk() for i in s.all_items()]
            if items:
                return items[-1]
    before = [i for i in order if i.file == file and i.line < line]
    return before[-1] if before else None
