"""Reading a runbook for meaning, on shapes the seeds do not have: go/no-go decision
blocks, attendees and approver columns, `**Role**: confirmation` sign-offs, contact
tables and placeholders that are no roles, role descriptions and communication
tasks that are no gates, hold points inside a flag rollout; and
`golive show --explain LINE` on a gate, a sign-off and a phase.

The fixture (tests/data/meaning/launch.md) was written for these tests; it is not
a corpus document.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from golive.clock import ManualClock
from golive.rollout.controller import Controller
from golive.rollout.plan import resolve_guard
from golive.rollout.spec import RolloutGuard
from golive.runbook.loader import load_runbook
from golive.runbook.model import Item, Runbook
from tests.rollout_fixtures import Target

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_MD = ROOT / "tests" / "data" / "meaning" / "launch.md"


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook(LAUNCH_MD)


def _item(runbook: Runbook, line: int) -> Item:
    return next(i for i in runbook.all_items() if i.line == line)


def test_go_criteria_are_gates_of_the_decision_not_rollback_criteria(runbook: Runbook) -> None:
    for line in (10, 11, 12):
        item = _item(runbook, line)
        assert item.context == "normal"
        assert item.gate is not None and item.gate.kind == "hard"
    assert [c.line for c in runbook.rollback_criteria] == [33, 34]


def test_a_bold_lead_in_alone_opens_a_decision_block(runbook: Runbook) -> None:
    items = [i for i in runbook.all_items() if i.text.startswith(("Monitoring live", "Support team"))]
    assert len(items) == 2
    for item in items:
        assert item.gate is not None and item.gate.kind == "hard"
        assert item.gate.rule.startswith("decision:"), item.gate.rule


def test_attendees_and_approver_column_are_sign_off_roles(runbook: Runbook) -> None:
    by_role = {s.role: s for s in runbook.sign_offs}
    for role in ("VP Engineering", "SRE Lead", "QA Lead"):
        assert by_role[role].source == "attendees" and by_role[role].line == 7
    assert by_role["Finance Lead"].source == "table" and by_role["Finance Lead"].line == 21


def test_role_items_under_a_sign_off_heading_are_sign_offs(runbook: Runbook) -> None:
    by_role = {s.role: s for s in runbook.sign_offs}
    for role, line in (("Product Owner", 59), ("Legal", 60), ("Security Lead", 61)):
        assert by_role[role].source == "item" and by_role[role].line == line
        gate = _item(runbook, line).gate
        assert gate is not None and gate.kind == "signoff"


def test_roles_are_never_headers_placeholders_or_errands(runbook: Runbook) -> None:
    names = {r.name for r in runbook.roles}
    assert {"Launch Commander", "Scribe", "Engineering Manager", "On-call engineer"} <= names
    assert not names & {"Name", "Phone", "Slack", "Hours"}
    assert not any("[" in n or "Contact" in n or "Draft" in n for n in names), names
    dana = next(c for c in runbook.contacts if c.name == "Dana Smith")
    assert dana.role == ""  # a Name/Phone/Slack/Hours table names people, not roles
    level = next(e for e in runbook.escalation if e.level == 2)
    assert level.who == ["Engineering Manager"]


def test_role_descriptions_and_comms_tasks_are_not_gates(runbook: Runbook) -> None:
    assert _item(runbook, 38).gate is None  # "Launch Commander: makes go/no-go decisions"
    assert _item(runbook, 43).gate is None  # "Draft sent to VP for approval"
    assert not any(s.line == 43 for s in runbook.sign_offs)


def test_hold_points_are_promotion_gates_of_their_step(runbook: Runbook) -> None:
    [plan] = runbook.rollout
    assert [s.weight for s in plan.steps] == [10, 50, 100]
    assert [(s.hold, s.hold_line) for s in plan.steps] == [(True, 26), (True, 28), (False, None)]
    assert [s.bake for s in plan.steps[:2]] == [timedelta(hours=4), timedelta(hours=20)]
    assert _item(runbook, 26).gate is None and _item(runbook, 28).gate is None


def test_the_rules_are_overridable(tmp_path: Path) -> None:
    text = LAUNCH_MD.read_text(encoding="utf-8").replace(
        "# Checkout v2 Launch Runbook\n",
        "<!-- golive: {gate_rules: {hold_point_patterns: [], attendee_fields: []}} -->\n"
        "# Checkout v2 Launch Runbook\n",
    )
    path = tmp_path / "launch.md"
    path.write_text(text, encoding="utf-8")
    rb = load_runbook(path)
    [plan] = rb.rollout
    assert not any(s.hold for s in plan.steps)
    hold = next(i for i in rb.all_items() if i.text.startswith("T+4h: HOLD POINT"))
    assert hold.gate is not None and hold.gate.kind == "hard"  # back to the item rule
    assert not any(s.source == "attendees" for s in rb.sign_offs)


def _guard(base: str, *, hold: bool = False) -> RolloutGuard:
    return RolloutGuard.model_validate(
        {
            "interval": "1m",
            "components": [
                {
                    "name": "web",
                    "steps": [
                        {"weight": 10, "bake": "1h", "hold": hold},
                        {"weight": 50, "bake": "1h"},
                        {"weight": 100},
                    ],
                    "set_weight": {
                        "kind": "webhook",
                        "url": f"{base}/weight",
                        "json": {"weight": "{weight}"},
                    },
                }
            ],
        }
    )


def test_the_guard_holds_at_the_runbook_hold_points(runbook: Runbook) -> None:
    resolved = resolve_guard(_guard("http://127.0.0.1:9"), runbook)
    assert [s.hold for s in resolved.components[0].steps] == [True, True, False]
    off = _guard("http://127.0.0.1:9").model_copy(update={"hold_points": False})
    assert [s.hold for s in resolve_guard(off, runbook).components[0].steps] == [False, False, False]


def test_a_held_step_waits_for_a_promote_after_its_bake(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    assert isinstance(t, Target) and isinstance(clock, ManualClock)
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, hold=True))

    async def run(minutes: int) -> None:
        for _ in range(minutes):
            await controller.tick()
            clock.advance(timedelta(minutes=1))

    asyncio.run(run(180))  # three times the bake: a hold point never promotes by itself
    assert [b["weight"] for p, b in t.calls if p == "/weight"] == [10]
    controller.promote("web")
    asyncio.run(run(5))
    assert [b["weight"] for p, b in t.calls if p == "/weight"] == [10, 50]


def _golive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_explain_a_gate() -> None:
    done = _golive("show", str(LAUNCH_MD), "--explain", "10", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == "item" and data["line"] == 10
    [gate] = [r for r in data["readings"] if r["what"] == "gate"]
    assert "hard gate" in gate["reading"] and "section_patterns" in gate["rule"]
    assert "gate: false" in gate["override"]


def test_explain_a_sign_off() -> None:
    done = _golive("show", str(LAUNCH_MD), "--explain", "launch.md:59")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "sign-off: Product Owner must approve the release's GO" in text
    assert "signoff_section_patterns" in text and "override:" in text


def test_explain_a_phase() -> None:
    done = _golive("show", str(LAUNCH_MD), "--explain", "63", "--json")
    assert done.returncode == 0, done.stderr
    [phase] = [r for r in json.loads(done.stdout)["readings"] if r["what"] == "phase"]
    assert phase["reading"] == "T+2h → T+2d"
    assert phase["rule"].startswith("schedule rule t-range")
    assert "phase:" in phase["override"]


@pytest.mark.parametrize("where", ["8", "999", "abc", "0", "other.md:3"])
def test_explain_bad_lines_are_one_line_errors(where: str) -> None:
    done = _golive("show", str(LAUNCH_MD), "--explain", where)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
