"""The rehearsal overlays of the five seeds (``golive/data/overlays/<seed stem>.yaml``).

Each one loads with its seed and matches what it names, keeps the runbook's gates,
sign-offs and policies, gives a rollout guard that validates, quotes the runbook's
own words in its triggers and rollback procedure, points every URL at the stand-in
(never at the runbook's real hosts or commands), names in its top comment faults
that its triggers catch and faults they let through (checked against the numbers
the stand-in really produces), and its checks pass against a healthy stand-in
while the health checks fail against one whose health is down.
"""

from __future__ import annotations

import math
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from golive.checks.conditions import compile_condition, evaluate
from golive.checks.runner import prepare_check
from golive.checks.service import check_runbook
from golive.demo_target.faults import FaultSpec
from golive.durations import parse_duration
from golive.rollout.spec import Actuator, RolloutGuard
from golive.runbook.loader import load_runbook
from golive.runbook.model import Runbook
from golive.runbook.text import normalize
from tests.conftest import ROOT, SEED_NAMES, SEEDS, SHARED_SEEDS

OVERLAYS = ROOT / "golive" / "data" / "overlays"
KEYS = sorted(SEED_NAMES)
STANDIN = "http://127.0.0.1:{target_port}/"
NEW_GUARD_FIELDS = ("hypercare_interval", "rollback_procedure")
NOTE = re.compile(r"^#\s*(catches|under)\s*:\s*(\S+)", re.IGNORECASE)
ERROR_THRESHOLD_5_PERCENT = ("002", "003")


def seed(key: str) -> Path:
    return SEEDS / SEED_NAMES[key]


def overlay(key: str) -> Path:
    return OVERLAYS / f"{seed(key).stem}.yaml"


