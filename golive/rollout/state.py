"""The folded state of a release's rollout: :class:`RolloutState` is what the
controller knows, read from the release's event log alone (:func:`fold_rollout`,
or :func:`apply_event` one event at a time), and :func:`open_intents` the
actions a crash left open (an intent in the log, its outcome not).

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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from golive.rollout.spec import RolloutGuard
from golive.rollout.triggers import Evaluation, Outcome
from golive.store.events import Event

__all__ = ["ComponentState", "OpenIntent", "RolloutState", "apply_event", "fold_rollout", "open_intents"]


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
