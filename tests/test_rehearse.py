"""``golive rehearse``: whole releases of the seeds against a real stand-in subprocess,
with a real SQLite event store, on the real rehearsal clock (jumps before T-0 and in
hypercare, compressed real time during the rollout).

- the rehearsal's script and clock, without a stand-in (fast);
- bad input: one line naming the option or file, exit 2, nothing written;
- the runbook's own policy moves the launch (seed 003: no Friday launches);
- a failing hard gate before T-0 aborts without a rollout (seed 000);
- a healthy seed completes with its report; a 6% error rate from 50% rolls back with
  the runbook's own words for the criterion (seed 002);
- the matrix: every seed with a bundled overlay, healthy / the fault its overlay says it
  catches / the fault it says stays under (read from the overlay's ``# catches:`` and
  ``# under:`` comments; the first of each, or all with GOLIVE_REHEARSE_EVERY_FAULT=1).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from golive.config import Config
from golive.rehearse import RehearsalClock, fault_notes, find_overlay, prepare
from golive.rehearse.overlays import OVERLAY_DIR
from golive.release.decide import policy_violations
from golive.release.state import ReleaseState
from golive.store.events import EventStore
from golive.timeparse import parse_launch
from tests.conftest import ROOT, SEED_NAMES, SHARED_SEEDS, seed_path

DATA = ROOT / "tests" / "data" / "rehearse"
LAUNCH = "2026-12-01 09:00 UTC"  # a Tuesday
FAST = 1200  # rehearsal seconds per real second where nothing has to be caught
EVERY_FAULT = os.environ.get("GOLIVE_REHEARSE_EVERY_FAULT") == "1"
"""The matrix takes each overlay's first ``catches`` and first ``under`` fault; with
GOLIVE_REHEARSE_EVERY_FAULT=1, every one of them (about twice as long)."""


def rehearse(tmp: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, in an empty working directory."""
    env = {**os.environ, "GOLIVE_HOME": str(tmp / "home")}
    env.pop("GOLIVE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "golive", "rehearse", *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        env=env,
        timeout=timeout,
        check=False,
    )


def result_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.stdout.strip(), done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def events(db: str, release: str) -> list[Any]:
    store = EventStore.open(db)
    try:
        assert store.verify(release).ok
        return store.events(release)
    finally:
        store.close()


# -- the clock and the script (no stand-in) ----------------------------------------------------


def test_the_clock_jumps_while_frozen_and_runs_compressed() -> None:
    start = parse_launch("2026-11-17 09:00")
    clock = RehearsalClock(start, speed=3600)
    clock.jump_to(start + timedelta(days=3))
    assert clock.now() == start + timedelta(days=3)
    clock.jump_to(start)  # never backwards
    assert clock.now() == start + timedelta(days=3)
    asyncio.run(clock.sleep(600))  # frozen: a sleep is a jump
    assert clock.now() == start + timedelta(days=3, minutes=10)
    clock.run()
    before = clock.now()
    time.sleep(0.05)
    ran = clock.now() - before
    assert timedelta(seconds=150) <= ran <= timedelta(hours=2)  # ~0.05 s x 3600 (more on a busy machine)
    # held: time waits at the hold, then runs on from it (the wait is not rehearsal time)
    held = clock.now() + timedelta(seconds=36)  # 0.01 s at 3600x
    clock.hold(held)
    time.sleep(0.05)
    assert clock.now() == held
    clock.hold(None)
    time.sleep(0.01)
    assert held < clock.now() < held + timedelta(hours=1)
    clock.freeze()
    frozen = clock.now()
    time.sleep(0.02)
    assert clock.now() == frozen
    with pytest.raises(ValueError):
        RehearsalClock(start, speed=0)


