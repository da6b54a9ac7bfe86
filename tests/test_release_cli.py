"""Releases through the real CLI: ids, status and decisions as JSON, exit codes,
one-line errors that write nothing, the audit command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RUNBOOK = """\
# Checkout go-live

## T-1 Week: Prepare
**Owner**: DevOps Lead

- [ ] Backup production database
- [ ] Notify the team

## Release Gates

- [ ] Load test passed

## T-0: Launch

1. **Deploy**
   ```bash
   ./deploy.sh {version}
   ```

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |

## Don'ts

❌ Deploy on Fridays
"""


def golive(
    tmp: Path,
    *args: str,
    now: str | None = "2026-11-24 10:00 Europe/London",
    cwd: Path | None = None,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """The real CLI on ``tmp``'s database, every command on one clock (``now``: GOLIVE_NOW;
    None for the real clock); ``extra`` adds environment variables (GOLIVE_CONFIG=...)."""
    env = {
        **os.environ,
        "GOLIVE_DATABASE_URL": str(tmp / "golive.db"),
        "GOLIVE_HOME": str(tmp),
        **extra,
    }
    env.pop("GOLIVE_ACTOR", None)
    env.pop("GOLIVE_NOW", None)
    if now is not None:
        env["GOLIVE_NOW"] = now
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
        check=False,
    )


def start_release(
    tmp: Path,
    runbook: Path,
    *extra: str,
    version: str = "2.1.0",
    launch: str = "2026-12-01 09:00 Europe/London",
) -> subprocess.CompletedProcess[str]:
    """``golive release start`` of ``runbook`` for checkout in production, as rm."""
    return golive(
        tmp,
        "release",
        "start",
        str(runbook),
        "--service",
        "checkout",
        "--version",
        version,
        "--env",
        "production",
        "--launch",
        launch,
        "--as",
        "rm",
        *extra,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def events_in(tmp: Path) -> int:
    with sqlite3.connect(tmp / "golive.db") as conn:
        return int(conn.execute("select count(*) from events").fetchone()[0])


def test_release_lifecycle_through_the_cli(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    start = start_release(tmp_path, runbook, "--json")
    assert start.returncode == 0, start.stderr
    rid = json.loads(start.stdout)["id"]
    assert rid.startswith("checkout-")

    for role, person in (("approver", "alice"), ("QA Lead", "quinn"), ("DevOps Lead", "dana")):
        assert golive(tmp_path, "release", "assign", rid, role, person, "--as", "rm").returncode == 0

    status = json.loads(golive(tmp_path, "status", rid, "--json").stdout)
    assert status["release"] == rid and status["decision"]["decision"] == "NO-GO"
    assert [p["title"] for p in status["phases"]] == ["T-1 Week: Prepare", "T-0: Launch"]
    assert {d["text"] for d in status["due_now"]} == {"Backup production database", "Notify the team"}
    assert status["next_gate"]["text"] == "Load test passed"

    # errors: one line, exit 2, nothing written
    before = events_in(tmp_path)
    bad = golive(tmp_path, "release", "item", "done", rid, "no/such-item", "--as", "dana")
    assert bad.returncode == 2 and "no item 'no/such-item'" in one_line(bad)
    bad = golive(tmp_path, "release", "item", "done", rid, "t-1-week-prepare/notify-the-team", "--as", "eve")
    assert bad.returncode == 2 and "eve does not hold DevOps Lead" in one_line(bad)
    bad = golive(tmp_path, "release", "signoff", rid, "--role", "QA Lead", "--as", "dana")
    assert bad.returncode == 2 and "dana does not hold QA Lead" in one_line(bad)
    bad = golive(tmp_path, "decide", "no-such-release")
    assert bad.returncode == 2 and "no release 'no-such-release'" in one_line(bad)
    bad = golive(tmp_path, "decide", rid, "--record", "--go", "--as", "alice")
    assert bad.returncode == 2 and "cannot record GO: gate not done: Load test passed" in one_line(bad)
    bad = golive(tmp_path, "release", "item", "skip", rid, "t-1-week-prepare/notify-the-team", "--as", "dana")
    assert bad.returncode == 2 and "--reason: skip needs a reason" in one_line(bad)
    assert events_in(tmp_path) == before

    for item in ("t-1-week-prepare/backup-production-database", "release-gates/load-test-passed"):
        assert golive(tmp_path, "release", "item", "done", rid, item, "--as", "dana").returncode == 0
    skipped = golive(
        tmp_path,
        "release",
        "item",
        "skip",
        rid,
        "t-1-week-prepare/notify-the-team",
        "--reason",
        "done by email",
        "--as",
        "dana",
    )
    assert skipped.returncode == 0
    assert golive(tmp_path, "release", "signoff", rid, "--role", "QA Lead", "--as", "quinn").returncode == 0
    twice = golive(tmp_path, "release", "signoff", rid, "--role", "QA Lead", "--as", "quinn")
    assert twice.returncode == 2 and "already signed off" in one_line(twice)

    decision = golive(tmp_path, "decide", rid, "--json")
    assert decision.returncode == 0, decision.stdout
    assert json.loads(decision.stdout) == {
        "decision": "GO",
        "reasons": [],
        "signoffs": {"QA Lead": {"have": 1, "need": 1}},
        "recorded": None,
    }
    recorded = golive(tmp_path, "decide", rid, "--record", "--go", "--as", "alice")
    assert recorded.returncode == 0 and "recorded decision: current" in recorded.stdout

    # a launch on a Friday violates the runbook's own don't
    friday = start_release(tmp_path, runbook, version="2.1.1", launch="2026-12-04 09:00 Europe/London")
    fid = friday.stdout.strip()
    result = golive(tmp_path, "decide", fid, "--json")
    assert result.returncode == 1
    assert any(
        "is a Friday (the runbook says don't deploy on Fridays)" in r
        for r in json.loads(result.stdout)["reasons"]
    )

    audit = golive(tmp_path, "audit", "verify", rid)
    assert audit.returncode == 0 and "chain intact" in audit.stdout
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        conn.execute("update events set actor = 'mallory' where release_id = ? and seq = 3", (rid,))
    audit = golive(tmp_path, "audit", "verify", rid)
    assert audit.returncode == 1 and "event 3 was edited" in audit.stdout


def test_release_upgrade_shows_the_diff(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    rid = start_release(tmp_path, runbook).stdout.strip()
    runbook.write_text(
        RUNBOOK.replace("- [ ] Notify the team\n", "- [ ] Notify the team\n- [ ] Freeze the code\n")
    )
    dry = golive(tmp_path, "release", "upgrade", rid, str(runbook), "--dry-run", "--json", "--as", "rm")
    assert json.loads(dry.stdout)["added"] == ["t-1-week-prepare/freeze-the-code"]
    assert events_in(tmp_path) == 1
    applied = golive(tmp_path, "release", "upgrade", rid, str(runbook), "--as", "rm")
    assert applied.returncode == 0 and "+ t-1-week-prepare/freeze-the-code" in applied.stdout
    assert events_in(tmp_path) == 2


def test_a_release_the_store_cannot_hold_writes_nothing_not_even_its_snapshot(tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    assert start_release(tmp_path, runbook, version="1.0").returncode == 0  # the database exists
    other = tmp_path / "other.md"  # another runbook: its snapshot would be a new row
    other.write_text(RUNBOOK.replace("Notify the team", "Notify the whole team"), encoding="utf-8")
    refused = start_release(tmp_path, other, version="v" * 201)
    assert refused.returncode == 2 and "version is too long" in one_line(refused)
    with sqlite3.connect(tmp_path / "golive.db") as conn:
        counts = [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("releases", "snapshots")]
    assert counts == [1, 1]  # the first release and its snapshot only
    assert events_in(tmp_path) == 1
