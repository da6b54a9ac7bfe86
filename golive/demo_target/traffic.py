"""Synthetic traffic: a steady request rate, so Prometheus sees rates without any client.

Every tick the loop works out how many requests the elapsed time is worth
(``rps × elapsed``, the fraction carried to the next tick, so the count is
exact over any window rather than a drifting random walk) and how many of them
the canary gets (``weight/100`` of them, again carried, so the canary's share is
the weight exactly). Each synthetic request then goes through the same
:meth:`Target.decide` as a real one, so faults, kill switches and payment
failures show in the metrics the same way.

Synthetic requests call the business routes only (entitlements, orders,
payments, purchases); health endpoints are left to real probes, so a failing
health check shows in ``health_up`` and not as a burst of 5xx in the error rate.
Latency is modelled, not slept: a lognormal base (median 30 ms) plus the
version's injected latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable

from golive.demo_target.faults import Role
from golive.demo_target.state import ROUTES, Route, Target

__all__ = ["BASE_LATENCY_MEDIAN", "MIX", "SyntheticTraffic"]

# route -> share of synthetic requests
MIX: dict[str, float] = {
    "/api/entitlements/snapshot": 0.5,
    "/api/orders": 0.2,
    "/api/payments": 0.2,
    "/api/purchases/verify": 0.1,
}
BASE_LATENCY_MEDIAN = 0.030  # seconds
BASE_LATENCY_SIGMA = 0.4
MAX_ELAPSED = 5.0  # a stalled loop (suspended laptop) makes up at most this much time


class SyntheticTraffic:
    """Simulates ``rps`` requests per second against a :class:`Target`."""

    def __init__(
        self,
        target: Target,
        rps: float,
        *,
        seed: int | None = None,
        tick: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.rps = rps
        self.tick = tick
        self.clock = clock
        self.rng = random.Random(None if seed is None else seed + 1)  # noqa: S311 (simulation)
        self._carry = 0.0
        self._canary_carry = 0.0
        self._routes: list[Route] = [ROUTES[path] for path in MIX]
        self._shares = list(MIX.values())

    def step(self, elapsed: float) -> tuple[int, int]:
        """Simulate the requests ``elapsed`` seconds are worth; returns (stable, canary) counts."""
        self._carry += self.rps * min(max(elapsed, 0.0), MAX_ELAPSED)
        count = math.floor(self._carry)
        self._carry -= count
        self._canary_carry += count * self.target.weight / 100
        canary = min(count, math.floor(self._canary_carry))
        self._canary_carry -= canary
        stable = count - canary
        batches: tuple[tuple[Role, int], ...] = (("stable", stable), ("canary", canary))
        for role, n in batches:
            for _ in range(n):
                self._one(role)
        self.target.synthetic_requests += count
        return stable, canary

    def _one(self, role: Role) -> None:
        rng = self.rng
        target = self.target
        route = rng.choices(self._routes, self._shares)[0]
        decision = target.decide(role, route, rng)
        status = decision.status
        if status == route.ok and route.path == "/api/payments":
            ok = not target.payment_fails(role, rng)
            target.metrics.payment(role, ok)
            status = route.ok if ok else 402
        elif status == route.ok and route.path == "/api/orders":
            target.metrics.order(role)
        seconds = rng.lognormvariate(math.log(BASE_LATENCY_MEDIAN), BASE_LATENCY_SIGMA) + decision.delay
        target.metrics.request(role, route.path, status, seconds)

    async def run(self) -> None:
        """Tick until cancelled."""
        if self.rps <= 0:
            return
        last = self.clock()
        while True:
            await asyncio.sleep(self.tick)
            now = self.clock()
            self.step(now - last)
            last = now

    def start(self) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(self.run(), name="demo-target synthetic traffic")

    @staticmethod
    async def stop(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