def test_the_script_follows_seed_004s_timeline(tmp_path: Path) -> None:
    prepared = prepare(
        seed_path("004"), overlay=DATA / "guard.yaml", launch=parse_launch(LAUNCH), out_dir=tmp_path / "out"
    )
    script = prepared.script
    launch = prepared.launch
    assert script.start == launch - timedelta(days=14)  # Day -14 is the first phase
    kinds = [a.kind for a in script.actions]
    decision = kinds.index("decision")
    assert kinds[decision + 1] == "rollout" and script.actions[decision].at == launch
    # the executive decision is signed on Day -1, after the Day -1 meeting's items
    signoff = next(a for a in script.actions if a.kind == "signoff")
    assert signoff.role == "Executive Team"
    assert launch - timedelta(days=1) <= signoff.at < launch
    # T-0's final confirmation happens before T-0; phase 1's go/no-go before phase 2's work
    at = {a.item.line: a for a in script.actions if a.item is not None}
    assert at[600].at < launch
    assert at[626].key < at[642].key  # "Phase 1 Go/No-Go" before "Backend services deployed"
    # Day +4 to +7 ends the rehearsal (the runbook's last phase after T-0)
    assert script.end == launch + timedelta(days=8)
    assert not list(tmp_path.iterdir())  # prepare writes nothing


def test_a_friday_launch_moves_to_monday_under_seed_003s_no_friday_rule(tmp_path: Path) -> None:
    friday = parse_launch("2026-12-04 09:00 Europe/London")
    prepared = prepare(seed_path("003"), overlay=DATA / "guard.yaml", launch=friday, out_dir=tmp_path / "o")
    assert prepared.launch == parse_launch("2026-12-07 09:00 Europe/London")
    assert prepared.launch_note is not None
    assert "Fri 2026-12-04 09:00 to Mon 2026-12-07 09:00" in prepared.launch_note
    assert "the runbook says don't deploy on Fridays" in prepared.launch_note
    probe = ReleaseState(release_id="x", runbook=prepared.runbook)
    assert policy_violations(probe, Config(), prepared.launch, prepared.tz) == []
    # a runbook without the rule keeps its Friday
    kept = prepare(seed_path("002"), overlay=DATA / "guard.yaml", launch=friday, out_dir=tmp_path / "p")
    assert kept.launch == friday and kept.launch_note is None


def test_seeds_find_their_bundled_overlay_wherever_they_are() -> None:
    for name in SEED_NAMES.values():
        expected = OVERLAY_DIR / name.replace(".txt", ".yaml")
        for folder in (seed_path("000").parent, SHARED_SEEDS):
            found = find_overlay(folder / name)
            assert found == (expected if expected.is_file() else None)
    assert find_overlay(ROOT / "README.md") is None
    notes = fault_notes(DATA / "002_7cbc8d121bf5dabd.yaml")
    assert notes == {"catches": ["error_rate=0.06@50"], "under": ["error_rate=0.03@50"]}


# -- bad input -----------------------------------------------------------------------------------

SEED_002 = str(seed_path("002"))


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["missing.md"], "missing.md: file not found"),
        ([SEED_002, "--fault", "error_rate=2"], "--fault: value: expected a fraction"),
        ([SEED_002, "--fault", "boom=1"], "--fault: kind: expected one of"),
        ([SEED_002, "--speed", "0"], "--speed: expected a number above 0"),
        ([SEED_002, "--speed", "fast"], "Invalid value for '--speed'"),
        ([SEED_002, "--overlay", "nope.yaml"], "nope.yaml: overlay file not found"),
        ([SEED_002, "--launch", "someday"], "--launch: expected a time"),
        ([str(ROOT / "README.md")], "declares no rollout_guard"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str], names: str) -> None:
    done = rehearse(tmp_path, *args, "--json")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("golive: error: "), done.stderr
    assert names in lines[0]
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no rehearsals/, no database


def test_an_out_directory_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    done = rehearse(tmp_path, SEED_002, "--overlay", str(DATA / "guard.yaml"), "--out", str(out))
    assert done.returncode == 2 and "--out" in done.stderr and "not an empty directory" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


# -- whole rehearsals --------------------------------------------------------------------------


