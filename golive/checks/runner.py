"""Preparing a runbook's checks (validated when the runbook is loaded) and
running them concurrently with a bound, a timeout per attempt and retries with
backoff. A check never raises: every outcome is a CheckResult."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from golive.checks.conditions import Condition, compile_condition, evaluate
from golive.checks.context import CheckContext
from golive.checks.errors import CheckSpecError, MeasurementError
from golive.checks.registry import CheckKind, all_kinds, get_kind
from golive.checks.result import CheckResult, ConditionOutcome, Observation
from golive.checks.spec import KindSpec
from golive.durations import format_duration
from golive.runbook.model import CheckSpec, Item, Runbook

__all__ = ["PreparedCheck", "prepare_check", "prepare_checks", "run_check", "run_checks", "select"]

MAX_BACKOFF = 30.0
EVIDENCE_LIMIT = 4000


@dataclass
class PreparedCheck:
    """A validated check of one item, ready to run."""

    item: str | None
    name: str
    kind: CheckKind
    spec: KindSpec
    conditions: list[Condition]
    source: str
    section: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)


def _field_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown field {path!r}"
    if kind == "missing":
        return f"missing required field {path!r}"
    message = str(err["msg"])
    message = message.removeprefix("Value error, ")
    return f"{path}: {message}" if path else message


def prepare_check(raw: CheckSpec | dict[str, Any], *, source: str, item: str | None = None) -> PreparedCheck:
    """Validate one check definition; bad input raises CheckSpecError naming ``source``."""
    data = raw.model_dump() if isinstance(raw, CheckSpec) else dict(raw)
    name = data.get("kind")
    if not isinstance(name, str) or not name:
        raise CheckSpecError("check without 'kind'", location=source)
    kind = get_kind(name)
    if kind is None:
        known = ", ".join(sorted(all_kinds()))
        raise CheckSpecError(f"unknown check kind {name!r} (known kinds: {known})", location=source)
    try:
        spec = kind.spec.model_validate(data)
    except ValidationError as exc:
        raise CheckSpecError(f"{name} check: {_field_error(exc)}", location=source) from None
    expect = spec.expect or list(kind.default_expect)
    conditions = [compile_condition(text, known=set(kind.observes), location=source) for text in expect]
    return PreparedCheck(
        item=item,
        name=spec.name or kind.describe(spec),
        kind=kind,
        spec=spec,
        conditions=conditions,
        source=source,
    )


def _item_source(item: Item, check: CheckSpec) -> str:
    return check.source or f"{item.file or '<runbook>'}:{item.line}"


def prepare_checks(runbook: Runbook) -> list[PreparedCheck]:
    """Every check of the runbook, validated, in document order."""
    out: list[PreparedCheck] = []
    for section in runbook.walk_sections():
        for item in section.all_items():
            for check in item.checks:
                prepared = prepare_check(check, source=_item_source(item, check), item=item.id)
                prepared.section = section.id
                out.append(prepared)
    return out


def select(
    checks: Iterable[PreparedCheck],
    runbook: Runbook,
    *,
    sections: Iterable[str] = (),
    items: Iterable[str] = (),
    kinds: Iterable[str] = (),
) -> list[PreparedCheck]:
    """Filter by section (id or title, including subsections), item id, or kind."""
    wanted_sections = {s.lower() for s in sections}
    wanted_items = set(items)
    wanted_kinds = set(kinds)
    allowed_sections: set[str] | None = None
    if wanted_sections:
        allowed_sections = set()
        for section in runbook.walk_sections():
            if section.id.lower() in wanted_sections or section.title.lower() in wanted_sections:
                allowed_sections.update(s.id for s in section.walk())
    out = []
    for check in checks:
        if allowed_sections is not None and check.section not in allowed_sections:
            continue
        if wanted_items and check.item not in wanted_items:
            continue
        if wanted_kinds and check.kind.name not in wanted_kinds:
            continue
        out.append(check)
    return out


def _limit(text: str) -> str:
    if len(text) <= EVIDENCE_LIMIT:
        return text
    half = EVIDENCE_LIMIT // 2
    return f"{text[:half]}\n… [{len(text) - EVIDENCE_LIMIT} characters cut] …\n{text[-half:]}"


def _judge(outcomes: list[ConditionOutcome]) -> str:
    if any(o.passed is None for o in outcomes):
        return "error"
    return "passed" if all(o.passed for o in outcomes) else "failed"


async def _attempt(
    check: PreparedCheck, ctx: CheckContext
) -> tuple[str, Observation, list[ConditionOutcome]]:
    timeout = check.spec.timeout.total_seconds()
    try:
        observation = await asyncio.wait_for(check.kind.observe(check.spec, ctx), timeout=timeout)
    except TimeoutError:
        return "error", Observation(message=f"timed out after {format_duration(check.spec.timeout)}"), []
    except MeasurementError as exc:
        return "error", Observation(message=str(exc)), []
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a check must never crash the run
        return "error", Observation(message=f"{exc.__class__.__name__}: {exc}"), []
    if observation.status is not None:
        return observation.status, observation, []
    outcomes = [evaluate(condition, observation.values) for condition in check.conditions]
    return _judge(outcomes), observation, outcomes


async def run_check(check: PreparedCheck, ctx: CheckContext) -> CheckResult:
    started = ctx.now()
    clock = time.perf_counter()
    attempts = 0
    status = "error"
    observation = Observation()
    outcomes: list[ConditionOutcome] = []
    while True:
        attempts += 1
        status, observation, outcomes = await _attempt(check, ctx)
        if status in ("passed", "skipped") or attempts > check.spec.retries:
            break
        delay = min(check.spec.backoff.total_seconds() * (2 ** (attempts - 1)), MAX_BACKOFF)
        await asyncio.sleep(delay)
    redact = ctx.redact.redact
    return CheckResult(
        item=check.item,
        name=check.name,
        kind=check.kind.name,
        status=status,
        observed=_redact_values(observation.values, redact),
        conditions=[o.model_copy(update={"rendered": redact(o.rendered)}) for o in outcomes],
        evidence=_limit(redact(observation.evidence)),
        message=redact(observation.message) if observation.message else None,
        duration_ms=round((time.perf_counter() - clock) * 1000, 3),
        attempts=attempts,
        started_at=started,
        source=check.source,
    )


def _redact_values(values: dict[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = redact(value)
        elif isinstance(value, dict):
            out[key] = _redact_values(value, redact)
        elif isinstance(value, timedelta):
            out[key] = value.total_seconds()
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


async def run_checks(
    checks: list[PreparedCheck],
    ctx: CheckContext,
    *,
    on_start: Callable[[PreparedCheck], None] | None = None,
    on_result: Callable[[PreparedCheck, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run checks concurrently (at most ``ctx.concurrency`` at once); results in input order."""
    gate = asyncio.Semaphore(max(ctx.concurrency, 1))

    async def one(check: PreparedCheck) -> CheckResult:
        async with gate:
            if on_start is not None:
                on_start(check)
            result = await run_check(check, ctx)
            if on_result is not None:
                on_result(check, result)
            return result

    try:
        return list(await asyncio.gather(*(one(c) for c in checks)))
    finally:
        await ctx.close()
