"""The demo target's Prometheus metrics, in a private registry.

Shaped for the rollback criteria runbooks write, with ``version`` always the
role (``stable`` / ``canary``) so queries never need to know build numbers::

    # error rate of the canary
    sum(rate(http_requests_total{version="canary",status=~"5.."}[1m]))
      / sum(rate(http_requests_total{version="canary"}[1m]))
    # p95 latency of the canary against the stable baseline
    histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{version="canary"}[5m])))
    # payment failure rate
    sum(rate(payments_total{version="canary",result="failure"}[5m]))
      / sum(rate(payments_total{version="canary"}[5m]))
    # health failing for 5 minutes
    max_over_time(health_up{version="canary"}[5m]) == 0
    # orders cannot be created
    sum(rate(orders_total{version="canary"}[5m])) == 0

Every series that a fault can move exists from the start at 0, so a query for
"errors" returns 0 rather than no data before the first error.

The same requests also go to a :class:`~golive.demo_target.window.Window`, which
answers ``GET /metrics/window`` with the last few real seconds of traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from golive.demo_target.faults import FAULT_KINDS, ROLES, Effects, Role
from golive.demo_target.window import Window

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "Metrics", "Observed", "VersionStats"]

# The classic text format every Prometheus reads (the names here need no UTF-8 escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class Observed(Protocol):
    """What the metrics read from the target (:class:`~golive.demo_target.state.Target`
    is one): its clock, and at scrape time its weight, faults, builds, rollback,
    components and kill switches."""

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def weight(self) -> int | float: ...

    @property
    def rolled_back(self) -> bool: ...

    @property
    def components(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def features(self) -> Mapping[str, bool]: ...

    def effects(self, role: Role) -> Effects: ...

    def build(self, role: Role) -> str: ...


@dataclass
class VersionStats:
    """Plain running totals of one version, for ``/api/v1/health/metrics``."""

    requests: int = 0
    errors: int = 0
    duration_sum: float = 0.0


class _StateCollector(Collector):
    """Gauges read from the target's state at scrape time (never stale)."""

    def __init__(self, target: Observed) -> None:
        self._target = target

    def collect(self) -> Iterable[Metric]:
        target = self._target
        weight = GaugeMetricFamily("canary_weight", "Percent of traffic sent to the canary (0-100).")
        weight.add_metric([], float(target.weight))
        yield weight
        health = GaugeMetricFamily(
            "health_up", "1 when the version's health endpoints answer healthy, else 0.", labels=["version"]
        )
        faults = GaugeMetricFamily(
            "demo_target_faults",
            "Active injected faults: error_rate and payment_failure as fractions, latency_ms in ms, "
            "health 1 when down.",
            labels=["version", "kind"],
        )
        info = GaugeMetricFamily(
            "demo_target_info", "The build each version runs (always 1).", labels=["version", "build"]
        )
        for role in ROLES:
            effects = target.effects(role)
            health.add_metric([role], 0.0 if effects.health_down else 1.0)
            for kind in FAULT_KINDS:
                faults.add_metric([role, kind], effects.gauge(kind))
            info.add_metric([role, target.build(role)], 1.0)
        yield health
        yield faults
        yield info
        rolled = GaugeMetricFamily(
            "demo_target_rolled_back", "1 after POST /admin/rollback, until a new weight."
        )
        rolled.add_metric([], 1.0 if target.rolled_back else 0.0)
        yield rolled
        components = GaugeMetricFamily(
            "demo_target_component_weight",
            "Weight of each component recorded by POST /admin/deploy (0-100).",
            labels=["component"],
        )
        for name, deployed in sorted(target.components.items()):
            components.add_metric([name], float(deployed["weight"]))
        yield components
        features = GaugeMetricFamily(
            "demo_target_feature_enabled", "Kill switches: 1 when the feature is on.", labels=["feature"]
        )
        for feature, enabled in sorted(target.features.items()):
            features.add_metric([feature], 1.0 if enabled else 0.0)
        yield features


class _WithoutCreated(Collector):
    """The registry without the ``*_created`` series prometheus-client adds to counters and
    histograms: one per labelled child, noise for every query a runbook needs."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for metric in self._registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric


class Metrics:
    """Counters and the latency histogram, fed by real and synthetic requests alike."""

    def __init__(self, target: Observed) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests",
            "HTTP requests served, by version (stable/canary), route and status code.",
            ["version", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to serve a request, by version.",
            ["version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.orders = Counter("orders", "Orders created, by version.", ["version"], registry=self.registry)
        self.payments = Counter(
            "payments",
            "Payments processed, by version and result (success/failure).",
            ["version", "result"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(target))
        self.stats: dict[Role, VersionStats] = {role: VersionStats() for role in ROLES}
        self.window = Window(target.clock)

    def prime(self, statuses: Iterable[tuple[str, int]]) -> None:
        """Create every (route, status) series for both versions at 0."""
        pairs = list(statuses)
        for role in ROLES:
            for route, status in pairs:
                self.requests.labels(role, route, str(status))
            self.duration.labels(role)
            self.orders.labels(role)
            for result in ("success", "failure"):
                self.payments.labels(role, result)

    def request(self, role: Role, route: str, status: int, seconds: float) -> None:
        self.requests.labels(role, route, str(status)).inc()
        self.duration.labels(role).observe(seconds)
        stats = self.stats[role]
        stats.requests += 1
        stats.errors += status >= 500
        stats.duration_sum += seconds
        self.window.request(role, route, status, seconds)

    def order(self, role: Role) -> None:
        self.orders.labels(role).inc()
        self.window.order(role)

    def payment(self, role: Role, ok: bool) -> None:
        self.payments.labels(role, "success" if ok else "failure").inc()
        self.window.payment(role, ok)

    def exposition(self) -> bytes:
        return generate_latest(_WithoutCreated(self.registry))
