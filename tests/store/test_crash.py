"""Crash safety: SIGKILL while events are being written loses nothing that was
acknowledged and leaves a chain that verifies, on SQLite and PostgreSQL.

A child process appends batches of 1-3 events in a loop and prints each event's
seq, hash and data to stdout once ``append_many`` has returned (the
acknowledgement). The test reads a random number of acknowledgements, SIGKILLs
the child at a random moment, and checks the database: every acknowledged event
is there with its data, seqs are contiguous, no batch is partly written, and the
chain verifies. Then the next child appends to the same release, ten times in a
row, and the parent appends last.

Reproduce a run with ``GOLIVE_CRASH_SEED=<seed>`` (printed on failure).

What this cannot show: loss of power or of the OS. A killed process leaves its
written pages in the OS cache, so ``synchronous=FULL`` is not what is tested here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golive.store.events import EventStore

ROOT = Path(__file__).resolve().parents[2]
RUNS = 10

APPENDER = r"""
import json, random, sys
from golive.store.events import EventStore

url, rid, run, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
store = EventStore.open(url, migrate=False)
batch = 0
while True:
    size = rng.choice((1, 1, 1, 2, 3))
    entries = [
        ("crash.probe", f"writer-{run}",
         {"run": run, "batch": batch, "size": size, "part": part, "pad": "x" * rng.randrange(0, 400)})
        for part in range(size)
    ]
    for event in store.append_many(rid, entries):
        sys.stdout.write(json.dumps([event.seq, event.hash, event.data]) + "\n")
    sys.stdout.flush()
    batch += 1
"""

# Killed inside a transaction: the batch's rows are inserted, the commit has not happened.
IN_FLIGHT = r"""
import sys, time
from golive.store.events import EventStore

class Stalling(EventStore):
    def _append_in(self, conn, *args, **kwargs):
        out = super()._append_in(conn, *args, **kwargs)
        print("in-flight", flush=True)
        time.sleep(600)
        return out

url, rid = sys.argv[1], sys.argv[2]
store = Stalling.open(url, migrate=False)
store.append_many(rid, [("crash.in_flight", "stalled", {"part": p}) for p in range(3)])
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("GOLIVE_DATABASE_URL", None)
    return env


def _spawn(script: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=_env(),
    )


def _watchdog(proc: subprocess.Popen[str], seconds: float) -> threading.Timer:
    """Kill a child that stops making progress, so a hang fails instead of blocking."""
    timer = threading.Timer(seconds, proc.kill)
    timer.daemon = True
    timer.start()
    return timer


def _acks_until_killed(proc: subprocess.Popen[str], wanted: int, rng: random.Random) -> list[Any]:
    """Read ``wanted`` acknowledgements, SIGKILL the child a random moment later, and
    return every acknowledgement it printed in full (a cut-off last line is not one)."""
    assert proc.stdout is not None
    acks: list[Any] = []
    while len(acks) < wanted:
        line = proc.stdout.readline()
        assert line.endswith("\n"), (
            f"the child stopped early: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
        )
        acks.append(json.loads(line))
    moment = rng.choice((0.0, rng.uniform(0, 0.002), rng.uniform(0, 0.02)))
    if moment:
        threading.Event().wait(moment)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    acks += [json.loads(line) for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    return acks


def _check(store: EventStore, rid: str, acked: dict[int, Any], context: str) -> int:
    log = store.events(rid)
    assert [e.seq for e in log] == list(range(1, len(log) + 1)), f"seqs not contiguous ({context})"
    by_seq = {e.seq: e for e in log}
    for seq, (digest, data) in acked.items():
        assert seq in by_seq, f"acknowledged event {seq} lost ({context})"
        assert (by_seq[seq].hash, by_seq[seq].data) == (digest, data), f"event {seq} changed ({context})"
    batches: dict[tuple[int, int], tuple[int, list[int]]] = {}
    for event in log:
        if event.type == "crash.probe":
            key = (event.data["run"], event.data["batch"])
            batches.setdefault(key, (event.data["size"], []))[1].append(event.data["part"])
    for key, (size, parts) in batches.items():
        assert parts == list(range(size)), f"batch {key} partly written: {parts} ({context})"
    assert not [e for e in log if e.type == "crash.in_flight"], f"an uncommitted batch is visible ({context})"
    report = store.verify(rid)
    assert report.ok, f"{report} ({context})"
    assert store.get_release(rid).head_seq == len(log)
    return len(log)


def test_sigkill_while_appending_loses_nothing_acknowledged(
    store: EventStore, new_release: Callable[..., str], db_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("GOLIVE_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    rid = new_release(first_event=("release.started", {"crash": True}))
    acked: dict[int, Any] = {}
    for run in range(RUNS):
        context = f"run {run}, GOLIVE_CRASH_SEED={seed}"
        proc = _spawn(APPENDER, db_url, rid, str(run), str(rng.randrange(2**32)), cwd=tmp_path)
        timer = _watchdog(proc, 120)
        try:
            acks = _acks_until_killed(proc, rng.randrange(100, 400), rng)
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        for seq, digest, data in acks:
            assert seq not in acked, f"seq {seq} acknowledged twice ({context})"
            acked[seq] = (digest, data)
        _check(store, rid, acked, context)
    # and after ten crashes, appending goes on where the log ends
    head = store.get_release(rid).head_seq
    after = store.append(rid, "crash.after", "parent", {"ok": True}, expect_seq=head)
    assert after.seq == head + 1
    assert store.verify(rid).ok


def test_sigkill_inside_a_transaction_leaves_no_trace_and_no_lock(
    store: EventStore, new_release: Callable[..., str], db_url: str, tmp_path: Path
) -> None:
    rid = new_release(first_event=("release.started", {"crash": True}))
    store.append_many(
        rid, [("crash.probe", "parent", {"run": -1, "batch": 0, "size": 2, "part": p}) for p in range(2)]
    )
    for _ in range(3):
        proc = _spawn(IN_FLIGHT, db_url, rid, cwd=tmp_path)
        timer = _watchdog(proc, 120)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line == "in-flight\n", f"{line!r} {proc.stderr.read() if proc.stderr else ''}"
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        count = _check(store, rid, {}, "killed inside a transaction")
        # the killed writer's lock (SQLite's write lock, PostgreSQL's row lock) is gone
        assert store.append(rid, "crash.after", "parent", {"n": count}, expect_seq=count).seq == count + 1
    assert store.verify(rid).ok
