"""metric: one number from Prometheus or from a JSON endpoint, held against a
condition and optionally against a baseline.

    checks:
      - kind: metric
        url: http://prometheus:9090
        query: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
        expect: ["value < 0.01"]
      - kind: metric                      # "error rate > 5x the stable version's"
        url: http://prometheus:9090
        query: job:errors:rate5m{version="canary"}
        baseline: {query: 'job:errors:rate5m{version="stable"}'}
        expect: ["ratio < 5"]
      - kind: metric                      # "latency no worse than an hour ago"
        url: http://prometheus:9090
        query: histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket[5m])))
        baseline: {offset: 1h}
        expect: ["ratio < 1.2"]
      - kind: metric
        source: http_json
        url: https://app.internal/health/stats
        path: queue.depth                 # dotted path; list elements by index: items.0.value
        expect: ["value < 1000"]

``source: prometheus`` (the default) runs ``query`` as an instant query
(``GET {url}/api/v1/query``) at one moment, ``now``. ``source: http_json`` GETs
``url`` and follows ``path`` into the JSON; a number, a numeric string or a
list of numbers (one sample each) is accepted. ``headers`` are sent with every
request (``${NAME}`` from the environment; the values of secret-looking
headers such as ``Authorization`` become secrets).

Baselines (Prometheus only):

- ``baseline: {offset: 1h}`` evaluates the same query one hour earlier, through
  the API's ``time`` parameter (``time = now - offset``), not by rewriting the
  PromQL with the ``offset`` modifier, so every query works unchanged.
- ``baseline: {query: ...}`` evaluates another query (the stable version) at ``now``.

Observes ``value`` (float), ``baseline`` and ``ratio`` (``value / baseline``;
null without a baseline), ``samples`` (the number of series or numbers) and
``labels`` (the first series' labels). There is no sensible default condition,
so ``expect`` is required.

A metric that cannot be measured is never a pass: an unreachable server, an
HTTP error, a Prometheus ``status`` other than ``success``, an empty result
("no data"), a NaN or infinite value, a baseline that is 0 or missing, and more
than one series without ``aggregate: sum|max|min|avg`` are all ``error``
results.
"""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.kinds.sql import expand_env
from golive.checks.redact import is_secret_name
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec
from golive.runbook.model import Offset

if TYPE_CHECKING:
    import aiohttp

__all__ = ["KIND", "Baseline", "MetricKind", "MetricSpec"]

Aggregate = Literal["sum", "max", "min", "avg"]
BODY_LIMIT = 300


class Baseline(BaseModel):
    """What the value is compared with: the same query ``offset`` earlier, or another ``query`` now."""

    model_config = ConfigDict(extra="forbid")

    offset: Offset | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Baseline:
        if (self.offset is None) == (self.query is None):
            raise ValueError("baseline needs exactly one of 'offset' (e.g. 1h) or 'query' (PromQL)")
        if self.offset is not None and self.offset <= timedelta(0):
            raise ValueError("baseline offset must be positive (how long ago)")
        if self.query is not None and not self.query.strip():
            raise ValueError("baseline query is empty")
        return self


class MetricSpec(KindSpec):
    kind: Literal["metric"]
    source: Literal["prometheus", "http_json"] = "prometheus"
    url: str = Field(min_length=1)
    query: str | None = None
    path: str | None = None
    aggregate: Aggregate | None = None
    baseline: Baseline | None = None
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "${")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MetricSpec:
        if not self.expect:
            raise ValueError(
                "metric checks need 'expect' (a condition such as 'value < 0.01' or 'ratio < 2'); "
                "there is no sensible default"
            )
        if self.source == "prometheus":
            if not self.query or not self.query.strip():
                raise ValueError("prometheus metric checks need 'query' (PromQL)")
            if self.path is not None:
                raise ValueError("'path' is for source: http_json; prometheus checks use 'query'")
        else:
            if not self.path or not self.path.strip():
                raise ValueError("http_json metric checks need 'path' (a dotted path into the JSON)")
            if self.query is not None:
                raise ValueError("'query' is for source: prometheus; http_json checks use 'path'")
            if self.baseline is not None:
                raise ValueError("'baseline' needs source: prometheus")
        return self


class _Sample(BaseModel):
    value: float
    labels: dict[str, str]


