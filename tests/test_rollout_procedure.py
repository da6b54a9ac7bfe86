"""The controller's rollback procedure, its run loop and its resolved guard, on a
manual clock against the real HTTP stand-in of ``test_rollout_controller.py``:

- a rollback runs the rollback actuators, then the runbook's rollback procedure,
  each step recorded as an intent and an outcome; a failing step stops the
  procedure and asks for a person; after a crash, done steps are not run again
  and a step that may have run is resumed only when idempotent;
- ``rollback_procedure: true`` takes the checks of the runbook's rollback
  procedure sections; ``from_criteria`` compiles the runbook's criteria;
- nothing is measured before the first step (the canary serves no traffic);
- ``run()`` returns when the rollout pauses; hypercare watches at its own interval.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from golive.clock import ManualClock
from golive.config import Config
from golive.release.service import ReleaseService
from golive.rollout.controller import Controller, RolloutState
from golive.rollout.spec import RolloutGuard
from golive.runbook.loader import load_runbook
from golive.store.events import EventStore
from tests.rollout_fixtures import LAUNCH
from tests.test_rollout_controller import drive, guard, weights


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_procedure(base: str, steps: list[dict[str, Any]], **extra: Any) -> RolloutGuard:
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["rollback_procedure"] = steps
    data.update(extra)
    return RolloutGuard.model_validate(data)


def breach_from_50(t: Any) -> Any:
    def fault(_minute: int, _state: RolloutState) -> None:
        t.error_rate = 0.06 if t.weight >= 50 else 0.0

    return fault


def _steps(base: str) -> list[dict[str, Any]]:
    """002's rollback procedure, carried out against the stand-in."""
    return [
        {
            "text": "./scripts/rollback.sh production 20250118_143022",
            "line": 213,
            "action": {"kind": "webhook", "url": f"{base}/procedure/restore", "json": {"backup": "x"}},
        },
        {
            "text": "Verify the stable version is healthy",
            "line": 215,
            "check": {"kind": "http", "url": f"{base}/health", "expect": ["status == 200"]},
        },
    ]


