"""The rollout part of the report: steps, canary weights over time, each
trigger's evaluations, the rollback and its procedure steps, pauses, alerts and
hypercare, read from the ``rollout.*`` events of a release's log.

Read from the raw events (not through the controller's own fold) so that a log
written by an older or newer golive still reads: unknown fields are ignored,
missing ones are said to be missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from golive.durations import parse_duration
from golive.report.model import (
    ComponentPlan,
    EvalPoint,
    Moment,
    Rollback,
    RollbackStep,
    RolloutReport,
    Step,
    TriggerReport,
    WeightPoint,
)
from golive.report.text import clean, fmt_duration, one_line
from golive.store.events import Event

__all__ = ["OUTCOMES", "rollout_report", "weight_at"]

OUTCOMES = ("ok", "breach", "error", "inconclusive")
_THRESHOLD = re.compile(r"(?:[<>]=?|==)\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)")


def _duration(value: Any) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _rule(spec: dict[str, Any]) -> str:
    if spec.get("count") is not None:
        return f"{spec['count']} breaches in a row"
    if spec.get("total") is not None:
        return f"{spec['total']} breaches in total"
    window = _duration(spec.get("for"))
    if window is None or window <= timedelta(0):
        return "the first breach"
    return f"breaching for {fmt_duration(window)}"


def _percent(text: str, breach: str, values: list[float]) -> bool:
    """The runbook states the criterion in percent and golive measures a fraction."""
    if "%" not in text:
        return False
    match = _THRESHOLD.search(breach)
    if match is None or not 0 < abs(float(match.group(1))) < 1:
        return False
    return all(0 <= v <= 1 for v in values)


def weight_at(weights: list[WeightPoint], at: datetime) -> dict[str, float]:
    """Each component's canary weight at a moment."""
    out: dict[str, float] = {}
    for point in weights:
        if point.when.at < at or (point.when.at == at and not point.rollback):
            out[point.component] = point.weight
    return out


def _breach_began(points: list[EvalPoint], fired: datetime) -> EvalPoint | None:
    began: EvalPoint | None = None
    for point in points:
        if point.when.at > fired:
            break
        began = (began or point) if point.outcome == "breach" else None
    return began


