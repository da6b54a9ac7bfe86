"""How T+ offsets are read: ranges, points and windows (docs/runbooks.md, "Schedules")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from golive.runbook.loader import parse_runbook_text
from golive.runbook.schedule import parse_schedule

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # a range: the window between its two offsets, never T-0 -> the first
        ("T+2 Hours to T+48 Hours: Stabilisation", 2 * H, 48 * H),
        ("T+1h - T+4h: watch the canary", 1 * H, 4 * H),
        ("T+0 to T+2h: smoke tests", timedelta(0), 2 * H),
        ("T-1h to T+1h: war room open", -1 * H, 1 * H),
        ("T+2 to T+48 hours", 2 * H, 48 * H),  # the first offset borrows the second's unit
        # a point: at T+N
        ("T+24 hours: Day-1 report", 24 * H, 24 * H),
        ("T+7 days: Retrospective", 7 * D, 7 * D),
        # a span named in the words: from T-0 until T+N (seeds 000 and 004)
        ("Phase 4: Hypercare (T+72 Hours)", timedelta(0), 72 * H),
        ("T+1 Week: Post-Launch Stabilization", timedelta(0), 7 * D),
        ("Monitoring until T+4 hours", timedelta(0), 4 * H),
        # unchanged: counting down
        ("T-2 Weeks: Preparation", -14 * D, None),
    ],
)
def test_t_offsets(text: str, start: timedelta, end: timedelta | None) -> None:
    schedule = parse_schedule(text)
    assert schedule is not None
    assert (schedule.start, schedule.end) == (start, end)
    assert schedule.anchor == "t0"


DOC = """\
# Checkout launch

## T-1 Day: Final checks

- [ ] Backups verified

## T+2 Hours to T+48 Hours: Stabilisation

- [ ] Error budget reviewed
- [ ] T+24 hours: Day-1 report sent to stakeholders
- [ ] **T+4h**: review the canary dashboards

### T+7 days: Retrospective

- [ ] Retrospective held
"""


def test_phases_and_items_of_a_runbook() -> None:
    runbook = parse_runbook_text(DOC, "launch.md")
    phases = {s.title: s.schedule for s in runbook.phases()}
    stabilise = phases["T+2 Hours to T+48 Hours: Stabilisation"]
    assert stabilise is not None
    assert (stabilise.start, stabilise.end) == (2 * H, 48 * H)
    retro = phases["T+7 days: Retrospective"]
    assert retro is not None
    assert (retro.start, retro.end) == (7 * D, 7 * D)
    items = {i.text: i for i in runbook.all_items()}
    report = items["T+24 hours: Day-1 report sent to stakeholders"].schedule
    assert report is not None
    assert (report.start, report.end) == (24 * H, 24 * H)
    review = next(i for text, i in items.items() if text.endswith("review the canary dashboards"))
    assert review.schedule is not None
    assert review.schedule.start == 4 * H
    assert items["Error budget reviewed"].schedule is None
