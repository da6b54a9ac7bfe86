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


# -- the metrics window -------------------------------------------------------------------------

WINDOW_KEYS = {
    "requests",
    "errors",
    "error_rate",
    "latency_mean_ms",
    "latency_p95_ms",
    "payments",
    "payment_failures",
    "payment_failure_rate",
    "payment_success_rate",
    "orders",
    "order_requests",
    "order_success_rate",
    "health_up",
}


class ManualClock:
    """Monotonic seconds that move only when told (starting mid-bucket, away from edges)."""

    def __init__(self) -> None:
        self.now = 1000.05

    def __call__(self) -> float:
        return self.now


def _in_process(rps: float, weight: float = 0) -> tuple[Any, Any, ManualClock]:
    from golive.demo_target.state import DemoConfig, Target
    from golive.demo_target.traffic import SyntheticTraffic

    clock = ManualClock()
    target = Target(DemoConfig(seed=5, weight=weight), clock=clock)
    traffic = SyntheticTraffic(target, rps, seed=5, clock=clock)
    traffic.catch_up()  # starts counting from now
    return target, traffic, clock


def _run(traffic: Any, clock: ManualClock, seconds: float, tick: float = 0.1) -> None:
    for _ in range(round(seconds / tick)):
        clock.now += tick
        traffic.catch_up()


def test_window_is_exact_over_synthetic_traffic_and_faults() -> None:
    target, traffic, clock = _in_process(rps=1000, weight=50)
    for kind, value in (("error_rate", 0.06), ("payment_failure", 0.03), ("latency_ms", 300)):
        target.add_fault({"kind": kind, "value": value})
    _run(traffic, clock, 2.0)
    report = target.window(2)
    assert report["seconds"] == 2 and report["weight"] == 50
    assert set(report) == {"seconds", "weight", "stable", "canary", "all", "latency_p95_ratio"}
    stable, canary, both = report["stable"], report["canary"], report["all"]
    assert set(stable) == set(canary) == set(both) == WINDOW_KEYS
    # 2 s at 1000 rps, half each; every route's errors are exactly 6% of its requests
    assert stable["requests"] == canary["requests"] == 1000 and both["requests"] == 2000
    assert canary["errors"] == 60 and canary["error_rate"] == 0.06
    assert stable["errors"] == 0 and stable["error_rate"] == 0.0 and both["error_rate"] == 0.03
    assert canary["order_requests"] == 200 and canary["orders"] == 188  # 6% of 200 orders failed
    assert canary["order_success_rate"] == 0.94 and stable["order_success_rate"] == 1.0
    assert canary["payments"] == 188  # the 6% that failed with 500 never reached processing
    assert canary["payment_failures"] in (5, 6) and canary["payment_failure_rate"] == pytest.approx(
        0.03, abs=0.005
    )
    assert canary["payment_success_rate"] == pytest.approx(1 - canary["payment_failure_rate"])
    assert stable["payment_failures"] == 0 and stable["payment_success_rate"] == 1.0
    # latency: lognormal around 30 ms (p95 ~58 ms) on stable, +300 ms on the canary
    assert 45 < stable["latency_p95_ms"] < 75 and 20 < stable["latency_mean_ms"] < 45
    assert 330 < canary["latency_p95_ms"] < 375 and canary["latency_mean_ms"] > 300
    assert report["latency_p95_ratio"] == pytest.approx(
        canary["latency_p95_ms"] / stable["latency_p95_ms"], rel=1e-3
    )
    assert report["latency_p95_ratio"] > 5
    assert stable["health_up"] == canary["health_up"] == both["health_up"] == 1
    # a shorter window sees only its share
    assert target.window(0.5)["canary"]["requests"] == 250


def test_window_expires_and_nulls_what_it_cannot_divide() -> None:
    target, traffic, clock = _in_process(rps=100, weight=0)
    _run(traffic, clock, 1.0)
    report = target.window(5)
    assert report["stable"]["requests"] == 100 and report["latency_p95_ratio"] is None
    canary = report["canary"]  # the canary at 0% served nothing: no rate is 0, none is a pass
    assert canary["requests"] == canary["errors"] == canary["payments"] == canary["orders"] == 0
    for key in ("error_rate", "latency_mean_ms", "latency_p95_ms", "payment_failure_rate"):
        assert canary[key] is None, key
    assert canary["payment_success_rate"] is None and canary["order_success_rate"] is None
    assert canary["health_up"] == 1  # health is "now", not a count

    clock.now += 1.0  # one quiet second later the 1-second window is empty, the 5-second one is not
    assert target.window(1)["stable"]["requests"] == 0 and target.window(1)["stable"]["error_rate"] is None
    assert target.window(5)["stable"]["requests"] == 100
    assert target.window(0.5)["all"]["requests"] == 0

    # the ring is reused: after 400 s of traffic the longest window holds 300 s of it, no more
    _run(traffic, clock, 400.0, tick=0.5)
    assert target.window(300)["stable"]["requests"] == pytest.approx(30_000, abs=60)
    from golive.demo_target.window import SLOTS

    rings = target.metrics.window._rings
    assert all(len(ring) == SLOTS for ring in rings.values())
    clock.now += 301  # everything has expired
    assert target.window(300)["all"]["requests"] == 0