def rollout_report(events: list[Event], when: Callable[[datetime], Moment]) -> RolloutReport | None:
    """The rollout as the log tells it, or None when the release had no rollout."""
    start = next((e for e in events if e.type == "rollout.started"), None)
    if start is None:
        return None
    guard = start.data.get("guard") if isinstance(start.data.get("guard"), dict) else {}
    assert isinstance(guard, dict)
    guard_shadow = bool(guard.get("shadow"))
    default_interval = _duration(guard.get("interval")) or timedelta(seconds=30)
    specs: dict[str, dict[str, Any]] = {}
    for spec in guard.get("triggers") or []:
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            specs.setdefault(spec["name"], spec)
    components = [
        ComponentPlan(
            name=clean(c.get("name", "")),
            weights=[
                float(s["weight"])
                for s in c.get("steps") or []
                if isinstance(s, dict) and _number(s.get("weight")) is not None
            ],
        )
        for c in guard.get("components") or []
        if isinstance(c, dict)
    ]

    points: dict[str, list[EvalPoint]] = {name: [] for name in specs}
    fired: dict[str, Event] = {}
    hypercare_alerts: dict[str, Event] = {}
    steps: list[Step] = []
    open_intents: dict[tuple[str, int], Event] = {}
    weights: list[WeightPoint] = []
    pauses: list[tuple[Moment, str]] = []
    attention: list[tuple[Moment, str]] = []
    alerts: list[tuple[Moment, str, str]] = []
    paused: str | None = None
    completed: Event | None = None
    aborted: Event | None = None
    rb_intent: Event | None = None
    rb_done: Event | None = None
    rb_steps: dict[int, tuple[Event, Event | None]] = {}
    rb_components: dict[str, tuple[bool, str]] = {}

    for event in events:
        if event.seq < start.seq or not event.type.startswith("rollout."):
            continue
        data = event.data
        kind = event.type
        if kind == "rollout.step.intent":
            open_intents[(str(data.get("component")), int(data.get("index", -1)))] = event
        elif kind == "rollout.step.done":
            component = str(data.get("component"))
            open_intents.pop((component, int(data.get("index", -1))), None)
            weight = _number(data.get("weight")) or 0.0
            ok = bool(data.get("ok"))
            steps.append(
                Step(
                    component=clean(component),
                    index=int(data.get("index", -1)),
                    weight=weight,
                    when=when(event.at),
                    ok=ok,
                    summary=one_line(data.get("summary", "")),
                )
            )
            if ok:
                weights.append(WeightPoint(clean(component), when(event.at), weight))
        elif kind == "rollout.evaluated":
            name = str(data.get("trigger", ""))
            outcome = str(data.get("outcome", "error"))
            after = completed is not None and event.at >= completed.at
            points.setdefault(name, []).append(
                EvalPoint(when(event.at), outcome, _number(data.get("value")), hypercare=after)
            )
        elif kind == "rollout.trigger.fired":
            fired.setdefault(str(data.get("trigger", "")), event)
        elif kind == "rollout.alert":
            key = str(data.get("key", ""))
            trigger = str(data.get("trigger", ""))
            if key.startswith("hypercare:"):
                hypercare_alerts.setdefault(trigger, event)
            alerts.append((when(event.at), clean(trigger), one_line(data.get("detail", ""))))
        elif kind == "rollout.paused":
            paused = one_line(data.get("reason", "paused"))
            pauses.append((when(event.at), paused))
        elif kind == "rollout.resumed":
            paused = None
        elif kind == "rollout.attention":
            reason = one_line(data.get("reason", ""))
            attention.append((when(event.at), reason))
            paused = paused or reason
        elif kind == "rollout.rollback.intent":
            rb_intent = rb_intent or event
        elif kind == "rollout.rollback.component":
            # one rollback actuator's outcome (before the procedure and rollback.done)
            component = str(data.get("component", ""))
            rb_components[component] = (bool(data.get("ok")), one_line(data.get("summary", "")))
            if data.get("ok"):
                weights.append(WeightPoint(clean(component), when(event.at), 0.0, rollback=True))
        elif kind == "rollout.rollback.done":
            rb_done = rb_done or event
            results = data.get("results") if isinstance(data.get("results"), dict) else {}
            assert isinstance(results, dict)
            for component, result in results.items():
                if isinstance(result, dict) and result.get("ok") and str(component) not in rb_components:
                    weights.append(WeightPoint(clean(component), when(event.at), 0.0, rollback=True))
        elif kind in ("rollout.rollback.step.intent", "rollout.rollback.step.done"):
            index = data.get("index")
            if not isinstance(index, int):
                continue
            intent, done = rb_steps.get(index, (event, None))
            rb_steps[index] = (intent, event) if kind.endswith(".done") else (event, done)
        elif kind == "rollout.completed":
            completed = completed or event
        elif kind == "rollout.aborted":
            aborted = aborted or event

    for (component, index), intent in open_intents.items():
        steps.append(
            Step(
                component=clean(component),
                index=index,
                weight=_number(intent.data.get("weight")) or 0.0,
                when=when(intent.at),
                ok=None,
                summary="intent recorded, no outcome in the log",
            )
        )
    steps.sort(key=lambda s: (s.when.at, s.index))

    triggers = [
        _trigger(
            name,
            specs.get(name, {}),
            pts,
            fired.get(name),
            hypercare_alerts.get(name),
            when,
            default_interval=default_interval,
            shadow=guard_shadow,
        )
        for name, pts in points.items()
    ]

    rollback: Rollback | None = None
    if rb_intent is not None:
        trigger_name = rb_intent.data.get("trigger")
        trigger_name = str(trigger_name) if trigger_name else None
        spec_text = str(specs.get(trigger_name or "", {}).get("text") or "")
        results_raw = rb_done.data.get("results") if rb_done is not None else None
        if isinstance(results_raw, dict):
            results = [
                (clean(name), bool(r.get("ok")), one_line(r.get("summary", "")))
                for name, r in results_raw.items()
                if isinstance(r, dict)
            ]
        else:  # not finished (or an older log): the actuators that reported
            results = [(clean(name), ok, summary) for name, (ok, summary) in rb_components.items()]
        procedure = [_procedure_step(index, pair, when) for index, pair in sorted(rb_steps.items())]
        rollback = Rollback(
            reason=one_line(rb_intent.data.get("reason", "")),
            trigger=clean(trigger_name) if trigger_name else None,
            trigger_text=clean(spec_text or trigger_name or ""),
            intent=when(rb_intent.at),
            done=when(rb_done.at) if rb_done is not None else None,
            results=results,
            steps=procedure,
        )

    if rollback is not None:
        outcome = "rolled_back"
        ended = rollback.done or rollback.intent
    elif aborted is not None:
        outcome, ended = "aborted", when(aborted.at)
    elif completed is not None:
        # paused after completion (the health guard in hypercare): not a success
        outcome, ended = ("paused" if paused is not None else "completed"), when(completed.at)
    else:
        outcome, ended = ("paused" if paused is not None else "running"), None

    hypercare_window = _duration(guard.get("hypercare"))
    hypercare_until: Moment | None = None
    hypercare_ended = False
    if hypercare_window is None:
        hypercare = "none planned"
    elif completed is None:
        hypercare = f"{fmt_duration(hypercare_window)} planned after completion; not reached"
    else:
        hypercare_until = when(completed.at + hypercare_window)
        watched = [p.when for pts in points.values() for p in pts if p.hypercare]
        last = max((m.at for m in watched), default=completed.at)
        # the watch ends with the window: its last evaluation falls within an interval of the end
        slack = max(
            [default_interval, *(_duration(s.get("interval")) or default_interval for s in specs.values())]
        )
        hypercare_ended = last >= hypercare_until.at - 2 * slack
        seen = f"last evaluation at {when(last).t}"
        state = "ended" if hypercare_ended else "the log stops before its end"
        hypercare = (
            f"{fmt_duration(hypercare_window)} after completion, until {hypercare_until.local} "
            f"({hypercare_until.t}); {seen}; {state}"
        )
    max_weight: dict[str, float] = {}
    for point in weights:
        max_weight[point.component] = max(max_weight.get(point.component, 0.0), point.weight)
    return RolloutReport(
        outcome=outcome,
        started=when(start.at),
        started_by=clean(start.actor),
        ended=ended,
        components=components,
        steps=steps,
        triggers=triggers,
        weights=weights,
        max_weight=max_weight,
        rollback=rollback,
        pauses=pauses,
        paused=paused if outcome in ("paused", "running") else None,
        attention=attention,
        alerts=alerts,
        hypercare=hypercare,
        hypercare_until=hypercare_until,
        hypercare_ended=hypercare_ended,
        completed=when(completed.at) if completed is not None else None,
        shadow=guard_shadow,
    )


