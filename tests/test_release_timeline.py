"""Seed 004's whole timeline as a release, on a controlled clock: Day -14 to
Day +7, through its phase go/no-go and its Day -1 executive decision, checking
status, due and overdue items and decisions at each step."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from golive.config import Config
from golive.release.service import ActionError, ReleaseService
from golive.runbook.model import Item
from golive.store.events import EventStore
from golive.timeparse import parse_launch
from tests.conftest import seed_path

LAUNCH = parse_launch("2026-12-01 09:00 Europe/London")  # a Tuesday
PEOPLE = {
    "DevOps Lead": "dana",
    "Database Administrator": "dora",
    "Technical Lead": "tara",
    "Integration Lead": "ivan",
    "Performance Lead": "pat",
    "Security Lead": "sam",
    "Product Manager": "pam",
    "QA Lead": "quinn",
    "Executive Team": "eve",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: int, hour: int, minute: int = 0) -> None:
        """Day N of the timeline (T-0 = day 0) at a wall-clock time in London."""
        local = LAUNCH.replace(hour=hour, minute=minute) + timedelta(days=day)
        self.now = local


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = EventStore.open(str(tmp_path / "golive.db"))
    clock = Clock(LAUNCH - timedelta(days=14))
    svc = ReleaseService(store, Config(people={"approver": ["alice"]}), clock=clock)
    rid = svc.start(
        seed_path("004"),
        service="bookedbarber",
        version="2.0.0",
        env="production",
        launch=LAUNCH,
        tz="Europe/London",
        actor="rm",
    )
    for role, person in PEOPLE.items():
        svc.assign(rid, role, person, actor="rm")
    yield svc, rid, clock
    store.close()


def _lines(pairs: list[tuple[Item, object]]) -> set[int]:
    return {item.line for item, _ in pairs}


def _do(svc: ReleaseService, rid: str, items: list[Item]) -> None:
    for item in items:
        actor = PEOPLE.get(item.owner or "", "alice")
        svc.item_action(rid, item.id, "done", actor=actor)


def _items(
    svc: ReleaseService, rid: str, *, lines: range | None = None, before: int | None = None
) -> list[Item]:
    _, state = svc.load(rid)
    out = []
    for item in state.runbook.all_items():
        if item.context != "normal" or (
            state.items.get(item.id) and state.items[item.id].status.value == "done"
        ):
            continue
        if lines is not None and item.line not in lines:
            continue
        if before is not None and item.line >= before:
            continue
        out.append(item)
    return out


def test_seed_004_timeline(world) -> None:  # type: ignore[no-untyped-def]
    svc, rid, clock = world

    # Day -14, 10:00: the first day's work is due; nothing is overdue yet
    clock.set(-14, 10)
    status = svc.status(rid)
    assert len(status.phases) == 44
    assert {45, 49, 66} <= _lines(status.due_now)
    assert not status.overdue
    assert status.decision is not None and status.decision.decision == "NO-GO"
    assert "sign-off missing: Executive Team (0 of 1)" in status.decision.reasons
    day14 = _items(svc, rid, lines=range(35, 71))
    _do(svc, rid, day14)

    # Day -12: Day -13's database work was not done: it is overdue; Day -14's is not
    clock.set(-12, 10)
    status = svc.status(rid)
    overdue = _lines(status.overdue)
    assert 88 in overdue and 106 in overdue  # Index optimization, Database performance report
    assert not (overdue & set(range(35, 71)))
    assert 128 in _lines(status.due_now)  # Day -12: Production Docker images built and scanned
    with pytest.raises(ActionError, match="does not hold Database Administrator"):
        svc.item_action(rid, next(i for i in _items(svc, rid, lines=range(88, 89))).id, "done", actor="dana")

    # the team works through the preparation weeks
    clock.set(-2, 12)
    _do(svc, rid, _items(svc, rid, before=486))
    status = svc.status(rid)
    assert not status.overdue

    # Day -1: the executive go/no-go. The starter may not approve their own request
    clock.set(-1, 10)
    _do(svc, rid, _items(svc, rid, lines=range(486, 517)))
    svc.assign(rid, "Executive Team", "rm", actor="rm")
    with pytest.raises(ActionError, match="may not approve their own request"):
        svc.signoff(rid, "Executive Team", actor="rm")
    with pytest.raises(ActionError, match="does not hold Executive Team"):
        svc.signoff(rid, "Executive Team", actor="dana")
    svc.signoff(rid, "Executive Team", actor="eve")
    with pytest.raises(ActionError, match="already signed off"):
        svc.signoff(rid, "Executive Team", actor="eve")
    decision = svc.decide(rid, actor="alice")
    assert decision.decision == "NO-GO"
    assert decision.reasons == [
        "gate not done: Go/No-Go final confirmation (line 600 of 004_0770cc43126af0bc.txt)"
    ]

    # T-0, 08:45: final confirmation, then GO, recorded by the approver only
    clock.set(0, 8, 45)
    _do(svc, rid, _items(svc, rid, lines=range(519, 602)))
    decision = svc.decide(rid, actor="alice")
    assert decision.decision == "GO" and not decision.reasons
    with pytest.raises(ActionError, match="needs the approver role"):
        svc.decide(rid, actor="tara", record=True)
    recorded = svc.decide(rid, actor="alice", record=True)
    assert recorded.recorded == "current"

    # 09:20: phase 2 cannot start before phase 1's go/no-go holds
    clock.set(0, 9, 20)
    backend = _items(svc, rid, lines=range(642, 643))[0]
    with pytest.raises(ActionError, match="phase gate not met: 'Phase 1 Go/No-Go"):
        svc.item_action(rid, backend.id, "start", actor="tara")
    _do(svc, rid, _items(svc, rid, lines=range(602, 633)))
    svc.item_action(rid, backend.id, "start", actor="tara")
    svc.item_action(rid, backend.id, "done", actor="tara")

    # a gate fails after the GO: the GO goes stale and the sign-off no longer counts
    clock.set(0, 10, 0)
    authorization = next(i for i in svc.load(rid)[1].runbook.all_items() if i.line == 514)
    svc.item_action(rid, authorization.id, "fail", actor="eve", reason="authorization email bounced")
    decision = svc.decide(rid, actor="alice")
    assert decision.recorded == "stale: a gate failed after the GO"
    assert "gate failed: Launch authorization (line 514 of 004_0770cc43126af0bc.txt)" in decision.reasons
    assert any("sign-off missing: Executive Team" in r and "invalidated" in r for r in decision.reasons)
    with pytest.raises(ActionError, match="only a person with the approver role may waive"):
        svc.waive(rid, authorization.id, actor="eve", reason="re-sent")
    with pytest.raises(ActionError, match="is not a gate"):
        svc.waive(rid, backend.id, actor="alice", reason="x")
    svc.waive(rid, authorization.id, actor="alice", reason="authorization re-sent by phone; email fixed")
    with pytest.raises(ActionError, match="decision is already recorded"):
        svc.signoff(rid, "Executive Team", actor="eve")
    status = svc.status(rid)
    assert [w.target for w in status.state.waivers.values()] == [authorization.id]

    # Day +2: the performance work of Day +2 is due; launch-day work left undone is overdue
    clock.set(2, 10)
    status = svc.status(rid)
    assert {842, 843} <= _lines(status.due_now)
    assert 653 in _lines(status.overdue)  # Frontend application deployed (10:00-11:30 on T-0)
    assert 861 not in _lines(status.due_now)  # Day +4-5 is still ahead

    # Day +8: the post-launch week is over; what nobody did is overdue
    clock.set(8, 12)
    status = svc.status(rid)
    assert {861, 867} <= _lines(status.overdue)
    assert not status.due_now
    report = svc.audit(rid)
    assert report.ok and report.events == status.state.seq


def test_upgrade_keeps_unchanged_items_and_invalidates_signoffs(tmp_path: Path) -> None:
    runbook = tmp_path / "rb.md"
    runbook.write_text(
        "# Go-live\n\n## T-1 Week: Prep\n\n- [ ] Backup production database\n- [ ] Notify the team\n\n"
        "## Sign-Off\n\n| Role | Name | Signature |\n|---|---|---|\n| QA Lead | | |\n",
        encoding="utf-8",
    )
    store = EventStore.open(str(tmp_path / "g.db"))
    clock = Clock(LAUNCH - timedelta(days=7))
    svc = ReleaseService(store, Config(people={"approver": ["alice"], "QA Lead": ["quinn"]}), clock=clock)
    rid = svc.start(
        runbook, service="shop", version="1", env="prod", launch=LAUNCH, tz="Europe/London", actor="rm"
    )
    _, state = svc.load(rid)
    backup, notify = [i.id for i in state.runbook.all_items()]
    svc.item_action(rid, backup, "done", actor="dana")
    svc.item_action(rid, notify, "done", actor="dana")
    svc.signoff(rid, "QA Lead", actor="quinn")
    assert svc.decide(rid, actor="alice").go
    runbook.write_text(
        runbook.read_text(encoding="utf-8").replace(
            "- [ ] Notify the team\n", "- [ ] Notify the whole team\n- [ ] Freeze the code\n"
        ),
        encoding="utf-8",
    )
    diff = svc.diff(rid, runbook)
    assert (
        diff["added"] == ["t-1-week-prep/freeze-the-code"]
        and diff["reworded"] == [notify]
        and not diff["removed"]
    )
    svc.upgrade(rid, runbook, actor="rm")
    _, state = svc.load(rid)
    assert state.revision == 1 and state.items[backup].status.value == "done"
    decision = svc.decide(rid, actor="alice")
    assert not decision.go
    assert any("QA Lead" in r and "invalidated" in r for r in decision.reasons)
    assert svc.store.verify(rid).ok
    store.close()
