"""Synthetic traffic: a steady request rate, so Prometheus sees rates without any client.

Every tick the loop works out how many requests the elapsed time is worth
(``rps × elapsed``, the fraction carried to the next tick, so the count is
exact over any window rather than a drifting random walk) and how many of them
the canary gets (``weight/100`` of them, again carried, so the canary's share is
the weight exactly). Each synthetic request then goes through the same
:meth:`Target.decide` as a real one, so faults, kill switches and payment
failures show in the metrics the same way.

The rest is exact too, per version: the route mix is a smooth weighted
round-robin over :data:`MIX` (every 10 requests: 5 entitlements, 2 orders, 2
payments, 1 purchase), and faults hit a deterministic share of each route's
requests (error diffusion, per route so that the two regular patterns never
line up: a 6% error rate fails 6 of every 100 orders, 6 of every 100 payments,
..., evenly spread; a 3% payment failure 3 payments of every 100). So a fault clearly under a
threshold stays under it in every window, and one over it stays over, whatever
the window's size; only real requests draw their faults at random.

Synthetic requests call the business routes only (entitlements, orders,
payments, purchases); health endpoints are left to real probes, so a failing
health check shows in ``health_up`` and not as a burst of 5xx in the error rate.
Latency is modelled, not slept: a lognormal base (median 30 ms, p95 about 58 ms)
plus the version's injected latency.

:meth:`SyntheticTraffic.catch_up` runs the requests due up to now at once; the
app calls it before answering ``GET /metrics/window`` and before every admin
action, so a window is current to the millisecond and the requests before a
weight change are served at the old weight.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable

from golive.demo_target.faults import ROLES, Role
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


class _Spread:
    """A deterministic chance: events of probability ``p`` happen exactly ``p`` of the
    time, evenly spread (error diffusion, one carry per kind of event)."""

    def __init__(self) -> None:
        self._carry: dict[str, float] = {}

    def __call__(self, kind: str, p: float) -> bool:
        if p <= 0:
            return False
        carry = self._carry.get(kind, 0.5) + p
        hit = carry >= 1.0
        self._carry[kind] = carry - 1.0 if hit else carry
        return hit


class _RoundRobin:
    """Smooth weighted round-robin: each route gets exactly its share, interleaved."""

    def __init__(self, routes: list[Route], shares: list[float]) -> None:
        self._routes = routes
        self._shares = shares
        self._total = math.fsum(shares)
        self._current = [0.0] * len(routes)

    def next(self) -> Route:
        best = 0
        for index, share in enumerate(self._shares):
            self._current[index] += share
            if self._current[index] > self._current[best]:
                best = index
        self._current[best] -= self._total
        return self._routes[best]


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
        self._last: float | None = None
        routes = [ROUTES[path] for path in MIX]
        shares = list(MIX.values())
        self._mix: dict[Role, _RoundRobin] = {role: _RoundRobin(routes, shares) for role in ROLES}
        self._chance: dict[tuple[Role, str], _Spread] = {
            (role, route.path): _Spread() for role in ROLES for route in routes
        }

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

    def catch_up(self) -> tuple[int, int]:
        """Simulate the requests due since the last tick (or catch-up), now."""
        if self.rps <= 0:
            return 0, 0
        now = self.clock()
        last, self._last = self._last, now
        return (0, 0) if last is None else self.step(now - last)

    def _one(self, role: Role) -> None:
        target = self.target
        route = self._mix[role].next()
        chance = self._chance[(role, route.path)]
        decision = target.decide(role, route, chance)
        status = decision.status
        if status == route.ok and route.path == "/api/payments":
            ok = not target.payment_fails(role, chance)
            target.metrics.payment(role, ok)
            status = route.ok if ok else 402
        elif status == route.ok and route.path == "/api/orders":
            target.metrics.order(role)
        rng = self.rng
        seconds = rng.lognormvariate(math.log(BASE_LATENCY_MEDIAN), BASE_LATENCY_SIGMA) + decision.delay
        target.metrics.request(role, route.path, status, seconds)

    async def run(self) -> None:
        """Tick until cancelled."""
        if self.rps <= 0:
            return
        if self._last is None:
            self._last = self.clock()
        while True:
            await asyncio.sleep(self.tick)
            self.catch_up()

    def start(self) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(self.run(), name="demo-target synthetic traffic")

    @staticmethod
    async def stop(task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
