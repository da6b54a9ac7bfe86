"""Rollback triggers, stated exactly.

A trigger watches one measurement (a metric check) at an evaluation interval.
Each evaluation has exactly one of four outcomes, never blurred:

- ``breach``: the measurement was taken and the trigger's condition (stated the
  way the runbook states trouble: ``value > 0.01``) holds;
- ``ok``: the measurement was taken and the condition does not hold;
- ``error``: golive could not measure (the metric source is down, no data, NaN,
  a type error). An error is never ``ok`` and never promotes a rollout;
- ``inconclusive``: measured, but the rule cannot decide yet (too little traffic,
  a baseline still missing).

Rules over time (one per trigger):

- **persistence** ``for: 10m`` — the trigger fires at the first evaluation at
  which every evaluation of the last 10 minutes was a breach: the breach began at
  an evaluation at least 10 minutes before, and nothing but breaches was seen
  since. One ``ok`` (a spike that ended) restarts the window. An ``error`` or
  ``inconclusive`` also restarts it (a window golive could not watch is not
  proven), and a gap longer than two intervals between evaluations restarts it
  (a controller that was down did not watch). ``for: 0s`` fires on the first breach.
- **consecutive** ``count: 3`` — three breaches in a row.
- **total** ``total: 5`` — five breaches in the whole rollout, in any order.

Errors: after ``max_errors`` consecutive errors the trigger is ``erroring``; the
rollout pauses and alerts (it never promotes on errors). An inconclusive streak
longer than ``inconclusive_timeout`` escalates the same way instead of waiting
forever.

Worst-case detection time (breach starts → reaction starts) is printed before a
release: ``for + interval + query window`` for persistence, ``count x interval +
query window`` for consecutive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

__all__ = [
    "Evaluation",
    "Outcome",
    "TriggerRule",
    "Verdict",
    "inconclusive_too_long",
    "judge",
    "worst_case_detection",
]


class Outcome(StrEnum):
    BREACH = "breach"
    OK = "ok"
    ERROR = "error"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Evaluation:
    at: datetime
    outcome: Outcome
    value: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class TriggerRule:
    interval: timedelta
    for_duration: timedelta | None = None
    consecutive: int | None = None
    total: int | None = None
    max_errors: int = 3
    inconclusive_timeout: timedelta = timedelta(minutes=10)
    query_window: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        rules = [r for r in (self.for_duration, self.consecutive, self.total) if r is not None]
        if len(rules) > 1:
            raise ValueError("a trigger has one rule over time: for, count or total")
        if self.consecutive is not None and self.consecutive < 1:
            raise ValueError("count must be at least 1")
        if self.total is not None and self.total < 1:
            raise ValueError("total must be at least 1")
        if self.for_duration is not None and self.for_duration < timedelta(0):
            raise ValueError("for must not be negative")

    @property
    def kind(self) -> Literal["persistence", "consecutive", "total"]:
        if self.consecutive is not None:
            return "consecutive"
        if self.total is not None:
            return "total"
        return "persistence"


@dataclass(frozen=True)
class Verdict:
    """``fired``: the rule is satisfied (react now). ``state`` says why not otherwise."""

    state: Literal["fired", "breaching", "ok", "erroring", "inconclusive", "waiting"]
    fired: bool
    since: datetime | None = None
    detail: str = ""


def worst_case_detection(rule: TriggerRule) -> timedelta:
    """From the moment trouble starts to the moment golive reacts, at most."""
    if rule.kind == "consecutive":
        assert rule.consecutive is not None
        return rule.interval * rule.consecutive + rule.query_window
    if rule.kind == "total":
        assert rule.total is not None
        return rule.interval * rule.total + rule.query_window
    return (rule.for_duration or timedelta(0)) + rule.interval + rule.query_window


def judge(rule: TriggerRule, evaluations: Sequence[Evaluation]) -> Verdict:
    """The trigger's verdict after these evaluations (oldest first)."""
    if not evaluations:
        return Verdict("waiting", False, detail="no evaluation yet")
    last = evaluations[-1]
    errors = _streak(evaluations, Outcome.ERROR)
    if errors >= rule.max_errors:
        return Verdict(
            "erroring",
            False,
            since=evaluations[-errors].at,
            detail=f"{errors} evaluations in a row could not measure: {last.detail}".rstrip(": "),
        )
    if rule.kind == "total":
        assert rule.total is not None
        breaches = [e for e in evaluations if e.outcome == Outcome.BREACH]
        if len(breaches) >= rule.total:
            return Verdict(
                "fired", True, since=breaches[0].at, detail=f"{len(breaches)} breaches in this rollout"
            )
        return _plain(last, evaluations)
    if rule.kind == "consecutive":
        assert rule.consecutive is not None
        run = _streak(evaluations, Outcome.BREACH)
        if run >= rule.consecutive:
            return Verdict("fired", True, since=evaluations[-run].at, detail=f"{run} breaches in a row")
        return _plain(last, evaluations)
    window = rule.for_duration or timedelta(0)
    start = _breach_start(rule, evaluations)
    if start is None:
        return _plain(last, evaluations)
    held = last.at - start
    if held >= window:
        return Verdict(
            "fired", True, since=start, detail=f"breached since {start.isoformat()} ({_fmt(held)})"
        )
    return Verdict("breaching", False, since=start, detail=f"breached for {_fmt(held)} of {_fmt(window)}")


def _plain(last: Evaluation, evaluations: Sequence[Evaluation]) -> Verdict:
    if last.outcome == Outcome.BREACH:
        run = _streak(evaluations, Outcome.BREACH)
        return Verdict("breaching", False, since=evaluations[-run].at)
    if last.outcome == Outcome.INCONCLUSIVE:
        run = _streak(evaluations, Outcome.INCONCLUSIVE)
        return Verdict("inconclusive", False, since=evaluations[-run].at, detail=last.detail)
    if last.outcome == Outcome.ERROR:
        # fewer errors in a row than max_errors: not a pass, not yet a pause
        return Verdict("waiting", False, since=last.at, detail=f"could not measure: {last.detail}")
    return Verdict("ok", False, since=last.at)


def inconclusive_too_long(rule: TriggerRule, evaluations: Sequence[Evaluation]) -> bool:
    run = _streak(evaluations, Outcome.INCONCLUSIVE)
    return run > 0 and evaluations[-1].at - evaluations[-run].at >= rule.inconclusive_timeout


def _streak(evaluations: Sequence[Evaluation], outcome: Outcome) -> int:
    count = 0
    for evaluation in reversed(evaluations):
        if evaluation.outcome != outcome:
            break
        count += 1
    return count


def _breach_start(rule: TriggerRule, evaluations: Sequence[Evaluation]) -> datetime | None:
    """Start of the unbroken run of breaches that ends with the last evaluation."""
    if evaluations[-1].outcome != Outcome.BREACH:
        return None
    max_gap = rule.interval * 2
    start = evaluations[-1].at
    for earlier, later in zip(reversed(evaluations[:-1]), reversed(evaluations[1:]), strict=False):
        if earlier.outcome != Outcome.BREACH or later.at - earlier.at > max_gap:
            break
        start = earlier.at
    return start


def _fmt(value: timedelta) -> str:
    from golive.durations import format_duration

    return format_duration(value)
