"""The steps of a rollout: each component's weight set step by step (an intent
before, an outcome after), a step left open by a crash resumed when its
actuator is idempotent, and a step promoted after its bake only on measurements
(every non-shadow trigger's latest evaluation since the step is ok).
"""

from __future__ import annotations

from datetime import datetime

from golive.rollout.actuators import run_actuator
from golive.rollout.core import ControllerCore
from golive.rollout.spec import Actuator, RolloutGuard
from golive.rollout.state import ComponentState, RolloutState
from golive.rollout.triggers import Outcome

__all__ = ["StepsMixin"]


class StepsMixin(ControllerCore):
    """Setting weights and promoting, for :class:`~golive.rollout.controller.Controller`."""

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
                step.bake is not None
                and not step.hold  # a hold point waits for a person after its bake
                and comp.done_at is not None
                and now >= comp.done_at + step.bake
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
