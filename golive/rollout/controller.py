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

The controller is split along its seams: the folded state and the events it
is read from in :mod:`golive.rollout.state`, the shared state and event append
in :mod:`golive.rollout.core`, steps and promotion in :mod:`golive.rollout.steps`,
trigger evaluation in :mod:`golive.rollout.evaluation`, the rollback path in
:mod:`golive.rollout.rollback`; here the :class:`Controller` with its loop and
manual control. The names other code imports from here are re-exported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from golive.checks.context import CheckContext
from golive.clock import Clock
from golive.rollout.core import ACTOR
from golive.rollout.evaluation import EvaluationMixin, _rule
from golive.rollout.spec import RolloutGuard
from golive.rollout.state import (
    ComponentState,
    OpenIntent,
    RolloutState,
    apply_event,
    fold_rollout,
    open_intents,
)
from golive.rollout.steps import StepsMixin
from golive.runbook.model import Runbook
from golive.store.events import ConflictError, EventStore

__all__ = [
    "ACTOR",
    "ComponentState",
    "Controller",
    "OpenIntent",
    "RolloutState",
    "_rule",
    "apply_event",
    "fold_rollout",
    "open_intents",
]


class Controller(StepsMixin, EvaluationMixin):
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
