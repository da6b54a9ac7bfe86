"""Crash test: the rollout controller (``golive rollout run``, a real subprocess)
is killed with SIGKILL at points chosen from its observed progress, restarted,
possibly killed again, until it ends by itself; 50 runs in all (4 batches, three
runs at a time in each), half of them a healthy canary (must complete: 10% → 50%
→ 100%) and half a canary with 6% errors from 50% (must roll back).

Every run counts at least one kill that landed: a SIGKILL counts only when the
controller died of it (exit status -9) while its rollout was not over yet (a
rollback is over once its outcome is recorded). A run none of whose kills landed
(the controller ended first) is checked all the same, does not count, and runs
again with a fresh release and another seed. The test asserts that every run
has a kill that landed (kills >= runs). One run in ten is killed twice.

Each run has its own SQLite database (a copy of a migrated template) and
release, whose rollout ``golive rollout start`` starts (in process, as the
release's starter). The actuators are
webhooks to a ``golive demo-target --ledger`` (one per worker thread, reset
between runs): every call it receives is one JSON line in the ledger with its
``Idempotency-Key`` and ``replayed`` flag; a run reads its own slice of it. The
trigger is deterministic: ``http_json`` on the target's ``/admin/state``,
``versions.canary.faults.error_rate`` (0.06 once the canary takes >= 50% in a
faulty run), ``value > 0.05`` twice in a row (a count, not a ``for`` window: a
restart leaves a gap in the evaluations, which would restart a ``for`` window).

Where a run is killed is drawn from an RNG seeded per run (the seeds are
printed; ``GOLIVE_CRASH_SEED`` replays a sequence, timing aside) against the
rollout's milestones (step intent and outcome, non-ok evaluation, trigger fired,
rollback intent, a component's rollback, rollback outcome, completed), which the
controller prints right after each commit. Before each spawn the log says how many milestones remain
(N); the kill is one of:

- ``line k``: right after the spawn printed its k-th milestone, k in 1..N-1
  (after an intent: between the intent's commit and the actuator's answer);
- ``line k +d``: d seconds after the k-th milestone, within the bake or the
  evaluation interval that follows it (evaluations, idle ticks);
- ``applied k``: the k-th milestone is an intent: as soon as the target has
  written that action's call to its ledger (applied; its outcome most likely not
  recorded yet: the restarted controller resumes it and the target answers it
  as a replay);
- ``startup d``: d seconds after the process started (imports, first tick).

The first kill of every third run of a batch comes right after an intent, so
each batch kills between intents and their outcomes (asserted). What a kill
left behind is read from the log and the ledger right after it: an open step or
rollback intent (its call applied or not; or the component's rollback recorded,
the rollback's outcome not yet), a trigger that fired without its reaction, or
nothing open (between two events).

After each run: the final ``rollout run`` ended by itself with the expected
outcome (exit 0 completed, 1 rolled back; a pause or a request for attention
fails the run, whether ``rollout run`` exits on it or keeps waiting); no step
and no rollback applied twice by the target (replays, answered ``replayed:
true``, are counted apart, and each one is the resumption of an intent a kill
left open; an intent whose call a kill left applied is replayed); the ledger's
applied calls and the log's ``rollout.step.done`` / ``rollout.rollback.done``
match one to one; every intent has exactly one outcome; one rollback at most,
and the database's ``rollbacks`` table agrees; the hash chain verifies (in
process and through ``golive audit verify``); every event in the log when a
kill landed is still there, unchanged, and every event a controller printed
(it prints after the commit) is in the log, in order; the target ends where the
log says.

One window has its own deterministic test: a kill between
``rollout.trigger.fired`` and the reaction's first event (the rollback intent,
the pause, the alert) must not lose the reaction.

Time is compressed 60x (bakes of 10 s are 0.17 s, evaluations every 5 s are
83 ms apart). A run's cost is its controllers' start-ups (~1 s of CPU each, most
of it building the CEL parser on the first tick), so most runs are two
processes: the killed one and the one that finishes.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import os
import queue
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from golive.cli.main import cli
from golive.clock import SystemClock
from golive.config import Config, load_config
from golive.release.service import ReleaseService
from golive.rollout.controller import ACTOR, Controller, fold_rollout
from golive.rollout.spec import RolloutGuard
from golive.store.events import Event, EventStore
from tests.conftest import ROOT

RUNS = 50
BATCHES = 4  # parametrized, so pytest-xdist can spread them
CONCURRENCY = 3  # runs at a time within a batch (one demo-target each)
ATTEMPTS = 3  # a run none of whose kills landed is run again, with a fresh release
SPEED = 60
BASE_SEED = int(os.environ.get("GOLIVE_CRASH_SEED", "20261201"))
SPAWN_TIMEOUT = 60.0
CLI = threading.Lock()  # CliRunner swaps the process's sys.stdout while it runs
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+) ")
RUNBOOK = "# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n"

GUARD = """\
rollout_guard:
  interval: 5s
  components:
    - name: web
      steps: [{{weight: 10, bake: 10s}}, {{weight: 50, bake: 10s}}, {{weight: 100}}]
      set_weight: {{kind: webhook, url: "{base}/admin/weight", json: {{weight: "{{weight}}"}}, timeout: 10s}}
      rollback: {{kind: webhook, url: "{base}/admin/rollback", json: {{reason: golive}}, timeout: 10s}}
  triggers:
    - name: canary-errors
      text: Error rate > 5% twice in a row
      source: http_json
      url: "{base}/admin/state"
      path: versions.canary.faults.error_rate
      breach: "value > 0.05"
      count: 2