def test_a_failing_hard_gate_aborts_before_the_rollout(tmp_path: Path) -> None:
    overlay = DATA / "000_gate_check.yaml"
    done = rehearse(
        tmp_path, str(seed_path("000")), "--overlay", str(overlay), "--fault", "stable:health=down",
        "--launch", LAUNCH,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "aborted: gate failed: Verify Release Gates (Pass/Fail). (line 34): status (503) == 200" in out
    db = next(line.split(None, 1)[1] for line in out.splitlines() if line.strip().startswith("db "))
    release = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("release "))
    assert Path(db).parent.parent == tmp_path / "rehearsals"  # the default output directory
    log = events(db, release)
    assert not [e for e in log if e.type.startswith("rollout.")]  # never started
    assert not [e for e in log if e.type == "decision.recorded"]


def test_a_healthy_seed_completes_with_its_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    overlay = find_overlay(seed_path("002")) or DATA / "002_7cbc8d121bf5dabd.yaml"
    args = ["--overlay", str(overlay), "--out", str(out), "--launch", LAUNCH, "--speed", str(FAST), "--json"]
    done = rehearse(tmp_path, SEED_002, *args)
    result = result_of(done)
    assert done.returncode == 0, result
    assert result["outcome"] == "completed" and result["trigger"] is None
    assert result["decision"] == "GO"
    assert result["steps"] == {"web": [10, 50, 100]} or result["max_weight"] == 100
    assert result["db"] == str(out / "golive.db")
    assert result["report"] is not None
    for path in result["report_files"].values():
        assert Path(path).is_file() and Path(path).stat().st_size > 0
    assert Path(result["report"]).parent == out
    log = events(result["db"], result["release"])
    types = [e.type for e in log]
    assert types.count("signoff.given") == 4  # 002's sign-off table
    assert "rollout.completed" in types and "rollout.rollback.intent" not in types
    # every event on the rehearsal's clock: from the first phase (T-30m) to the end of hypercare
    launch = parse_launch(LAUNCH)
    assert log[0].at == launch - timedelta(minutes=30)
    assert all(a.at <= b.at for a, b in itertools.pairwise(log))
    completed = next(e.at for e in log if e.type == "rollout.completed")
    assert launch < completed < log[-1].at
    # through the runbook's "Within 24 Hours" (its last phase after T-0)
    assert result["durations"]["virtual_seconds"] == timedelta(hours=24, minutes=30).total_seconds()
    assert result["durations"]["real_seconds"] < 60


def test_six_percent_errors_from_50_percent_roll_back_in_the_runbooks_words(tmp_path: Path) -> None:
    overlay = find_overlay(seed_path("002")) or DATA / "002_7cbc8d121bf5dabd.yaml"
    done = rehearse(
        tmp_path, SEED_002, "--overlay", str(overlay), "--fault", "error_rate=0.06@50",
        "--launch", LAUNCH, "--out", str(tmp_path / "run"), "--json",
    )  # fmt: skip
    result = result_of(done)
    assert done.returncode == 1, result
    assert result["outcome"] == "rolled_back"
    assert result["trigger"] == "Error rate > 5% of total requests"
    assert result["max_weight"] == 50 and result["steps"] == {"backend": [10, 50]}  # never 100
    assert result["faults"] == ["canary:error_rate=0.06@50"]
    log = events(result["db"], result["release"])
    assert [e.type for e in log].count("rollout.rollback.done") == 1


# -- the matrix: every bundled overlay, healthy / catches / under --------------------------------


def _matrix() -> list[Any]:
    cases = []
    for key, name in sorted(SEED_NAMES.items(), reverse=True):  # the longest (004) first
        overlay = OVERLAY_DIR / name.replace(".txt", ".yaml")
        if not overlay.is_file():
            continue
        notes = fault_notes(overlay)
        count = None if EVERY_FAULT else 1
        cases.append(pytest.param(key, None, "completed", None, id=f"{key}-healthy"))
        for fault in notes["catches"][:count]:
            cases.append(pytest.param(key, fault, *_caught(overlay, fault), id=f"{key}-catches-{fault}"))
        for fault in notes["under"][:count]:
            cases.append(pytest.param(key, fault, "completed", None, id=f"{key}-under-{fault}"))
    return cases


