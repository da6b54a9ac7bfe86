"""A release's rollout as plain JSON-ready data (the API and the dashboard), and
the sentence that says what each destructive action will do, built from the
rollout's own state so the confirmation a person reads is what happens."""

from __future__ import annotations

from typing import Any

from golive.rollout.evaluation import _rule
from golive.rollout.spec import RolloutGuard
from golive.rollout.state import RolloutState
from golive.rollout.triggers import worst_case_detection

__all__ = ["confirmation", "rollout_view"]

HISTORY = 120  # evaluations per trigger in a view: the chart's window


def _pct(weight: float) -> str:
    return f"{weight:g}%"


def rollout_view(state: RolloutState) -> dict[str, Any]:
    guard = state.guard
    view: dict[str, Any] = {
        "outcome": state.outcome,
        "started_at": state.started_at,
        "paused": state.paused,
        "aborted": state.aborted,
        "completed_at": state.completed_at,
        "rolled_back": state.rollback_done,
        "attention": list(state.attention),
        "seq": state.seq,
        "components": [],
        "triggers": [],
        "procedure": [],
    }
    if guard is None:
        return view
    for component in guard.components:
        current = state.components.get(component.name)
        index = current.index if current else -1
        view["components"].append(
            {
                "name": component.name,
                "steps": [{"weight": s.weight, "hold": s.hold} for s in component.steps],
                "index": index,
                "weight": current.weight if current else 0.0,
                "in_progress": bool(current and current.intent),
            }
        )
    for trigger in guard.triggers:
        evaluations = state.evaluations.get(trigger.name, [])
        last = evaluations[-1] if evaluations else None
        view["triggers"].append(
            {
                "name": trigger.name,
                "text": trigger.text,
                "breach": trigger.breach,
                "reaction": trigger.reaction,
                "shadow": bool(trigger.shadow or guard.shadow),
                "worst_case_detection_s": worst_case_detection(_rule(trigger, guard)).total_seconds(),
                "state": "fired" if trigger.name in state.fired else (last.outcome if last else "pending"),
                "fired": state.fired.get(trigger.name),
                "last_value": last.value if last else None,
                "history": [
                    {"at": e.at, "value": e.value, "outcome": e.outcome} for e in evaluations[-HISTORY:]
                ],
            }
        )
    if isinstance(guard.rollback_procedure, list):
        # the words of each step, never its actuator (which may carry a secret)
        view["procedure"] = [{"text": s.text, "line": s.line} for s in guard.rollback_procedure]
    return view


def confirmation(state: RolloutState, action: str) -> str:
    """What ``action`` (abort, stop, pause, promote, resume) will do now, in one sentence."""
    guard: RolloutGuard | None = state.guard
    if guard is None:
        return f"the rollout has not started: there is nothing to {action}"
    parts = []
    for component in guard.components:
        current = state.components.get(component.name)
        weight = current.weight if current else 0.0
        parts.append((component.name, weight, current.index if current else -1, component))
    if action == "abort":
        moves = ", ".join(f"{name} from {_pct(w)} to 0%" for name, w, _i, _c in parts)
        steps = len(guard.rollback_procedure) if isinstance(guard.rollback_procedure, list) else 0
        tail = (
            f" and run the {steps} step{'s' if steps != 1 else ''} of the rollback procedure"
            if steps
            else " (the guard runs no rollback procedure)"
        )
        return f"roll back {moves}{tail}"
    if action == "stop":
        where = ", ".join(f"{name} at {_pct(w)}" for name, w, _i, _c in parts)
        return f"emergency stop: pause every rollout of this release where it is ({where}) until resumed"
    if action == "pause":
        where = ", ".join(f"{name} at {_pct(w)}" for name, w, _i, _c in parts)
        return f"pause the rollout ({where}); triggers keep watching"
    if action == "promote":
        nexts = [
            f"{name} from {_pct(w)} to {_pct(component.steps[index + 1].weight)}"
            for name, w, index, component in parts
            if index + 1 < len(component.steps)
        ]
        return "promote " + (", ".join(nexts) if nexts else "nothing: every component is at its last step")
    if action == "resume":
        return f"resume the rollout (paused: {state.paused or 'not paused'})"
    return action
