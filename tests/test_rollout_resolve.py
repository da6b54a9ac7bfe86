"""``golive rollout resolve``: a controller is SIGKILLed between an action's
intent and its outcome (real subprocesses, a real SQLite file); a person says
whether the action ran, and the next ``rollout run`` goes on without applying it
twice, or applies it exactly once more.

The actuators are commands that append one line to a ledger when they apply,
and that hang (before or after applying, as the test says) so that the kill
lands where it must; the test then kills the hung command too, so nothing
applies behind its back. The actuators are not idempotent: a restarted
controller asks a person instead of running them again. The trigger watches the
HTTP stand-in of ``tests/rollout_fixtures.py``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from golive.rollout.controller import fold_rollout, open_intents
from golive.store.events import EventStore
from tests.conftest import ROOT
from tests.test_release_cli import golive, one_line, start_release

RUNBOOK = "# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n\n## Rollback Procedure\n\n1. Restore the build\n"
NOW = "2026-11-24 10:00 Europe/London"

ACTUATOR = """\
import json, os, pathlib, sys, time
root, tag = pathlib.Path(sys.argv[1]), sys.argv[2]
hang = root / f"hang-{tag}"
mode = hang.read_text() if hang.exists() else ""
if mode == "before":
    (root / f"hung-{tag}").write_text(str(os.getpid()))
    time.sleep(600)
with (root / "ledger.jsonl").open("a") as ledger:
    ledger.write(json.dumps({"tag": tag, "key": os.environ.get("GOLIVE_IDEMPOTENCY_KEY")}) + "\\n")
if mode == "after":
    (root / f"hung-{tag}").write_text(str(os.getpid()))
    time.sleep(600)