def _caught(overlay: Path, fault: str) -> tuple[str, str]:
    """What the overlay's ``# catches: FAULT (… "criterion words" …; reaction …)`` line
    promises: the outcome (paused when the reaction is a pause) and the criterion's words."""
    for line in overlay.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# catches: {fault} "):
            words = re.search(r'"([^"]+)"', line)
            assert words is not None, line
            return ("paused" if "reaction pause" in line else "rolled_back"), words.group(1)
    raise AssertionError(f"{overlay.name} names no criterion for {fault}")


def test_every_bundled_seed_overlay_is_in_the_matrix() -> None:
    seeds = {case.values[0] for case in _matrix()}
    assert seeds == {"000", "001", "002", "003", "004"}
    assert all(len([c for c in _matrix() if c.values[0] == s]) == 3 for s in seeds)


@pytest.mark.parametrize(("seed", "fault", "expected", "criterion"), _matrix())
def test_every_seed_rehearses_healthy_caught_and_under(
    tmp_path: Path, seed: str, fault: str | None, expected: str, criterion: str | None
) -> None:
    args = [str(seed_path(seed)), "--launch", LAUNCH, "--out", str(tmp_path / "run"), "--json"]
    if fault is not None:
        args += ["--fault", fault]
    if expected == "completed":
        args += ["--speed", str(FAST)]  # nothing to catch: pace the rollout faster
    done = rehearse(tmp_path, *args)
    result = result_of(done)
    if expected == "completed":
        assert (done.returncode, result["outcome"]) == (0, "completed"), result
        assert result["max_weight"] == 100
    else:
        assert done.returncode == 1, result
        assert result["outcome"] == expected, result
        assert criterion is not None and criterion.lower() in (result["trigger"] or "").lower(), result
        # the staged components stopped before their last step (single-step deploys may be done)
        staged = [name for name, weights in result["plan"].items() if len(weights) > 1]
        assert staged and all(result["steps"][name][-1:] != result["plan"][name][-1:] for name in staged)
    assert result["report"] is not None and Path(result["report"]).is_file()
    report = Path(result["report"]).read_text(encoding="utf-8")
    if expected == "completed":
        assert "- Status: Success" in report, report[:2000]
    else:
        assert "- Status: Success" not in report and result["trigger"] in report, report[:2000]
    if expected == "rolled_back":
        assert "rolled back automatically" in report, report[:2000]


# -- the built-in health guard: a total outage no criterion names ------------------------------


@pytest.mark.parametrize("seed", ["000", "001"])  # their overlays and criteria name no outage
def test_a_total_outage_at_100_percent_is_caught_by_the_health_guard(tmp_path: Path, seed: str) -> None:
    args = [str(seed_path(seed)), "--fault", "health=down@100", "--launch", LAUNCH, "--speed", str(FAST)]
    done = rehearse(tmp_path, *args, "--out", str(tmp_path / "run"), "--json")
    result = result_of(done)
    assert done.returncode == 1, result
    assert result["outcome"] in ("rolled_back", "paused"), result  # paused: with an alert, in hypercare
    trigger = result["trigger"] or ""
    assert trigger.startswith("health guard: no healthy answer from http://127.0.0.1:"), result
    assert trigger.endswith("/api/health for 1m"), result
    log = events(result["db"], result["release"])
    started = next(e for e in log if e.type == "rollout.started")
    assert [p["trigger"] for p in started.data["health"]["probes"]] == ["health"]
    assert [e.data["trigger"] for e in log if e.type == "rollout.trigger.fired"] == ["health"]
    if result["outcome"] == "paused":
        assert any(e.type == "rollout.alert" and e.data["trigger"] == "health" for e in log)
    report = Path(result["report"]).read_text(encoding="utf-8")
    assert "- Status: Success" not in report and trigger in report, report[:2000]