def test_window_health_is_now_and_all_means_every_version_serving() -> None:
    target, traffic, clock = _in_process(rps=100, weight=50)
    target.add_fault({"kind": "health", "value": "down"})
    _run(traffic, clock, 0.5)
    report = target.window(1)
    assert report["canary"]["health_up"] == 0 and report["stable"]["health_up"] == 1
    assert report["all"]["health_up"] == 0
    target.weight = 0  # the canary is down but takes no traffic
    assert target.window(1)["all"]["health_up"] == 1 and target.window(1)["canary"]["health_up"] == 0
    target.clear_faults(None)
    assert target.window(1)["canary"]["health_up"] == 1


def test_window_p95_and_seconds_parsing() -> None:
    from golive.demo_target.window import Window, parse_seconds

    clock = ManualClock()
    window = Window(clock)
    for ms in range(1, 101):  # 1 .. 100 ms: the 95th is 95 ms
        window.request("stable", "/api/entitlements/snapshot", 200, ms / 1000)
    assert window.totals("stable", 1).p95_ms() == pytest.approx(95, rel=0.025)
    assert window.totals("canary", 1).p95_ms() is None
    window.request("stable", "/api/orders", 503, 0.0)  # a 5xx is an error, an order asked for
    totals = window.totals("stable", 1)
    assert (totals.errors, totals.order_requests, totals.orders) == (1, 1, 0)

    assert parse_seconds(None) == 5 and parse_seconds("0.5") == 0.5 and parse_seconds(" 300 ") == 300
    for bad in ("0.4", "300.5", "0", "-1", "", "abc", "nan", "inf", "5s"):
        with pytest.raises(InputError) as info:
            parse_seconds(bad)
        assert info.value.location == "seconds" and info.value.message.startswith("expected ")


@pytest.fixture
def quiet() -> Iterator[Demo]:
    """A target with no synthetic traffic: every request in its window is one the test sent."""
    process, match = start("--rps", "0", "--seed", "3")
    try:
        yield Demo(process, f"http://127.0.0.1:{match.group(1)}", None)
    finally:
        code, err = stop(process)
        assert code == 0, err


def test_window_endpoint_counts_real_requests_and_expires(quiet: Demo) -> None:
    empty = quiet.get("/metrics/window")
    assert empty.status == 200 and empty.body["seconds"] == 5 and empty.body["weight"] == 0
    assert empty.body["all"]["requests"] == 0 and empty.body["all"]["error_rate"] is None
    for _ in range(10):
        assert quiet.get("/api/entitlements/snapshot").status == 200
    assert quiet.post("/api/orders", {"items": ["latte"]}).status == 201
    assert quiet.post("/api/orders", raw=b"[1]").status == 400  # asked for, not created
    assert quiet.post("/api/payments", {"amount": 3}).status == 201
    quiet.fault(kind="health", value="down", version="stable")
    assert quiet.get("/api/health").status == 503
    window = quiet.get("/metrics/window?seconds=2")
    assert window.status == 200 and window.headers["Content-Type"].startswith("application/json")
    stable = window.body["stable"]
    assert stable["requests"] == 14 and stable["errors"] == 1  # the 503 of the health endpoint
    assert stable["error_rate"] == pytest.approx(1 / 14)
    assert (stable["orders"], stable["order_requests"], stable["order_success_rate"]) == (1, 2, 0.5)
    assert (stable["payments"], stable["payment_failures"], stable["payment_success_rate"]) == (1, 0, 1.0)
    assert stable["health_up"] == 0 and window.body["all"]["health_up"] == 0
    assert window.body["canary"]["requests"] == 0 and window.body["canary"]["error_rate"] is None
    assert window.body["latency_p95_ratio"] is None
    # the window is not traffic itself, and it forgets
    assert quiet.get("/metrics/window?seconds=2").body["stable"]["requests"] == 14
    time.sleep(1.2)
    later = quiet.get("/metrics/window?seconds=1").body
    assert (
        later["seconds"] == 1 and later["stable"]["requests"] == 0 and later["stable"]["error_rate"] is None
    )
    assert quiet.get("/metrics/window?seconds=5").body["stable"]["requests"] == 14