def raw(key: str) -> dict[str, Any]:
    data = yaml.safe_load(overlay(key).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def guard_has_new_fields() -> bool:
    """The controller change (hypercare_interval, rollback_procedure steps) has landed."""
    fields = RolloutGuard.model_fields
    if "hypercare_interval" not in fields:
        return False
    try:
        RolloutGuard.model_validate(raw("002")["rollout_guard"])
    except ValueError:
        return False
    return True


def loadable(key: str, tmp_path: Path) -> Path:
    """The overlay, or (until the controller change lands) a copy without the two new guard
    fields, which are then checked against this file's own reading of the spec."""
    if guard_has_new_fields():
        return overlay(key)
    data = raw(key)
    for name in NEW_GUARD_FIELDS:
        data["rollout_guard"].pop(name, None)
    copy = tmp_path / overlay(key).name
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return copy


def flat(text: str) -> str:
    """Whitespace collapsed and Markdown bold dropped: how the runbook's words are compared."""
    return " ".join(text.replace("**", "").split())


def notes(key: str) -> dict[str, list[FaultSpec]]:
    found: dict[str, list[FaultSpec]] = {"catches": [], "under": []}
    for line in overlay(key).read_text(encoding="utf-8").splitlines():
        match = NOTE.match(line.strip())
        if match:
            found[match.group(1).lower()].append(FaultSpec.parse(match.group(2).rstrip(",;")))
    return found


def walk(value: object, key: str | None = None) -> Iterator[tuple[str | None, object]]:
    """Every (key, value) pair in a YAML tree."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
            yield from walk(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_seed_is_the_shared_seed_byte_for_byte(key: str) -> None:
    shared = SHARED_SEEDS / SEED_NAMES[key]
    assert shared.is_file(), f"missing {shared}"
    assert seed(key).read_bytes() == shared.read_bytes()


def test_one_overlay_per_seed() -> None:
    assert sorted(p.name for p in OVERLAYS.glob("*.yaml")) == sorted(f"{seed(k).stem}.yaml" for k in KEYS)


# -- loading -----------------------------------------------------------------------------------


def _gates(runbook: Runbook) -> list[tuple[str, str]]:
    return [(item.id, item.gate.kind) for item in runbook.gates() if item.gate is not None]


@pytest.mark.parametrize("key", KEYS)
def test_overlay_loads_matches_every_rule_and_keeps_the_runbook(key: str, tmp_path: Path) -> None:
    plain = load_runbook(seed(key))
    runbook = load_runbook(seed(key), overlay=loadable(key, tmp_path))  # a rule matching nothing raises
    assert runbook.rollout_guard is not None
    # every rule reached its items: the checks on the runbook are exactly the rules' checks
    expected = 0
    for rule in raw(key)["items"]:
        match = rule["match"]
        assert set(match) <= {"text", "contains", "all"}, match
        if "text" in match:
            hits = [i for i in runbook.all_items() if normalize(i.text) == normalize(match["text"])]
        else:
            hits = [i for i in runbook.all_items() if normalize(match["contains"]) in normalize(i.text)]
        assert hits, match
        assert len(hits) == 1 or match.get("all") is True, match
        for item in hits:
            assert len(item.checks) == len(rule["checks"]), (item.line, item.text)
        expected += len(hits) * len(rule["checks"])
    assert sum(len(item.checks) for item in runbook.all_items()) == expected
    # the runbook's gates, sign-offs, policies and criteria are its own
    assert _gates(runbook) == _gates(plain)
    assert [(s.role, s.source) for s in runbook.sign_offs] == [(s.role, s.source) for s in plain.sign_offs]
    assert [(p.rule, p.line) for p in runbook.policies] == [(p.rule, p.line) for p in plain.policies]
    assert [c.text for c in runbook.rollback_criteria] == [c.text for c in plain.rollback_criteria]
    assert "policies" not in raw(key) and "gate_rules" not in raw(key)
    # checks a person does not attest: no manual check is added, no item loses its owner
    assert all(check.kind in ("http", "metric") for item in runbook.all_items() for check in item.checks)


def test_the_runbooks_own_gates_and_rules_survive() -> None:
    signoffs = load_runbook(seed("002"), overlay=overlay_or_copy("002")).sign_offs
    assert [s.role for s in signoffs] == ["Deployment Lead", "QA Lead", "Operations", "Product Owner"]
    policies = load_runbook(seed("003"), overlay=overlay_or_copy("003")).policies
    assert ("no_friday", 345) in [(p.rule, p.line) for p in policies]  # from the runbook's Don'ts


def overlay_or_copy(key: str) -> Path:
    import tempfile

    return loadable(key, Path(tempfile.mkdtemp(prefix="golive-overlay-")))


# -- the rollout guard -------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_guard_validates(key: str) -> None:
    guard = raw(key)["rollout_guard"]
    if guard_has_new_fields():
        spec = RolloutGuard.model_validate(guard)
    else:  # the controller change has not landed: the rest validates, the two fields by our reading
        spec = RolloutGuard.model_validate({k: v for k, v in guard.items() if k not in NEW_GUARD_FIELDS})
    assert spec.interval.total_seconds() == 30 and not spec.from_criteria
    assert spec.hypercare is not None and spec.hypercare > parse_duration("0s")
    interval = parse_duration(str(guard["hypercare_interval"]))
    assert parse_duration("0s") < interval <= spec.hypercare
    procedure = guard["rollback_procedure"]
    assert isinstance(procedure, list) and procedure
    lines = seed(key).read_text(encoding="utf-8").splitlines()
    for step in procedure:  # {text, line, action: Actuator} or {text, line, check: a check}
        assert set(step) in ({"text", "line", "action"}, {"text", "line", "check"}), step
        if "action" in step:
            action = Actuator.model_validate(step["action"])
            assert action.kind == "webhook" and (action.url or "").startswith(STANDIN)
        else:
            check = prepare_check(step["check"], source=f"{key} rollback procedure")
            assert check.spec.kind == "http" and str(getattr(check.spec, "url", "")).startswith(STANDIN)
        assert flat(step["text"]) in flat(lines[step["line"] - 1]), (step["line"], step["text"])
    # the procedure acts first, and ends by proving the stand-in is healthy again
    assert "action" in procedure[0]
    assert "check" in procedure[-1] and "/health" in procedure[-1]["check"]["url"]
    for component in spec.components:
        assert component.rollback is not None, component.name  # every component can be rolled back


@pytest.mark.parametrize("key", KEYS)
def test_triggers_quote_the_runbook_and_read_the_window(key: str) -> None:
    text = flat(seed(key).read_text(encoding="utf-8"))
    guard = RolloutGuard.model_validate(
        {k: v for k, v in raw(key)["rollout_guard"].items() if k not in NEW_GUARD_FIELDS}
    )
    assert guard.triggers
    names = [t.name for t in guard.triggers]
    assert len(set(names)) == len(names)
    for trigger in guard.triggers:
        assert trigger.text and flat(trigger.text) in text, trigger.text
        assert trigger.source == "http_json" and trigger.path and trigger.interval is None
        parts = urlsplit(trigger.url or "")
        assert f"{parts.scheme}://{parts.netloc}/" == STANDIN and parts.path == "/metrics/window"
        seconds = float(parse_qs(parts.query)["seconds"][0])
        assert 0.5 <= seconds <= 300
        compile_condition(trigger.breach, known={"value"})


def test_shapes_the_brief_names() -> None:
    def guard(key: str) -> RolloutGuard:
        data = raw(key)["rollout_guard"]
        return RolloutGuard.model_validate({k: v for k, v in data.items() if k not in NEW_GUARD_FIELDS})

    g000 = guard("000")
    assert g000.hypercare == parse_duration("72h") and [t.reaction for t in g000.triggers] == ["pause"]
    g001 = guard("001")
    assert [c.name for c in g001.components] == ["migrations", "backend", "frontend", "store"]
    store = g001.components[-1]
    assert store.rollback is not None and (store.rollback.url or "").endswith("/admin/kill-switch")
    assert store.rollback.json_body == {"feature": "purchases", "enabled": False}
    g002 = guard("002")
    assert {t.path for t in g002.triggers} == {"canary.health_up", "canary.error_rate", "latency_p95_ratio"}
    assert raw("002")["rollout_guard"]["rollback_procedure"][0]["line"] == 213
    g003 = guard("003")
    assert [c.name for c in g003.components] == ["web", "backend", "mobile"]
    web = g003.components[0]
    assert [(s.weight, s.bake) for s in web.steps] == [
        (10, parse_duration("1h")),
        (50, parse_duration("1h")),
        (100, None),
    ]
    g004 = guard("004")
    assert g004.hypercare == parse_duration("7d")
    error = next(t for t in g004.triggers if t.text == "Error rate > 1% for > 10 minutes")
    assert error.breach == "value > 0.01" and error.for_duration == parse_duration("10m")
    # components that carry no traffic are recorded with /admin/deploy, never with /admin/weight
    for key in KEYS:
        weights = [c for c in guard(key).components if (c.set_weight.url or "").endswith("/admin/weight")]
        assert len(weights) == 1, key


# -- only the stand-in -------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_every_url_targets_the_standin_and_nothing_runs_a_command(key: str) -> None:
    urls = [value for name, value in walk(raw(key)) if name == "url"]
    assert urls
    for url in urls:
        assert isinstance(url, str) and url.startswith(STANDIN), url
    kinds = {value for name, value in walk(raw(key)) if name == "kind"}
    assert kinds <= {"http", "metric", "webhook"}, kinds
    assert not {name for name, _ in walk(raw(key))} & {"argv", "run", "command"}


# -- what the triggers catch, against the stand-in's own numbers -------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 5000.05

    def __call__(self) -> float:
        return self.now


def _lookup(report: dict[str, Any], path: str) -> Any:
    value: Any = report
    for part in path.split("."):
        value = value[part]
    return value


def _breaches(key: str, fault: FaultSpec, weight: float) -> dict[str, bool | None]:
    """Each trigger's reading of 3 s of the stand-in's traffic at ``weight`` with ``fault``:
    True (breach), False (ok) or None (could not measure: null)."""
    from golive.demo_target.state import DemoConfig, Target
    from golive.demo_target.traffic import SyntheticTraffic

    clock = _Clock()
    target = Target(DemoConfig(seed=11, weight=weight), clock=clock)
    traffic = SyntheticTraffic(target, 1000, seed=11, clock=clock)
    target.add_fault(fault.to_request())
    traffic.catch_up()
    for _ in range(30):
        clock.now += 0.1
        traffic.catch_up()
    guard = RolloutGuard.model_validate(
        {k: v for k, v in raw(key)["rollout_guard"].items() if k not in NEW_GUARD_FIELDS}
    )
    out: dict[str, bool | None] = {}
    for trigger in guard.triggers:
        seconds = float(parse_qs(urlsplit(trigger.url or "").query)["seconds"][0])
        value = _lookup(target.window(seconds), trigger.path or "")
        if value is None or not math.isfinite(value):
            out[trigger.name] = None
            continue
        outcome = evaluate(compile_condition(trigger.breach, known={"value"}), {"value": float(value)})
        assert outcome.error is None, outcome
        out[f"{trigger.name}:{trigger.reaction}"] = bool(outcome.passed)
    return out


def _stopping(readings: dict[str, bool | None]) -> list[str]:
    """The triggers that breach and would stop the rollout (rollback or pause, not alert)."""
    return [name for name, breach in readings.items() if breach and not name.endswith(":alert")]


@pytest.mark.parametrize("key", KEYS)
def test_top_comment_names_faults_the_triggers_catch_and_let_through(key: str) -> None:
    found = notes(key)
    assert found["catches"] and found["under"], found
    first = overlay(key).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# catches: ")
    for fault in found["catches"]:
        assert fault.at_weight == 50, fault
        assert _stopping(_breaches(key, fault, 50)), (str(fault), _breaches(key, fault, 50))
    for fault in found["under"]:
        for weight in (50, 100):
            readings = _breaches(key, fault, weight)
            assert not _stopping(readings), (str(fault), weight, readings)
    healthy = _breaches(key, FaultSpec.parse("error_rate=0@50"), 50)
    assert not any(healthy.values()), healthy  # no trigger, not even an alert, on a healthy canary
    if key in ERROR_THRESHOLD_5_PERCENT:
        assert FaultSpec.parse("error_rate=0.06@50") in found["catches"]
        under = [f for f in found["under"] if f.kind == "error_rate"]
        assert under and all(float(f.value) <= 0.025 for f in under)


def test_the_rehearsal_fault_of_6_percent_is_caught_where_the_runbook_says_5_or_less() -> None:
    fault = FaultSpec.parse("error_rate=0.06@50")
    for key in ("002", "003", "004"):
        assert _stopping(_breaches(key, fault, 50)), key
    for key in ("000", "001"):  # these runbooks state no error-rate threshold
        assert not _stopping(_breaches(key, fault, 50)), key


# -- the checks against a real stand-in ----------------------------------------------------------


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", "demo-target", "--port", "0", "--rps", "400", "--seed", "5", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"the stand-in did not start: {line!r} {err}")
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0 and "Traceback" not in err, err


@pytest.fixture(scope="module")
def healthy_port() -> Iterator[str]:
    process, port = _start()
    try:
        yield port
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def down_port() -> Iterator[str]:
    """A stand-in whose stable version (the one serving at weight 0) has its health down."""
    process, port = _start("--fault", "stable:health=down")
    try:
        yield port
    finally:
        _stop(process)


def _wait_for_traffic(port: str) -> None:
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics/window?seconds=1", timeout=5) as answer:
            if json.loads(answer.read())["all"]["requests"] >= 200:
                return
        time.sleep(0.1)
    pytest.fail("no synthetic traffic in the stand-in's window")


@pytest.mark.parametrize("key", KEYS)
def test_checks_pass_against_a_healthy_standin(key: str, healthy_port: str, tmp_path: Path) -> None:
    _wait_for_traffic(healthy_port)
    run = check_runbook(seed(key), overlay=loadable(key, tmp_path), values={"target_port": healthy_port})
    assert run.results
    bad = [(c.source, r.status, r.summary, r.message) for c, r in zip(run.checks, run.results, strict=True)]
    assert all(r.status == "passed" for r in run.results), [b for b in bad if b[1] != "passed"]


@pytest.mark.parametrize("key", KEYS)
def test_health_checks_fail_when_health_is_down(key: str, down_port: str, tmp_path: Path) -> None:
    _wait_for_traffic(down_port)
    run = check_runbook(seed(key), overlay=loadable(key, tmp_path), values={"target_port": down_port})
    health = [
        (check, result)
        for check, result in zip(run.checks, run.results, strict=True)
        if check.spec.kind == "http" and "/health" in str(getattr(check.spec, "url", ""))
    ]
    assert health, "no health check in the overlay"
    for check, result in health:
        assert result.status == "failed", (check.source, result.status, result.summary)
        assert result.observed.get("status") == 503


@pytest.fixture(scope="module")
def actuated_port() -> Iterator[str]:
    """A stand-in of its own for the actuator test: kill switches and rollbacks stay out of the
    other tests' windows."""
    process, port = _start()
    try:
        yield port
    finally:
        _stop(process)


def _admin(port: str, method: str, path: str) -> Any:
    import json
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.parametrize("key", KEYS)
def test_actuators_and_rollback_procedure_work_against_the_standin(key: str, actuated_port: str) -> None:
    """Every step, rollback and procedure step of the guard, run as the controller runs them."""
    import asyncio

    from golive.checks.context import CheckContext
    from golive.checks.runner import run_check
    from golive.rollout.actuators import run_actuator

    data = raw(key)["rollout_guard"]
    guard = RolloutGuard.model_validate({k: v for k, v in data.items() if k not in NEW_GUARD_FIELDS})
    values = {"target_port": actuated_port, "version": "1.1.0", "env": "rehearsal", "service": key}
    _admin(actuated_port, "POST", "/admin/reset")

    async def play() -> list[tuple[str, bool, str]]:
        ctx = CheckContext(values=dict(values))
        done: list[tuple[str, bool, str]] = []
        try:
            for component in guard.components:
                for index, step in enumerate(component.steps):
                    step_values = {**values, "weight": f"{step.weight:g}", "component": component.name}
                    result = await run_actuator(
                        component.set_weight,
                        step_values,
                        ctx,
                        name=f"{component.name} {step.weight:g}%",
                        key=f"test-{key}:{component.name}:step-{index}",
                    )
                    done.append((f"{component.name} {step.weight:g}%", result.ok, result.summary))
            for component in guard.components:
                assert component.rollback is not None
                result = await run_actuator(
                    component.rollback,
                    {**values, "weight": "0", "component": component.name},
                    ctx,
                    name=f"{component.name} rollback",
                    key=f"test-{key}:{component.name}:rollback",
                )
                done.append((f"{component.name} rollback", result.ok, result.summary))
            for index, step in enumerate(data["rollback_procedure"]):
                if "action" in step:
                    outcome = await run_actuator(
                        Actuator.model_validate(step["action"]),
                        {**values, "weight": "0", "component": ""},
                        ctx,
                        name=f"procedure {index + 1}",
                        key=f"test-{key}:rollback-procedure:{index}",
                    )
                    done.append((step["text"], outcome.ok, outcome.summary))
                else:
                    checked = await run_check(prepare_check(step["check"], source="procedure"), ctx)
                    done.append((step["text"], checked.status == "passed", checked.summary))
        finally:
            await ctx.close()
        return done

    done = asyncio.run(play())
    assert all(ok for _, ok, _ in done), [d for d in done if not d[1]]
    state = _admin(actuated_port, "GET", "/admin/state")
    recorded = {c.name for c in guard.components if (c.set_weight.url or "").endswith("/admin/deploy")}
    assert set(state["components"]) == recorded
    undone = {c.name for c in guard.components if c.rollback is not None and c.rollback == c.set_weight}
    for name in recorded:  # recorded components roll back to 0, unless their rollback is a kill switch
        assert state["components"][name]["weight"] == (0 if name in undone else 100), name
    if key == "001":  # the store cannot be pulled back: its weight stays, purchases are off
        assert state["weight"] == 100 and not state["rolled_back"]
        assert state["features"] == {"purchases": False, "orders": True, "payments": False}
    else:
        assert state["weight"] == 0 and state["rolled_back"]
    if key == "003":  # iOS cannot roll back: the mobile release stays, payments are switched off
        assert state["features"]["payments"] is False
    calls = _admin(actuated_port, "GET", "/admin/calls")["calls"]
    assert all(call["status"] == 200 for call in calls[-len(done) :])
