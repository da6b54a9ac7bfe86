"""The live display of ``golive rollout run``: a table of components and triggers
with the latest events, redrawn as each event is recorded.

It keeps its own summary, built from the events the controller reports (it never
reads the controller's state while the controller is changing it). Without a
terminal (a pipe, a log file, CI) ``rollout run`` prints one line per event instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from golive.durations import format_duration

__all__ = ["RolloutBoard", "event_line"]

QUIET = frozenset({"rollout.step.intent", "rollout.rollback.step.intent"})


def event_line(at: datetime, kind: str, data: dict[str, Any]) -> str:
    """One event as one line (the display without a terminal)."""
    detail = ", ".join(f"{k}={v}" for k, v in data.items() if k != "guard")
    return f"{at:%Y-%m-%d %H:%M:%S}  {kind}  {detail}"


@dataclass
class _Component:
    steps: list[float]
    weight: float = 0.0
    index: int = -1
    note: str = ""


@dataclass
class _Trigger:
    text: str
    breach: str
    rule: str
    reaction: str
    last: str = "—"
    value: str = ""
    breaches: int = 0
    fired: str = ""


@dataclass
class RolloutBoard:
    release_id: str
    status: str = "running"
    components: dict[str, _Component] = field(default_factory=dict)
    triggers: dict[str, _Trigger] = field(default_factory=dict)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=8))
    now: datetime | None = None

    @classmethod
    def from_guard(cls, release_id: str, guard: Any) -> RolloutBoard:
        board = cls(release_id)
        for component in guard.components:
            board.components[component.name] = _Component([s.weight for s in component.steps])
        for trigger in guard.triggers:
            if trigger.count is not None:
                rule = f"{trigger.count} in a row"
            elif trigger.total is not None:
                rule = f"{trigger.total} in the rollout"
            else:
                rule = f"for {format_duration(trigger.for_duration or timedelta(0))}"
            reaction = trigger.reaction + (" (shadow)" if trigger.shadow or guard.shadow else "")
            board.triggers[trigger.name] = _Trigger(
                trigger.text or trigger.name, trigger.breach, rule, reaction
            )
        return board

    def record(self, at: datetime, kind: str, data: dict[str, Any]) -> None:
        self.now = at
        if kind == "rollout.step.done":
            comp = self.components.get(data["component"])
            if comp is not None and data.get("ok"):
                comp.index, comp.weight, comp.note = data["index"], data["weight"], ""
            elif comp is not None:
                comp.note = "step failed"
        elif kind == "rollout.evaluated":
            trig = self.triggers.get(data["trigger"])
            if trig is not None:
                trig.last = data["outcome"]
                value = data.get("value")
                trig.value = "" if value is None else f"{value:.4g}"
                trig.breaches += data["outcome"] == "breach"
        elif kind == "rollout.trigger.fired":
            trig = self.triggers.get(data["trigger"])
            if trig is not None:
                trig.fired = f"{at:%H:%M:%S}" + (" (shadow)" if data.get("shadow") else "")
        elif kind == "rollout.paused":
            self.status = f"paused: {data.get('reason', '')}"
        elif kind == "rollout.resumed":
            self.status = "running"
        elif kind == "rollout.rollback.intent":
            self.status = f"rolling back: {data.get('reason', '')}"
        elif kind == "rollout.rollback.done":
            self.status = "rolled back"
            for comp in self.components.values():
                comp.weight = 0.0
        elif kind == "rollout.completed":
            self.status = "completed (watching hypercare)" if "hypercare" in self.status else "completed"
        elif kind == "rollout.aborted":
            self.status = "aborted"
        elif kind == "rollout.attention":
            self.status = f"paused: needs a person: {data.get('reason', '')}"
        if kind in QUIET or (kind == "rollout.evaluated" and data.get("outcome") == "ok"):
            return
        self.recent.append(event_line(at, kind, data)[11:])

    def __rich__(self) -> RenderableType:
        head = Text.assemble(
            ("rollout ", "bold"),
            (self.release_id, "bold cyan"),
            f"  {self.now:%Y-%m-%d %H:%M:%S}  " if self.now else "  ",
            (self.status, "red" if "roll" in self.status or "paused" in self.status else "green"),
        )
        components = Table(title="components", title_justify="left", expand=False)
        for column in ("component", "step", "weight", "plan", ""):
            components.add_column(column)
        for name, comp in self.components.items():
            step = f"{comp.index + 1}/{len(comp.steps)}" if comp.index >= 0 else "—"
            plan = " → ".join(f"{w:g}%" for w in comp.steps)
            components.add_row(Text(name), step, f"{comp.weight:g}%", plan, Text(comp.note))
        triggers = Table(title="triggers", title_justify="left", expand=False)
        for column in ("trigger", "breach", "rule", "react", "last", "value", "breaches", "fired"):
            triggers.add_column(column)
        for trig in self.triggers.values():
            style = {"breach": "red", "error": "yellow", "inconclusive": "yellow", "ok": "green"}.get(
                trig.last
            )
            triggers.add_row(
                Text(trig.text[:48]),
                Text(trig.breach),
                trig.rule,
                trig.reaction,
                Text(trig.last, style=style or ""),
                trig.value,
                str(trig.breaches),
                trig.fired,
            )
        events = Text("\n".join(self.recent) or "no events yet", style="dim")
        return Group(head, components, triggers, events)