def test_window_endpoint_shows_faults(demo: Demo) -> None:
    demo.weight(50)
    demo.fault(kind="error_rate", value=0.5)
    demo.fault(kind="latency_ms", value=300)
    time.sleep(1.3)  # the last second is all under the faults
    report = demo.get("/metrics/window?seconds=1").body
    assert report["weight"] == 50
    stable, canary = report["stable"], report["canary"]
    assert canary["requests"] >= 15 and stable["requests"] >= 15
    assert canary["error_rate"] == pytest.approx(0.5, abs=0.1) and stable["error_rate"] == 0.0
    assert report["all"]["error_rate"] == pytest.approx(0.25, abs=0.08)
    assert canary["latency_p95_ms"] > 300 and stable["latency_p95_ms"] < 150
    assert report["latency_p95_ratio"] > 5
    demo.weight(0)
    demo.call("DELETE", "/admin/faults")
    time.sleep(1.1)
    calm = demo.get("/metrics/window?seconds=1").body
    assert calm["canary"]["requests"] == 0 and calm["canary"]["error_rate"] is None
    assert calm["stable"]["error_rate"] == 0.0


@pytest.mark.parametrize("seconds", ["0.4", "301", "abc", "", "nan", "-inf", "1e9"])
def test_window_bad_seconds_is_400(demo: Demo, seconds: str) -> None:
    reply = demo.get(f"/metrics/window?seconds={seconds}")
    assert reply.status == 400
    assert reply.body["error"] == "bad_input" and reply.body["field"] == "seconds"
    assert reply.body["message"].startswith("expected a number of seconds from 0.5 to 300")


def test_golive_metric_check_reads_null_as_error(demo: Demo) -> None:
    """A trigger on the canary's error rate while the canary serves nothing cannot pass."""
    import asyncio

    from golive.checks.context import CheckContext
    from golive.checks.runner import prepare_check, run_check

    async def measure(path: str, breach: str) -> Any:
        spec = {
            "kind": "metric",
            "source": "http_json",
            "url": "http://127.0.0.1:{target_port}/metrics/window?seconds=0.5",
            "path": path,
            "expect": [breach],
        }
        ctx = CheckContext(values={"target_port": demo.base.rsplit(":", 1)[1]})
        try:
            return await run_check(prepare_check(spec, source="test"), ctx)
        finally:
            await ctx.close()

    time.sleep(0.8)  # the previous test's canary traffic leaves the half-second window
    at_zero = asyncio.run(measure("canary.error_rate", "value > 0.05"))
    assert at_zero.status == "error" and "null" in (at_zero.message or ""), at_zero
    assert asyncio.run(measure("stable.error_rate", "value > 0.05")).status == "failed"  # measured: ok
    assert asyncio.run(measure("stable.health_up", "value < 1")).status == "failed"


# -- components that carry no traffic ------------------------------------------------------------


def test_deploy_records_a_component_without_moving_traffic(demo: Demo) -> None:
    demo.weight(10)
    key = {"Idempotency-Key": "rel-1:migrations:step-0"}
    done = demo.post("/admin/deploy", {"component": "migrations", "weight": 100}, headers=key)
    assert done.status == 200 and done.body["replayed"] is False and done.body["weight"] == 10
    assert done.body["components"]["migrations"]["weight"] == 100
    assert done.body["components"]["migrations"]["deployed_at"].endswith("Z")
    replay = demo.post("/admin/deploy", {"component": "migrations", "weight": 100}, headers=key)
    assert replay.status == 200 and replay.body["replayed"] is True
    conflict = demo.post("/admin/deploy", {"component": "migrations", "weight": 0}, headers=key)
    assert conflict.status == 409
    back = demo.post("/admin/deploy", {"component": "migrations", "weight": 0, "reason": "golive rollback"})
    assert back.status == 200 and back.body["components"]["migrations"]["weight"] == 0
    assert demo.get("/admin/state").body["weight"] == 10
    assert total(demo.scrape(), "demo_target_component_weight", component="migrations") == 0
    for body, field in (
        ({"weight": 10}, "component"),
        ({"component": "", "weight": 10}, "component"),
        ({"component": "web"}, "weight"),
        ({"component": "web", "weight": 101}, "weight"),
        ({"component": "web", "weight": 10, "when": "now"}, "when"),
        (["web"], "body"),
    ):
        reply = demo.post("/admin/deploy", body)
        assert reply.status == 400 and reply.body["field"] == field, (body, reply.body)
    assert demo.post("/admin/reset").body["components"] == {}


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
