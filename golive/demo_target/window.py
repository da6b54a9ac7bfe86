"""The last few real seconds of traffic: ``GET /metrics/window?seconds=S``.

Prometheus needs a scrape interval and a rate window before it sees anything;
a rehearsal on a compressed clock needs the numbers of the last second or two,
now. This endpoint answers them directly, from the same requests the
Prometheus counters count (synthetic and real alike)::

    GET /metrics/window?seconds=2

    {"seconds": 2, "weight": 50,
     "stable": M, "canary": M, "all": M,
     "latency_p95_ratio": 6.1}           # canary p95 / stable p95, or null

    M = {"requests": 812, "errors": 31,               # errors: 5xx answers
         "error_rate": 0.0382,                        # null: the version served nothing
         "latency_mean_ms": 41.2, "latency_p95_ms": 58.9,
         "payments": 160, "payment_failures": 3,      # payments that reached processing
         "payment_failure_rate": 0.0188, "payment_success_rate": 0.9812,
         "orders": 162,                               # orders created (201)
         "order_requests": 163, "order_success_rate": 0.9939,
         "health_up": 1}

- ``seconds``: from 0.5 to 300 (default 5); anything else answers 400
  ``{"error": "bad_input", "field": "seconds", "message": ...}``. The window is
  the last ``seconds`` of real (monotonic) time, to :data:`BUCKET_SECONDS`: the
  buckets it spans, the current (partial) one included.
- Rates are ``null`` when there is nothing to divide by: ``error_rate`` and the
  latencies when the version served no request in the window (a canary at 0%),
  the payment rates when no payment was processed, ``order_success_rate`` when
  no order was asked for. golive's metric check reads ``null`` as "could not
  measure" (an ``error``), never as a pass. Counts are always integers.
- ``latency_p95_ms`` is the nearest-rank 95th percentile of the modelled (synthetic)
  and measured (real) latencies, read from a histogram with bins 5% wide (the
  value is the bin's geometric middle, within 2.5%).
- ``health_up`` is the version's health *now*: 0 while a ``health=down`` fault is
  active for it, else 1. For ``all`` it is 1 only when every version that takes
  traffic at the current weight is up.
- ``latency_p95_ratio``: ``canary.latency_p95_ms / stable.latency_p95_ms``, null
  when either is null (at 0% or 100% one of them serves nothing).

Memory is bounded: one ring of :data:`SLOTS` buckets per version, each with a
few counters and a fixed histogram; a request costs O(1) and an answer
O(buckets in the window).
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from golive.demo_target.faults import ROLES, Role
from golive.errors import InputError

__all__ = [
    "BUCKET_SECONDS",
    "DEFAULT_SECONDS",
    "MAX_SECONDS",
    "MIN_SECONDS",
    "SLOTS",
    "Totals",
    "Window",
    "parse_seconds",
]

BUCKET_SECONDS = 0.1
MIN_SECONDS = 0.5
MAX_SECONDS = 300.0
DEFAULT_SECONDS = 5.0
SLOTS = round(MAX_SECONDS / BUCKET_SECONDS) + 1
ORDERS_ROUTE = "/api/orders"

# latency histogram: bin 0 holds <= FLOOR_MS, bin k (k >= 1) holds (FLOOR_MS·r^(k-1), FLOOR_MS·r^k]
FLOOR_MS = 0.1
RATIO = 1.05
CEILING_MS = 120_000.0  # longer latencies count in the last bin
_LOG_RATIO = math.log(RATIO)
BINS = 1 + math.ceil(math.log(CEILING_MS / FLOOR_MS) / _LOG_RATIO)
_ZEROS = array("I", [0]) * BINS


def _bin(ms: float) -> int:
    if not ms > FLOOR_MS:  # also NaN
        return 0
    return min(BINS - 1, 1 + math.floor(math.log(ms / FLOOR_MS) / _LOG_RATIO))


def _bin_value(index: int) -> float:
    """The geometric middle of a bin, in ms."""
    if index == 0:
        return FLOOR_MS / 2
    return float(FLOOR_MS * RATIO ** (index - 0.5))


def parse_seconds(raw: str | None) -> float:
    """The ``seconds`` query parameter: 0.5 to 300, default 5. InputError otherwise."""
    if raw is None:
        return DEFAULT_SECONDS
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not MIN_SECONDS <= value <= MAX_SECONDS:
        raise InputError(
            f"expected a number of seconds from {MIN_SECONDS:g} to {MAX_SECONDS:g}, got {raw!r}",
            location="seconds",
        )
    return value


class _Bucket:
    """One version's traffic in one :data:`BUCKET_SECONDS` slice of time."""

    __slots__ = (
        "bins",
        "errors",
        "index",
        "latency_sum",
        "order_requests",
        "orders",
        "payment_failures",
        "payments",
        "requests",
    )

    def __init__(self) -> None:
        self.reset(-1)

    def reset(self, index: int) -> None:
        self.index = index
        self.requests = 0
        self.errors = 0
        self.latency_sum = 0.0
        self.bins: array[int] | None = None
        self.payments = 0
        self.payment_failures = 0
        self.orders = 0
        self.order_requests = 0


