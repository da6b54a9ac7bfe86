"""The rollback path: every component's rollback (or halt) actuator, then the
runbook's rollback procedure step by step, each recorded as it runs. The
database allows one rollback per release; a rollback interrupted by a crash is
resumed from the log, and an action that may or may not have run is run again
only when it is idempotent (otherwise a person is asked).
"""

from __future__ import annotations

from typing import Any

from golive.rollout.actuators import run_actuator
from golive.rollout.core import ACTOR, ControllerCore
from golive.rollout.spec import ProcedureStep, RolloutGuard
from golive.rollout.state import RolloutState

__all__ = ["RollbackMixin"]


class RollbackMixin(ControllerCore):
    """Rolling back, for :class:`~golive.rollout.controller.Controller`."""

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