def _shown(url: str) -> str:
    """The URL without user info, for messages and evidence."""
    from yarl import URL

    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "<unparsable URL>"
    if parsed.user is not None or parsed.password is not None:
        parsed = parsed.with_user(None)
    return str(parsed)


def _labels(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise MeasurementError(f"{where} is {json.dumps(raw)}, not a number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            raise MeasurementError(f"{where} is {raw[:40]!r}, not a number") from None
    else:
        raise MeasurementError(f"{where} is a {type(raw).__name__}, not a number")
    if not math.isfinite(value):
        raise MeasurementError(f"value is NaN/Inf ({raw}) at {where}")
    return value


def _combine(samples: list[_Sample], aggregate: Aggregate | None, what: str) -> float:
    if not samples:
        raise MeasurementError(f"no data: {what} returned an empty result")
    if len(samples) == 1:
        return samples[0].value
    if aggregate is None:
        first = ", ".join(_labels(s.labels) or "{}" for s in samples[:3])
        raise MeasurementError(
            f"{what} returned {len(samples)} series ({first}{', …' if len(samples) > 3 else ''}); "
            "aggregate them in the query or set 'aggregate: sum|max|min|avg'"
        )
    values = [s.value for s in samples]
    if aggregate == "sum":
        return math.fsum(values)
    if aggregate == "max":
        return max(values)
    if aggregate == "min":
        return min(values)
    return math.fsum(values) / len(values)


class MetricKind(CheckKind):
    name: ClassVar[str] = "metric"
    spec: ClassVar[type[KindSpec]] = MetricSpec
    observes: ClassVar[frozenset[str]] = frozenset({"value", "baseline", "ratio", "samples", "labels"})
    default_expect: ClassVar[tuple[str, ...]] = ()

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, MetricSpec)
        if spec.name:
            return spec.name
        what = " ".join((spec.query or spec.path or "").split())
        return f"metric {what[:60]}{'…' if len(what) > 60 else ''}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, MetricSpec)
        from yarl import URL

        from golive.checks.kinds.http import _fill

        url = _fill(expand_env(spec.url, ctx.env), ctx.values, quoted=True)
        try:
            password = URL(url).password
        except (ValueError, TypeError):
            raise MeasurementError("the metric URL does not parse") from None
        if password:
            ctx.redact.add_secret(password)
        headers = {name: expand_env(value, ctx.env) for name, value in spec.headers.items()}
        for name, value in headers.items():
            if is_secret_name(name):
                ctx.redact.add_secret(value)
        session = await ctx.http()
        if spec.source == "http_json":
            return await _observe_json(session, spec, url, headers)
        return await _observe_prometheus(session, spec, url, headers)


async def _fetch(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], params: dict[str, str] | None = None
) -> tuple[int, bytes]:
    import aiohttp

    try:
        async with session.get(url, params=params, headers=headers, allow_redirects=True) as response:
            return response.status, await response.read()
    except aiohttp.ClientConnectorError as exc:
        reason = exc.os_error.strerror or exc.os_error.__class__.__name__
        raise MeasurementError(f"cannot reach {_shown(url)}: {reason.lower()}") from None
    except aiohttp.ClientError as exc:
        text = str(exc) or exc.__class__.__name__
        raise MeasurementError(f"request to {_shown(url)} failed: {text.splitlines()[0][:200]}") from None


def _snippet(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1] + "…"


