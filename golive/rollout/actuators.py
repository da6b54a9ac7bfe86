"""Actuators carry out a rollout step, a halt or a rollback.

They run through the check kinds (``command`` and ``http``), so they get the
same safety: ``{weight}``, ``{version}``, ``{component}``, ``{env}`` and
``{service}`` never become shell text (``run`` lines read them from the
environment), argv items take them verbatim, URLs take them URL-quoted; secrets
are redacted from what is recorded; a timeout stops the whole process group.
An actuator succeeded when a command exits 0 or a webhook answers 2xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golive.checks.context import CheckContext
from golive.checks.runner import prepare_check, run_check
from golive.rollout.spec import Actuator

__all__ = ["ActuatorResult", "run_actuator"]


@dataclass(frozen=True)
class ActuatorResult:
    ok: bool
    summary: str
    evidence: str
    duration_ms: float


def _number(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _fill_json(body: Any, values: dict[str, str]) -> Any:
    """A JSON string that is exactly ``{name}`` becomes the value itself (a number
    stays a number: ``{"weight": "{weight}"}`` sends ``{"weight": 50}``)."""
    if isinstance(body, str):
        for name, value in values.items():
            if body == "{" + name + "}":
                return _number(value)
        return body
    if isinstance(body, dict):
        return {k: _fill_json(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_json(v, values) for v in body]
    return body


def check_for(actuator: Actuator, values: dict[str, str], key: str | None = None) -> dict[str, Any]:
    """The check that carries the actuator out. ``key`` identifies the action
    (release, component, step): webhooks send it as ``Idempotency-Key``,
    commands get it as ``GOLIVE_IDEMPOTENCY_KEY``, so a target can apply an action
    that golive resumed after a crash exactly once."""
    timeout = f"{actuator.timeout.total_seconds():g}s"
    if actuator.kind == "command":
        spec: dict[str, Any] = {"kind": "command", "timeout": timeout, "expect": ["exit_code == 0"]}
        if key is not None:
            spec["env"] = {"GOLIVE_IDEMPOTENCY_KEY": key}
        if actuator.argv:
            spec["argv"] = list(actuator.argv)
        else:
            spec["run"] = actuator.run
        return spec
    spec = {
        "kind": "http",
        "url": actuator.url,
        "method": actuator.method,
        "headers": {**actuator.headers, **({"Idempotency-Key": key} if key is not None else {})},
        "timeout": timeout,
        "expect": ["status >= 200 && status < 300"],
    }
    if actuator.json_body is not None:
        spec["json"] = _fill_json(actuator.json_body, values)
    return spec


async def run_actuator(
    actuator: Actuator, values: dict[str, str], ctx: CheckContext, *, name: str, key: str | None = None
) -> ActuatorResult:
    check = prepare_check(check_for(actuator, values, key), source=f"actuator {name}")
    previous = ctx.values
    ctx.values = {**previous, **values}
    try:
        result = await run_check(check, ctx)
    finally:
        ctx.values = previous
    return ActuatorResult(
        ok=result.status == "passed",
        summary=result.summary or result.status,
        evidence=result.evidence[:2000],
        duration_ms=result.duration_ms,
    )
