"""Detection latency of the rollout guard: from the moment a breach's rule is
satisfied to the moment the rollback actuator reaches the target, with a 1 s
evaluation interval, over 20 runs. Goal: at most 1.5 s.

Setup (real things, real time: ``SystemClock``, speed 1): one demo-target
(``golive demo-target``) and one private Prometheus scraping it every second
(started the way the tests start it, tests/services.py). Each run starts a
release and a rollout (10%, then 100% once promoted, so it stays at 10% and
watches) with one trigger on a gauge that jumps when a fault is set::

    query: demo_target_faults{instance="...", version="canary", kind="error_rate"}
    breach: value > 0.05          interval: 1s     for: 0s     reaction: rollback

The controller starts at a random phase of the 1 s scrape cycle (both cycles
last ~1 s, so a fixed phase would bias every run alike), and after a random
delay a canary error-rate fault of 50% is set; the controller rolls back; the
next run starts from a reset target.

Definitions, per run:

- **rule satisfied** (t0): the timestamp of the first sample, in Prometheus, for
  which the rule holds (``value > 0.05`` with ``for: 0s``): the scrape that first
  saw the fault. Before t0 no evaluation could have fired; the time from setting
  the fault to t0 (up to one scrape interval) is the metric pipeline's, not
  golive's, and is printed apart as "fault → sample".
- **rollback started** (t1): the time the demo-target received the rollback
  webhook (``POST /admin/rollback``; the ``time`` of its call log, which is its
  ledger line, wall clock with milliseconds).
- **detection latency** = t1 - t0. Its parts: *waiting* for the next evaluation
  (t0 → the breaching evaluation's event; at most one interval plus the query)
  and *reacting* (that event → t1: judging, recording the firing and the
  rollback intent, and the webhook).

Baselines measured in the same run: the raw PromQL instant-query round trip
(aiohttp, the same query) and a raw admin POST round trip to the target; with a
1 s interval the ideal detection is uniform on [query, 1 s + query] (median
~0.5 s). Prints figures; asserts nothing.

    python benchmarks/bench_detection.py [--runs 20] [--interval 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from golive.clock import SystemClock  # noqa: E402
from golive.config import Config  # noqa: E402
from golive.release.service import ReleaseService  # noqa: E402
from golive.rollout.controller import Controller  # noqa: E402
from golive.rollout.spec import RolloutGuard  # noqa: E402
from golive.store.events import EventStore  # noqa: E402

GOAL = 1.5  # seconds
THRESHOLD = 0.05
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+) ")


def _json(url: str, body: object = None, method: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _start_target() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", "demo-target", "--port", "0", "--rps", "100", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    match = LISTENING.search(process.stdout.readline())
    if match is None:
        process.kill()
        raise SystemExit("the demo-target did not start")
    return process, match.group(1)


def _guard(base: str, prometheus: str, query: str, interval: float) -> RolloutGuard:
    return RolloutGuard.model_validate(
        {
            "prometheus_url": prometheus,
            "interval": f"{interval:g}s",
            "components": [
                {
                    "name": "web",
                    "steps": [{"weight": 10}, {"weight": 100}],  # 10% until promoted: watching
                    "set_weight": {
                        "kind": "webhook",
                        "url": f"{base}/admin/weight",
                        "json": {"weight": "{weight}"},
                    },
                    "rollback": {
                        "kind": "webhook",
                        "url": f"{base}/admin/rollback",
                        "json": {"reason": "bench"},
                    },
                }
            ],
            "triggers": [
                {
                    "name": "canary-errors",
                    "query": query,
                    "breach": f"value > {THRESHOLD}",
                    "interval": f"{interval:g}s",
                    "for": "0s",
                }
            ],
        }
    )


def _first_breach_sample(prometheus: str, query: str, after: float) -> float | None:
    """The timestamp of the first stored sample of ``query`` after ``after`` with value > threshold."""
    params = urllib.parse.urlencode({"query": f"{query}[2m]", "time": f"{time.time():.3f}"})
    data = _json(f"{prometheus}/api/v1/query?{params}")
    for series in data["data"]["result"]:
        for stamp, value in series["values"]:
            if float(stamp) >= after and float(value) > THRESHOLD:
                return float(stamp)
    return None


async def _one_run(
    store: EventStore,
    runbook: Path,
    base: str,
    prometheus: str,
    query: str,
    interval: float,
    rng: random.Random,
) -> dict[str, float]:
    rid = ReleaseService(store, Config(), clock=SystemClock()).start(
        runbook, service="bench", version="2", env="bench", launch=datetime.now(UTC), tz="UTC", actor="bench"
    )
    controller = Controller(store, rid, clock=SystemClock(), values={"version": "2"})
    controller.start(_guard(base, prometheus, query, interval))
    fault_at = 0.0

    async def inject() -> None:
        nonlocal fault_at
        await asyncio.sleep(1.5 + rng.uniform(0, 2 * interval))  # warm up, then a random phase
        fault_at = time.time()
        await asyncio.to_thread(_json, f"{base}/admin/faults", {"kind": "error_rate", "value": 0.5})

    injector = asyncio.create_task(inject())
    state = await asyncio.wait_for(controller.run(), timeout=60)
    await injector
    if state.outcome != "rolled_back":
        raise SystemExit(f"run ended {state.outcome}, expected rolled_back")
    events = store.events(rid)
    breach = next(e for e in events if e.type == "rollout.evaluated" and e.data["outcome"] == "breach")
    calls = _json(f"{base}/admin/calls")["calls"]
    (rollback,) = [
        c for c in calls if c["path"] == "/admin/rollback" and c.get("idempotency_key", "").startswith(rid)
    ]
    t1 = _iso(rollback["time"])
    t0 = None
    deadline = time.monotonic() + 5
    while t0 is None and time.monotonic() < deadline:
        t0 = _first_breach_sample(prometheus, query, fault_at - 0.001)
    if t0 is None:
        raise SystemExit("no breaching sample found in Prometheus")
    return {
        "latency": t1 - t0,
        "waiting": breach.at.timestamp() - t0,
        "reacting": t1 - breach.at.timestamp(),
        "fault_to_sample": t0 - fault_at,
    }


def _reset(base: str, prometheus: str, query: str) -> None:
    """Reset the target and wait until Prometheus stores the gauge at 0 again."""
    _json(f"{base}/admin/reset", {})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        params = urllib.parse.urlencode({"query": query})
        result = _json(f"{prometheus}/api/v1/query?{params}")["data"]["result"]
        if result and float(result[0]["value"][1]) == 0:
            return
        time.sleep(0.1)
    raise SystemExit("the fault gauge did not return to 0")


async def _baselines(prometheus: str, base: str, query: str, rounds: int) -> tuple[list[float], list[float]]:
    import aiohttp

    queries: list[float] = []
    posts: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(rounds):
            started = time.perf_counter()
            async with session.get(f"{prometheus}/api/v1/query", params={"query": query}) as response:
                await response.read()
            queries.append(time.perf_counter() - started)
            started = time.perf_counter()
            async with session.post(
                f"{base}/admin/kill-switch", json={"feature": "orders", "enabled": True}
            ) as r:
                await r.read()
            posts.append(time.perf_counter() - started)
    return queries, posts


def _row(name: str, values: list[float], unit: float = 1.0, suffix: str = "s") -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    figures = [min(ordered), statistics.median(ordered), p90, max(ordered)]
    shown = "  ".join(f"{v * unit:8.3f}" for v in figures)
    return f"  {name:<26s}{shown}  {suffix}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="Evaluation interval, seconds.")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    from tests.services import start_prometheus_for

    rng = random.Random(args.seed)
    target, port = _start_target()
    base = f"http://127.0.0.1:{port}"
    instance = f"127.0.0.1:{port}"
    query = f'demo_target_faults{{instance="{instance}",version="canary",kind="error_rate"}}'
    scraper = start_prometheus_for(instance)
    prometheus = scraper.url
    print(f"Prometheus started in {scraper.server.started_in:.1f} s, scraping {instance} every 1 s")
    results: list[dict[str, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            runbook = Path(tmp) / "runbook.md"
            runbook.write_text("# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n", encoding="utf-8")
            store = EventStore.open(str(Path(tmp) / "bench.db"))
            for n in range(args.runs):
                _reset(base, prometheus, query)
                # the reset is seen right after a scrape: start the controller at a random
                # phase of the scrape cycle, or every run would evaluate just after a scrape
                time.sleep(rng.uniform(0, 1.0))
                result = asyncio.run(_one_run(store, runbook, base, prometheus, query, args.interval, rng))
                results.append(result)
                print(
                    f"run {n + 1:2d}: detection {result['latency']:.3f} s "
                    f"(waiting {result['waiting']:.3f} + reacting {result['reacting']:.3f}); "
                    f"fault → sample {result['fault_to_sample']:.3f} s"
                )
            store.close()
        queries, posts = asyncio.run(_baselines(prometheus, base, query, 50))
    finally:
        scraper.close()
        target.terminate()
        target.wait(timeout=10)

    latency = [r["latency"] for r in results]
    print()
    print(f"{args.runs} runs, interval {args.interval:g} s, for 0s        min    median       p90       max")
    print(_row("detection (t0 → rollback)", latency))
    print(_row("  waiting for evaluation", [r["waiting"] for r in results]))
    print(_row("  reacting (eval → webhook)", [r["reacting"] for r in results], 1000, "ms"))
    print(_row("fault → first sample", [r["fault_to_sample"] for r in results]))
    print("baselines, same run:")
    print(_row("raw PromQL query round trip", queries, 1000, "ms"))
    print(_row("raw admin POST round trip", posts, 1000, "ms"))
    ideal = statistics.median(queries) + args.interval / 2
    worst = max(latency)
    print(
        f"goal: detection ≤ {GOAL:g} s — max {worst:.3f} s "
        f"({'met' if worst <= GOAL else 'NOT met'}); median {statistics.median(latency):.3f} s "
        f"vs ideal polling median ~{ideal:.3f} s (interval/2 + query)"
    )
    reacting = statistics.median(r["reacting"] for r in results)
    bare = statistics.median(posts)
    print(f"reacting costs {reacting * 1000:.1f} ms median, {reacting / bare:.1f}x a bare admin POST")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