"""


def _command(tmp: Path, tag: str) -> dict[str, Any]:
    return {
        "kind": "command",
        "argv": [sys.executable, str(tmp / "actuator.py"), str(tmp), tag],
        "idempotent": False,
    }


def _guard(tmp: Path, base: str) -> dict[str, Any]:
    return {
        "interval": "10s",
        "components": [
            {
                "name": "web",
                "steps": [{"weight": 10, "bake": "10s"}, {"weight": 50, "bake": "10s"}, {"weight": 100}],
                "set_weight": _command(tmp, "step-{weight}"),
                "rollback": _command(tmp, "rollback"),
            }
        ],
        "triggers": [
            {
                "name": "error-rate",
                "source": "http_json",
                "url": f"{base}/metrics.json",
                "path": "error_rate",
                "breach": "value > 0.05",
            }
        ],
        "rollback_procedure": [
            {"text": "Restore the build", "line": 9, "action": _command(tmp, "procedure")},
        ],
    }


def _started(tmp: Path, base: str) -> str:
    (tmp / "actuator.py").write_text(ACTUATOR, encoding="utf-8")
    runbook = tmp / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    start = start_release(tmp, runbook, "--json")
    assert start.returncode == 0, start.stderr
    rid = str(json.loads(start.stdout)["id"])
    assert golive(tmp, "release", "assign", rid, "approver", "ana", "--as", "rm").returncode == 0
    guard = tmp / "guard.yaml"
    guard.write_text(yaml.safe_dump({"rollout_guard": _guard(tmp, base)}), encoding="utf-8")
    started = golive(
        tmp, "rollout", "start", rid, "--guard", str(guard), "--as", "rm", "--without-go", "drill"
    )
    assert started.returncode == 0, started.stderr
    return rid


def _ledger(tmp: Path) -> list[str]:
    path = tmp / "ledger.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["tag"] for line in lines]


def _killed_at(tmp: Path, tag: str, mode: str, *args: str) -> None:
    """Run ``golive ARGS`` until the actuator ``tag`` hangs (``mode``: before or
    after applying), then SIGKILL it and the hung actuator."""
    (tmp / f"hang-{tag}").write_text(mode, encoding="utf-8")
    env = {
        **os.environ,
        "GOLIVE_DATABASE_URL": str(tmp / "golive.db"),
        "GOLIVE_NOW": NOW,
        "GOLIVE_HOME": str(tmp),
    }
    env.pop("GOLIVE_ACTOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    hung = tmp / f"hung-{tag}"
    deadline = time.monotonic() + 60
    try:
        while not hung.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hung.exists(), f"the actuator {tag} never ran: {process.poll()} {process.stderr}"
        time.sleep(0.05)  # the pid is written
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    os.kill(int(hung.read_text()), signal.SIGKILL)  # the hung actuator applies nothing more
    hung.unlink()
    (tmp / f"hang-{tag}").unlink()


def _open(tmp: Path, rid: str) -> list[str]:
    store = EventStore.open(str(tmp / "golive.db"))
    try:
        return [intent.step for intent in open_intents(fold_rollout(store.events(rid)))]
    finally:
        store.close()


def _events(tmp: Path, rid: str) -> list[Any]:
    store = EventStore.open(str(tmp / "golive.db"))
    try:
        return store.events(rid)
    finally:
        store.close()


def test_a_step_that_ran_is_resolved_and_never_applied_twice(tmp_path: Path, target: Any) -> None:
    _t, base = target
    rid = _started(tmp_path, base)
    _killed_at(tmp_path, "step-50", "after", "rollout", "run", rid, "--speed", "60")
    assert _ledger(tmp_path) == ["step-10", "step-50"]  # applied, its outcome never recorded
    assert _open(tmp_path, rid) == ["web:2"]

    # the restarted controller asks a person and says how to answer
    asks = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert asks.returncode == 1, asks.stdout + asks.stderr
    lines = asks.stdout.strip().splitlines()
    assert lines[-2] == (
        "waiting for a person: web:2: step 2 of web (to 50%) may or may not have run "
        f"(golive rollout resolve {rid} web:2 --ran | --did-not-run --reason TEXT)"
    )
    assert lines[-1].startswith("rollout paused: step to 50.0% of web may or may not have run"), lines[-1]
    assert lines[-1].endswith(f"golive rollout resolve {rid} web:2 --ran | --did-not-run"), lines[-1]
    assert _ledger(tmp_path) == ["step-10", "step-50"]

    # refusals write nothing
    count = len(_events(tmp_path, rid))
    not_approver = golive(
        tmp_path, "rollout", "resolve", rid, "web:2", "--ran", "--reason", "x", "--as", "rm"
    )
    assert not_approver.returncode == 2
    assert one_line(not_approver) == "golive: error: rm may not resolve the rollout: only an approver may"
    unknown = golive(tmp_path, "rollout", "resolve", rid, "web:3", "--ran", "--reason", "x", "--as", "ana")
    assert unknown.returncode == 2
    assert one_line(unknown) == (
        f"golive: error: no open intent 'web:3' in {rid}; open intents: web:2 (step 2 of web (to 50%))"
    )
    neither = golive(tmp_path, "rollout", "resolve", rid, "web:2", "--reason", "x", "--as", "ana")
    assert neither.returncode == 2 and "give --ran or --did-not-run" in one_line(neither)
    store = EventStore.open(str(tmp_path / "golive.db"))
    try:
        with store.acting_on(rid) as acting:  # a controller at work right now (another process's view)
            assert acting
            busy = golive(
                tmp_path, "rollout", "resolve", rid, "web:2", "--ran", "--reason", "x", "--as", "ana"
            )
    finally:
        store.close()
    assert busy.returncode == 2 and "a controller is acting on" in one_line(busy)
    assert len(_events(tmp_path, rid)) == count

    resolved = golive(
        tmp_path,
        "rollout",
        "resolve",
        rid,
        "web:2",
        "--ran",
        "--reason",
        "the target serves 50%",
        "--as",
        "ana",
    )
    assert resolved.returncode == 0, resolved.stderr
    assert resolved.stdout.strip() == "web:2 (step 2 of web (to 50%)) ran, by ana: running"
    again = golive(tmp_path, "rollout", "resolve", rid, "web:2", "--ran", "--reason", "twice", "--as", "ana")
    assert (
        again.returncode == 2
        and one_line(again) == f"golive: error: {rid} has no open intent: nothing to resolve"
    )

    run = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "rollout completed"
    assert _ledger(tmp_path) == ["step-10", "step-50", "step-100"]  # 50% applied once
    events = _events(tmp_path, rid)
    record = next(e for e in events if e.type == "rollout.resolved")
    assert (record.actor, record.data["step"], record.data["ran"], record.data["reason"]) == (
        "ana",
        "web:2",
        True,
        "the target serves 50%",
    )
    assert [e.data["index"] for e in events if e.type == "rollout.step.intent"] == [0, 1, 2]
    # the outcome the killed controller never recorded, recorded by the approver
    outcome = [e for e in events if e.type == "rollout.step.done" and e.data["index"] == 1]
    assert len(outcome) == 1 and (outcome[0].actor, outcome[0].data["resolved"]) == ("ana", True)
    assert outcome[0].data["summary"] == "resolved by ana: it ran (the target serves 50%)"


def test_a_step_that_did_not_run_is_applied_exactly_once_more(tmp_path: Path, target: Any) -> None:
    _t, base = target
    rid = _started(tmp_path, base)
    _killed_at(tmp_path, "step-50", "before", "rollout", "run", rid, "--speed", "60")
    assert _ledger(tmp_path) == ["step-10"]  # killed before it applied
    assert _open(tmp_path, rid) == ["web:2"]
    asks = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert asks.returncode == 1 and "waiting for a person: web:2" in asks.stdout, asks.stdout + asks.stderr
    resolved = golive(
        tmp_path, "rollout", "resolve", rid, "web:2", "--did-not-run", "--reason", "still 10%", "--as", "ana"
    )
    assert resolved.returncode == 0, resolved.stderr
    assert "did not run, by ana" in resolved.stdout
    run = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "rollout completed"
    assert _ledger(tmp_path) == ["step-10", "step-50", "step-100"]  # exactly one application after the kill
    events = _events(tmp_path, rid)
    # the re-run has its own intent: a crash during it would be asked about again
    assert [e.data["index"] for e in events if e.type == "rollout.step.intent"] == [0, 1, 1, 2]
    assert [e.data["index"] for e in events if e.type == "rollout.step.done"] == [0, 1, 2]


def test_an_interrupted_rollback_and_rollback_procedure_are_resolved(tmp_path: Path, target: Any) -> None:
    _t, base = target
    rid = _started(tmp_path, base)
    # a person's abort is killed while the rollback actuator hangs, after it applied
    _killed_at(tmp_path, "rollback", "after", "rollout", "abort", rid, "--reason", "S1", "--as", "rm")
    assert _ledger(tmp_path) == ["rollback"]
    assert _open(tmp_path, rid) == ["rollback:web"]
    asks = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert asks.returncode == 1, asks.stdout + asks.stderr
    assert asks.stdout.strip().splitlines()[-2:] == [
        "waiting for a person: rollback:web: the rollback of web may or may not have run "
        f"(golive rollout resolve {rid} rollback:web --ran | --did-not-run --reason TEXT)",
        "rollout rolled_back",
    ]
    resolved = golive(
        tmp_path, "rollout", "resolve", rid, "rollback:web", "--ran", "--reason", "v1 serves", "--as", "ana"
    )
    assert resolved.returncode == 0, resolved.stderr

    # the controller goes on with the procedure and is killed before its step applies
    _killed_at(tmp_path, "procedure", "before", "rollout", "run", rid, "--speed", "60")
    assert _ledger(tmp_path) == ["rollback"]
    assert _open(tmp_path, rid) == ["procedure:1"]
    wrong = golive(
        tmp_path, "rollout", "resolve", rid, "rollback:web", "--ran", "--reason", "x", "--as", "ana"
    )
    assert wrong.returncode == 2 and "open intents: procedure:1 (rollback procedure step 1 (line 9)" in (
        one_line(wrong)
    )
    resolved = golive(
        tmp_path,
        "rollout",
        "resolve",
        rid,
        "procedure:1",
        "--did-not-run",
        "--reason",
        "not run",
        "--as",
        "ana",
    )
    assert resolved.returncode == 0, resolved.stderr
    run = golive(tmp_path, "rollout", "run", rid, "--speed", "60")
    assert run.returncode == 1 and run.stdout.strip().splitlines()[-1] == "rollout rolled_back", run.stdout
    assert "waiting for a person" not in run.stdout
    assert _ledger(tmp_path) == ["rollback", "procedure"]  # each applied once
    events = _events(tmp_path, rid)
    done = [e for e in events if e.type == "rollout.rollback.done"]
    assert len(done) == 1 and done[0].data["procedure"][0]["ok"] is True
    assert done[0].data["results"]["web"] == {"ok": True, "summary": "resolved by ana: it ran (v1 serves)"}
    assert [e.data["step"] for e in events if e.type == "rollout.resolved"] == ["rollback:web", "procedure:1"]
    assert _open(tmp_path, rid) == []
    verified = golive(tmp_path, "audit", "verify", rid)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_live_board_says_when_the_rollout_waits_for_a_person() -> None:
    from datetime import UTC, datetime

    from golive.cli.rollout_display import RolloutBoard
    from golive.rollout.spec import RolloutGuard

    guard = RolloutGuard.model_validate(
        {"components": [{"name": "web", "steps": [{"weight": 10}], "set_weight": _command(Path("/x"), "s")}]}
    )
    board = RolloutBoard.from_guard("R", guard)
    board.record(datetime(2026, 12, 1, tzinfo=UTC), "rollout.attention", {"reason": "web:1 may have run"})
    assert board.status == "paused: needs a person: web:1 may have run"
