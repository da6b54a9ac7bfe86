"""``golive rollout start`` / ``rollout run`` as a user runs them (real
subprocesses, a real SQLite file, the HTTP stand-in of ``tests/rollout_fixtures.py``
on 127.0.0.1): a healthy rollout completes with exit 0; a metric source that goes
down pauses the rollout, and ``rollout run`` then ends with exit 1 instead of
waiting; ``rollout start`` prints the rollback procedure it resolved."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from tests.test_release_cli import golive, one_line, start_release

RUNBOOK = """# Checkout go-live

## T-0: Launch

- [ ] Roll out the new checkout

## Rollback Procedure

1. Restore the previous build
"""


def _guard(base: str) -> dict[str, Any]:
    return {
        "interval": "10s",
        "components": [
            {
                "name": "web",
                "steps": [{"weight": 10, "bake": "2m"}, {"weight": 50, "bake": "2m"}, {"weight": 100}],
                "set_weight": {"kind": "webhook", "url": f"{base}/weight", "json": {"weight": "{weight}"}},
                "rollback": {"kind": "webhook", "url": f"{base}/rollback"},
            }
        ],
        "triggers": [
            {
                "name": "error-rate",
                "text": "Error rate > 5%",
                "source": "http_json",
                "url": f"{base}/metrics.json",
                "path": "error_rate",
                "breach": "value > 0.05",
                "for": "1m",
                "max_errors": 2,
            }
        ],
        "rollback_procedure": [
            {
                "text": "Restore the previous build",
                "line": 9,
                "action": {"kind": "webhook", "url": f"{base}/restore"},
            }
        ],
    }


def _started(tmp_path: Path, base: str, *, go: bool = False) -> str:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    start = start_release(tmp_path, runbook, "--json")
    assert start.returncode == 0, start.stderr
    rid = str(json.loads(start.stdout)["id"])
    guard = tmp_path / "guard.yaml"
    guard.write_text(yaml.safe_dump({"rollout_guard": _guard(base)}), encoding="utf-8")
    refused = golive(tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "mallory")
    assert refused.returncode == 2 and "mallory may not start the rollout" in one_line(refused)
    no_go = golive(tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm")
    assert no_go.returncode == 2 and "no GO/NO-GO decision is recorded" in one_line(no_go)
    if go:
        assert golive(tmp_path, "release", "assign", rid, "approver", "ana", "--as", "rm").returncode == 0
        decided = golive(tmp_path, "decide", rid, "--record", "--go", "--as", "ana")
        assert decided.returncode == 0, decided.stdout + decided.stderr
        started = golive(tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm")
    else:
        started = golive(
            tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm", "--without-go", "a drill"
        )
    assert started.returncode == 0, started.stderr
    assert "rollback procedure step 1 (line 9): Restore the previous build" in started.stdout
    assert "worst-case detection" in started.stdout
    # the built-in health guard found the actuator target's health endpoint, and says so
    watched = f"health guard watches {base}/health (the actuator target of web)"
    assert watched in started.stdout, started.stdout
    return rid


def test_rollout_run_completes_a_healthy_rollout(tmp_path: Path, target: Any) -> None:
    t, base = target
    rid = _started(tmp_path, base, go=True)
    run = golive(tmp_path, "rollout", "run", rid, "--speed", "120")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "rollout completed"
    assert [body["weight"] for path, body in t.calls if path == "/weight"] == [10, 50, 100]
    done = [line for line in run.stdout.splitlines() if "rollout.step.done" in line]
    assert len(done) == 3 and "weight=100" in done[-1]


def test_rollout_run_exits_1_when_the_rollout_pauses(tmp_path: Path, target: Any) -> None:
    t, base = target
    rid = _started(tmp_path, base)

    def outage() -> None:
        deadline = time.monotonic() + 60
        while not any(path == "/weight" for path, _ in t.calls) and time.monotonic() < deadline:
            time.sleep(0.01)
        t.down = True  # the metric source goes down after the first step

    watcher = threading.Thread(target=outage, daemon=True)
    watcher.start()
    run = golive(tmp_path, "rollout", "run", rid, "--speed", "120")
    watcher.join(5)
    assert run.returncode == 1, run.stdout + run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("rollout paused: cannot measure error-rate"), last
    assert [body["weight"] for path, body in t.calls if path == "/weight"] == [10]  # never promoted
    assert "rollout.alert" in run.stdout
    status = golive(tmp_path, "audit", "verify", rid)
    assert status.returncode == 0, status.stdout + status.stderr


def test_manual_control_is_authorized_and_recorded(tmp_path: Path, target: Any) -> None:
    t, base = target
    rid = _started(tmp_path, base)
    assign = golive(tmp_path, "release", "assign", rid, "approver", "ana", "--as", "rm")
    assert assign.returncode == 0, assign.stderr
    stranger = golive(tmp_path, "rollout", "stop", rid, "--reason", "S1", "--as", "mallory")
    assert stranger.returncode == 2 and "mallory holds no role" in one_line(stranger)
    stop = golive(tmp_path, "rollout", "stop", rid, "--reason", "S1: total order failure", "--as", "ana")
    assert stop.returncode == 0 and "stop by ana: paused" in stop.stdout, stop.stdout + stop.stderr
    abort = golive(tmp_path, "rollout", "abort", rid, "--reason", "S1 confirmed", "--as", "ana")
    assert abort.returncode == 0 and "rolled_back" in abort.stdout, abort.stdout + abort.stderr
    assert [path for path, _ in t.calls].count("/rollback") == 1
    again = golive(tmp_path, "rollout", "abort", rid, "--reason", "twice", "--as", "rm")
    assert [path for path, _ in t.calls].count("/rollback") == 1, again.stdout  # at most once per release
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        rows = conn.execute(
            "select type, actor from events where type in ('rollout.paused', 'rollout.rollback.intent') "
            "order by seq"
        ).fetchall()
    assert rows == [("rollout.paused", "ana"), ("rollout.rollback.intent", "ana")]
