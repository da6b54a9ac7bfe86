"""The built-in health guard on a manual clock, against a real stand-in on 127.0.0.1
(tests/rollout_fixtures.py serves /health): a total outage during the rollout rolls back
once; in hypercare it pauses and alerts; a blip shorter than the window does nothing;
``health: false`` does nothing and is recorded; a derived endpoint that does not answer at
the start is not used (and the log says so); bad ``health`` fields fail at load, naming
the field; ``rollout plan`` shows the guard with its worst-case detection time."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from golive.clock import ManualClock
from golive.rollout.controller import Controller, RolloutState
from golive.rollout.health import measure
from golive.rollout.spec import RolloutGuard
from golive.rollout.triggers import Outcome
from tests.conftest import run_golive, seed_path
from tests.rollout_fixtures import LAUNCH
from tests.test_rollout_controller import drive, guard, weights


def _guard(base: str, **extra: Any) -> RolloutGuard:
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.update(extra)
    return RolloutGuard.model_validate(data)


def _started(store: Any, rid: str) -> dict[str, Any]:
    data: dict[str, Any] = next(e for e in store.events(rid) if e.type == "rollout.started").data
    return data


def test_a_total_outage_at_50_percent_rolls_back_once_naming_the_health_guard(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base))
    health = _started(store, rid)["health"]
    assert health["probes"] == [
        {"trigger": "health", "url": f"{base}/health", "source": "the actuator target of web"}
    ]
    assert (
        health["window"] == "1m"
        and health["reaction"] == "rollback"
        and health["hypercare_reaction"] == "pause"
    )

    def outage(_minute: int, _state: RolloutState) -> None:
        t.health_down = t.weight >= 50  # the error rate stays 0: no criterion names this

    state = drive(controller, clock, minutes=300, during=outage)
    assert state.outcome == "rolled_back" and weights(t) == [10, 50]
    assert [p for p, _ in t.calls].count("/rollback") == 1
    log = store.events(rid)
    fired = [e for e in log if e.type == "rollout.trigger.fired"]
    assert [e.data["trigger"] for e in fired] == ["health"]
    first_breach = next(
        e.at
        for e in log
        if e.type == "rollout.evaluated" and e.data["trigger"] == "health" and e.data["outcome"] == "breach"
    )
    assert fired[0].at - first_breach == timedelta(minutes=1)  # exactly the window
    intent = next(e for e in log if e.type == "rollout.rollback.intent")
    assert intent.data["trigger"] == "health"
    assert intent.data["reason"].startswith(f"health guard: no healthy answer from {base}/health for 1m: ")
    asyncio.run(controller.tick())  # at most once per release
    assert [p for p, _ in t.calls].count("/rollback") == 1


def test_an_outage_in_hypercare_pauses_and_alerts(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, hypercare="6h", hypercare_interval="10m"))

    def late(_minute: int, state: RolloutState) -> None:
        t.health_down = state.completed_at is not None and clock.now() >= state.completed_at + timedelta(
            hours=1
        )

    async def loop() -> RolloutState:
        state = controller.state()
        while state.completed_at is None or clock.now() < state.completed_at + timedelta(hours=3):
            late(0, state)
            state = await controller.tick()
            clock.advance(timedelta(minutes=1))
        return state

    state = asyncio.run(loop())
    assert weights(t) == [10, 50, 100] and "/rollback" not in [p for p, _ in t.calls]
    assert state.outcome == "paused" and (state.paused or "").startswith("health guard: no healthy answer")
    log = store.events(rid)
    alerts = [e.data for e in log if e.type == "rollout.alert"]
    assert [a["key"] for a in alerts] == ["hypercare:health"]
    paused = [e.data for e in log if e.type == "rollout.paused"]
    assert len(paused) == 1 and paused[0]["trigger"] == "health"
    fired = next(e.data for e in log if e.type == "rollout.trigger.fired")
    assert fired["reaction"] == "pause" and fired["hypercare"] is True
    # `rollout run` stops on that pause (a person decides), though the watch is not over
    state = asyncio.run(controller.run())
    assert state.outcome == "paused"


def test_a_hypercare_pause_lost_in_a_crash_is_taken_on_the_next_tick(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, hypercare="6h", hypercare_interval="10m"))
    while controller.state().completed_at is None:
        asyncio.run(controller.tick())
        clock.advance(timedelta(minutes=1))
    # the previous controller recorded the firing and died before pausing
    fired = {"trigger": "health", "reaction": "pause", "shadow": False, "detail": "d", "hypercare": True}
    store.append(rid, "rollout.trigger.fired", "golive-controller", fired)
    t.health_down = True
    for _ in range(60):
        asyncio.run(controller.tick())
        clock.advance(timedelta(minutes=1))
    log = store.events(rid)
    assert [e.data.get("trigger") for e in log if e.type == "rollout.paused"] == ["health"]  # once
    assert [e.data["trigger"] for e in log if e.type == "rollout.trigger.fired"] == ["health"]
    assert controller.state().outcome == "paused"


def test_a_guard_that_names_rollback_rolls_back_in_hypercare(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, hypercare="6h", health={"url": f"{base}/health", "reaction": "rollback"}))
    assert _started(store, rid)["health"]["probes"][0]["source"] == "the guard's health url"

    async def loop() -> RolloutState:
        state = controller.state()
        for _ in range(600):
            t.health_down = state.completed_at is not None
            state = await controller.tick()
            if state.outcome == "rolled_back":
                break
            clock.advance(timedelta(minutes=1))
        return state

    state = asyncio.run(loop())
    assert state.outcome == "rolled_back" and weights(t) == [10, 50, 100]
    assert [p for p, _ in t.calls].count("/rollback") == 1


def test_a_blip_shorter_than_the_window_does_nothing(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, health={"window": "3m"}))

    def blip(minute: int, _state: RolloutState) -> None:
        t.health_down = minute in (70, 71, 72)  # three evaluations, two minutes of breaches: under 3m

    state = drive(controller, clock, minutes=300, during=blip)
    assert state.outcome == "completed" and weights(t) == [10, 50, 100]
    log = store.events(rid)
    breaches = [e for e in log if e.type == "rollout.evaluated" and e.data["outcome"] == "breach"]
    assert len(breaches) == 3 and not [e for e in log if e.type == "rollout.trigger.fired"]


def test_health_false_watches_nothing_and_says_so(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(base, health=False))
    started = _started(store, rid)
    assert started["health"] is False and started["guard"]["health"] is False

    def outage(_minute: int, _state: RolloutState) -> None:
        t.health_down = t.weight >= 50

    state = drive(controller, clock, minutes=300, during=outage)
    assert state.outcome == "completed"  # what the team chose: only the stated criteria watch
    assert not [
        e for e in store.events(rid) if e.type == "rollout.evaluated" and e.data["trigger"] == "health"
    ]


def test_a_derived_endpoint_that_does_not_answer_at_the_start_is_not_used(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    t.health_down = True
    controller = Controller(store, rid, clock=clock, values={})
    resolved = controller.start(_guard(base))
    health = _started(store, rid)["health"]
    assert health["probes"] == [] and "watches nothing" in health["note"]
    assert [n["url"] for n in health["not_used"]] == [
        f"{base}/health",
        f"{base}/healthz",
        f"{base}/api/health",
    ]
    assert all(
        n["reason"].startswith("no healthy answer at start: unhealthy: status (503)")
        for n in health["not_used"]
    )
    assert [tr.name for tr in resolved.triggers] == ["error-rate"]
    t.health_down = False
    state = drive(controller, clock, minutes=300)
    assert state.outcome == "completed"


def test_a_trigger_that_already_watches_health_speaks_first(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    _t, base = target
    watcher = {
        "name": "health-checks-failing",
        "text": "Health checks failing for > 5 minutes",
        "source": "http_json",
        "url": f"{base}/metrics.json",
        "path": "error_rate",
        "breach": "value > 0.5",
        "for": "5m",
    }
    data = guard(base).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["triggers"].append(watcher)
    controller = Controller(store, rid, clock=clock, values={})
    resolved = controller.start(RolloutGuard.model_validate(data))
    health = _started(store, rid)["health"]
    assert health["defers_to"] == ["health-checks-failing"] and health["window"] == "7m"  # 5m + 2 intervals
    assert next(tr for tr in resolved.triggers if tr.name == "health").for_duration == timedelta(minutes=7)


def test_a_probe_without_an_answer_is_a_breach_and_one_that_cannot_be_built_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there

    async def both() -> tuple[Any, Any]:
        from golive.checks.context import CheckContext

        ctx = CheckContext(concurrency=2)
        clock = ManualClock(LAUNCH)
        try:
            refused = await measure(
                {"kind": "http", "url": f"http://127.0.0.1:{port}/health"}, ctx, clock.now(), name="h"
            )
            broken = await measure({"kind": "http", "url": "not a url"}, ctx, clock.now(), name="h")
        finally:
            await ctx.close()
        return refused, broken

    refused, broken = asyncio.run(both())
    assert refused.outcome == Outcome.BREACH and refused.detail.startswith("no answer")
    assert broken.outcome == Outcome.ERROR  # never a pass


RUNBOOK = "# Go-live\n\n## Rollback Criteria\n\n- Error rate > 5% for > 10 minutes\n"


@pytest.mark.parametrize(
    ("health", "names"),
    [
        ({"window": "soon"}, "rollout_guard.health.window: "),
        ({"interval": "0s"}, "interval must be positive"),
        ({"url": "ftp://example.com/health"}, "url must be an http(s) URL"),
        ({"reaction": "explode"}, "rollout_guard.health.reaction: "),
        ({"expect": ["status == 200"]}, "expect needs url"),
        ({"probe": "x"}, "rollout_guard.health.probe: "),
        ("sometimes", "rollout_guard.health: "),
    ],
)
def test_bad_health_fields_fail_at_load_naming_the_field(tmp_path: Path, health: Any, names: str) -> None:
    import yaml

    runbook = tmp_path / "rb.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    overlay = tmp_path / "o.yaml"
    spec = guard("http://127.0.0.1:9").model_dump(mode="json", by_alias=True, exclude_defaults=True)
    overlay.write_text(
        yaml.safe_dump({"golive_overlay": 1, "rollout_guard": {**spec, "health": health}}), "utf-8"
    )
    done = run_golive("rollout", "plan", str(runbook), "--overlay", str(overlay))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_rollout_plan_shows_the_health_guard_with_its_worst_case_detection() -> None:
    from golive.rehearse.overlays import find_overlay

    seed = seed_path("000")
    overlay = find_overlay(seed)
    assert overlay is not None
    done = run_golive("rollout", "plan", str(seed), "--overlay", str(overlay), "--interval", "30s", "--json")
    assert done.returncode == 0, done.stderr
    health = next(t for t in json.loads(done.stdout)["triggers"] if t["name"] == "health")
    assert health["for"] == "1m" and health["interval"] == "30s" and health["reaction"] == "rollback"
    assert health["worst_case_detection"] == "1m30s"  # window + interval, as for every trigger
    assert health["query"] == "http://127.0.0.1:{target_port}/api/health"
    text = run_golive("rollout", "plan", str(seed), "--overlay", str(overlay), "--interval", "30s")
    assert (
        "health guard: no healthy answer from http://127.0.0.1:{target_port}/api/health for 1m" in text.stdout
    )
    assert "worst-case detection 1m30s" in text.stdout
    # a criterion that already watches health: the guard waits for it (seed 004: downtime > 5 minutes)
    plain = run_golive("rollout", "plan", str(seed_path("004")), "--interval", "30s", "--json")
    guard_004 = next(t for t in json.loads(plain.stdout)["triggers"] if t["name"] == "health")
    assert guard_004["for"] == "6m" and guard_004["worst_case_detection"] == "6m30s"


def test_an_actuator_origin_that_does_not_answer_is_asked_once(release) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(_guard(f"http://127.0.0.1:{port}"))
    health = _started(store, rid)["health"]
    assert health["probes"] == [] and len(health["not_used"]) == 1
    assert health["not_used"][0]["reason"].startswith("no healthy answer at start: no answer")