"""

# What ``rollout run`` prints, one line per event, right after its commit (not the ok evaluations).
INTENT, DONE = "rollout.step.intent", "rollout.step.done"
EVALUATED, FIRED = "rollout.evaluated", "rollout.trigger.fired"
RB_INTENT, RB_DONE = "rollout.rollback.intent", "rollout.rollback.done"
RB_COMPONENT = "rollout.rollback.component"  # a component's rollback actuator ran (before rollback.done)
COMPLETED = "rollout.completed"
MILESTONES = {INTENT, DONE, EVALUATED, FIRED, RB_INTENT, RB_COMPONENT, RB_DONE, COMPLETED}
HEALTHY = [INTENT, DONE, INTENT, DONE, INTENT, DONE, COMPLETED]
FAULTY = [INTENT, DONE, INTENT, DONE, EVALUATED, EVALUATED, FIRED, RB_INTENT, RB_COMPONENT, RB_DONE]
STOPPERS = ("rollout.paused", "rollout.attention")  # never expected here: a pause fails the run


class RunFailure(AssertionError):
    pass


# -- the stand-in target -------------------------------------------------------------------------


def _spawn_target(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "golive", "demo-target", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _target_url(process: subprocess.Popen[str]) -> str:
    """The base URL the target prints once it listens (bounded wait)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if ready else ""
    match = LISTENING.search(line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"demo-target did not start: {line!r} {err}")
    return f"http://127.0.0.1:{match.group(1)}"


def _stop_target(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=5)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class Target:
    """A ``golive demo-target --ledger`` that serves one run at a time."""

    process: subprocess.Popen[str]
    base: str
    ledger: Path

    def prepare(self, faulty: bool) -> int:
        """Back to weight 0, no faults (a faulty run: 6% canary errors from 50%), no
        idempotency keys; returns where the run's slice of the ledger begins."""
        _post(f"{self.base}/admin/reset", {})
        if faulty:
            _post(f"{self.base}/admin/faults", {"kind": "error_rate", "value": 0.06, "at_weight": 50})
        state = _get(f"{self.base}/admin/state")
        assert (state["weight"], state["rolled_back"]) == (0, False), state
        return self.ledger.stat().st_size

    def calls(self, offset: int) -> list[dict[str, Any]]:
        with self.ledger.open("rb") as stream:
            stream.seek(offset)
            lines = stream.read().split(b"\n")
        return [json.loads(line) for line in lines[:-1]]  # the last piece: empty, or being written


def _ledger_has(path: Path, offset: int, key: str) -> bool:
    with path.open("rb") as stream:
        stream.seek(offset)
        return f'"{key}"'.encode() in stream.read()


# -- one ``golive rollout run`` ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    mode: str  # "line", "applied" or "startup"
    k: int = 0
    delay: float = 0.0

    def __str__(self) -> str:
        if self.mode == "startup":
            return f"startup {self.delay:.3f}s"
        return f"{self.mode} {self.k}" + (f" +{self.delay:.3f}s" if self.delay else "")


