"""One clock for every command: ``GOLIVE_NOW`` reaches every command that reads
time, a command never mixes it with the system clock, and nothing in the CLI reads
the system time another way.

The scenario runs under a date far from today (2031), so every assertion below
fails if any command falls back to the real clock."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from golive.clock import OffsetClock, ScaledClock, SystemClock, compressed, from_environment
from golive.errors import InputError
from tests.conftest import ROOT, seed_path
from tests.test_release_cli import golive as release_cli

NOW = "2031-03-04 10:00 UTC"  # a Tuesday, years from any date this suite runs on
START = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
NEAR = timedelta(minutes=10)  # a command's own run time, under load

RUNBOOK = """\
# Payments go-live

## T-1 Day: Prepare
**Owner**: DevOps Lead

- [ ] Backup production database
- [ ] Certificate is fresh

## Release Gates

- [ ] Load test passed

## T-0: Launch

- [ ] Roll out the new payments build

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |
"""


def golive(
    tmp: Path, *args: str, now: str | None = NOW, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return release_cli(tmp, *args, now=now, cwd=cwd)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def near_start(text: str) -> bool:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return START <= moment <= START + NEAR


# -- the clock itself --------------------------------------------------------------------------


def test_golive_now_sets_where_a_running_clock_starts() -> None:
    clock = from_environment({"GOLIVE_NOW": NOW})
    assert isinstance(clock, OffsetClock)
    first = clock.now()
    assert START <= first < START + timedelta(seconds=5)
    assert clock.now() >= first  # it runs: a long command still moves forward
    assert isinstance(from_environment({}), SystemClock)
    assert isinstance(from_environment({"GOLIVE_NOW": "  "}), SystemClock)


def test_a_malformed_golive_now_is_bad_input_naming_the_variable() -> None:
    with pytest.raises(InputError) as caught:
        from_environment({"GOLIVE_NOW": "next tuesday"})
    assert caught.value.location == "GOLIVE_NOW"


def test_a_compressed_clock_starts_from_the_commands_clock_or_the_log() -> None:
    base = OffsetClock(START)
    assert compressed(base, 1) is base
    fast = compressed(base, 3600)
    assert isinstance(fast, ScaledClock) and START <= fast.now() < START + timedelta(hours=2)
    later = START + timedelta(days=3)  # the last recorded event is ahead: continue from it
    assert compressed(base, 3600, later).now() >= later
    earlier = START - timedelta(days=3)  # behind: the command's present wins, time never goes back
    assert compressed(base, 3600, earlier).now() >= START


def test_a_malformed_golive_now_is_a_one_line_exit_2(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    done = golive(tmp_path, "status", "--db", str(tmp_path / "golive.db"), now="soon")
    assert done.returncode == 2
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "GOLIVE_NOW" in lines[0] and "Traceback" not in done.stderr


# -- every command that reads time ------------------------------------------------------------


def test_golive_now_reaches_every_release_and_rollout_command(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    guard = tmp_path / "guard.yaml"
    guard.write_text(
        yaml.safe_dump(
            {
                "rollout_guard": {
                    "interval": "10s",
                    "components": [
                        {
                            "name": "web",
                            "steps": [{"weight": 10, "bake": "1h"}, {"weight": 100}],
                            "set_weight": {"kind": "command", "argv": ["true"]},
                            "rollback": {"kind": "command", "argv": ["true"]},
                        }
                    ],
                    "triggers": [],
                }
            }
        ),
        encoding="utf-8",
    )
    started = golive(
        tmp_path, "release", "start", str(runbook), "--service", "payments", "--version", "1.0.0",
        "--env", "production", "--launch", "2031-03-05 09:00 UTC", "--as", "rm", "--json",
    )  # fmt: skip
    rid = str(json.loads(ok(started))["id"])
    assert "-20310304-" in rid  # the release id carries the command's date
    ok(golive(tmp_path, "release", "assign", rid, "approver", "ana", "--as", "rm"))
    ok(golive(tmp_path, "release", "assign", rid, "QA Lead", "quinn", "--as", "rm"))
    shown = json.loads(ok(golive(tmp_path, "show", str(runbook), "--json")))
    item, fresh = (i["id"] for i in shown["sections"][0]["sections"][0]["items"])
    ok(golive(tmp_path, "release", "item", "done", rid, item, "--as", "rm"))
    ok(golive(tmp_path, "release", "signoff", rid, "--role", "QA Lead", "--as", "quinn"))

    status = json.loads(ok(golive(tmp_path, "status", rid, "--json")))
    assert near_start(status["now"])
    # T-1 Day runs from 2031-03-04 09:00: due now on the command's clock (on today's date it is not)
    assert fresh in {d["item"] for d in status["due_now"]}, status["due_now"]

    decided = golive(tmp_path, "decide", rid, "--record", "--as", "ana", "--json")
    assert decided.returncode in (0, 1), decided.stderr
    ok(
        golive(
            tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm", "--without-go", "drill"
        )
    )
    ok(golive(tmp_path, "rollout", "pause", rid, "--reason", "look first", "--as", "quinn"))
    ok(golive(tmp_path, "rollout", "resume", rid, "--reason", "looked", "--as", "rm"))
    ok(golive(tmp_path, "rollout", "promote", rid, "--reason", "skip the bake", "--as", "rm"))
    ok(golive(tmp_path, "rollout", "stop", rid, "--reason", "S1", "--as", "quinn"))

    with sqlite3.connect(tmp_path / "golive.db") as conn:
        created = conn.execute("select created_at from releases").fetchone()[0]
        events = conn.execute("select seq, type, at from events order by seq").fetchall()
        snapshot_made = conn.execute("select created_at from snapshots").fetchone()[0]
    assert near_start(str(created)), created
    assert near_start(str(snapshot_made)), snapshot_made
    types = {t for _, t, _ in events}
    assert {"release.started", "role.assigned", "item.done", "signoff.given", "decision.recorded"} <= types
    assert {"rollout.started", "rollout.paused", "rollout.resumed", "rollout.promoted"} <= types
    late = [(seq, t, at) for seq, t, at in events if not near_start(str(at))]
    assert not late, f"events not on the command's clock: {late}"

    # a compressed rollout run continues the same timeline (from the last event), never from today
    run = golive(tmp_path, "rollout", "run", rid, "--speed", "600")
    assert run.returncode in (0, 1), run.stdout + run.stderr
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        last = conn.execute("select max(at) from events").fetchone()[0]
    assert START <= datetime.fromisoformat(str(last)).replace(tzinfo=UTC) < START + timedelta(days=2)


def test_the_recorded_go_is_judged_on_the_same_clock_that_recorded_it(tmp_path: Path) -> None:
    """The bug of 2026-12-02: decide recorded the GO under GOLIVE_NOW, rollout start judged
    its age on the system clock. Under one clock a fresh GO is current, whatever today is."""
    runbook = tmp_path / "runbook.md"
    runbook.write_text("# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n", encoding="utf-8")
    guard = tmp_path / "guard.yaml"
    guard.write_text(
        yaml.safe_dump(
            {
                "rollout_guard": {
                    "components": [
                        {
                            "name": "web",
                            "steps": [{"weight": 100}],
                            "set_weight": {"kind": "command", "argv": ["true"]},
                        }
                    ]
                }
            }
        ),
        encoding="utf-8",
    )
    started = golive(
        tmp_path, "release", "start", str(runbook), "--service", "web", "--version", "2",
        "--env", "prod", "--launch", "2031-03-05 09:00 UTC", "--as", "rm",
    )  # fmt: skip
    rid = ok(started).strip()
    ok(golive(tmp_path, "release", "assign", rid, "approver", "ana", "--as", "rm"))
    ok(golive(tmp_path, "decide", rid, "--record", "--go", "--as", "ana"))
    ok(golive(tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm"))
    # two days later on the same clock, the same GO is stale (go_max_age is a day)
    later = golive(
        tmp_path, "rollout", "start", rid, "--guard", str(guard), "--as", "rm", now="2031-03-06 11:00 UTC"
    )
    assert later.returncode != 0


def test_golive_now_reaches_check_and_rehearse(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    stamp = tmp_path / "backup.done"
    stamp.write_text("ok", encoding="utf-8")
    runbook.write_text(
        "# Backups\n\n## T-1 Day: Prepare\n\n- [ ] Backup taken\n"
        "  <!-- golive: {checks: [{kind: file, path: backup.done}]} -->\n",
        encoding="utf-8",
    )
    checked = json.loads(ok(golive(tmp_path, "check", str(runbook), "--json")))
    (result,) = checked["results"]
    assert result["status"] == "passed" and near_start(result["started_at"]), result
    # the file's age is judged as of the command's time (2031), not of today
    written = datetime.fromtimestamp(stamp.stat().st_mtime, UTC)
    assert abs(result["observed"]["age"] - (START - written).total_seconds()) < NEAR.total_seconds()

    work = tmp_path / "rehearse"
    work.mkdir()
    overlay = ROOT / "tests" / "data" / "rehearse" / "000_gate_check.yaml"
    done = golive(
        tmp_path, "rehearse", str(seed_path("000")), "--overlay", str(overlay),
        "--fault", "stable:health=down", "--json", cwd=work,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["launch"].startswith("2031-03-05T09:00")  # "tomorrow 09:00" of the command's clock
    assert "-20310304T10" in Path(data["db"]).parent.name, data["db"]  # the output folder's stamp


# -- nothing in a command reads the system time another way -----------------------------------

_SYSTEM_TIME = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


def _reads_system_time(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defaults = {  # ``clock or SystemClock()``: a library default for a caller that gives no clock
        id(value) for node in ast.walk(tree) if isinstance(node, ast.BoolOp) for value in node.values[1:]
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in defaults:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (name, node.func.attr) in _SYSTEM_TIME:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SystemClock":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_command_reads_the_system_time_but_through_its_clock() -> None:
    """The CLI, the release service, the store, the rollout controller and the
    report take their time from the clock they are given; only golive/clock.py
    reads the system time (and library defaults for callers that give no clock)."""
    places = [
        *sorted((ROOT / "golive" / "cli").glob("*.py")),
        *sorted((ROOT / "golive" / "store").glob("*.py")),
        *sorted((ROOT / "golive" / "rollout").glob("*.py")),
        *sorted((ROOT / "golive" / "report").rglob("*.py")),
        ROOT / "golive" / "demo.py",
    ]
    found = [hit for path in places for hit in _reads_system_time(path)]
    assert not found, f"reads the system time directly: {found}"