def test_a_rollback_runs_the_actuators_then_the_runbook_procedure(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(with_procedure(base, _steps(base)))
    state = drive(controller, clock, minutes=200, during=breach_from_50(t))
    assert state.outcome == "rolled_back"
    posted = [path for path, _ in t.calls]
    assert posted.index("/rollback") < posted.index("/procedure/restore")
    kinds = [e.type for e in store.events(rid) if e.type.startswith("rollout.rollback")]
    assert kinds == [
        "rollout.rollback.intent",
        "rollout.rollback.component",
        "rollout.rollback.step.intent",
        "rollout.rollback.step.done",
        "rollout.rollback.step.intent",
        "rollout.rollback.step.done",
        "rollout.rollback.done",
    ]
    done = next(e for e in store.events(rid) if e.type == "rollout.rollback.done")
    assert [s["ok"] for s in done.data["procedure"]] == [True, True]
    assert done.data["procedure"][0]["line"] == 213
    assert done.data["results"]["web"]["ok"] is True
    assert state.attention == []


def test_a_failing_procedure_step_stops_the_procedure_and_asks_a_person(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    steps = _steps(base)
    steps.insert(
        1,
        {
            "text": "Restart the payment workers",
            "action": {"kind": "webhook", "url": f"http://127.0.0.1:{_closed_port()}/restart"},
        },
    )
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(with_procedure(base, steps))
    state = drive(controller, clock, minutes=200, during=breach_from_50(t))
    assert state.outcome == "rolled_back"
    done = next(e for e in store.events(rid) if e.type == "rollout.rollback.done")
    assert [s["ok"] for s in done.data["procedure"]] == [True, False]  # step 3 never ran
    assert any("rollback procedure step 2 failed" in reason for reason in state.attention)


def test_a_crash_inside_the_procedure_resumes_only_idempotent_steps(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    steps = _steps(base)
    steps[1]["idempotent"] = False  # a check step from the runbook: not resumed by default anyway
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(with_procedure(base, steps))
    drive(controller, clock, minutes=65)  # at 50%
    # the previous controller: began the rollback, ran the actuator and step 1, died inside step 2
    assert store.begin_rollback(rid, "golive-controller", {"reason": "crash test", "trigger": None})
    store.append(rid, "rollout.rollback.component", "golive-controller", {"component": "web", "ok": True})
    head = {"text": steps[0]["text"], "line": 213, "item": None}
    store.append(rid, "rollout.rollback.step.intent", "golive-controller", {"index": 0, **head})
    store.append(
        rid,
        "rollout.rollback.step.done",
        "golive-controller",
        {"index": 0, **head, "ok": True, "summary": ""},
    )
    store.append(
        rid,
        "rollout.rollback.step.intent",
        "golive-controller",
        {"index": 1, "text": steps[1]["text"], "line": 215, "item": None},
    )
    before = list(t.calls)
    fresh = Controller(store, rid, clock=clock, values={})
    state = asyncio.run(fresh.tick())
    assert t.calls == before  # nothing re-run: not the actuator, not step 1, not step 2
    assert state.outcome == "rolled_back" and not state.rollback_done
    assert any("step 2 (line 215) may or may not have run" in r for r in state.attention)
    asyncio.run(fresh.tick())
    assert sum("may or may not" in r for r in fresh.state().attention) == 1  # asked once


def test_an_interrupted_idempotent_procedure_finishes_after_restart(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(with_procedure(base, _steps(base)))
    drive(controller, clock, minutes=65)
    assert store.begin_rollback(rid, "golive-controller", {"reason": "crash test", "trigger": None})
    store.append(rid, "rollout.rollback.component", "golive-controller", {"component": "web", "ok": True})
    store.append(
        rid, "rollout.rollback.step.intent", "golive-controller", {"index": 0, "text": "x", "line": 213}
    )
    state = asyncio.run(Controller(store, rid, clock=clock, values={}).tick())
    assert state.rollback_done
    assert [p for p, _ in t.calls].count("/rollback") == 0  # recorded as done before the crash
    assert [p for p, _ in t.calls].count("/procedure/restore") == 1  # the webhook is idempotent: resumed


RUNBOOK = """# Checkout go-live

## Rollback Criteria

- Error rate > 5% for 10 minutes

## Rollback Procedure

### Web

1. Restore the previous build <!-- golive: {checks: [{kind: http, url: "http://127.0.0.1:9/restore"}]} -->
2. Tell the support desk
"""


def test_the_guard_resolves_the_runbook_procedure_and_criteria(tmp_path: Path) -> None:
    path = tmp_path / "rb.md"
    path.write_text(RUNBOOK, encoding="utf-8")
    runbook = load_runbook(path)
    store = EventStore.open(str(tmp_path / "g.db"))
    svc = ReleaseService(store, Config(), clock=ManualClock(LAUNCH))
    rid = svc.start(path, service="shop", version="2", env="prod", launch=LAUNCH, tz="UTC", actor="rm")
    base = "http://127.0.0.1:9"
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.update(prometheus_url="http://127.0.0.1:9090", from_criteria=True)
    resolved = Controller(store, rid, clock=ManualClock(LAUNCH), values={}).start(
        RolloutGuard.model_validate(data), runbook
    )
    assert isinstance(resolved.rollback_procedure, list)
    assert [(s.text, s.check and s.check["url"]) for s in resolved.rollback_procedure] == [
        ("Restore the previous build", "http://127.0.0.1:9/restore")
    ]
    assert resolved.rollback_procedure[0].resumable is False  # a runbook command is not assumed idempotent
    assert resolved.triggers[0].name == "error-rate"  # the explicit one first
    compiled = [t for t in resolved.triggers if t.name != "error-rate"]
    assert [(t.text, t.breach, t.for_duration) for t in compiled] == [
        ("Error rate > 5% for 10 minutes", "value > 0.05", timedelta(minutes=10))
    ]
    started = next(e for e in store.events(rid) if e.type == "rollout.started")
    assert started.data["guard"]["rollback_procedure"][0]["line"] == 11
    with pytest.raises(ValueError, match="from_criteria needs prometheus_url"):
        RolloutGuard.model_validate({**data, "prometheus_url": None})
    store.close()


def test_nothing_is_measured_before_the_first_step(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    t.down = True  # before the first step there is nothing to measure: 0/0
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base, max_errors=1))
    asyncio.run(controller.tick())
    types = [e.type for e in store.events(rid) if e.type.startswith("rollout.")]
    assert types == ["rollout.started", "rollout.step.intent", "rollout.step.done"]
    t.down = False
    state = drive(controller, clock, minutes=200)
    assert state.outcome == "completed"  # max_errors 1 did not pause the start


def test_run_returns_when_the_rollout_pauses(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base))
    asyncio.run(controller.tick())
    t.down = True
    state = asyncio.run(controller.run())  # ManualClock: sleeping moves the clock
    assert state.outcome == "paused" and "cannot measure" in (state.paused or "")
    assert weights(t) == [10]


def test_hypercare_watches_at_its_own_interval_and_alerts(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.update(hypercare="6h", hypercare_interval="30m")
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(RolloutGuard.model_validate(data))

    def late_fault(_minute: int, state: RolloutState) -> None:
        t.error_rate = 0.2 if state.completed_at is not None else 0.0

    async def loop() -> RolloutState:
        state = controller.state()
        while state.completed_at is None or clock.now() < state.completed_at + timedelta(hours=7):
            late_fault(0, state)
            state = await controller.tick()
            clock.advance(timedelta(minutes=1))
        return state

    state = asyncio.run(loop())
    assert state.outcome == "completed" and weights(t) == [10, 50, 100]
    completed = state.completed_at
    assert completed is not None
    evaluated = [e for e in store.events(rid) if e.type == "rollout.evaluated" and e.at >= completed]
    watch = [e for e in evaluated if e.data["trigger"] == "error-rate"]  # (the health guard watches too)
    gaps = {b.at - a.at for a, b in itertools.pairwise(watch)}
    assert gaps == {timedelta(minutes=30)}
    assert watch[-1].at < completed + timedelta(hours=6)
    alerts = [e for e in store.events(rid) if e.type == "rollout.alert"]
    assert len(alerts) == 1 and alerts[0].data["key"] == "hypercare:error-rate"
    assert "/rollback" not in [p for p, _ in t.calls]  # hypercare alerts, never acts


HOLD = """
import sys, time
from golive.store.events import EventStore
store = EventStore.open(sys.argv[1])
with store.acting_on(sys.argv[2]) as acting:
    print("held" if acting else "busy", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def test_only_one_controller_acts_on_a_release_at_a_time(release, target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    import threading
    import time

    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base))
    # another process acts on the release: this controller's tick does nothing
    db = str(store.engine.url.database)
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, db, rid, "3"], stdout=subprocess.PIPE, text=True
    ) as other:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        before = len(store.events(rid))
        asyncio.run(controller.tick())
        assert len(store.events(rid)) == before and t.calls == []
        other.wait(10)
    asyncio.run(controller.tick())  # the other one is gone: this one acts
    assert weights(t) == [10]

    # an abort waits for a tick in progress (here: another thread holding the release), then
    # rolls back once; the log never shows a second rollback being run
    released = threading.Event()

    def hold() -> None:
        with store.acting_on(rid) as acting:
            assert acting
            released.wait(5)
            time.sleep(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    released.set()
    asyncio.run(Controller(store, rid, clock=clock, values={}).abort("S1", actor="rm"))
    holder.join(5)
    asyncio.run(controller.tick())
    kinds = [e.type for e in store.events(rid)]
    assert kinds.count("rollout.rollback.component") == 1 and kinds.count("rollout.rollback.done") == 1
    assert [p for p, _ in t.calls].count("/rollback") == 1


def test_an_interrupted_step_asks_a_person_once(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    unsafe = guard(base).model_dump(mode="json", by_alias=True)
    unsafe["components"][0]["set_weight"]["idempotent"] = False
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(RolloutGuard.model_validate(unsafe))
    store.append(
        rid, "rollout.step.intent", "golive-controller", {"component": "web", "index": 0, "weight": 10}
    )
    for _ in range(5):
        asyncio.run(controller.tick())
    assert [e.type for e in store.events(rid)].count("rollout.attention") == 1
    assert t.calls == []


def test_a_resumed_pause_trigger_watches_for_the_next_breach(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base, reaction="pause", **{"for": "2m"}))
    drive(controller, clock, minutes=70)  # at 50%
    t.error_rate = 0.2
    state = drive(controller, clock, minutes=10)
    assert state.paused is not None and "Error rate" in state.paused
    controller.resume("looked at it: a bad deploy of a dependency, fixed", actor="rm")
    state = drive(controller, clock, minutes=10)  # still breaching: the trigger fires again
    assert state.outcome == "paused"
    fired = [e for e in store.events(rid) if e.type == "rollout.trigger.fired"]
    assert len(fired) == 2
    assert weights(t) == [10, 50]


def test_a_guard_with_a_zero_or_negative_duration_is_refused() -> None:
    base = "http://127.0.0.1:9"
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for field, value, message in (
        ("interval", "0s", "interval must be positive"),
        ("hypercare_interval", "0s", "hypercare_interval must be positive"),
        ("soak", "-1m", "soak must not be negative"),
    ):
        with pytest.raises(ValueError, match=message):
            RolloutGuard.model_validate({**data, field: value})
    bad_bake = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    bad_bake["components"][0]["steps"][0]["bake"] = "-5m"
    with pytest.raises(ValueError, match="bake must not be negative"):
        RolloutGuard.model_validate(bad_bake)
    bad_trigger = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    bad_trigger["triggers"][0]["interval"] = "0s"
    with pytest.raises(ValueError, match="interval must be positive"):
        RolloutGuard.model_validate(bad_trigger)