def _kind(line: str) -> str:
    parts = line.split("  ", 2)
    return parts[1] if len(parts) >= 2 else ""


def _action_key(rid: str, intent_line: str) -> str:
    if _kind(intent_line) == RB_INTENT:
        return f"{rid}:web:rollback"
    match = re.search(r"\bindex=(\d+)", intent_line)
    assert match is not None, intent_line
    return f"{rid}:web:step-{match.group(1)}"


@dataclass
class Spawn:
    """One ``golive rollout run`` process, the lines it printed, and who killed it."""

    process: subprocess.Popen[str]
    plan: Plan | None
    rid: str
    ledger: Path
    offset: int
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    milestones: int = 0
    killed_by: str | None = None  # "plan", or the harness: "paused", "timeout"
    stopper: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines.append(line)
            kind = _kind(line)
            if kind in STOPPERS:
                # today `rollout run` waits while paused; soon it exits 1: either way the run failed
                self.stopper = self.stopper or line
                self.kill("paused")
            elif kind in MILESTONES:
                self.milestones += 1
                plan = self.plan
                if plan is not None and plan.mode != "startup" and self.milestones == plan.k:
                    self._strike(line)

    def _strike(self, line: str) -> None:
        assert self.plan is not None
        if self.plan.mode == "applied":
            key = _action_key(self.rid, line)
            deadline = time.monotonic() + 10
            while (
                self.process.poll() is None
                and time.monotonic() < deadline
                and not _ledger_has(self.ledger, self.offset, key)
            ):
                time.sleep(0.001)  # bounded poll: the call lands within milliseconds
        elif self.plan.delay:
            time.sleep(self.plan.delay)
        self.kill("plan")

    def kill(self, reason: str) -> None:
        with self.lock:
            if self.killed_by is None and self.process.poll() is None:
                self.killed_by = reason
                self.process.send_signal(signal.SIGKILL)

    @property
    def died_of_kill(self) -> bool:
        return self.process.returncode == -signal.SIGKILL


