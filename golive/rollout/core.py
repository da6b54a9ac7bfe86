"""What every part of the rollout controller shares: the folded state, kept and
brought up to date from the log, and the append of its events (an event is the
only thing the controller writes; it keeps nothing of its own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from golive.checks.context import CheckContext
from golive.clock import Clock
from golive.rollout.state import RolloutState, apply_event
from golive.store.events import EventStore

__all__ = ["ACTOR", "ControllerCore"]

ACTOR = "golive-controller"


class ControllerCore:
    """The state and the event log of one release's rollout; the parts of the
    controller build on it (set up by :class:`~golive.rollout.controller.Controller`)."""

    store: EventStore
    release_id: str
    clock: Clock
    values: dict[str, str]
    ctx: CheckContext
    on_event: Callable[[str, dict[str, Any]], None] | None
    _state: RolloutState | None

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

    def _attention(self, state: RolloutState | None, reason: str, *, step: str | None = None) -> None:
        """Ask a person, once per reason (``step``: the open intent it is about,
        which ``golive rollout resolve`` names)."""
        if step is not None:
            reason += f"; golive rollout resolve {self.release_id} {step} --ran | --did-not-run"
        if state is None or reason not in state.attention:
            self._append("rollout.attention", {"reason": reason, **({"step": step} if step else {})})
