"""The rollout service's rules, called directly: who may start, promote, pause,
resume, abort, stop and resolve a release's rollout (a real SQLite file, the
HTTP stand-in of ``tests/rollout_fixtures.py`` for the actuators). A refusal
raises ActionError and writes nothing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from golive.clock import ManualClock
from golive.config import Config
from golive.errors import InputError
from golive.release.service import ActionError, ReleaseService
from golive.rollout.controller import ACTOR
from golive.rollout.service import RolloutService
from golive.store.events import EventStore

STARTER, APPROVER, HOLDER, STRANGER = "rm", "ana", "quinn", "mallory"
PEOPLE = {"starter": STARTER, "approver": APPROVER, "role holder": HOLDER, "stranger": STRANGER}
ACTIONS = ["start", "promote", "pause", "resume", "abort", "stop", "resolve"]
ALLOWED = {
    "start": {STARTER, APPROVER},
    "promote": {STARTER, APPROVER},
    "resume": {STARTER, APPROVER},
    "abort": {STARTER, APPROVER},
    "pause": {STARTER, APPROVER, HOLDER},
    "stop": {STARTER, APPROVER, HOLDER},
    "resolve": {APPROVER},
}


def _guard(base: str) -> dict[str, Any]:
    return {
        "interval": "10s",
        "components": [
            {
                "name": "web",
                "steps": [{"weight": 10, "bake": "2m"}, {"weight": 100}],
                "set_weight": {"kind": "webhook", "url": f"{base}/weight", "json": {"weight": "{weight}"}},
                "rollback": {"kind": "webhook", "url": f"{base}/rollback"},
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
    }


@pytest.fixture
def world(
    release: tuple[EventStore, str, ManualClock], target: Any, tmp_path: Path
) -> tuple[RolloutService, str, str]:
    """A release started by rm; ana is its approver; quinn holds a role (sre, from
    the configuration); mallory holds none."""
    store, rid, clock = release
    _t, base = target
    config = Config(people={"sre": [HOLDER]})
    ReleaseService(store, config, clock=clock).assign(rid, "approver", APPROVER, actor=STARTER)
    # the release was started with no people configured: the new golive.toml is in force
    # only once an approver records it
    ReleaseService(store, config, clock=clock).reconfigure(rid, actor=APPROVER)
    guard = tmp_path / "guard.yaml"
    guard.write_text(yaml.safe_dump({"rollout_guard": _guard(base)}), encoding="utf-8")
    return RolloutService(store, config, clock), rid, str(guard)


def _act(service: RolloutService, rid: str, action: str, actor: str, guard: str) -> None:
    if action == "start":
        service.start(rid, actor=actor, guard_file=guard, without_go="a drill")
    elif action == "promote":
        service.promote(rid, actor=actor, reason="skip the bake")
    elif action == "pause":
        service.pause(rid, actor=actor, reason="look first")
    elif action == "resume":
        service.resume(rid, actor=actor, reason="looked")
    elif action == "abort":
        asyncio.run(service.abort(rid, actor=actor, reason="S1"))
    elif action == "stop":
        service.emergency_stop(rid, actor=actor, reason="S1")
    else:
        service.resolve(rid, "web:1", ran=True, actor=actor, reason="the target shows 10%")


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_take_each_rollout_action(
    action: str, who: str, world: tuple[RolloutService, str, str]
) -> None:
    service, rid, guard = world
    store = service.store
    if action != "start":
        service.start(rid, actor=STARTER, guard_file=guard, without_go="a drill")
    if action == "resolve":  # a controller died between the intent of step 1 and its outcome
        store.append(rid, "rollout.step.intent", ACTOR, {"component": "web", "index": 0, "weight": 10})
    person = PEOPLE[who]
    before = len(store.events(rid))
    if person in ALLOWED[action]:
        _act(service, rid, action, person, guard)
        events = store.events(rid)
        assert len(events) > before
        assert events[before].actor == person, (events[before].type, events[before].actor)
        return
    with pytest.raises(ActionError) as refused:
        _act(service, rid, action, person, guard)
    message = str(refused.value)
    if action == "resolve":
        assert message == f"{person} may not resolve the rollout: only an approver may"
    elif action in ("pause", "stop"):
        assert message == f"{person} holds no role in {rid} and may not {action} its rollout"
    else:
        assert message.startswith(f"{person} may not {action} the rollout"), message
    assert len(store.events(rid)) == before  # nothing written


def test_start_needs_a_current_go_or_a_reason_recorded(world: tuple[RolloutService, str, str]) -> None:
    service, rid, guard = world
    before = len(service.store.events(rid))
    for without_go in (None, "  "):
        with pytest.raises(ActionError, match="no GO/NO-GO decision is recorded"):
            service.start(rid, actor=STARTER, guard_file=guard, without_go=without_go)
    assert len(service.store.events(rid)) == before
    result = service.start(rid, actor=STARTER, guard_file=guard, without_go=" a drill ")
    started = service.store.events(rid)[-1]
    assert (started.type, started.actor, started.data["without_go"]) == ("rollout.started", "rm", "a drill")
    # the runbook's criterion, and the built-in health guard on the stand-in's /health
    assert [t.name for t in result.triggers] == ["error-rate", "health"]
    assert result.triggers[0].worst_case.total_seconds() > 0
    assert result.components == [("web", [10.0, 100.0])]
    with pytest.raises(ActionError, match="already started"):
        service.start(rid, actor=STARTER, guard_file=guard, without_go="again")


def test_actions_on_a_rollout_not_started_are_refused(world: tuple[RolloutService, str, str]) -> None:
    service, rid, _guard_file = world
    before = len(service.store.events(rid))
    for call in (
        lambda: service.pause(rid, actor=APPROVER, reason="x"),
        lambda: service.resolve(rid, "web:1", ran=True, actor=APPROVER, reason="x"),
        lambda: service.runner(rid),
    ):
        with pytest.raises(ActionError, match="has not started"):
            call()
    assert len(service.store.events(rid)) == before


def test_resolve_refuses_an_unknown_step_no_open_intent_and_a_controller_at_work(
    world: tuple[RolloutService, str, str],
) -> None:
    service, rid, guard = world
    store = service.store
    service.start(rid, actor=STARTER, guard_file=guard, without_go="a drill")
    before = len(store.events(rid))
    with pytest.raises(ActionError, match="has no open intent: nothing to resolve"):
        service.resolve(rid, "web:1", ran=True, actor=APPROVER, reason="x")
    store.append(rid, "rollout.step.intent", ACTOR, {"component": "web", "index": 0, "weight": 10})
    before = len(store.events(rid))
    with pytest.raises(ActionError) as unknown:
        service.resolve(rid, "web:2", ran=True, actor=APPROVER, reason="x")
    listed = "open intents: web:1 (step 1 of web (to 10%))"
    assert str(unknown.value) == f"no open intent 'web:2' in {rid}; {listed}"
    with pytest.raises(InputError, match="say why"):
        service.resolve(rid, "web:1", ran=True, actor=APPROVER, reason=" ")
    held, release = threading.Event(), threading.Event()

    def controller_at_work() -> None:
        with store.acting_on(rid) as acting:
            assert acting
            held.set()
            release.wait(30)

    worker = threading.Thread(target=controller_at_work)
    worker.start()
    try:
        assert held.wait(10)
        with pytest.raises(ActionError, match=r"a controller is acting on .* right now"):
            service.resolve(rid, "web:1", ran=True, actor=APPROVER, reason="x")
    finally:
        release.set()
        worker.join(10)
    assert len(store.events(rid)) == before  # nothing written
    result = service.resolve(rid, "web:1", ran=False, actor=APPROVER, reason="the target shows 0%")
    assert (result.intent.step, result.ran, result.outcome) == ("web:1", False, "running")
    resolved = store.events(rid)[-1]
    assert (resolved.type, resolved.actor) == ("rollout.resolved", APPROVER)
    assert resolved.data == {
        "step": "web:1",
        "kind": "step",
        "ran": False,
        "reason": "the target shows 0%",
        "component": "web",
        "index": 0,
        "weight": 10,
    }
    assert service.open_intents(rid) == []
