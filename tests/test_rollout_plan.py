"""The seeds' rollback criteria become triggers, each with its reading and its
worst-case detection time."""

from __future__ import annotations

import json
from datetime import timedelta

from golive.rollout.plan import compile_triggers
from golive.runbook.loader import load_runbook
from tests.conftest import run_golive, seed_path


def test_seed_004_criteria_become_triggers() -> None:
    plan = compile_triggers(load_runbook(seed_path("004")), interval=timedelta(seconds=30))
    by_line = {t.line: t for t in plan.triggers}
    error = by_line[880]  # Error rate > 1% for > 10 minutes
    assert error.metric == "error_rate" and error.breach == "value > 0.01"
    assert error.rule.for_duration == timedelta(minutes=10) and error.reaction == "rollback"
    assert error.worst_case == timedelta(minutes=15, seconds=30)  # for + interval + 5m query window
    assert by_line[879].breach == "value < 1" and by_line[879].query == "min(up)"  # downtime > 5 minutes
    assert by_line[881].breach == "value > 0.02" and by_line[881].rule.for_duration == timedelta(0)
    assert [c.line for c, _ in plan.not_compiled] == [882, 883]


def test_seed_002_baseline_and_sustained() -> None:
    plan = compile_triggers(load_runbook(seed_path("002")))
    by_line = {t.line: t for t in plan.triggers}
    assert by_line[199].breach == "ratio > 5" and by_line[199].baseline_offset == timedelta(days=1)
    assert by_line[201].rule.for_duration == timedelta(minutes=5)  # "sustained"
    assert by_line[191].rule.for_duration == timedelta(minutes=5)  # health checks failing for > 5 minutes
    assert sorted(by_line) == [191, 192, 199, 201, 202]


def test_rollout_plan_command() -> None:
    result = run_golive("rollout", "plan", str(seed_path("004")), "--interval", "1s", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    error = next(t for t in data["triggers"] if t["line"] == 880)
    assert error["worst_case_detection"] == "15m1s"  # 10m + 1s interval + 5m rate window
    assert error["for"] == "10m" and error["interval"] == "1s"
    bad = run_golive("rollout", "plan", str(seed_path("004")), "--interval", "soon")
    assert bad.returncode == 2 and "--interval" in bad.stderr
