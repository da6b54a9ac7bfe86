"""The runbook's own rollback criteria, compiled into triggers.

Each rollback criterion with a number (``error rate > 1% for > 10 minutes``)
becomes a trigger: a metric query, a breach condition over its ``value`` (or
``ratio`` to a baseline), a rule over time and a reaction. golive says which
sentence became which rule, and each trigger's worst-case detection time.

How the words are read:

- ``> 1%``, ``< 200ms``, ``> 5x normal baseline``: the breach condition. Percents
  are fractions (``value > 0.01``), milliseconds are seconds (``value > 0.2``),
  ``Nx baseline`` compares to the same query one day earlier (``ratio > 5``).
- ``for > 10 minutes``: persistence ``for: 10m``. ``sustained`` without a
  duration: ``for: 5m`` (golive's reading; override it in an overlay).
  No duration: the first breach fires (``for: 0s``); the query's own rate window
  (5 minutes) already smooths a single bad request.
- ``Health checks failing for > 5 minutes``, ``System downtime > 5 minutes``:
  ``min(up) < 1`` for 5 minutes.
- Rollback criteria react by rolling back; success metrics and warning levels
  alert.

A criterion without a number ("Authentication system failure") is listed as
not compiled: a person judges it, or a check is attached to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from golive.rollout.spec import Component, ProcedureStep, RolloutGuard
from golive.rollout.triggers import TriggerRule, worst_case_detection
from golive.runbook.model import Criterion, Item, Runbook, Threshold
from golive.runbook.text import slugify

__all__ = ["CompiledTrigger", "TriggerPlan", "compile_triggers", "resolve_guard"]

SUSTAINED = timedelta(minutes=5)
QUERY_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class CompiledTrigger:
    name: str
    text: str
    line: int
    file: str | None
    metric: str
    query: str
    breach: str
    rule: TriggerRule
    reaction: Literal["rollback", "pause", "alert"]
    reading: str
    baseline_offset: timedelta | None = None

    @property
    def worst_case(self) -> timedelta:
        return worst_case_detection(self.rule)


@dataclass
class TriggerPlan:
    triggers: list[CompiledTrigger]
    not_compiled: list[tuple[Criterion, str]]


def _value(threshold: Threshold, unit: str) -> float:
    value = threshold.value
    if threshold.unit == "%" and unit == "ratio":
        return value / 100
    if threshold.unit == "ms":
        return value / 1000
    if threshold.unit == "m":
        return value * 60
    if threshold.unit == "h":
        return value * 3600
    return value


def _compile(
    criterion: Criterion, threshold: Threshold, interval: timedelta, reaction: str
) -> CompiledTrigger | str:
    from golive.suggest.promql import TEMPLATES, query_for

    metric = threshold.metric
    template = TEMPLATES.get(metric)
    if template is None:
        return f"no query template for {metric!r}; attach a metric trigger in an overlay"
    found = query_for(metric, threshold.percentile)
    query = found[0] if found is not None else template.query
    baseline = None
    if threshold.unit == "bool":
        breach = "value < 1"
        reading = f"{threshold.subject!r} is {metric}: min(up) < 1"
    elif threshold.relative_to == "baseline":
        breach = f"ratio {threshold.op} {threshold.value:g}"
        baseline = timedelta(days=1)
        reading = f"{threshold.value:g}x the value one day earlier"
    else:
        number = _value(threshold, template.unit)
        breach = f"value {threshold.op} {number:g}"
        reading = f"{threshold.expression} → {breach}"
    if threshold.for_duration is not None:
        window = threshold.for_duration
        reading += f", for {_fmt(window)} (persistence)"
    elif threshold.sustained:
        window = SUSTAINED
        reading += f", 'sustained' read as for {_fmt(window)}"
    else:
        window = timedelta(0)
        reading += ", no duration stated: the first breach fires"
    rule = TriggerRule(interval=interval, for_duration=window, query_window=QUERY_WINDOW)
    level_reaction = "alert" if threshold.level == "warning" else reaction
    return CompiledTrigger(
        name=slugify(criterion.text, 40),
        text=criterion.text,
        line=criterion.line,
        file=criterion.file,
        metric=metric,
        query=query,
        breach=breach,
        rule=rule,
        reaction=level_reaction,  # type: ignore[arg-type]
        reading=reading,
        baseline_offset=baseline,
    )


def compile_triggers(
    runbook: Runbook, *, interval: timedelta = timedelta(seconds=30), health: bool = False
) -> TriggerPlan:
    """Triggers for the runbook's rollback criteria (react: roll back); with ``health``
    also the built-in health guard (see :mod:`golive.rollout.health`), last."""
    plan = TriggerPlan(triggers=[], not_compiled=[])
    if health:
        plan = compile_triggers(runbook, interval=interval)
        _add_health(plan, runbook, interval)
        return plan
    seen: set[str] = set()
    for criterion in runbook.rollback_criteria:
        if not criterion.thresholds:
            plan.not_compiled.append((criterion, "states no number: a person judges it, or attach a check"))
            continue
        for threshold in criterion.thresholds:
            compiled = _compile(criterion, threshold, interval, "rollback")
            if isinstance(compiled, str):
                plan.not_compiled.append((criterion, compiled))
                continue
            name = compiled.name
            n = 2
            while name in seen:
                name = f"{compiled.name}-{n}"
                n += 1
            seen.add(name)
            plan.triggers.append(compiled if name == compiled.name else _renamed(compiled, name))
    return plan


def _add_health(plan: TriggerPlan, runbook: Runbook, interval: timedelta) -> None:
    """The health guard as one more trigger-like entry of the plan (nothing is probed)."""
    from golive.rollout.health import _WATCHES_HEALTH, health_window, plan_health, watchers
    from golive.rollout.spec import HealthSpec

    guard = RolloutGuard.model_validate(runbook.rollout_guard) if runbook.rollout_guard else None
    spec = guard.health if guard is not None else HealthSpec()
    if not spec.enabled:
        off = Criterion(text="health guard", line=0)
        plan.not_compiled.append((off, "turned off (health: false): only the stated criteria watch"))
        return
    every = spec.interval or interval
    watching = [(t.name, t.for_duration, t.interval or interval) for t in (watchers(guard) if guard else [])]
    watching += [
        (t.name, t.rule.for_duration, t.rule.interval)
        for t in plan.triggers
        if t.reaction != "alert" and (t.metric == "up" or _WATCHES_HEALTH.search(f"{t.name} {t.text}"))
    ]
    window, defers = health_window(spec, watching)
    probes, how = plan_health(guard, runbook)
    url = probes[0].url if probes else "(none known)"
    reaction = spec.reaction or "rollback"
    reading = f"built-in health guard: {probes[0].source if probes else 'no probe'}, {how}"
    reading += f"; no healthy (2xx) answer for {_fmt(window)} → {reaction}"
    reading += f"; in hypercare: {spec.reaction or 'pause and alert'}"
    if defers:
        reading += f"; waits for {', '.join(defers)}, which already watch health"
    plan.triggers.append(
        CompiledTrigger(
            name="health",
            text=f"health guard: no healthy answer from {url} for {_fmt(window)}",
            line=0,
            file=None,
            metric="health",
            query=url,
            breach="no healthy answer",
            rule=TriggerRule(interval=every, for_duration=window),
            reaction=reaction,
            reading=reading,
        )
    )


def _renamed(trigger: CompiledTrigger, name: str) -> CompiledTrigger:
    from dataclasses import replace

    return replace(trigger, name=name)


def _fmt(value: timedelta) -> str:
    from golive.durations import format_duration

    return format_duration(value)


ROLLBACK_PROCEDURE = re.compile(r"\broll\s*-?back\b.*\b(procedures?|process|plan|steps)\b", re.IGNORECASE)


def resolve_guard(guard: RolloutGuard, runbook: Runbook | None) -> RolloutGuard:
    """The guard as the rollout will run it, written into ``rollout.started``:

    - ``from_criteria``: the runbook's rollback criteria compiled into triggers
      (an explicit trigger with the same name or words wins);
    - ``rollback_procedure: true``: the checks attached to the items of the
      runbook's rollback procedure sections ("Rollback Procedures", "Emergency
      Rollback Process"), in document order, as the steps a rollback runs after
      its actuators. Items without a check are for a person: the log says so
      when the rollback runs.
    """
    from golive.rollout.spec import TriggerSpec

    update: dict[str, object] = {}
    if guard.from_criteria and runbook is not None:
        taken = {t.name for t in guard.triggers} | {" ".join(t.text.lower().split()) for t in guard.triggers}
        added: list[TriggerSpec] = []
        for compiled in compile_triggers(runbook, interval=guard.interval).triggers:
            if compiled.name in taken or " ".join(compiled.text.lower().split()) in taken:
                continue
            spec: dict[str, object] = {
                "name": compiled.name,
                "text": compiled.text,
                "query": compiled.query,
                "breach": compiled.breach,
                "for": compiled.rule.for_duration or timedelta(0),
                "reaction": compiled.reaction,
            }
            if compiled.baseline_offset is not None:
                spec["baseline"] = {"offset": _fmt(compiled.baseline_offset)}
            added.append(TriggerSpec.model_validate(spec))
        update["triggers"] = [*guard.triggers, *added]
    if guard.rollback_procedure is True:
        steps: list[ProcedureStep] = []
        if runbook is not None:
            seen: set[str] = set()
            for top in runbook.walk_sections():
                if top.id in seen or not ROLLBACK_PROCEDURE.search(top.title):
                    continue
                for section in top.walk():
                    seen.add(section.id)
                    items = list(section.all_items())
                    steps.extend(_procedure_steps(items))
        update["rollback_procedure"] = steps
    elif guard.rollback_procedure is False:
        update["rollback_procedure"] = []
    if guard.hold_points and runbook is not None:
        held = _hold_points(guard, runbook)
        if held is not None:
            update["components"] = held
    return guard.model_copy(update=update) if update else guard


def _hold_points(guard: RolloutGuard, runbook: Runbook) -> list[Component] | None:
    """The guard's components with ``hold`` set on each step whose weight the
    runbook's rollout plan (the one naming the component, or one naming none)
    holds at; None when nothing changes."""
    changed = False
    out: list[Component] = []
    for component in guard.components:
        weights = {
            step.weight
            for plan in runbook.rollout
            if plan.component in (None, component.name)
            for step in plan.steps
            if step.hold
        }
        steps = [
            s.model_copy(update={"hold": True}) if s.weight in weights and not s.hold else s
            for s in component.steps
        ]
        if steps != component.steps:
            changed = True
            out.append(component.model_copy(update={"steps": steps}))
        else:
            out.append(component)
    return out if changed else None


def _procedure_steps(items: list[Item]) -> list[ProcedureStep]:
    steps: list[ProcedureStep] = []
    for item in items:
        for check in item.checks:
            if check.kind == "manual":
                continue  # a person's step: golive cannot carry it out
            steps.append(
                ProcedureStep(
                    text=item.text, line=item.line, item=item.id, check=check.model_dump(mode="json")
                )
            )
    return steps