def _spawn(
    cmd: list[str], plan: Plan | None, rid: str, ledger: Path, offset: int, log: Path, env: dict[str, str]
) -> Spawn:
    with log.open("a", encoding="utf-8") as err:
        err.write(f"--- spawn, kill plan: {plan or 'none'}\n")
        err.flush()
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=ROOT,
            env=env,
        )
    spawn = Spawn(process, plan, rid, ledger, offset)
    reader = threading.Thread(target=spawn.read, daemon=True)
    reader.start()
    try:
        if plan is not None and plan.mode == "startup":
            try:
                process.wait(timeout=plan.delay)
            except subprocess.TimeoutExpired:
                spawn.kill("plan")
        try:
            process.wait(timeout=SPAWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            spawn.kill("timeout")
            process.wait(timeout=10)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    return spawn


# -- a run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    template: Path  # a migrated, empty database: each run starts from a copy (one migration in all)
    runbook: Path
    env: dict[str, str]  # the environment of the golive processes
    actor: str  # who the CLI acts as: the release's starter, so `rollout start` is theirs to run


def _over(events: list[Event]) -> str | None:
    """How the rollout ended, if it did (a rollback counts once its outcome is recorded)."""
    state = fold_rollout(events)
    if state.completed_at is not None:
        return "completed"
    if state.rollback_done:
        return "rolled back"
    return None if state.aborted is None else "aborted"


def _milestone(event: Event) -> bool:
    return event.type in MILESTONES and not (event.type == EVALUATED and event.data.get("outcome") == "ok")


def _wait_after(expected: list[str], position: int) -> float:
    """How long (real seconds) the rollout waits after its milestone at ``position``: a
    bake after a step (but the last), an evaluation interval before a breach; else none."""
    following = expected[position + 1] if position + 1 < len(expected) else None
    if expected[position] == DONE and following == INTENT:
        return 10 / SPEED
    return 5 / SPEED if following == EVALUATED else 0.0


def _choose(rng: random.Random, expected: list[str], events: list[Event], *, intent: bool = False) -> Plan:
    """A kill point within what remains of the rollout, from the log's progress; with
    ``intent``, right after an intent (so every batch has kills between intent and outcome)."""
    progress = sum(1 for e in events if _milestone(e))
    remaining = len(expected) - progress
    if remaining < 2:
        return Plan("startup", delay=rng.uniform(0.02, 0.3))
    intents = [k for k in range(1, remaining) if expected[progress + k - 1] in (INTENT, RB_INTENT)]
    if intent and intents:
        return Plan(rng.choice(["line", "applied"]), rng.choice(intents))
    if rng.random() < 0.12:
        return Plan("startup", delay=rng.uniform(0.02, 0.8))
    k = rng.randint(1, remaining - 1)
    position = progress + k - 1
    if expected[position] in (INTENT, RB_INTENT):
        return Plan(rng.choice(["line", "applied"]), k)
    wait = _wait_after(expected, position)
    if wait and rng.random() < 0.5:
        return Plan("line", k, rng.uniform(0.0, 0.8 * wait))
    return Plan("line", k)


def _classify(events: list[Event], calls: list[dict[str, Any]], rid: str) -> tuple[str, str | None, bool]:
    """What a kill left open: (label, the open action's key, whether the target applied it)."""
    state = fold_rollout(events)
    applied = {c.get("idempotency_key") for c in calls if not c.get("replayed")}
    open_key, what = None, ""
    for name, comp in state.components.items():
        if comp.intent is not None:
            open_key, what = (
                f"{rid}:{name}:step-{comp.intent['index']}",
                f"step-{comp.intent['index']} intent",
            )
    if state.rollback_intent is not None and not state.rollback_done:
        if "web" in getattr(state, "rollback_components", {}):
            # recorded as done: a restart must not call it again (no replay either)
            return "rollback of web recorded, rollback.done not", None, False
        open_key, what = f"{rid}:web:rollback", "rollback intent"
    if open_key is not None:
        hit = open_key in applied
        return f"{what} open, call {'applied' if hit else 'not applied'}", open_key, hit
    if state.unreacted:
        return "trigger fired, no reaction yet", None, False
    last = next((e.type for e in reversed(events) if _milestone(e)), "rollout.started")
    return f"nothing open (after {last.removeprefix('rollout.')})", None, False


def _items(data: dict[str, Any]) -> list[str]:
    return [f"{k}={v}" for k, v in data.items() if k != "guard"]


def _printed_in_log(printed: list[str], events: list[Event]) -> str | None:
    """Every event line printed is a logged event, in order; returns the first that is not."""
    position = 0
    for line in printed:
        parts = line.split("  ", 2)
        if len(parts) < 2 or not parts[1].startswith("rollout."):
            continue
        kind, detail = parts[1], parts[2] if len(parts) > 2 else ""
        while position < len(events):
            event = events[position]
            position += 1
            items = _items(event.data)
            if (
                event.type == kind
                and len(detail) == len(", ".join(items))
                and all(item in detail for item in items)
            ):
                break
        else:
            return line
    return None


def _describe(events: list[Event], calls: list[dict[str, Any]]) -> str:
    out = ["events:"]
    for e in events:
        data = "" if e.type == "rollout.started" else json.dumps(e.data, sort_keys=True)[:160]
        out.append(f"  {e.seq:3d} {e.at:%H:%M:%S.%f} {e.type} {data}")
    out.append("ledger (this run):")
    out += [
        f"  {c.get('path')} {json.dumps(c.get('body'))} key={c.get('idempotency_key')} "
        f"status={c.get('status')} replayed={c.get('replayed')}"
        for c in calls
    ]
    return "\n".join(out)


@dataclass
class Kill:
    plan: Plan
    left: str  # what the kill left open
    key: str | None  # the open action's key
    applied: bool  # the target had applied it
    calls: int  # ledger calls of the run at the kill
    log: list[tuple[int, str]]  # (seq, hash) of every event in the log at the kill


@dataclass
class RunReport:
    index: int
    seed: int
    faulty: bool
    attempts: int = 1
    kills: list[Kill] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # kills that came after the controller was done
    replays: int = 0
    spawns: int = 0
    outcome: str = ""
    seconds: float = 0.0
    db: str = ""
    rid: str = ""


def crash_run(index: int, target: Target, directory: Path, setup: Setup) -> RunReport:
    """One run; again with a fresh release (another seed) while none of its kills landed."""
    began = time.monotonic()
    late: list[str] = []
    for attempt in range(ATTEMPTS):
        report = _attempt(index, attempt, target, directory / f"attempt-{attempt}", setup)
        late += report.late
        if report.kills:
            report.attempts, report.late = attempt + 1, late
            report.seconds = time.monotonic() - began
            return report
    raise RunFailure(f"run {index}: no kill landed in {ATTEMPTS} attempts (late: {late})")


def _attempt(index: int, attempt: int, target: Target, directory: Path, setup: Setup) -> RunReport:
    seed = BASE_SEED + index + 1000 * attempt
    rng = random.Random(f"golive-crash-{seed}")  # hashed: neighbouring seeds draw unrelated sequences
    faulty = (index // BATCHES) % 2 == 1
    report = RunReport(index, seed, faulty)
    expected = FAULTY if faulty else HEALTHY
    directory.mkdir(parents=True)
    db = directory / "golive.db"
    _copy_db(setup.template, db)
    offset = target.prepare(faulty)
    store = EventStore.open(str(db))
    try:
        rid = ReleaseService(store, Config(), clock=SystemClock()).start(
            setup.runbook,
            service="shop",
            version="2.0.0",
            env="prod",
            launch=datetime.now(UTC),
            tz="UTC",
            actor=setup.actor,
        )
        report.db, report.rid = str(db), rid
        guard = directory / "guard.yml"
        guard.write_text(GUARD.format(base=target.base), encoding="utf-8")
        with CLI:
            started = CliRunner().invoke(
                cli,
                [
                    "rollout",
                    "start",
                    rid,
                    "--guard",
                    str(guard),
                    "--db",
                    str(db),
                    "--without-go",
                    "crash test",
                ],
            )
        if started.exit_code != 0:
            trace = "".join(traceback.format_exception(started.exception)) if started.exception else ""
            raise RunFailure(f"golive rollout start: exit {started.exit_code}: {started.output}\n{trace}")
        where = f"run {index} (seed {seed}, {'faulty' if faulty else 'healthy'} canary, {directory})"
        cmd = [sys.executable, "-m", "golive", "rollout", "run", rid, "--speed", str(SPEED), "--db", str(db)]
        log = directory / "controller.log"
        wanted = 2 if index % 10 == 7 else 1  # a second kill in 1 run of 10: each process costs ~1 s of CPU
        printed: list[str] = []
        final: Spawn | None = None
        for _ in range(wanted + 4):
            events = store.events(rid)
            later = _over(events) is None and len(report.kills) + len(report.late) < wanted
            first = report.spawns == 0 and (index // BATCHES) % 3 == 0
            plan = _choose(rng, expected, events, intent=first) if later else None
            spawn = _spawn(cmd, plan, rid, target.ledger, offset, log, setup.env)
            report.spawns += 1
            printed += spawn.lines
            events = store.events(rid)
            calls = target.calls(offset)
            if spawn.killed_by in ("paused", "timeout"):
                raise RunFailure(
                    f"{where}: the controller {'paused: ' + str(spawn.stopper) if spawn.stopper else 'hung'} "
                    f"(kills so far: {[f'{k.plan}: {k.left}' for k in report.kills]})\n"
                    + _describe(events, calls)
                )
            if spawn.killed_by == "plan" and spawn.died_of_kill:
                ended = _over(events)
                if ended is not None:
                    report.late.append(f"{plan} (rollout already {ended})")
                    continue
                left, key, applied = _classify(events, calls, rid)
                acked = [(e.seq, e.hash) for e in events]
                assert plan is not None
                report.kills.append(Kill(plan, left, key, applied, len(calls), acked))
                continue
            if plan is not None:
                report.late.append(f"{plan} (the controller had ended)")
            final = spawn
            break
        # checked even when no kill landed (then the run counts not, and runs again)
        report.outcome = _check_run(where, report, store, target, offset, final, printed)
    finally:
        store.close()
    return report


def _check_run(
    where: str,
    report: RunReport,
    store: EventStore,
    target: Target,
    offset: int,
    final: Spawn | None,
    printed: list[str],
) -> str:
    rid, faulty = report.rid, report.faulty
    events = store.events(rid)
    calls = target.calls(offset)
    kills = "; ".join(f"kill {n + 1} [{k.plan}] left: {k.left}" for n, k in enumerate(report.kills))
    log = (Path(report.db).parent / "controller.log").read_text(encoding="utf-8").splitlines()
    stderr = "\n".join(f"  {line}" for line in log[-12:])
    context = f"{where}\n{kills or 'no kill landed'}\n" + _describe(events, calls) + f"\nstderr:\n{stderr}"

    def check(condition: object, message: str) -> None:
        if not condition:
            raise RunFailure(f"{message}\n{context}")

    # -- the rollout was resumed after every kill and ended by itself -------------------------
    outcome = "rolled_back" if faulty else "completed"
    check(final is not None, "`rollout run` never ended by itself after the kills")
    assert final is not None
    state = fold_rollout(events)
    code, last = final.process.returncode, final.lines[-1] if final.lines else "(nothing printed)"
    check(
        code == (1 if faulty else 0) and last == f"rollout {outcome}",
        f"the last `rollout run` exited {code} saying {last!r}; expected rollout {outcome}",
    )
    check(state.outcome == outcome, f"outcome {state.outcome}, expected {outcome}")
    check(not any(_kind(line) in STOPPERS for line in printed), "paused or asked for attention")

    # -- nothing acknowledged was lost; the chain verifies --------------------------------------
    audit = store.verify(rid)
    check(audit.ok, f"hash chain: {audit}")
    now = [(e.seq, e.hash) for e in events]
    for n, kill in enumerate(report.kills):
        check(now[: len(kill.log)] == kill.log, f"events in the log at kill {n + 1} changed or vanished")
    missing = _printed_in_log(printed, events)
    check(missing is None, f"a printed (committed) event is not in the log: {missing!r}")

    # -- the log: every intent has exactly one outcome --------------------------------------------
    kinds = [e.type for e in events]
    intents = [e.data["index"] for e in events if e.type == INTENT]
    done = [(e.data["index"], e.data["ok"]) for e in events if e.type == DONE]
    steps = [0, 1] if faulty else [0, 1, 2]
    check(intents == steps, f"step intents {intents}, expected {steps}")
    check(done == [(i, True) for i in steps], f"step outcomes {done}")
    rollbacks = 1 if faulty else 0
    check(
        kinds.count(RB_INTENT) == kinds.count(RB_DONE) == rollbacks,
        f"rollback intents {kinds.count(RB_INTENT)}, outcomes {kinds.count(RB_DONE)}",
    )
    check(kinds.count(FIRED) == rollbacks, f"{kinds.count(FIRED)} trigger.fired")
    check(kinds.count(COMPLETED) == 1 - rollbacks, f"{kinds.count(COMPLETED)} completed")
    if faulty:
        rb_done = next(e for e in events if e.type == RB_DONE)
        check(rb_done.data["results"]["web"]["ok"] is True, "rollback actuator failed")
        components = [e.data for e in events if e.type == RB_COMPONENT]
        check(
            [(c["component"], c["ok"]) for c in components] == [("web", True)],
            f"rollback.component events {components}",
        )
        check(kinds.index(RB_INTENT) < kinds.index(RB_COMPONENT) < kinds.index(RB_DONE), "rollback order")
        check(kinds.index(FIRED) < kinds.index(RB_INTENT), "rollback before the trigger fired")
    with closing(sqlite3.connect(report.db)) as db:
        (rows,) = db.execute("SELECT count(*) FROM rollbacks WHERE release_id = ?", (rid,)).fetchone()
    check(rows == rollbacks, f"{rows} rows in the rollbacks table")

    # -- the ledger: nothing applied twice; applied calls ↔ outcomes, one to one ----------------
    check(all(str(c.get("idempotency_key", "")).startswith(f"{rid}:web:") for c in calls), "foreign calls")
    check(all(c["status"] == 200 for c in calls), "a call was not answered 200")
    applied = [c for c in calls if not c["replayed"]]
    replayed = [c for c in calls if c["replayed"]]
    report.replays = len(replayed)
    twice = [k for k, n in collections.Counter(c["idempotency_key"] for c in applied).items() if n > 1]
    check(not twice, f"applied twice: {twice}")
    step_calls = [c for c in applied if c["path"] == "/admin/weight"]
    check(
        [c["idempotency_key"] for c in step_calls] == [f"{rid}:web:step-{i}" for i in steps],
        "applied steps ≠ the log's step.done events",
    )
    weights = [10, 50, 100][: len(steps)]
    check([c["body"]["weight"] for c in step_calls] == weights, f"applied weights, expected {weights}")
    rb_calls = [c for c in applied if c["path"] == "/admin/rollback"]
    check(len(rb_calls) == rollbacks, f"{len(rb_calls)} rollbacks applied, the log has {rollbacks}")
    check([c["idempotency_key"] for c in rb_calls] == [f"{rid}:web:rollback"] * rollbacks, "rollback key")
    check(len(applied) == len(steps) + rollbacks, "applied calls that are neither a step nor a rollback")
    # a replay is the resumption of an intent a kill left open; an applied one must be resumed
    open_keys = {k.key for k in report.kills if k.key is not None}
    check(all(c["idempotency_key"] in open_keys for c in replayed), "a replay no kill explains")
    for n, kill in enumerate(report.kills):
        if kill.applied:
            later = [c for c in calls[kill.calls :] if c["idempotency_key"] == kill.key and c["replayed"]]
            check(later, f"kill {n + 1} left {kill.key} applied without outcome; it was never resumed")

    # -- the target ends where the log says ----------------------------------------------------
    live = _get(f"{target.base}/admin/state")
    check(
        (live["weight"], live["rolled_back"]) == ((0, True) if faulty else (100, False)),
        f"target state weight={live['weight']} rolled_back={live['rolled_back']}",
    )
    errors = [line for line in log if "Traceback" in line or "internal error" in line]
    check(not errors, f"controller errors: {errors}")
    return state.outcome


# -- the tests ---------------------------------------------------------------------------------


def _copy_db(template: Path, db: Path) -> None:
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(db)) as copy:
        source.backup(copy)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("crash-setup")
    template = root / "golive.db"
    EventStore.open(str(template)).close()
    runbook = root / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    # Under PYTHONDONTWRITEBYTECODE every golive process compiles golive's sources again (~0.1 s of
    # CPU each, over a hundred processes): a bytecode cache outside the repository, shared by the
    # pytest-xdist workers of this session.
    base = tmp_path_factory.getbasetemp()
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "golive-pycache"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(cache))
    env["PYTHONUNBUFFERED"] = "1"  # the controller's lines as it prints them
    return Setup(template, runbook, env, load_config().whoami())


def _start_targets(directory: Path, count: int, env: dict[str, str]) -> list[Target]:
    processes = []
    for n in range(count):
        ledger = directory / f"ledger-{n}.jsonl"
        processes.append((_spawn_target(["--rps", "0", "--ledger", str(ledger)], env), ledger))
    return [Target(process, _target_url(process), ledger) for process, ledger in processes]


@pytest.mark.parametrize("batch", range(BATCHES))
def test_sigkill_at_random_points_never_applies_twice_nor_loses_an_event(
    batch: int, tmp_path: Path, setup: Setup
) -> None:
    print(f"base seed {BASE_SEED} (set GOLIVE_CRASH_SEED to replay)")
    began = time.monotonic()
    targets = _start_targets(tmp_path, CONCURRENCY, setup.env)
    free: queue.Queue[Target] = queue.Queue()
    for target in targets:
        free.put(target)

    def one(index: int) -> RunReport | str:
        target = free.get()
        try:
            return crash_run(index, target, tmp_path / f"run-{index}", setup)
        except Exception as exc:
            detail = str(exc) if isinstance(exc, RunFailure) else traceback.format_exc()
            return f"run {index}: {detail}"
        finally:
            free.put(target)

    try:
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(one, range(batch, RUNS, BATCHES)))
    finally:
        for target in targets:
            _stop_target(target.process)
    failures = [r for r in results if isinstance(r, str)]
    reports = [r for r in results if isinstance(r, RunReport)]
    # the chain, once more through `golive audit verify` (in process: the CLI's own code)
    for r in reports:
        verified = CliRunner().invoke(cli, ["audit", "verify", r.rid, "--db", r.db])
        if verified.exit_code != 0 or "chain intact" not in verified.output:
            failures.append(f"run {r.index}: golive audit verify: {verified.output}")

    for r in reports:
        print(
            f"run {r.index:2d} seed {r.seed} {'faulty ' if r.faulty else 'healthy'} → {r.outcome:11s} "
            f"{r.seconds:4.1f}s {r.spawns} spawns; replays {r.replays}; "
            + "; ".join(f"kill [{k.plan}] left: {k.left}" for k in r.kills)
            + (f"; late: {', '.join(r.late)}" if r.late else "")
            + (f"; attempts {r.attempts}" if r.attempts > 1 else "")
        )
    kills = [k for r in reports for k in r.kills]
    modes = collections.Counter(k.plan.mode for k in kills)
    left = collections.Counter(re.sub(r"step-\d", "step", k.left.split(" (")[0]) for k in kills)
    print(
        f"batch {batch}: {len(reports)} runs, {len(kills)} kills that landed ({dict(modes)}), "
        f"{sum(len(r.late) for r in reports)} late, {sum(r.attempts - 1 for r in reports)} runs again, "
        f"{sum(r.replays for r in reports)} replayed calls, {sum(r.spawns for r in reports)} spawns, "
        f"{time.monotonic() - began:.1f}s\n  left: {dict(left)}"
    )
    assert not failures, "\n\n".join(failures)
    assert len(reports) == len(range(batch, RUNS, BATCHES))
    assert all(r.kills for r in reports) and len(kills) >= len(reports), "a run without a kill that landed"
    assert any(" intent open" in k.left for k in kills), (
        f"no kill landed between an intent and its outcome: {left}"
    )


