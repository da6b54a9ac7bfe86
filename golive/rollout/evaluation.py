"""Trigger evaluation: the triggers that are due are measured (a metric check,
or the built-in health guard's probe), each measurement recorded, judged by its
:class:`~golive.rollout.triggers.TriggerRule`, and a fired trigger reacts
(roll back, pause or alert; in hypercare it alerts, or the health guard pauses).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from golive.rollout.rollback import RollbackMixin
from golive.rollout.spec import RolloutGuard, TriggerSpec
from golive.rollout.state import RolloutState
from golive.rollout.triggers import Evaluation, Outcome, TriggerRule, inconclusive_too_long, judge

__all__ = ["EvaluationMixin"]


def _rule(trigger: TriggerSpec, guard: RolloutGuard) -> TriggerRule:
    return TriggerRule(
        interval=trigger.interval or guard.interval,
        for_duration=trigger.for_duration if trigger.count is None and trigger.total is None else None,
        consecutive=trigger.count,
        total=trigger.total,
        max_errors=trigger.max_errors,
        inconclusive_timeout=trigger.inconclusive_timeout,
    )


class EvaluationMixin(RollbackMixin):
    """Evaluating triggers and reacting, for :class:`~golive.rollout.controller.Controller`."""

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
