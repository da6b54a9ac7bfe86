"""The rollout controller on a manual clock, against a real HTTP metric source
and real webhook actuators on 127.0.0.1: healthy rollouts complete, breaches
roll back once, spikes under "for 10m" don't, a source that is down pauses and
never promotes, shadow mode only records, and a crash between intent and
outcome is resumed (or flagged) from the log."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from golive.clock import ManualClock
from golive.config import Config
from golive.release.service import ReleaseService
from golive.rollout.controller import Controller, RolloutState
from golive.rollout.spec import RolloutGuard
from tests.rollout_fixtures import LAUNCH, Target


def guard(base: str, **trigger: Any) -> RolloutGuard:
    return RolloutGuard.model_validate(
        {
            "interval": "1m",
            "components": [
                {
                    "name": "web",
                    "steps": [{"weight": 10, "bake": "1h"}, {"weight": 50, "bake": "1h"}, {"weight": 100}],
                    "set_weight": {
                        "kind": "webhook",
                        "url": f"{base}/weight",
                        "json": {"weight": "{weight}"},
                    },
                    "rollback": {"kind": "webhook", "url": f"{base}/rollback", "json": {"reason": "golive"}},
                }
            ],
            "triggers": [
                {
                    "name": "error-rate",
                    "text": "Error rate > 5% for > 10 minutes",
                    "source": "http_json",
                    "url": f"{base}/metrics.json",
                    "path": "error_rate",
                    "breach": "value > 0.05",
                    "for": "10m",
                    **trigger,
                }
            ],
        }
    )


def drive(controller: Controller, clock: ManualClock, *, minutes: int, during: Any = None) -> RolloutState:
    """Reconcile once a minute of rollout time."""

    async def loop() -> RolloutState:
        state = controller.state()
        for minute in range(minutes):
            if during is not None:
                during(minute, controller.state())
            state = await controller.tick()
            if not state.active:
                return state
            clock.advance(timedelta(minutes=1))
        return state

    return asyncio.run(loop())


def weights(t: Target) -> list[float]:
    return [body["weight"] for path, body in t.calls if path == "/weight"]


def test_a_healthy_canary_completes_respecting_each_bake(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={"version": "2.0.0"})
    controller.start(guard(base))
    state = drive(controller, clock, minutes=200)
    assert state.outcome == "completed"
    assert weights(t) == [10, 50, 100]
    done = [e for e in store.events(rid) if e.type == "rollout.step.done"]
    assert done[1].at - done[0].at >= timedelta(hours=1) and done[2].at - done[1].at >= timedelta(hours=1)
    assert store.verify(rid).ok


def test_a_breach_from_50_percent_rolls_back_once(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={"version": "2.0.0"})
    controller.start(guard(base))

    def fault(_minute: int, _state: RolloutState) -> None:
        t.error_rate = 0.06 if t.weight >= 50 else 0.0

    state = drive(controller, clock, minutes=200, during=fault)
    assert state.outcome == "rolled_back"
    assert weights(t) == [10, 50]  # never 100
    assert [p for p, _ in t.calls].count("/rollback") == 1
    fired = next(e for e in store.events(rid) if e.type == "rollout.trigger.fired")
    breach_start = next(
        e.at for e in store.events(rid) if e.type == "rollout.evaluated" and e.data["outcome"] == "breach"
    )
    assert fired.at - breach_start == timedelta(minutes=10)  # exactly the persistence window
    assert store.begin_rollback(rid, "someone", {"reason": "again"}) is None  # the database refuses a second
    asyncio.run(controller.tick())
    assert [p for p, _ in t.calls].count("/rollback") == 1


def test_a_spike_under_for_10m_does_not_roll_back(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base))

    def spike(minute: int, _state: RolloutState) -> None:
        t.error_rate = 0.5 if minute in (70, 71, 72) else 0.0  # three minutes of trouble

    state = drive(controller, clock, minutes=200, during=spike)
    assert state.outcome == "completed" and weights(t) == [10, 50, 100]
    assert "/rollback" not in [p for p, _ in t.calls]


def test_a_metric_source_that_is_down_pauses_and_alerts_never_promotes(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base))

    def outage(minute: int, _state: RolloutState) -> None:
        t.down = minute >= 30

    state = drive(controller, clock, minutes=200, during=outage)
    assert state.outcome == "paused" and "cannot measure error-rate" in (state.paused or "")
    assert weights(t) == [10]  # the 1h bake ended during the outage: no promotion
    assert any(e.type == "rollout.alert" for e in store.events(rid))
    controller.resume("metrics are back")
    t.down = False
    state = drive(controller, clock, minutes=200)
    assert state.outcome == "completed"


def test_shadow_mode_records_the_rollback_it_would_have_done(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base, shadow=True))

    def fault(_minute: int, _state: RolloutState) -> None:
        t.error_rate = 0.06 if t.weight >= 50 else 0.0

    state = drive(controller, clock, minutes=300, during=fault)
    assert state.outcome == "completed" and weights(t) == [10, 50, 100]
    fired = [e for e in store.events(rid) if e.type == "rollout.trigger.fired"]
    assert len(fired) == 1 and fired[0].data["shadow"] is True and fired[0].data["reaction"] == "rollback"
    assert "/rollback" not in [p for p, _ in t.calls]


def test_a_crash_between_intent_and_outcome_is_resumed_or_flagged(release, target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    controller.start(guard(base))
    # the previous controller died after writing the intent, before the outcome
    store.append(
        rid, "rollout.step.intent", "golive-controller", {"component": "web", "index": 0, "weight": 10}
    )
    asyncio.run(controller.tick())  # resumed: the webhook is declared idempotent
    assert weights(t) == [10]
    assert controller.state().components["web"].index == 0

    # the same crash with an actuator that is not idempotent: a person decides
    runbook = tmp_path / "rb2.md"
    runbook.write_text("# Go-live\n\n- [ ] Roll out\n", encoding="utf-8")
    svc = ReleaseService(store, Config(), clock=clock)
    other = svc.start(
        runbook, service="shop", version="2.0.1", env="prod", launch=LAUNCH, tz="UTC", actor="rm"
    )
    unsafe = guard(base).model_dump(mode="json", by_alias=True)
    unsafe["components"][0]["set_weight"]["idempotent"] = False
    second = Controller(store, other, clock=clock, values={})
    second.start(RolloutGuard.model_validate(unsafe))
    store.append(
        other, "rollout.step.intent", "golive-controller", {"component": "web", "index": 0, "weight": 10}
    )
    state = asyncio.run(second.tick())
    assert weights(t) == [10]  # not re-run
    assert state.outcome == "paused" and "not idempotent" in state.attention[0]


def test_manual_control(release, target) -> None:  # type: ignore[no-untyped-def]
    store, rid, clock = release
    t, base = target
    controller = Controller(store, rid, clock=clock, values={})
    manual = guard(base).model_dump(mode="json", by_alias=True)
    manual["components"][0]["steps"][0].pop("bake")  # 10% until promoted
    controller.start(RolloutGuard.model_validate(manual))
    state = drive(controller, clock, minutes=180)
    assert weights(t) == [10] and state.outcome == "running"
    controller.promote("web")
    drive(controller, clock, minutes=5)
    assert weights(t) == [10, 50]
    controller.emergency_stop("S1: total order failure")
    state = drive(controller, clock, minutes=180)
    assert state.outcome == "paused" and weights(t) == [10, 50]
    asyncio.run(controller.abort("S1 confirmed"))
    assert controller.state().outcome == "rolled_back" and [p for p, _ in t.calls].count("/rollback") == 1
