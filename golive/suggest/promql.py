"""PromQL templates for the metrics golive's threshold reader names.

A threshold in prose (``Error rate < 1%``, ``p95 < 200ms``) names a metric from
golive's vocabulary (see :mod:`golive.runbook.thresholds`). These templates turn
it into a query over the metric names most exporters use (the Prometheus client
libraries' ``http_requests_total`` / ``http_request_duration_seconds``, node
exporter, ``up``). They are starting points the user edits to match their
instrumentation: ``golive suggest`` says so next to every metric it proposes.

Units: a ``ratio`` query gives a fraction (0.01 is 1%): percent thresholds are
divided by 100. A ``seconds`` query gives seconds: ``200ms`` becomes ``0.2``. An
``up`` query gives 1 when every target is up.

The templates (see :data:`TEMPLATES`):

- error_rate: ``sum(rate(http_requests_total{status=~"5.."}[5m]))
  / sum(rate(http_requests_total[5m]))``
- latency: the mean ``sum(rate(http_request_duration_seconds_sum[5m]))
  / sum(rate(http_request_duration_seconds_count[5m]))``; with a percentile
  (``p95``) ``histogram_quantile(0.95, sum by (le)
  (rate(http_request_duration_seconds_bucket[5m])))``
- db_query_time: the same over ``db_query_duration_seconds``
- uptime: ``avg(avg_over_time(up[1d]))``
- downtime, health_check_failing: ``min(up)`` (healthy: 1)
- cpu_usage: ``1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))``
- memory_usage: ``1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes)``
- cache_hit_rate: hits / (hits + misses) over ``cache_hits_total`` and ``cache_misses_total``
- payment_failure_rate, payment_success_rate: ``payments_total{status="failed"}``
  (``"succeeded"``) over all ``payments_total``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["HIGHER_IS_BETTER", "HIGHER_IS_WORSE", "MEASURABLE", "TEMPLATES", "Template", "query_for"]

Unit = Literal["ratio", "seconds", "up"]


@dataclass(frozen=True)
class Template:
    query: str
    unit: Unit
    histogram: str | None = None
    """For latency-like metrics: the histogram's base name (``..._bucket`` /
    ``_sum`` / ``_count``), used for means and percentiles."""


def _histogram(name: str) -> Template:
    mean = f"sum(rate({name}_sum[5m])) / sum(rate({name}_count[5m]))"
    return Template(query=mean, unit="seconds", histogram=name)


TEMPLATES: dict[str, Template] = {
    "error_rate": Template(
        'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', "ratio"
    ),
    "latency": _histogram("http_request_duration_seconds"),
    "db_query_time": _histogram("db_query_duration_seconds"),
    "uptime": Template("avg(avg_over_time(up[1d]))", "ratio"),
    "downtime": Template("min(up)", "up"),
    "health_check_failing": Template("min(up)", "up"),
    "cpu_usage": Template('1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))', "ratio"),
    "memory_usage": Template(
        "1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes)", "ratio"
    ),
    "cache_hit_rate": Template(
        "sum(rate(cache_hits_total[5m]))"
        " / (sum(rate(cache_hits_total[5m])) + sum(rate(cache_misses_total[5m])))",
        "ratio",
    ),
    "payment_failure_rate": Template(
        'sum(rate(payments_total{status="failed"}[5m])) / sum(rate(payments_total[5m]))', "ratio"
    ),
    "payment_success_rate": Template(
        'sum(rate(payments_total{status="succeeded"}[5m])) / sum(rate(payments_total[5m]))', "ratio"
    ),
}

MEASURABLE = frozenset(
    {
        *TEMPLATES,
        "page_load_time",
        "tls_days_remaining",
        "test_coverage",
        "tests_passing",
        "deploy_duration",
        "issue_resolution_time",
        "support_response_time",
        "support_tickets",
        "rating",
        "user_registrations",
        "booking_completion_rate",
    }
)
"""golive's metric vocabulary: a threshold on one of these is a machine-verifiable
statement (the ones without a template need a query written by hand). Thresholds
the reader named from the sentence's own words (``level_4_escalation_matrix``)
are not metrics."""


HIGHER_IS_WORSE = frozenset(
    {
        "error_rate",
        "latency",
        "db_query_time",
        "page_load_time",
        "cpu_usage",
        "memory_usage",
        "payment_failure_rate",
        "downtime",
        "health_check_failing",
    }
)
"""Metrics where a ``>`` threshold states trouble (``Error rate > 5%``)."""

HIGHER_IS_BETTER = frozenset({"uptime", "cache_hit_rate", "payment_success_rate"})
"""Metrics where a ``<`` threshold states trouble (``Cache hit rate < 50%``)."""


def query_for(metric: str, percentile: str | None) -> tuple[str, Template] | None:
    """The PromQL and its template for a metric (and percentile, ``p95``)."""
    template = TEMPLATES.get(metric)
    if template is None:
        return None
    if percentile and template.histogram:
        quantile = float(percentile.lstrip("pP")) / 100
        query = f"histogram_quantile({quantile:g}, sum by (le) (rate({template.histogram}_bucket[5m])))"
        return query, template
    return template.query, template
