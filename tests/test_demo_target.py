"""``golive demo-target``: the stand-in service, run as a real subprocess and driven over HTTP.

One target process serves the module (reset through ``POST /admin/reset`` before
each test); the stop and bad-input tests start their own. A stopped target exits
0: SIGTERM and SIGINT are handled, so the exit code is never -15.
"""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from golive.demo_target import FaultSpec
from golive.errors import InputError
from tests.conftest import ROOT, run_golive

LINE = re.compile(r"^demo-target listening on http://127\.0\.0\.1:(\d+) \(stable (\S+), canary (\S+)\)$")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float

    @property
    def role(self) -> str:
        return self.headers["X-Version-Role"]


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Demo:
    process: subprocess.Popen[str]
    base: str
    ledger: Path | None

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, text = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            status, headers, text = exc.code, dict(exc.headers), exc.read()
            exc.close()
        seconds = time.perf_counter() - started
        is_json = headers.get("Content-Type", "").startswith("application/json")
        return Reply(status, headers, json.loads(text) if is_json else text.decode(), seconds)

    def get(self, path: str) -> Reply:
        return self.call("GET", path)

    def post(
        self, path: str, body: object = None, raw: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return self.call("POST", path, body, raw, headers)

    def weight(self, value: float) -> None:
        reply = self.post("/admin/weight", {"weight": value})
        assert reply.status == 200, reply.body

    def fault(self, **body: object) -> str:
        reply = self.post("/admin/faults", body)
        assert reply.status == 201, reply.body
        assert reply.body["id"] == reply.body["fault"]["id"]
        return str(reply.body["id"])

    def scrape(self) -> Samples:
        reply = self.get("/metrics")
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        samples: Samples = {}
        for family in text_string_to_metric_families(reply.body):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(value for (n, lbls), value in samples.items() if n == name and want <= set(lbls))


def start(*args: str) -> tuple[subprocess.Popen[str], re.Match[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", "demo-target", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline().strip() if ready else ""
    match = LINE.match(line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"no listening line, got {line!r}; stderr: {err}")
    return process, match


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    return process.returncode, err


@pytest.fixture(scope="module")
def target_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ledger = tmp_path_factory.mktemp("demo-target") / "ledger.jsonl"
    process, match = start("--rps", "50", "--seed", "7", "--ledger", str(ledger))
    assert match.group(2, 3) == ("1.0.0", "1.1.0")
    demo = Demo(process, f"http://127.0.0.1:{match.group(1)}", ledger)
    try:
        yield demo
    finally:
        code, err = stop(process)
        assert code == 0 and "Traceback" not in err, err


@pytest.fixture
def demo(target_process: Demo) -> Demo:
    reply = target_process.post("/admin/reset")
    assert reply.status == 200 and reply.body["weight"] == 0 and reply.body["faults"] == []
    return target_process


# -- versions and weights ---------------------------------------------------------------------


def test_weight_0_is_stable_100_is_canary_50_is_both(demo: Demo) -> None:
    for path in ("/api/health", "/api/v1/health"):
        for _ in range(20):
            reply = demo.get(path)
            assert reply.status == 200
            assert reply.headers["X-Version"] == "1.0.0" and reply.role == "stable"
            assert reply.body["status"] == "healthy" and reply.body["version"] == "1.0.0"
            assert reply.body["ttl_seconds"] == 60 and reply.body["server_time"].endswith("Z")
    demo.weight(100)
    assert {demo.get("/api/health").headers["X-Version"] for _ in range(30)} == {"1.1.0"}
    demo.weight(50)
    roles = [demo.get("/api/v1/health").role for _ in range(200)]
    assert set(roles) == {"stable", "canary"}
    assert 0.35 < roles.count("canary") / len(roles) < 0.65


def test_application_endpoints(demo: Demo) -> None:
    detailed = demo.get("/api/v1/health/detailed")
    assert detailed.status == 200
    assert {name: c["status"] for name, c in detailed.body["components"].items()} == {
        "database": "healthy",
        "redis": "healthy",
        "payments": "healthy",
    }
    metrics = demo.get("/api/v1/health/metrics")
    assert metrics.status == 200 and {"requests", "latency_ms", "uptime_seconds"} <= set(metrics.body)
    snapshot = demo.get("/api/entitlements/snapshot")
    assert snapshot.status == 200 and snapshot.body["ttl_seconds"] == 60 and "server_time" in snapshot.body

    # seed 001: "POST /api/purchases/verify with invalid receipt -> returns error (not 500)"
    for bad in ({"receipt": "forged"}, {}, None):
        reply = demo.post("/api/purchases/verify", bad)
        assert reply.status == 400 and reply.body["error"] == "invalid_receipt", reply.body
    not_json = demo.post("/api/purchases/verify", raw=b"{nope")
    assert not_json.status == 400 and not_json.body["field"] == "body"
    assert demo.post("/api/purchases/verify", {"receipt": "demo-123"}).body["verified"] is True

    before = demo.scrape()
    order = demo.post("/api/orders", {"items": ["latte"]})
    payment = demo.post("/api/payments", {"amount": 4.5})
    assert order.status == 201 and order.body["order_id"].startswith("o-")
    assert payment.status == 201 and payment.body["result"] == "success"
    assert demo.post("/api/payments", {"amount": -1}).status == 400
    after = demo.scrape()
    assert total(after, "orders_total", version="stable") > total(before, "orders_total", version="stable")
    assert total(after, "http_requests_total", route="/api/payments", status="400") >= 1

    index = demo.get("/")
    assert "GET /api/health" in index.body["routes"]


# -- metrics and synthetic traffic -------------------------------------------------------------


def test_metrics_and_synthetic_traffic_split_by_weight(demo: Demo) -> None:
    demo.weight(30)
    time.sleep(0.3)  # let the tick in flight finish at the old weight
    first, t0 = demo.scrape(), time.perf_counter()
    time.sleep(1.0)
    second, t1 = demo.scrape(), time.perf_counter()

    stable = total(second, "http_requests_total", version="stable") - total(
        first, "http_requests_total", version="stable"
    )
    canary = total(second, "http_requests_total", version="canary") - total(
        first, "http_requests_total", version="canary"
    )
    expected = 50 * (t1 - t0)
    assert expected - 12 <= stable + canary <= expected + 12, (stable, canary, expected)
    assert abs(canary / (stable + canary) - 0.30) < 0.06, (stable, canary)

    for name in ("orders_total", "payments_total", "http_request_duration_seconds_count"):
        assert total(second, name) > total(first, name), name
    assert second[("canary_weight", ())] == 30
    assert total(second, "health_up", version="stable") == 1 == total(second, "health_up", version="canary")
    assert total(second, "demo_target_info", version="canary", build="1.1.0") == 1
    assert total(second, "demo_target_info", version="stable", build="1.0.0") == 1
    faults = [key for key in second if key[0] == "demo_target_faults"]
    assert len(faults) == 8 and all(second[key] == 0 for key in faults)
    buckets = {
        dict(labels)["le"]
        for (name, labels) in second
        if name == "http_request_duration_seconds_bucket" and dict(labels)["version"] == "canary"
    }
    assert {"0.005", "0.05", "1.0", "10.0", "+Inf"} <= buckets
    # the series a fault moves exist before the first fault, at 0 (a query gets 0, not no data)
    key = ("http_requests_total", (("route", "/api/orders"), ("status", "500"), ("version", "canary")))
    assert second[key] == 0
    assert total(second, "payments_total", version="canary", result="failure") == 0
    assert not any(name.endswith("_created") for name, _ in second)


def test_synthetic_count_is_exact_and_honours_faults() -> None:
    from golive.demo_target.state import DemoConfig, Target
    from golive.demo_target.traffic import SyntheticTraffic

    target = Target(DemoConfig(seed=3, weight=30))
    traffic = SyntheticTraffic(target, 50, seed=3)
    counts = [traffic.step(0.1) for _ in range(10)]
    assert sum(s + c for s, c in counts) == 50
    assert sum(c for _, c in counts) == 15
    odd = [traffic.step(0.013) for _ in range(1000)]  # 13 s in uneven ticks
    assert sum(s + c for s, c in odd) in (649, 650, 651)

    value = target.metrics.registry.get_sample_value
    target.weight = 100
    target.add_fault({"kind": "error_rate", "value": 1.0})

    def canary_500s() -> float:
        return sum(
            value("http_requests_total", {"version": "canary", "route": route, "status": "500"}) or 0
            for route in (
                "/api/entitlements/snapshot",
                "/api/orders",
                "/api/payments",
                "/api/purchases/verify",
            )
        )

    before = canary_500s()
    assert traffic.step(1.0) == (0, 50)
    assert canary_500s() - before == 50

    target.reset()
    target.weight = 100
    target.add_fault({"kind": "payment_failure", "value": 1})
    succeeded = value("payments_total", {"version": "canary", "result": "success"})
    traffic.step(2.0)
    assert (value("payments_total", {"version": "canary", "result": "failure"}) or 0) > 0
    assert value("payments_total", {"version": "canary", "result": "success"}) == succeeded


# -- faults ----------------------------------------------------------------------------------------


def test_error_rate_fault(demo: Demo) -> None:
    demo.weight(100)
    demo.fault(kind="error_rate", value=0.5)
    before = demo.scrape()
    replies = [demo.get("/api/entitlements/snapshot") for _ in range(200)]
    errors = [r for r in replies if r.status == 500]
    assert 60 <= len(errors) <= 140, len(errors)
    assert {r.status for r in replies} == {200, 500} and {r.role for r in replies} == {"canary"}
    assert errors[0].body["error"] == "internal_error"
    assert all(demo.get("/api/health").status == 200 for _ in range(20))  # health follows the health fault
    after = demo.scrape()
    grown = total(after, "http_requests_total", version="canary", status="500") - total(
        before, "http_requests_total", version="canary", status="500"
    )
    assert grown >= len(errors)
    assert total(after, "demo_target_faults", version="canary", kind="error_rate") == 0.5


def test_fault_waits_for_weight(demo: Demo) -> None:
    fault_id = demo.fault(kind="error_rate", value=1.0, at_weight=50)
    demo.weight(10)
    assert demo.get("/admin/state").body["faults"][0]["active"] is False
    assert total(demo.scrape(), "demo_target_faults", version="canary", kind="error_rate") == 0
    assert {demo.get("/api/entitlements/snapshot").status for _ in range(60)} == {200}

    demo.weight(50)
    state = demo.get("/admin/state").body
    assert state["faults"][0] == {**state["faults"][0], "id": fault_id, "active": True}
    assert total(demo.scrape(), "demo_target_faults", version="canary", kind="error_rate") == 1
    replies = [demo.get("/api/entitlements/snapshot") for _ in range(80)]
    assert {(r.role, r.status) for r in replies} == {("stable", 200), ("canary", 500)}


def test_fault_waits_for_time(demo: Demo) -> None:
    demo.weight(100)
    set_at = time.perf_counter()
    demo.fault(kind="error_rate", value=1, after_seconds=1)
    early = []
    for _ in range(10):
        status = demo.get("/api/entitlements/snapshot").status
        if time.perf_counter() - set_at < 0.95:  # surely answered before the fault started
            early.append(status)
    assert early and set(early) == {200}
    time.sleep(max(0.0, 1.15 - (time.perf_counter() - set_at)))
    assert {demo.get("/api/entitlements/snapshot").status for _ in range(10)} == {500}


def test_health_down(demo: Demo) -> None:
    demo.weight(100)
    demo.fault(kind="health", value="down")
    for path in ("/api/health", "/api/v1/health", "/api/v1/health/detailed"):
        reply = demo.get(path)
        assert reply.status == 503 and reply.body["status"] == "unhealthy", path
    detailed = demo.get("/api/v1/health/detailed").body
    assert detailed["components"]["database"]["status"] == "unhealthy"
    samples = demo.scrape()
    assert total(samples, "health_up", version="canary") == 0
    assert total(samples, "health_up", version="stable") == 1
    assert total(samples, "demo_target_faults", version="canary", kind="health") == 1
    demo.weight(0)
    assert demo.get("/api/health").status == 200
    assert total(demo.scrape(), "health_up", version="canary") == 0  # still down, just no traffic


def test_latency_fault(demo: Demo) -> None:
    demo.weight(100)
    demo.fault(kind="latency_ms", value=300)
    slow = demo.get("/api/entitlements/snapshot")
    assert slow.status == 200 and slow.seconds >= 0.3
    first = demo.scrape()
    time.sleep(0.5)
    second = demo.scrape()
    count = total(second, "http_request_duration_seconds_count", version="canary") - total(
        first, "http_request_duration_seconds_count", version="canary"
    )
    fast = total(second, "http_request_duration_seconds_bucket", version="canary", le="0.25") - total(
        first, "http_request_duration_seconds_bucket", version="canary", le="0.25"
    )
    assert count > 0 and fast == 0
    assert total(second, "demo_target_faults", version="canary", kind="latency_ms") == 300
    demo.weight(0)
    assert demo.get("/api/entitlements/snapshot").seconds < 0.3


def test_payment_failure(demo: Demo) -> None:
    demo.weight(100)
    demo.fault(kind="payment_failure", value=1.0)
    before = demo.scrape()
    reply = demo.post("/api/payments", {"amount": 12.5})
    assert reply.status == 402 and reply.body["error"] == "payment_failed"
    assert demo.post("/api/orders").status == 201  # orders still work
    assert demo.get("/api/v1/health/detailed").body["components"]["payments"]["status"] == "degraded"
    after = demo.scrape()
    failed = total(after, "payments_total", version="canary", result="failure") - total(
        before, "payments_total", version="canary", result="failure"
    )
    assert failed >= 1
    assert total(after, "payments_total", version="canary", result="success") == total(
        before, "payments_total", version="canary", result="success"
    )


def test_kill_switch(demo: Demo) -> None:
    off = demo.post("/admin/kill-switch", {"feature": "purchases", "enabled": False})
    assert off.status == 200 and off.body["features"]["purchases"] is False
    reply = demo.post("/api/purchases/verify", {"receipt": "demo-1"})
    assert reply.status == 503 and "temporarily unavailable" in reply.body["detail"]
    assert total(demo.scrape(), "demo_target_feature_enabled", feature="purchases") == 0
    assert demo.post("/api/orders").status == 201
    demo.post("/admin/kill-switch", {"feature": "purchases", "enabled": True})
    assert demo.post("/api/purchases/verify", {"receipt": "demo-1"}).status == 200
    bad = demo.post("/admin/kill-switch", {"feature": "refunds", "enabled": False})
    assert bad.status == 400 and bad.body["field"] == "feature"


def test_rollback(demo: Demo) -> None:
    demo.weight(50)
    state = demo.post("/admin/rollback", {"reason": "error rate"}).body
    assert state["weight"] == 0 and state["rolled_back"] is True and state["rolled_back_at"]
    assert {demo.get("/api/health").role for _ in range(30)} == {"stable"}
    samples = demo.scrape()
    assert samples[("canary_weight", ())] == 0 and samples[("demo_target_rolled_back", ())] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weight": 150}, "weight"),
        ({"weight": -1}, "weight"),
        ({"weight": "50"}, "weight"),
        ({"weight": True}, "weight"),
        ({}, "weight"),
        (b"weight=50", "body"),
    ],
)
def test_bad_weight_is_400(demo: Demo, body: object, field: str) -> None:
    demo.weight(20)
    if isinstance(body, bytes):
        reply = demo.post("/admin/weight", raw=body)
    else:
        reply = demo.post("/admin/weight", body)
    assert reply.status == 400
    assert reply.body["error"] == "bad_input" and reply.body["field"] == field
    assert "expected" in reply.body["message"]
    assert demo.get("/admin/state").body["weight"] == 20


def test_bad_fault_is_400_and_faults_can_be_cleared(demo: Demo) -> None:
    for body, field in (
        ({"kind": "errors", "value": 0.1}, "kind"),
        ({"kind": "error_rate", "value": 2}, "value"),
        ({"kind": "error_rate"}, "value"),
        ({"kind": "health", "value": "sick"}, "value"),
        ({"kind": "error_rate", "value": 0.1, "at_weight": 101}, "at_weight"),
        ({"kind": "error_rate", "value": 0.1, "version": "blue"}, "version"),
        ({"kind": "error_rate", "value": 0.1, "atweight": 5}, "atweight"),
    ):
        reply = demo.post("/admin/faults", body)
        assert reply.status == 400 and reply.body["field"] == field, (body, reply.body)
    first = demo.fault(kind="error_rate", value=0.1)
    demo.fault(kind="latency_ms", value=10, version="stable")
    assert demo.call("DELETE", f"/admin/faults/{first}").status == 200
    assert demo.call("DELETE", f"/admin/faults/{first}").status == 404
    assert demo.call("DELETE", "/admin/faults").body == {"cleared": 1}
    assert demo.get("/admin/faults").body == {"faults": []}


def test_admin_calls_are_logged_and_ledgered(demo: Demo) -> None:
    demo.weight(10)
    demo.post("/admin/weight", {"weight": 500})
    demo.fault(kind="error_rate", value=0.2, at_weight=50)
    demo.call("DELETE", "/admin/faults")
    calls = demo.get("/admin/calls").body["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls[-4:]] == [
        ("POST", "/admin/weight", 200),
        ("POST", "/admin/weight", 400),
        ("POST", "/admin/faults", 201),
        ("DELETE", "/admin/faults", 200),
    ]
    assert calls[-2]["body"] == {"kind": "error_rate", "value": 0.2, "at_weight": 50}
    assert [c["seq"] for c in calls] == list(range(1, len(calls) + 1))
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", c["time"]) for c in calls)
    assert not any(c["path"] in ("/admin/state", "/admin/calls") for c in calls)  # reads are not calls
    assert demo.ledger is not None
    lines = demo.ledger.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == calls


def test_idempotency_keys_apply_an_action_once_and_replay_it(demo: Demo) -> None:
    step = {"Idempotency-Key": "rel-1:web:step-0"}
    first = demo.post("/admin/weight", {"weight": 10}, headers=step)
    assert first.status == 200 and first.body["weight"] == 10 and first.body["replayed"] is False
    demo.weight(30)  # someone else moves the weight (no key: always applied)
    again = demo.post("/admin/weight", {"weight": 10}, headers=step)  # a resumed controller
    assert again.status == 200 and again.body["replayed"] is True
    assert again.body["weight"] == 30  # not applied again: the current state is answered
    other = demo.post("/admin/weight", {"weight": 50}, headers=step)  # the key names another action
    assert other.status == 409 and other.body["error"] == "idempotency_key_reused", other.body
    assert other.body["field"] == "Idempotency-Key" and demo.get("/admin/state").body["weight"] == 30
    bad = demo.post("/admin/weight", {"weight": 500}, headers={"Idempotency-Key": "rel-1:web:step-1"})
    assert bad.status == 400  # bad input does not use up its key
    ok = demo.post("/admin/weight", {"weight": 50}, headers={"Idempotency-Key": "rel-1:web:step-1"})
    assert ok.status == 200 and ok.body["replayed"] is False and ok.body["weight"] == 50
    assert demo.post("/admin/weight", {"weight": 1}, headers={"Idempotency-Key": " "}).status == 400

    rollback = {"Idempotency-Key": "rel-1:web:rollback"}
    done = demo.post("/admin/rollback", {"reason": "golive"}, headers=rollback)
    assert done.status == 200 and done.body["rolled_back"] is True and done.body["replayed"] is False
    demo.weight(20)
    replay = demo.post("/admin/rollback", {"reason": "golive"}, headers=rollback)
    assert replay.status == 200 and replay.body["replayed"] is True
    assert replay.body["weight"] == 20 and replay.body["rolled_back"] is False  # not rolled back twice

    calls = demo.get("/admin/calls").body["calls"][-10:]
    assert [(c["path"], c["status"], c["replayed"]) for c in calls] == [
        ("/admin/weight", 200, False),
        ("/admin/weight", 200, False),
        ("/admin/weight", 200, True),
        ("/admin/weight", 409, False),
        ("/admin/weight", 400, False),
        ("/admin/weight", 200, False),
        ("/admin/weight", 400, False),
        ("/admin/rollback", 200, False),
        ("/admin/weight", 200, False),
        ("/admin/rollback", 200, True),
    ]
    assert calls[2]["idempotency_key"] == "rel-1:web:step-0" and "idempotency_key" not in calls[1]
    assert demo.ledger is not None
    ledgered = [json.loads(line) for line in demo.ledger.read_text(encoding="utf-8").splitlines()]
    assert ledgered[-10:] == calls
    # POST /admin/reset forgets the keys, like a restart
    demo.post("/admin/reset")
    fresh = demo.post("/admin/weight", {"weight": 10}, headers=step)
    assert fresh.body["replayed"] is False and fresh.body["weight"] == 10


# -- the --fault syntax --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "request_body"),
    [
        ("error_rate=0.06@50", {"kind": "error_rate", "value": 0.06, "at_weight": 50}),
        ("latency_ms=2000@10", {"kind": "latency_ms", "value": 2000, "at_weight": 10}),
        ("health=down@100", {"kind": "health", "value": "down", "at_weight": 100}),
        ("payment_failure=0.03@50", {"kind": "payment_failure", "value": 0.03, "at_weight": 50}),
        (
            "payment_failure=3%@50+30s",
            {"kind": "payment_failure", "value": 0.03, "at_weight": 50, "after_seconds": 30},
        ),
        ("stable:error_rate=1%", {"kind": "error_rate", "value": 0.01, "version": "stable"}),
        ("Health=DOWN+2m", {"kind": "health", "value": "down", "after_seconds": 120}),
        (
            "error_rate=1@12.5+1.5",
            {"kind": "error_rate", "value": 1, "at_weight": 12.5, "after_seconds": 1.5},
        ),
    ],
)
def test_fault_spec_parses(text: str, request_body: dict[str, object]) -> None:
    spec = FaultSpec.parse(text)
    assert spec.to_request() == {"version": "canary", **request_body}
    assert FaultSpec.parse(str(spec)) == spec
    assert FaultSpec.from_json(spec.to_request()) == spec


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "kind"),
        ("error_rate", "kind"),
        ("errors=0.1", "kind"),
        ("blue:error_rate=0.1", "version"),
        ("error_rate=", "value"),
        ("error_rate=abc", "value"),
        ("error_rate=1.5", "value"),
        ("error_rate=nan", "value"),
        ("latency_ms=-5", "value"),
        ("latency_ms=5%", "value"),
        ("health=up", "value"),
        ("error_rate=0.1@150", "at_weight"),
        ("error_rate=0.1@half", "at_weight"),
        ("error_rate=0.1@", "at_weight"),
        ("error_rate=0.1+soon", "after_seconds"),
        ("error_rate=0.1+-5s", "after_seconds"),
    ],
)
def test_fault_spec_rejects(text: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        FaultSpec.parse(text)
    assert info.value.location == field
    assert info.value.message.startswith("expected ") and repr(text) in info.value.message


# -- the process -----------------------------------------------------------------------------


def test_start_options_and_sigterm_stop_cleanly() -> None:
    faults = ("--fault", "error_rate=1@50", "--fault", "stable:latency_ms=5")
    process, match = start("--rps", "20", "--weight", "100", "--canary-version", "2.0.0-rc1", *faults)
    try:
        assert match.group(2, 3) == ("1.0.0", "2.0.0-rc1")
        demo = Demo(process, f"http://127.0.0.1:{match.group(1)}", None)
        state = demo.get("/admin/state").body
        assert state["weight"] == 100 and state["versions"]["canary"]["version"] == "2.0.0-rc1"
        assert [(f["id"], f["kind"], f["active"]) for f in state["faults"]] == [
            ("f1", "error_rate", True),
            ("f2", "latency_ms", True),
        ]
        assert demo.get("/admin/calls").body == {"calls": []}  # start-up faults are no admin calls
        assert demo.get("/api/entitlements/snapshot").status == 500
    finally:
        code, err = stop(process)
    assert code == 0, err  # SIGTERM is handled: a clean exit, not -15
    assert err == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fault", "error_rate=2@50"], "--fault: value: expected a fraction"),
        (
            ["--ledger", "/nonexistent-dir/ledger.jsonl"],
            "--ledger: /nonexistent-dir/ledger.jsonl: cannot open",
        ),
        (["--port", "70000"], "--port"),
    ],
)
def test_bad_start_is_one_line_exit_2(args: list[str], expected: str) -> None:
    result = run_golive("demo-target", "--port", "0", *args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("golive: error: ") and expected in lines[0]
    assert result.stdout == ""
