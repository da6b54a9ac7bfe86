"""The rollout controller: one loop that advances every active rollout from
stored state and the clock, like a Kubernetes controller reconciling.

Every evaluation, decision and action is an event in the release's log. The
controller keeps nothing of its own: after a restart it reads the log and goes
on. Timers are anchored to stored timestamps (a bake ends at the time its step
was recorded plus the bake), so a restart neither shortens nor restarts a bake.

Side effects that must not happen twice are written as an intent before they
run and an outcome after. An intent without outcome (the controller died in
between) is resumed only when its actuator is declared idempotent; otherwise the
rollout pauses and asks for a person. A trigger that fired without its reaction
in the log (the controller died in between) reacts on the next tick. The
database allows one rollback per release.

Events: ``rollout.started`` {guard, health}, ``rollout.step.intent`` / ``rollout.step.done``
{component, index, weight, ok, summary}, ``rollout.evaluated`` {trigger,
outcome, value, detail}, ``rollout.trigger.fired`` {trigger, reaction, shadow,
detail}, ``rollout.alert`` {trigger, detail}, ``rollout.paused`` /
``rollout.resumed`` {reason} (and {trigger} for a trigger's pause),
``rollout.promoted`` {component}, ``rollout.rollback.intent`` /
``rollout.rollback.done`` {reason, trigger, results, procedure},
``rollout.rollback.component`` {component, ok, summary} (one per rollback
actuator), ``rollout.rollback.step.intent`` / ``rollout.rollback.step.done``
{index, text, line, ok, summary} (the runbook's rollback procedure, after the
actuators), ``rollout.attention`` {reason}, ``rollout.completed``,
``rollout.aborted`` {reason}, ``rollout.resolved`` {step, kind, ran, reason, ...} (a
person's word on an intent a crash left open, see :func:`open_intents`),
``rollout.rollback.continued`` {component} (a resolved rollback goes on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from golive.checks.context import CheckContext
from golive.clock import Clock
from golive.rollout.actuators import run_actuator
from golive.rollout.spec import Actuator, ProcedureStep, RolloutGuard, TriggerSpec
from golive.rollout.triggers import Evaluation, Outcome, TriggerRule, inconclusive_too_long, judge
from golive.runbook.model import Runbook
from golive.store.events import ConflictError, Event, EventStore

__all__ = ["ComponentState", "Controller", "OpenIntent", "RolloutState", "fold_rollout", "open_intents"]

ACTOR = "golive-controller"


@dataclass
class ComponentState:
    index: int = -1
    weight: float = 0.0
    intent: dict[str, Any] | None = None
    done_at: datetime | None = None
    promoted: set[int] = field(default_factory=set)


@dataclass
class RolloutState:
    guard: RolloutGuard | None = None
    started_at: datetime | None = None
    components: dict[str, ComponentState] = field(default_factory=dict)
    evaluations: dict[str, list[Evaluation]] = field(default_factory=dict)
    fired: dict[str, str] = field(default_factory=dict)
    unreacted: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Triggers that fired (not in shadow) whose reaction is not in the log yet."""
    alerted: set[str] = field(default_factory=set)
    paused: str | None = None
    aborted: str | None = None
    completed_at: datetime | None = None
    rollback_intent: dict[str, Any] | None = None
    rollback_done: bool = False
    rollback_components: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Rollback actuators that ran (component → {ok, summary})."""
    procedure_intent: dict[int, dict[str, Any]] = field(default_factory=dict)
    procedure_done: dict[int, dict[str, Any]] = field(default_factory=dict)
    attention: list[str] = field(default_factory=list)
    asked: dict[str, str] = field(default_factory=dict)
    """Open intents a person was asked about (step name → the attention's reason)."""
    rollback_fresh: bool = False
    """A person resolved a rollback action: the next pending one has not started."""
    seq: int = 0

    @property
    def active(self) -> bool:
        return (
            self.guard is not None
            and self.aborted is None
            and self.completed_at is None
            and not self.rollback_done
            and self.rollback_intent is None
        )

    @property
    def outcome(self) -> str:
        if self.rollback_done or self.rollback_intent is not None:
            return "rolled_back"
        if self.aborted is not None:
            return "aborted"
        if self.paused is not None:
            return "paused"  # also in hypercare (the health guard's pause): a person decides
        if self.completed_at is not None:
            return "completed"
        return "running" if self.guard is not None else "not started"


def fold_rollout(events: list[Event]) -> RolloutState:
    state = RolloutState()
    for event in events:
        apply_event(state, event)
    return state


def apply_event(state: RolloutState, event: Event) -> None:
    """Fold one more event into ``state`` (the controller keeps its state and
    reads only the events appended since)."""
    data = event.data
    kind = event.type
    state.seq = max(state.seq, event.seq)
    if not kind.startswith("rollout."):
        return
    if kind == "rollout.started":
        state.guard = RolloutGuard.model_validate(data["guard"])
        state.started_at = event.at
        state.components = {c.name: ComponentState() for c in state.guard.components}
    elif kind == "rollout.step.intent":
        comp = state.components[data["component"]]
        comp.intent = data
    elif kind == "rollout.step.done":
        comp = state.components[data["component"]]
        comp.intent = None
        if data.get("ok"):
            comp.index = data["index"]
            comp.weight = data["weight"]
            comp.done_at = event.at
    elif kind == "rollout.evaluated":
        state.evaluations.setdefault(data["trigger"], []).append(
            Evaluation(event.at, Outcome(data["outcome"]), data.get("value"), data.get("detail", ""))
        )
    elif kind == "rollout.trigger.fired":
        state.fired[data["trigger"]] = data["reaction"] + (" (shadow)" if data.get("shadow") else "")
        if not data.get("shadow"):
            state.unreacted[data["trigger"]] = data
    elif kind == "rollout.alert":
        state.alerted.add(data.get("key", data.get("trigger", "")))
        _reacted(state, "alert", data.get("trigger"))
    elif kind == "rollout.paused":
        state.paused = data.get("reason", "paused")
        _reacted(state, "pause")
    elif kind == "rollout.resumed":
        state.paused = None
        state.alerted.clear()
        # a person resumed: triggers that paused or alerted watch for the next breach
        # (a rollback is never undone by a resume)
        state.fired = {name: how for name, how in state.fired.items() if how.startswith("rollback")}
    elif kind == "rollout.promoted":
        comp = state.components[data["component"]]
        comp.promoted.add(comp.index)
    elif kind == "rollout.rollback.intent":
        state.rollback_intent = data
        _reacted(state, "rollback")
    elif kind == "rollout.rollback.done":
        state.rollback_done = True
    elif kind == "rollout.rollback.component":
        state.rollback_components[data["component"]] = data
    elif kind == "rollout.rollback.step.intent":
        state.procedure_intent[data["index"]] = data
    elif kind == "rollout.rollback.step.done":
        state.procedure_done[data["index"]] = data
    elif kind == "rollout.attention":
        state.attention.append(data["reason"])
        state.paused = state.paused or data["reason"]
        if data.get("step"):
            state.asked[data["step"]] = data["reason"]
    elif kind == "rollout.resolved":
        _resolved(state, event)
    elif kind == "rollout.rollback.continued":
        state.rollback_fresh = False
    elif kind == "rollout.completed":
        state.completed_at = event.at
    elif kind == "rollout.aborted":
        state.aborted = data.get("reason", "aborted")


def _resolved(state: RolloutState, event: Event) -> None:
    """A person said whether an open intent's action ran. Ran: its outcome is
    recorded with it (``resolved: true``), so it is done. Did not run: the intent
    is gone and the controller runs the action afresh, after a new intent, so a
    crash during it is asked about again. The pause that asked ends; so does the
    question (it may be asked again)."""
    data = event.data
    if not data["ran"] and data["kind"] == "step":
        state.components[data["component"]].intent = None
    elif not data["ran"] and data["kind"] == "procedure":
        state.procedure_intent.pop(data["index"], None)
    if data["kind"] == "rollback":
        state.rollback_fresh = True  # the next pending rollback actuator has not started
    reason = state.asked.pop(data["step"], None)
    if reason is not None:
        state.attention = [r for r in state.attention if r != reason]
        if state.paused == reason:
            state.paused = None


@dataclass(frozen=True)
class OpenIntent:
    """An action that may or may not have run (its intent is in the log, its
    outcome is not), named for ``golive rollout resolve``: ``web:2`` (the second
    step of component web), ``rollback:web`` (web's rollback actuator),
    ``procedure:1`` (the first step of the rollback procedure)."""

    step: str
    what: str
    idempotent: bool
    """The controller resumes it by itself; otherwise it asks a person."""
    kind: str  # "step", "rollback" or "procedure"
    component: str | None = None
    index: int | None = None
    weight: float | None = None


def open_intents(state: RolloutState) -> list[OpenIntent]:
    """The intents without an outcome, in the order the controller meets them."""
    guard = state.guard
    if guard is None:
        return []
    found = []
    for component in guard.components:
        comp = state.components.get(component.name)
        if comp is not None and comp.intent is not None:
            index, weight = comp.intent["index"], comp.intent["weight"]
            found.append(
                OpenIntent(
                    f"{component.name}:{index + 1}",
                    f"step {index + 1} of {component.name} (to {weight:g}%)",
                    component.set_weight.idempotent,
                    "step",
                    component.name,
                    index,
                    weight,
                )
            )
    if state.rollback_intent is None or state.rollback_done:
        return found
    pending = [c for c in guard.components if c.name not in state.rollback_components]
    if pending and not state.rollback_fresh and not state.procedure_intent and not state.procedure_done:
        actuator = pending[0].rollback or pending[0].halt
        if actuator is not None:  # the rollback intent stands for its first pending actuator
            name = pending[0].name
            found.append(
                OpenIntent(
                    f"rollback:{name}", f"the rollback of {name}", actuator.idempotent, "rollback", name
                )
            )
    steps = guard.rollback_procedure if isinstance(guard.rollback_procedure, list) else []
    for index in sorted(state.procedure_intent):
        if index not in state.procedure_done and index < len(steps):
            where = f" (line {steps[index].line})" if steps[index].line else ""
            found.append(
                OpenIntent(
                    f"procedure:{index + 1}",
                    f"rollback procedure step {index + 1}{where}: {steps[index].text}",
                    steps[index].resumable,
                    "procedure",
                    index=index,
                )
            )
    return found


def _reacted(state: RolloutState, reaction: str, trigger: str | None = None) -> None:
    """A reaction is in the log: the triggers waiting for it (or only ``trigger``) have reacted.
    Any pause after a trigger fired is its pause; any rollback begun is its rollback."""
    state.unreacted = {
        name: fired
        for name, fired in state.unreacted.items()
        if fired.get("reaction") != reaction or (trigger is not None and name != trigger)
    }


def _rule(trigger: TriggerSpec, guard: RolloutGuard) -> TriggerRule:
    return TriggerRule(
        interval=trigger.interval or guard.interval,
        for_duration=trigger.for_duration if trigger.count is None and trigger.total is None else None,
        consecutive=trigger.count,
        total=trigger.total,
        max_errors=trigger.max_errors,
        inconclusive_timeout=trigger.inconclusive_timeout,
    )


class Controller:
    """Reconciles one release's rollout. ``clock()`` gives the rollout's time
    (a compressed clock in rehearsals and tests, the same code path)."""

    def __init__(
        self,
        store: EventStore,
        release_id: str,
        *,
        clock: Clock,
        values: dict[str, str],
        ctx: CheckContext | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.release_id = release_id
        self.clock = clock
        self.values = values
        self.ctx = ctx or CheckContext(concurrency=10)
        self.ctx.values = {**self.ctx.values, **values}
        self.on_event = on_event
        self._state: RolloutState | None = None

    def state(self) -> RolloutState:
        """The rollout's state: the cached fold plus the events appended since
        (by this controller or anyone else: a CLI's pause, another controller)."""
        if self._state is None:
            self._state = RolloutState()
        for event in self.store.events(self.release_id, after=self._state.seq):
            apply_event(self._state, event)
        return self._state

    def _append(self, type_: str, data: dict[str, Any], actor: str = ACTOR) -> None:
        self.store.append(self.release_id, type_, actor, data, at=self.clock.now())
        if self.on_event is not None:
            try:
                self.on_event(type_, data)
            except Exception:  # a display must never stop the controller mid-step
                self.on_event = None

    # -- the loop ----------------------------------------------------------------
    async def tick(self) -> RolloutState:
        """One reconciliation: recover, evaluate due triggers, react, advance.
        Skipped (the state returned as it is) while another controller or a
        person's abort is acting on the release: only one acts at a time, so an
        intent without an outcome is always the work of one that died."""
        try:
            with self.store.acting_on(self.release_id) as acting:
                if not acting:
                    return self.state()
                return await self._tick()
        except BaseException:
            self._state = None  # read the log afresh: never act on a state the log does not hold
            raise
        finally:
            await self.ctx.close()  # no HTTP session outlives a tick (or its event loop)

    async def _tick(self) -> RolloutState:
        state = self.state()
        if state.guard is None:
            return state
        guard = state.guard
        if state.rollback_intent is not None and not state.rollback_done:
            await self._run_rollback(guard, state.rollback_intent, state)
            return self.state()
        if state.completed_at is not None and guard.hypercare is not None:
            if self.clock.now() < state.completed_at + guard.hypercare:
                await self._evaluate(state, guard, hypercare=True)  # watch on, alert only
            return self.state()
        if not state.active:
            return state
        for name, comp in state.components.items():
            if comp.intent is not None:
                await self._resume_step(name, comp, guard)
                return self.state()
        for name, fired in state.unreacted.items():
            # the trigger fired, but the controller died before it reacted: react now
            trigger = next((t for t in guard.triggers if t.name == name), None)
            if trigger is not None:
                await self._react(guard, trigger, str(fired.get("detail", "")))
                return self.state()
        if any(comp.index >= 0 for comp in state.components.values()):
            # nothing to measure before the first step: the canary serves no traffic yet
            await self._evaluate(state, guard)
            state = self.state()
        if not state.active or state.paused is not None:
            return state
        await self._advance(state, guard)
        return self.state()

    async def _resume_step(self, name: str, comp: ComponentState, guard: RolloutGuard) -> None:
        assert comp.intent is not None
        component = next(c for c in guard.components if c.name == name)
        if not component.set_weight.idempotent:
            self._attention(
                self.state(),
                f"step to {comp.intent['weight']}% of {name} may or may not have run "
                "(its actuator is not idempotent)",
                step=f"{name}:{comp.intent['index'] + 1}",
            )
            return
        await self._run_step(
            name, comp.intent["index"], comp.intent["weight"], component.set_weight, resumed=True
        )

    async def _run_step(
        self, name: str, index: int, weight: float, actuator: Actuator, *, resumed: bool = False
    ) -> bool:
        if not resumed:
            self._append("rollout.step.intent", {"component": name, "index": index, "weight": weight})
        values = {**self.values, "weight": f"{weight:g}", "component": name}
        result = await run_actuator(
            actuator,
            values,
            self.ctx,
            name=f"{name} set_weight {weight:g}%",
            key=f"{self.release_id}:{name}:step-{index}",
        )
        self._append(
            "rollout.step.done",
            {"component": name, "index": index, "weight": weight, "ok": result.ok, "summary": result.summary},
        )
        if not result.ok:
            self._append(
                "rollout.paused", {"reason": f"setting {name} to {weight:g}% failed: {result.summary}"}
            )
        return result.ok

    async def _advance(self, state: RolloutState, guard: RolloutGuard) -> None:
        now = self.clock.now()
        finished = True
        for component in guard.components:
            comp = state.components[component.name]
            if comp.index == -1:
                if not await self._run_step(
                    component.name, 0, component.steps[0].weight, component.set_weight
                ):
                    return  # paused: no other component moves in the same tick
                finished = False
                continue
            last = comp.index == len(component.steps) - 1
            step = component.steps[comp.index]
            if last:
                if comp.done_at is None or now < comp.done_at + guard.soak:
                    finished = False
                continue
            finished = False
            ready = comp.index in comp.promoted or (
                step.bake is not None and comp.done_at is not None and now >= comp.done_at + step.bake
            )
            if ready and self._healthy(state, guard, since=comp.done_at):
                nxt = comp.index + 1
                if not await self._run_step(
                    component.name, nxt, component.steps[nxt].weight, component.set_weight
                ):
                    return
        if finished:
            self._append("rollout.completed", {"weights": {n: c.weight for n, c in state.components.items()}})

    def _healthy(self, state: RolloutState, guard: RolloutGuard, *, since: datetime | None) -> bool:
        """Promote only on measurements: every non-shadow trigger's latest
        evaluation since the step is ok. Missing data or errors never promote."""
        for trigger in guard.triggers:
            if trigger.shadow or guard.shadow or trigger.reaction == "alert":
                continue
            evaluations = [
                e for e in state.evaluations.get(trigger.name, []) if since is None or e.at >= since
            ]
            if not evaluations or evaluations[-1].outcome != Outcome.OK:
                return False
        return True

    # -- analysis ------------------------------------------------------------------
    async def _evaluate(self, state: RolloutState, guard: RolloutGuard, *, hypercare: bool = False) -> None:
        """Evaluate the triggers that are due. In hypercare (after 100%) a fired
        trigger alerts; the release stays where it is."""
        now = self.clock.now()
        for name, fired in state.unreacted.items() if hypercare else []:
            # fired in hypercare (the health guard), the controller died before it reacted: react now
            trigger = next((t for t in guard.triggers if t.name == name), None)
            if trigger is not None and fired.get("hypercare"):
                copy = trigger.model_copy(update={"reaction": fired.get("reaction", "pause")})
                await self._react(guard, copy, str(fired.get("detail", "")))
                return
        for trigger in guard.triggers:
            rule = _rule(trigger, guard)
            history = state.evaluations.get(trigger.name, [])
            if hypercare and state.completed_at is not None:
                # hypercare is its own watch, at its own interval, judged on its own evaluations
                rule = replace(rule, interval=guard.hypercare_interval or rule.interval)
                history = [e for e in history if e.at >= state.completed_at]
            if history and now - history[-1].at < rule.interval:
                continue
            evaluation = await self._measure(trigger, guard, now)
            self._append(
                "rollout.evaluated",
                {
                    "trigger": trigger.name,
                    "outcome": evaluation.outcome.value,
                    "value": evaluation.value,
                    "detail": evaluation.detail,
                },
            )
            history = [*history, evaluation]
            verdict = judge(rule, history)
            shadow = trigger.shadow or guard.shadow
            if hypercare:
                if verdict.state == "erroring" and f"hypercare-errors:{trigger.name}" not in state.alerted:
                    self._append(
                        "rollout.alert",
                        {
                            "trigger": trigger.name,
                            "key": f"hypercare-errors:{trigger.name}",
                            "detail": f"hypercare: cannot measure: {verdict.detail}",
                        },
                    )
                    state.alerted.add(f"hypercare-errors:{trigger.name}")
                if verdict.fired and f"hypercare:{trigger.name}" not in state.alerted:
                    acts = trigger.hypercare_reaction in ("pause", "rollback") and not shadow
                    if acts and trigger.name not in state.fired:
                        # the health guard: a total outage in hypercare pauses (or rolls back)
                        reaction = trigger.hypercare_reaction
                        fired = {"trigger": trigger.name, "reaction": reaction, "detail": verdict.detail}
                        self._append("rollout.trigger.fired", {**fired, "shadow": False, "hypercare": True})
                        state.fired[trigger.name] = str(reaction)
                        copy = trigger.model_copy(update={"reaction": reaction})
                        await self._react(guard, copy, verdict.detail)
                    self._append(
                        "rollout.alert",
                        {
                            "trigger": trigger.name,
                            "key": f"hypercare:{trigger.name}",
                            "detail": f"hypercare: {verdict.detail}",
                        },
                    )
                    state.alerted.add(f"hypercare:{trigger.name}")
                    if acts:
                        return
                continue
            if verdict.fired and trigger.name not in state.fired:
                self._append(
                    "rollout.trigger.fired",
                    {
                        "trigger": trigger.name,
                        "reaction": trigger.reaction,
                        "shadow": shadow,
                        "detail": verdict.detail,
                    },
                )
                state.fired[trigger.name] = trigger.reaction
                if shadow:
                    continue  # recorded: "would have rolled back at ..."
                await self._react(guard, trigger, verdict.detail)
                if trigger.reaction in ("rollback", "pause"):
                    return
            elif verdict.state == "erroring" and not shadow and f"errors:{trigger.name}" not in state.alerted:
                self._append(
                    "rollout.alert",
                    {"trigger": trigger.name, "key": f"errors:{trigger.name}", "detail": verdict.detail},
                )
                self._append("rollout.paused", {"reason": f"cannot measure {trigger.name}: {verdict.detail}"})
                return
            elif inconclusive_too_long(rule, history) and f"inconclusive:{trigger.name}" not in state.alerted:
                self._append(
                    "rollout.alert",
                    {
                        "trigger": trigger.name,
                        "key": f"inconclusive:{trigger.name}",
                        "detail": "inconclusive too long",
                    },
                )
                self._append(
                    "rollout.paused", {"reason": f"{trigger.name} inconclusive for too long: escalated"}
                )
                return

    async def _react(self, guard: RolloutGuard, trigger: TriggerSpec, detail: str) -> None:
        """What a fired trigger does: roll back, pause or alert."""
        if trigger.reaction == "rollback":
            await self._rollback(
                guard, reason=f"{trigger.text or trigger.name}: {detail}", trigger=trigger.name
            )
        elif trigger.reaction == "pause":
            self._append(
                "rollout.paused",
                {"reason": f"{trigger.text or trigger.name}: {detail}", "trigger": trigger.name},
            )
        else:
            self._append("rollout.alert", {"trigger": trigger.name, "detail": detail})

    async def _measure(self, trigger: TriggerSpec, guard: RolloutGuard, now: datetime) -> Evaluation:
        from golive.checks.runner import prepare_check, run_check

        if trigger.source == "health" and trigger.check is not None:
            from golive.rollout.health import measure

            return await measure(trigger.check, self.ctx, now, name=trigger.name)

        spec: dict[str, Any] = {
            "kind": "metric",
            "source": trigger.source,
            "expect": [trigger.breach],
            "timeout": "10s",
        }
        url = trigger.url or guard.prometheus_url
        if url:
            spec["url"] = url
        if trigger.query:
            spec["query"] = trigger.query
        if trigger.path:
            spec["path"] = trigger.path
        if trigger.baseline:
            spec["baseline"] = trigger.baseline
        try:
            check = prepare_check(spec, source=f"trigger {trigger.name}")
        except Exception as exc:  # a trigger that cannot even be built is an error, never a pass
            return Evaluation(now, Outcome.ERROR, None, str(exc))
        result = await run_check(check, self.ctx)
        value = result.observed.get("value")
        number = float(value) if isinstance(value, int | float) else None
        if result.status == "passed":
            return Evaluation(now, Outcome.BREACH, number, result.summary)
        if result.status == "failed":
            return Evaluation(now, Outcome.OK, number, result.summary)
        message = result.message or result.summary or "could not measure"
        if "baseline" in message:
            return Evaluation(now, Outcome.INCONCLUSIVE, number, message)
        return Evaluation(now, Outcome.ERROR, number, message)

    # -- rollback --------------------------------------------------------------------
    async def _rollback(
        self, guard: RolloutGuard, *, reason: str, trigger: str | None, actor: str = ACTOR
    ) -> None:
        event = self.store.begin_rollback(
            self.release_id, actor, {"reason": reason, "trigger": trigger}, at=self.clock.now()
        )
        if event is None:
            return  # another controller began the rollback: never twice
        if self.on_event is not None:
            self.on_event("rollout.rollback.intent", event.data)
        await self._run_rollback(guard, event.data)

    async def _run_rollback(
        self, guard: RolloutGuard, intent: dict[str, Any], state: RolloutState | None = None
    ) -> None:
        """Every component's rollback (or halt) actuator, then the runbook's
        rollback procedure, each recorded as it runs. ``state`` is given when a
        rollback interrupted by a crash is resumed: what is recorded as done is
        not run again, and an action that may or may not have run is run again
        only when it is idempotent; otherwise a person is asked and the rollback
        waits for them."""
        resumed = state is not None and not state.rollback_fresh
        fresh = state is not None and state.rollback_fresh  # a person resolved: say it goes on
        done_components = dict(state.rollback_components) if state is not None else {}
        for component in guard.components:
            if component.name in done_components:
                continue
            actuator = component.rollback or component.halt
            if actuator is None:
                result = {"ok": False, "summary": "no rollback or halt actuator"}
            else:
                if resumed and not actuator.idempotent:
                    # the first pending actuator may have run before the crash
                    self._attention(
                        state,
                        f"rollback interrupted: the rollback of {component.name} may or may not have run "
                        "(its actuator is not idempotent)",
                        step=f"rollback:{component.name}",
                    )
                    return
                if fresh:  # from here on, a crash leaves this actuator open again
                    self._append("rollout.rollback.continued", {"component": component.name})
                    fresh = False
                values = {**self.values, "weight": "0", "component": component.name}
                outcome = await run_actuator(
                    actuator,
                    values,
                    self.ctx,
                    name=f"{component.name} rollback",
                    key=f"{self.release_id}:{component.name}:rollback",
                )
                result = {"ok": outcome.ok, "summary": outcome.summary}
            resumed = False  # later actuators never started before the crash
            done_components[component.name] = result
            self._append("rollout.rollback.component", {"component": component.name, **result})
        procedure = await self._run_procedure(guard, state)
        if procedure is None:
            return  # waiting for a person
        self._append(
            "rollout.rollback.done",
            {
                "reason": intent.get("reason", ""),
                "trigger": intent.get("trigger"),
                "results": {
                    name: {"ok": r.get("ok", False), "summary": r.get("summary", "")}
                    for name, r in done_components.items()
                },
                "procedure": procedure,
            },
        )

    async def _run_procedure(
        self, guard: RolloutGuard, state: RolloutState | None
    ) -> list[dict[str, Any]] | None:
        """The runbook's rollback procedure, step by step, after the actuators.
        A step that fails stops the procedure (the next steps assume it worked)
        and asks for a person. ``None``: a step may or may not have run and is not
        idempotent, so the rollback waits for a person."""
        steps = guard.rollback_procedure if isinstance(guard.rollback_procedure, list) else []
        done = state.procedure_done if state is not None else {}
        intents = state.procedure_intent if state is not None else {}
        results: list[dict[str, Any]] = []
        for index, step in enumerate(steps):
            if index in done:
                results.append(done[index])
                if not done[index].get("ok"):
                    break
                continue
            where = f"step {index + 1}" + (f" (line {step.line})" if step.line else "")
            if index in intents and not step.resumable:
                self._attention(
                    state,
                    f"rollback interrupted: rollback procedure {where} may or may not have run "
                    "(it is not declared idempotent)",
                    step=f"procedure:{index + 1}",
                )
                return None
            head = {"index": index, "text": step.text, "line": step.line, "item": step.item}
            if index not in intents:
                self._append("rollout.rollback.step.intent", head)
            ok, summary = await self._procedure_step(step, index)
            record = {**head, "ok": ok, "summary": summary}
            self._append("rollout.rollback.step.done", record)
            results.append(record)
            if not ok:
                self._append(
                    "rollout.attention",
                    {"reason": f"rollback procedure {where} failed: {summary}; a person takes over"},
                )
                break
        return results

    async def _procedure_step(self, step: ProcedureStep, index: int) -> tuple[bool, str]:
        from golive.checks.runner import prepare_check, run_check

        if step.action is not None:
            outcome = await run_actuator(
                step.action,
                {**self.values, "weight": "0", "component": ""},
                self.ctx,
                name=f"rollback procedure step {index + 1}",
                key=f"{self.release_id}:rollback-procedure:{index}",
            )
            return outcome.ok, outcome.summary
        assert step.check is not None
        try:
            check = prepare_check(dict(step.check), source=f"rollback procedure step {index + 1}")
        except Exception as exc:  # a step that cannot be built is a failed step, never a crash
            return False, str(exc).splitlines()[0]
        result = await run_check(check, self.ctx)
        return result.status == "passed", result.summary or result.message or result.status

    def _attention(self, state: RolloutState | None, reason: str, *, step: str | None = None) -> None:
        """Ask a person, once per reason (``step``: the open intent it is about,
        which ``golive rollout resolve`` names)."""
        if step is not None:
            reason += f"; golive rollout resolve {self.release_id} {step} --ran | --did-not-run"
        if state is None or reason not in state.attention:
            self._append("rollout.attention", {"reason": reason, **({"step": step} if step else {})})

    def in_hypercare(self, state: RolloutState) -> bool:
        guard = state.guard
        return (
            guard is not None
            and guard.hypercare is not None
            and state.completed_at is not None
            and self.clock.now() < state.completed_at + guard.hypercare
        )

    # -- manual control -------------------------------------------------------------------
    def start(
        self,
        guard: RolloutGuard,
        runbook: Runbook | None = None,
        *,
        actor: str = ACTOR,
        without_go: str | None = None,
    ) -> RolloutGuard:
        """Record the start, with the guard as it will run (the runbook's criteria
        and rollback procedure resolved, see :func:`golive.rollout.plan.resolve_guard`)."""
        from golive.rollout.plan import resolve_guard

        state = self.state()
        if state.guard is not None:
            raise ValueError("the rollout of this release has already started")
        from golive.rollout.health import resolve_health

        resolved, health = resolve_health(
            resolve_guard(guard, runbook), runbook, self.ctx.values, self.clock.now
        )
        try:
            self.store.append(
                self.release_id,
                "rollout.started",
                actor,
                {
                    "guard": resolved.model_dump(mode="json", by_alias=True),
                    "health": health,  # the built-in health guard as resolved (false: turned off)
                    **({"without_go": without_go} if without_go else {}),
                },
                expect_seq=state.seq,
                at=self.clock.now(),
            )
        except ConflictError:
            self._state = None
            if self.state().guard is not None:
                raise ValueError("the rollout of this release has already started") from None
            raise
        return resolved

    def pause(self, reason: str, *, actor: str = ACTOR) -> None:
        self._append("rollout.paused", {"reason": reason}, actor)

    def resume(self, reason: str, *, actor: str = ACTOR) -> None:
        self._append("rollout.resumed", {"reason": reason}, actor)

    def promote(self, component: str | None = None, *, reason: str = "", actor: str = ACTOR) -> None:
        state = self.state()
        for name in [component] if component else list(state.components):
            if name not in state.components:
                raise ValueError(f"no component {name!r}")
            self._append("rollout.promoted", {"component": name, "reason": reason}, actor)

    async def abort(self, reason: str, *, actor: str = ACTOR) -> None:
        state = self.state()
        if state.guard is None:
            raise ValueError("the rollout has not started")
        try:
            # wait for a controller's tick in progress: then this rollback is the only one acting
            with self.store.acting_on(self.release_id, wait=60) as acting:
                if not acting:
                    raise ValueError("another controller kept acting on this release for a minute; try again")
                await self._rollback(state.guard, reason=f"aborted: {reason}", trigger=None, actor=actor)
        finally:
            await self.ctx.close()

    def emergency_stop(self, reason: str, *, actor: str = ACTOR) -> None:
        """Pause every rollout of the release at once (seed 000's S1 Emergency Stop)."""
        self._append("rollout.paused", {"reason": f"EMERGENCY STOP: {reason}", "emergency": True}, actor)

    async def run(
        self, *, until: Callable[[RolloutState], bool] | None = None, stop_when_paused: bool = True
    ) -> RolloutState:
        """Reconcile until the rollout ends, pauses (unless ``stop_when_paused`` is
        false) or ``until`` says so. It wakes at the shortest evaluation interval,
        and at least every second of real time (a manual pause or promote is seen
        within a second); in hypercare at the hypercare interval."""
        while True:
            state = await self.tick()
            watching = self.in_hypercare(state)
            if (
                state.guard is None
                or (not state.active and not watching)
                or (stop_when_paused and (state.active or watching) and state.paused is not None)
                or (until is not None and until(state))
            ):
                return state
            guard = state.guard
            # a second of real time at most between looks (a manual pause is seen
            # within a second), whatever the clock's compression
            real_second = timedelta(seconds=float(getattr(self.clock, "speed", 1.0)))
            if watching:
                wake = min(guard.hypercare_interval or guard.interval, max(timedelta(minutes=1), real_second))
            else:
                intervals = [t.interval or guard.interval for t in guard.triggers] or [guard.interval]
                wake = min([*intervals, max(timedelta(seconds=1), real_second)])
            await self.clock.sleep(wake.total_seconds())
