"""The built-in health guard: a total outage is caught even when no criterion names it.

While a component is exposed (from its first step to the end of hypercare) golive
probes the release's health endpoint. The guard is one more trigger
(``source: health``), with the semantics of every trigger
(:mod:`golive.rollout.triggers`): an interval, a persistence window (``for``) and
four outcomes:

- ``ok``: the probe passed (an http probe: a 2xx answer);
- ``breach``: no healthy answer: a non-2xx status, a refused connection, a timeout.
  For a health endpoint no answer *is* the measurement: a service that is down
  often refuses connections;
- ``error``: the probe could not even be built (a bad check spec): never a pass;
  ``max_errors`` in a row pause the rollout, like any trigger.

A total outage is ``breach`` at every evaluation for the guard's ``window``
(default 1 minute): during the rollout golive rolls back (once per release, through
the controller's rollback path); in hypercare it pauses and alerts. ``reaction``
names another reaction for both. ``health: false`` turns it off.

Where the probe comes from, in order (the first source that gives one wins):

1. ``health: {url: ...}`` or ``health: {check: {...}}`` in the guard: used as given;
2. the runbook's health check items: the first http check (or ``curl`` command)
   attached to an item whose URL is a health endpoint (its path has ``health``,
   ``healthz``, ``ready``, ``livez`` or ``ping`` in it; an exact last segment first):
   its URL, probed for a 2xx answer (not the item's other conditions: a degraded
   component is not an outage);
3. the actuator targets: each webhook ``set_weight`` actuator's origin
   (``scheme://host:port``) with ``/health``, ``/healthz`` or ``/api/health``, the
   first that answers 2xx, one probe per distinct origin (an origin that does not
   answer at all is not asked for its other paths).

A derived probe (2, 3) is used only when it answers healthy when the rollout starts;
the ones that do not are listed as not used, with why, in ``rollout.started``.

When another trigger already watches health (its name, words, path or query say
health, outage, downtime, availability or ``up``), the built-in guard is its
backstop: its window becomes at least that trigger's ``for`` plus two of its
intervals, so the runbook's own criterion speaks first.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from golive.rollout.spec import HealthSpec, RolloutGuard, TriggerSpec
from golive.rollout.triggers import Evaluation, Outcome

if TYPE_CHECKING:
    from golive.checks.context import CheckContext
    from golive.runbook.model import Runbook

__all__ = [
    "HealthPlan",
    "Probe",
    "derive_probes",
    "health_window",
    "measure",
    "plan_health",
    "resolve_health",
]

HEALTHY = "status >= 200 && status < 300"
ACTUATOR_PATHS = ("/health", "/healthz", "/api/health")
_EXACT = re.compile(r"/(health|healthz|healthcheck|ready|readyz|livez|ping)/?$", re.IGNORECASE)
_LOOSE = re.compile(r"health|ready|livez", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s'\"`]+")
_WATCHES_HEALTH = re.compile(r"health|outage|downtime|down\b|availability|uptime|\bup\b", re.IGNORECASE)

T = TypeVar("T")


@dataclass(frozen=True)
class Probe:
    """One health probe: a check spec, where it came from, its URL (for words)."""

    name: str
    check: dict[str, Any]
    source: str
    url: str = ""


@dataclass
class HealthPlan:
    """The health guard as resolved: the probes golive will use, those it won't and why,
    its timing, and the triggers it defers to."""

    enabled: bool
    probes: list[Probe] = field(default_factory=list)
    not_used: list[dict[str, str]] = field(default_factory=list)
    window: timedelta = timedelta(minutes=1)
    interval: timedelta | None = None
    reaction: str = "rollback"
    hypercare_reaction: str = "pause"
    defers_to: list[str] = field(default_factory=list)
    note: str = ""

    def record(self) -> dict[str, Any] | bool:
        """What ``rollout.started`` says of the guard (``false`` when turned off)."""
        from golive.durations import format_duration

        if not self.enabled:
            return False
        return {
            "probes": [{"trigger": p.name, "url": p.url, "source": p.source} for p in self.probes],
            "not_used": self.not_used,
            "window": format_duration(self.window),
            "interval": format_duration(self.interval) if self.interval is not None else None,
            "reaction": self.reaction,
            "hypercare_reaction": self.hypercare_reaction,
            "defers_to": self.defers_to,
            **({"note": self.note} if self.note else {}),
        }

    def triggers(self, taken: Iterable[str] = ()) -> list[TriggerSpec]:
        from golive.durations import format_duration

        names = set(taken)
        out: list[TriggerSpec] = []
        window = format_duration(self.window)
        for probe in self.probes:
            name = probe.name
            while name in names:
                name = f"golive-{name}"
            names.add(name)
            out.append(
                TriggerSpec.model_validate(
                    {
                        "name": name,
                        "text": f"health guard: no healthy answer from {probe.url} for {window}",
                        "source": "health",
                        "check": probe.check,
                        "breach": "no healthy answer",
                        "interval": self.interval,
                        "for": self.window,
                        "reaction": self.reaction,
                        "hypercare_reaction": self.hypercare_reaction,
                    }
                )
            )
        return out


def _fill(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _http(url: str, spec: HealthSpec, expect: list[str] | None = None) -> dict[str, Any]:
    return {
        "kind": "http",
        "url": url,
        "expect": list(expect or [HEALTHY]),
        "timeout": f"{spec.timeout.total_seconds():g}s",
    }


def _health_url(url: str) -> int:
    """2: an exact health endpoint, 1: a URL about health, 0: not one."""
    path = urlsplit(url).path
    if _EXACT.search(path):
        return 2
    return 1 if _LOOSE.search(path) else 0


def _item_urls(runbook: Runbook) -> list[tuple[str, str]]:
    """(url, where) of the runbook's health check items, exact health endpoints first."""
    found: list[tuple[int, int, str, str]] = []
    order = 0
    for section in runbook.walk_sections():
        for item in section.all_items():
            for check in item.checks:
                data = check.model_dump(mode="json")
                urls: list[str] = []
                if data.get("kind") == "http" and isinstance(data.get("url"), str):
                    urls = [data["url"]]
                elif data.get("kind") == "command":
                    line = " ".join(data.get("argv") or []) or str(data.get("run") or "")
                    if re.search(r"\bcurl\b", line):
                        urls = _URL.findall(line)
                for url in urls:
                    rank = _health_url(url)
                    if rank:
                        order += 1
                        found.append((-rank, order, url, f"runbook item line {item.line}: {item.text}"))
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for _rank, _order, url, where in sorted(found):
        if url not in seen:
            seen.add(url)
            out.append((url, where))
    return out