@pytest.mark.parametrize("reaction", ["rollback", "pause", "alert"])
def test_a_trigger_that_fired_just_before_a_kill_still_reacts(
    reaction: str, tmp_path: Path, setup: Setup
) -> None:
    """The kill that lands between ``rollout.trigger.fired`` and its reaction (the
    rollback intent, the pause, the alert): the restarted controller reacts, once."""
    ledger = tmp_path / "ledger.jsonl"
    target = _spawn_target(["--rps", "0", "--ledger", str(ledger)], setup.env)
    try:
        base = _target_url(target)
        db = tmp_path / "golive.db"
        _copy_db(setup.template, db)
        store = EventStore.open(str(db))
        rid = ReleaseService(store, Config(), clock=SystemClock()).start(
            setup.runbook,
            service="shop",
            version="2.0.0",
            env="prod",
            launch=datetime.now(UTC),
            tz="UTC",
            actor="rm",
        )
        spec = yaml.safe_load(GUARD.format(base=base))["rollout_guard"]
        spec["triggers"][0]["reaction"] = reaction
        controller = Controller(store, rid, clock=SystemClock(), values={})
        controller.start(RolloutGuard.model_validate(spec))
        asyncio.run(controller.tick())  # 10%
        # the killed controller had recorded the firing, not its reaction
        fired = {
            "trigger": "canary-errors",
            "reaction": reaction,
            "shadow": False,
            "detail": "2 breaches in a row",
        }
        store.append(rid, "rollout.trigger.fired", ACTOR, fired)
        assert list(controller.state().unreacted) == ["canary-errors"]
        for _ in range(3):
            asyncio.run(controller.tick())
        events = store.events(rid)
        kinds = [e.type for e in events]
        after = kinds[kinds.index("rollout.trigger.fired") + 1 :]
        state = controller.state()
        assert state.unreacted == {}
        if reaction == "rollback":
            assert after[0] == RB_INTENT and after.count(RB_INTENT) == after.count(RB_DONE) == 1
            assert state.outcome == "rolled_back"
            rollbacks = [json.loads(line) for line in ledger.read_text().splitlines() if "/rollback" in line]
            assert len(rollbacks) == 1 and rollbacks[0]["idempotency_key"] == f"{rid}:web:rollback"
        elif reaction == "pause":
            assert after[0] == "rollout.paused" and after.count("rollout.paused") == 1
            assert (
                state.outcome == "paused"
                and events[kinds.index("rollout.paused")].data["trigger"] == "canary-errors"
            )
        else:
            assert after[0] == "rollout.alert" and after.count("rollout.alert") == 1
            assert state.outcome == "running"
        assert store.verify(rid).ok
        store.close()
    finally:
        _stop_target(target)