def _procedure_step(
    index: int, pair: tuple[Event, Event | None], when: Callable[[datetime], Moment]
) -> RollbackStep:
    intent, done = pair
    latest = done or intent
    line = latest.data.get("line", intent.data.get("line"))
    item = latest.data.get("item") or intent.data.get("item")
    return RollbackStep(
        index=index,
        item=str(item) if item else None,
        text=one_line(latest.data.get("text") or intent.data.get("text") or ""),
        line=line if isinstance(line, int) else None,
        ok=None if done is None else bool(done.data.get("ok")),
        summary=one_line(done.data.get("summary", "")) if done is not None else "no outcome in the log",
        when=when(latest.at),
    )


def _trigger(
    name: str,
    spec: dict[str, Any],
    points: list[EvalPoint],
    fired: Event | None,
    hypercare_alert: Event | None,
    when: Callable[[datetime], Moment],
    *,
    default_interval: timedelta,
    shadow: bool,
) -> TriggerReport:
    """One trigger's evaluations; ``shadow``: the whole guard ran in shadow mode."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for point in points:
        counts[point.outcome] = counts.get(point.outcome, 0) + 1
    values = [p.value for p in points if p.value is not None]
    text = clean(spec.get("text") or "")
    breach = clean(spec.get("breach") or "")
    first = next((p for p in points if p.outcome == "breach"), None)
    began = _breach_began(points, fired.at) if fired is not None else None
    interval = _duration(spec.get("interval")) or default_interval
    return TriggerReport(
        name=clean(name),
        text=text,
        breach=breach,
        # the fired event's reaction first: the health guard pauses in hypercare, rolls back before
        reaction=clean((fired.data.get("reaction") if fired else "") or spec.get("reaction") or "rollback"),
        shadow=shadow or bool(spec.get("shadow")) or bool(fired is not None and fired.data.get("shadow")),
        rule=_rule(spec),
        interval=fmt_duration(interval),
        counts=counts,
        evaluations=points,
        first_breach=first.when if first is not None else None,
        breach_began=began.when if began is not None else None,
        fired=when(fired.at) if fired is not None else None,
        fired_detail=one_line(fired.data.get("detail", "")) if fired is not None else "",
        hypercare_alert=when(hypercare_alert.at) if hypercare_alert is not None else None,
        min_value=min(values) if values else None,
        max_value=max(values) if values else None,
        last_value=values[-1] if values else None,
        percent=_percent(text, breach, values),
    )