@dataclass
class Totals:
    """One version's (or both versions') traffic over a window."""

    requests: int = 0
    errors: int = 0
    latency_sum: float = 0.0
    bins: list[int] | None = None
    payments: int = 0
    payment_failures: int = 0
    orders: int = 0
    order_requests: int = 0

    def add(self, other: Totals | _Bucket) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.latency_sum += other.latency_sum
        self.payments += other.payments
        self.payment_failures += other.payment_failures
        self.orders += other.orders
        self.order_requests += other.order_requests
        if other.bins is None:
            return
        if self.bins is None:
            self.bins = list(other.bins)
        else:
            self.bins = list(map(operator.add, self.bins, other.bins))

    def p95_ms(self) -> float | None:
        """Nearest-rank 95th percentile of the latencies, None without requests."""
        if self.bins is None:
            return None
        count = sum(self.bins)
        if count == 0:
            return None
        rank = math.ceil(0.95 * count)
        seen = 0
        for index, n in enumerate(self.bins):
            seen += n
            if seen >= rank:
                return _bin_value(index)
        return _bin_value(BINS - 1)  # pragma: no cover (seen reaches count)

    def to_json(self, health_up: bool) -> dict[str, Any]:
        requests, payments, asked = self.requests, self.payments, self.order_requests
        p95 = self.p95_ms()
        return {
            "requests": requests,
            "errors": self.errors,
            "error_rate": self.errors / requests if requests else None,
            "latency_mean_ms": round(1000 * self.latency_sum / requests, 3) if requests else None,
            "latency_p95_ms": round(p95, 3) if p95 is not None else None,
            "payments": payments,
            "payment_failures": self.payment_failures,
            "payment_failure_rate": self.payment_failures / payments if payments else None,
            "payment_success_rate": (payments - self.payment_failures) / payments if payments else None,
            "orders": self.orders,
            "order_requests": self.order_requests,
            # an order and its request can fall on either side of a bucket edge
            "order_success_rate": min(1.0, self.orders / asked) if asked else None,
            "health_up": 1 if health_up else 0,
        }


class Window:
    """Per-version rings of :data:`SLOTS` buckets of :data:`BUCKET_SECONDS` each.

    A slot is reused when time comes round to it again (its ``index`` says which
    slice of time it holds), so nothing is ever cleaned up and memory stays bounded.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._rings: dict[Role, list[_Bucket]] = {role: [_Bucket() for _ in range(SLOTS)] for role in ROLES}

    def _index(self) -> int:
        return math.floor(self._clock() / BUCKET_SECONDS)

    def _bucket(self, role: Role) -> _Bucket:
        index = self._index()
        bucket = self._rings[role][index % SLOTS]
        if bucket.index != index:
            bucket.reset(index)
        return bucket

    def request(self, role: Role, route: str, status: int, seconds: float) -> None:
        bucket = self._bucket(role)
        bucket.requests += 1
        bucket.errors += status >= 500
        bucket.latency_sum += seconds
        if bucket.bins is None:
            bucket.bins = _ZEROS[:]
        bucket.bins[_bin(seconds * 1000)] += 1
        if route == ORDERS_ROUTE:
            bucket.order_requests += 1

    def order(self, role: Role) -> None:
        self._bucket(role).orders += 1

    def payment(self, role: Role, ok: bool) -> None:
        bucket = self._bucket(role)
        bucket.payments += 1
        bucket.payment_failures += not ok

    def totals(self, role: Role, seconds: float) -> Totals:
        """The version's traffic in the last ``seconds`` (0.5 to 300)."""
        newest = self._index()
        count = max(1, math.ceil(seconds / BUCKET_SECONDS - 1e-9))
        ring = self._rings[role]
        totals = Totals()
        for index in range(newest - min(count, SLOTS) + 1, newest + 1):
            bucket = ring[index % SLOTS]
            if bucket.index == index:
                totals.add(bucket)
        return totals

    def report(self, seconds: float, weight: float, healthy: dict[Role, bool]) -> dict[str, Any]:
        """The answer of ``GET /metrics/window`` (see the module docstring)."""
        per_role = {role: self.totals(role, seconds) for role in ROLES}
        both = Totals()
        for totals in per_role.values():
            both.add(totals)
        serving = [role for role in ROLES if (weight if role == "canary" else 100 - weight) > 0]
        stable_p95 = per_role["stable"].p95_ms()
        canary_p95 = per_role["canary"].p95_ms()
        ratio = canary_p95 / stable_p95 if canary_p95 is not None and stable_p95 else None
        return {
            "seconds": int(seconds) if float(seconds).is_integer() else seconds,
            "weight": weight,
            "stable": per_role["stable"].to_json(healthy["stable"]),
            "canary": per_role["canary"].to_json(healthy["canary"]),
            "all": both.to_json(all(healthy[role] for role in serving)),
            "latency_p95_ratio": round(ratio, 4) if ratio is not None else None,
        }