async def _instant(
    session: aiohttp.ClientSession,
    base: str,
    headers: dict[str, str],
    query: str,
    at: float,
    what: str,
) -> list[_Sample]:
    endpoint = base.rstrip("/") + "/api/v1/query"
    status, body = await _fetch(session, endpoint, headers, {"query": query, "time": f"{at:.3f}"})
    try:
        data = json.loads(body)
    except ValueError:
        if status >= 400:
            raise MeasurementError(
                f"{what}: HTTP {status} from {_shown(endpoint)}: {_snippet(body)}"
            ) from None
        raise MeasurementError(
            f"{what}: the answer of {_shown(endpoint)} is not JSON: {_snippet(body)}"
        ) from None
    if not isinstance(data, dict):
        raise MeasurementError(f"{what}: unexpected answer from {_shown(endpoint)}: {_snippet(body)}")
    if status >= 400 or data.get("status") != "success":
        kind = data.get("errorType") or f"HTTP {status}"
        message = data.get("error") or _snippet(body)
        raise MeasurementError(f"{what}: Prometheus answered {data.get('status')!r} ({kind}): {message}")
    payload = data.get("data")
    if not isinstance(payload, dict):
        raise MeasurementError(f"{what}: the answer has no 'data'")
    result_type = payload.get("resultType")
    result = payload.get("result")
    if result_type == "scalar" and isinstance(result, list) and len(result) == 2:
        return [_Sample(value=_number(result[1], f"{what} (scalar)"), labels={})]
    if result_type != "vector" or not isinstance(result, list):
        raise MeasurementError(
            f"{what}: the query gives a {result_type or 'unknown'} result; "
            "an instant vector or a scalar is needed"
        )
    samples: list[_Sample] = []
    for series in result:
        labels = {str(k): str(v) for k, v in (series.get("metric") or {}).items()}
        pair = series.get("value") or [None, None]
        samples.append(_Sample(value=_number(pair[1], f"{what} {_labels(labels) or '{}'}"), labels=labels))
    return samples


async def _observe_prometheus(
    session: aiohttp.ClientSession, spec: MetricSpec, url: str, headers: dict[str, str]
) -> Observation:
    assert spec.query is not None
    now = time.time()
    samples = await _instant(session, url, headers, spec.query, now, "query")
    value = _combine(samples, spec.aggregate, "the query")
    labels = samples[0].labels
    lines = [
        f"prometheus {_shown(url)} query: {spec.query}",
        f"  {len(samples)} series{f' ({spec.aggregate})' if len(samples) > 1 else ''} → value {value:g}"
        + (f" {_labels(labels)}" if labels else ""),
    ]
    baseline: float | None = None
    ratio: float | None = None
    if spec.baseline is not None:
        if spec.baseline.offset is not None:
            from golive.durations import format_duration

            base_query = spec.query
            base_at = now - spec.baseline.offset.total_seconds()
            described = f"the same query {format_duration(spec.baseline.offset)} earlier"
        else:
            assert spec.baseline.query is not None
            base_query = spec.baseline.query
            base_at = now
            described = f"baseline query: {base_query}"
        base_samples = await _instant(session, url, headers, base_query, base_at, "baseline")
        baseline = _combine(base_samples, spec.aggregate, "the baseline")
        if baseline == 0:
            raise MeasurementError(f"baseline is 0 ({described}): the ratio is undefined")
        ratio = value / baseline
        lines.append(f"  baseline ({described}) → {baseline:g}; ratio {ratio:g}")
    return Observation(
        values={
            "value": value,
            "baseline": baseline,
            "ratio": ratio,
            "samples": len(samples),
            "labels": labels,
        },
        evidence="\n".join(lines),
    )


def _walk(data: Any, path: str) -> Any:
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif (
            isinstance(current, list)
            and part.lstrip("-").isdigit()
            and -len(current) <= int(part) < len(current)
        ):
            current = current[int(part)]
        else:
            raise MeasurementError(f"no data: {path!r} is not in the JSON (stopped at {part!r})")
    return current


async def _observe_json(
    session: aiohttp.ClientSession, spec: MetricSpec, url: str, headers: dict[str, str]
) -> Observation:
    assert spec.path is not None
    status, body = await _fetch(session, url, {"Accept": "application/json", **headers})
    if not 200 <= status < 300:
        raise MeasurementError(f"HTTP {status} from {_shown(url)}: {_snippet(body)}")
    try:
        data = json.loads(body)
    except ValueError:
        raise MeasurementError(f"the answer of {_shown(url)} is not JSON: {_snippet(body)}") from None
    found = _walk(data, spec.path)
    raw = found if isinstance(found, list) else [found]
    samples = [
        _Sample(value=_number(item, f"{spec.path}" + (f"[{i}]" if len(raw) > 1 else "")), labels={})
        for i, item in enumerate(raw)
    ]
    value = _combine(samples, spec.aggregate, f"path {spec.path!r}")
    evidence = f"GET {_shown(url)} → {status}; {spec.path} = {value:g}"
    if len(samples) > 1:
        evidence += f" ({spec.aggregate} of {len(samples)} numbers)"
    return Observation(
        values={"value": value, "baseline": None, "ratio": None, "samples": len(samples), "labels": {}},
        evidence=evidence,
    )


KIND = MetricKind()