def _origins(guard: RolloutGuard) -> list[tuple[str, str]]:
    """(origin, component) of the webhook set_weight actuators, one per distinct origin."""
    out: list[tuple[str, str]] = []
    for component in guard.components:
        actuator = component.set_weight
        if actuator.kind != "webhook" or not actuator.url:
            continue
        parts = urlsplit(actuator.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in [o for o, _ in out]:
            out.append((origin, component.name))
    return out


def watchers(guard: RolloutGuard) -> list[TriggerSpec]:
    """The guard's triggers that already watch health (and act on it)."""
    return [
        t
        for t in guard.triggers
        if t.source != "health"
        and not (t.shadow or guard.shadow)
        and t.reaction != "alert"
        and _WATCHES_HEALTH.search(" ".join([t.name, t.text, t.path or "", t.query or ""]))
    ]


def health_window(
    spec: HealthSpec, watching: Iterable[tuple[str, timedelta | None, timedelta]]
) -> tuple[timedelta, list[str]]:
    """The guard's window: ``spec.window``, or longer than each (name, for, interval)
    trigger that already watches health (for + 2 intervals), so they speak first."""
    window = spec.window
    names: list[str] = []
    for name, for_duration, interval in watching:
        names.append(name)
        window = max(window, (for_duration or timedelta(0)) + 2 * interval)
    return window, names


def derive_probes(
    guard: RolloutGuard, runbook: Runbook | None
) -> tuple[list[Probe], list[tuple[str, list[Probe]]]]:
    """(explicit probes, [(source, candidate probes) in order]) before anything is probed."""
    spec = guard.health
    if spec.check is not None:
        url = str(spec.check.get("url") or spec.check.get("host") or spec.check.get("kind"))
        return [Probe("health", dict(spec.check), "the guard's health check", url)], []
    if spec.url is not None:
        return [Probe("health", _http(spec.url, spec, spec.expect), "the guard's health url", spec.url)], []
    candidates: list[tuple[str, list[Probe]]] = []
    if runbook is not None:
        items = [Probe("health", _http(url, spec), where, url) for url, where in _item_urls(runbook)]
        if items:
            candidates.append(("runbook", items))
    for index, (origin, component) in enumerate(_origins(guard)):
        name = "health" if index == 0 else f"health-{component}"
        probes = [
            Probe(name, _http(origin + path, spec), f"the actuator target of {component}", origin + path)
            for path in ACTUATOR_PATHS
        ]
        candidates.append((f"actuator:{component}", probes))
    return [], candidates


async def _answers(probe: Probe, ctx: CheckContext) -> str | None:
    """None when the probe answers healthy now; else why not."""
    evaluation = await measure(probe.check, ctx, ctx.now(), name=probe.name)
    return None if evaluation.outcome == Outcome.OK else evaluation.detail or evaluation.outcome.value


async def _resolve(
    guard: RolloutGuard, runbook: Runbook | None, values: Mapping[str, str], now: Callable[[], datetime]
) -> HealthPlan:
    from golive.checks.context import CheckContext

    spec = guard.health
    window, defers = health_window(
        spec, [(t.name, t.for_duration, t.interval or guard.interval) for t in watchers(guard)]
    )
    plan = HealthPlan(
        enabled=True,
        window=window,
        interval=spec.interval,
        reaction=spec.reaction or "rollback",
        hypercare_reaction=spec.reaction or "pause",
        defers_to=defers,
    )
    explicit, candidates = derive_probes(guard, runbook)
    plan.probes = [replace_url(p, values) for p in explicit]
    if explicit:
        return plan
    ctx = CheckContext(concurrency=4, values=dict(values), now=now)
    try:
        for source, probes in candidates:
            if source == "runbook" or not any(p.source.startswith("runbook") for p in plan.probes):
                for candidate in probes:  # the first of the group that answers healthy
                    probe = replace_url(candidate, values)
                    why = await _answers(probe, ctx)
                    if why is None:
                        plan.probes.append(probe)
                        break
                    reason = f"no healthy answer at start: {why}"
                    plan.not_used.append({"url": probe.url, "source": probe.source, "reason": reason})
                    if source != "runbook" and why.startswith("no answer"):
                        break  # the origin does not answer at all: its other paths won't either
    finally:
        await ctx.close()
    if not plan.probes:
        plan.note = "no health endpoint answered at start: the health guard watches nothing"
        if not candidates:
            plan.note = (
                "no health endpoint known (no health check item, no webhook actuator): "
                "the health guard watches nothing; give health: {url: ...}"
            )
    return plan


def replace_url(probe: Probe, values: Mapping[str, str]) -> Probe:
    """The probe with the release's values ({target_port}, {version}) filled into its words."""
    return Probe(probe.name, probe.check, probe.source, _fill(probe.url, values))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when an event loop runs in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:  # handed back to the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


def resolve_health(
    guard: RolloutGuard, runbook: Runbook | None, values: Mapping[str, str], now: Callable[[], datetime]
) -> tuple[RolloutGuard, dict[str, Any] | bool]:
    """The guard with its health trigger(s) added, and the record for ``rollout.started``.
    Derived probes are tried now (they must answer healthy at the start)."""
    if not guard.health.enabled:
        return guard, False
    if any(t.source == "health" for t in guard.triggers):
        return guard, {"probes": [], "note": "the guard states its own health triggers"}
    plan = _run(_resolve(guard, runbook, values, now))
    added = plan.triggers(t.name for t in guard.triggers)
    resolved = guard.model_copy(update={"triggers": [*guard.triggers, *added]}) if added else guard
    return resolved, plan.record()


def plan_health(guard: RolloutGuard | None, runbook: Runbook) -> tuple[list[Probe], str]:
    """For ``golive rollout plan`` (nothing is probed): the probes golive would use or
    try first, and how it chooses."""
    if guard is None:
        items = [Probe("health", _http(url, HealthSpec()), where, url) for url, where in _item_urls(runbook)]
        if items:
            return items[:1], "used when it answers healthy at the start"
        return [], "no health endpoint known before start (no health check item, no guard)"
    explicit, candidates = derive_probes(guard, runbook)
    if explicit:
        return explicit, "as the guard states it"
    first = [probes[0] for _source, probes in candidates if probes]
    if not first:
        return [], "no health endpoint known: give rollout_guard.health.url"
    return first[:1], "the first that answers healthy at the start is used"


async def measure(check: dict[str, Any], ctx: CheckContext, now: datetime, *, name: str) -> Evaluation:
    """One evaluation of a health probe: passed → ok; failed or no answer → breach;
    a probe that cannot be built → error."""
    from golive.checks.runner import prepare_check, run_check

    try:
        prepared = prepare_check(dict(check), source=f"trigger {name}")
    except Exception as exc:  # a probe that cannot be built is an error, never a pass
        return Evaluation(now, Outcome.ERROR, None, str(exc).splitlines()[0])
    result = await run_check(prepared, ctx)
    status = result.observed.get("status")
    value = float(status) if isinstance(status, int | float) else None
    summary = result.summary or result.message or result.status
    if result.status == "passed":
        return Evaluation(now, Outcome.OK, value, summary)
    if result.status == "failed":
        return Evaluation(now, Outcome.BREACH, value, f"unhealthy: {summary}")
    return Evaluation(now, Outcome.BREACH, value, f"no answer: {result.message or summary}")
