"""Running the controllers of every release with an active rollout, in one
process: what ``golive serve`` does beside the API.

Each round looks at every release: one whose log has no ``rollout.started`` is
only re-read from its last seen event; an active, interrupted or hypercare
rollout is ticked; a finished one is dropped. One release's trouble never stops
the others: its error is reported and it sits out :data:`BACKOFF` rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from golive.rollout.service import RolloutService

__all__ = ["Supervisor"]

BACKOFF = 10


class Supervisor:
    def __init__(
        self, service: RolloutService, *, speed: float = 1.0, report: Callable[[str], None] | None = None
    ) -> None:
        self.service = service
        self.store = service.store
        self.speed = speed
        self.report = report or (lambda _line: None)
        self.controllers: dict[str, Any] = {}
        self.finished: set[str] = set()
        self.seen: dict[str, int] = {}  # releases without a rollout: the last event looked at
        self.backoff: dict[str, int] = {}  # rounds to skip after a release's tick failed

    @property
    def interval(self) -> float:
        return max(0.05, 1.0 / self.speed)

    async def _one(self, release_id: str) -> None:
        controller = self.controllers.get(release_id)
        if controller is None:
            events = self.store.events(release_id, after=self.seen.get(release_id, 0))
            if events:
                self.seen[release_id] = events[-1].seq
            if not any(e.type == "rollout.started" for e in events):
                return  # not started yet: only its new events are looked at next round
            controller = self.controllers[release_id] = self.service.controller(release_id, speed=self.speed)
        state = controller.state()  # the events since the last round only
        interrupted = state.rollback_intent is not None and not state.rollback_done
        if state.active or interrupted or controller.in_hypercare(state):
            await controller.tick()
        elif state.completed_at or state.aborted or state.rollback_done:
            self.finished.add(release_id)
            self.controllers.pop(release_id, None)

    async def round(self) -> None:
        for release in self.store.list_releases():
            if release.id in self.finished:
                continue
            if self.backoff.get(release.id, 0) > 0:
                self.backoff[release.id] -= 1
                continue
            try:
                await self._one(release.id)
            except Exception as exc:  # one release's trouble never stops the others
                self.report(f"{release.id}: {exc.__class__.__name__}: {exc}")
                self.controllers.pop(release.id, None)
                self.backoff[release.id] = BACKOFF

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Rounds until ``stop`` is set (or forever)."""
        while stop is None or not stop.is_set():
            await self.round()
            if stop is None:
                await asyncio.sleep(self.interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
