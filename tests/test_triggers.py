"""Trigger semantics, exactly: what "for 10m", "count", "total", errors and
inconclusive evaluations do, evaluation by evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golive.rollout.triggers import (
    Evaluation,
    Outcome,
    TriggerRule,
    inconclusive_too_long,
    judge,
    worst_case_detection,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
B, OK, E, INC = Outcome.BREACH, Outcome.OK, Outcome.ERROR, Outcome.INCONCLUSIVE


def series(outcomes: str, interval: timedelta = 30 * S) -> list[Evaluation]:
    """'bbo.e' → evaluations every interval: b breach, o ok, e error, i inconclusive."""
    code = {"b": B, "o": OK, "e": E, "i": INC}
    return [Evaluation(T0 + interval * n, code[c]) for n, c in enumerate(outcomes)]


FOR_10M = TriggerRule(interval=30 * S, for_duration=10 * M)


def test_for_10m_fires_only_after_ten_minutes_of_unbroken_breach() -> None:
    # 20 evaluations 30 s apart = 9.5 minutes of breach: not yet
    assert judge(FOR_10M, series("o" + "b" * 20)).state == "breaching"
    verdict = judge(FOR_10M, series("o" + "b" * 21))  # the 21st breach is 10 minutes after the first
    assert verdict.fired and verdict.since == T0 + 30 * S


def test_one_spike_never_fires_a_persistence_trigger() -> None:
    # a 30-second spike under "for 10m"
    assert not judge(FOR_10M, series("oooboooo")).fired
    # breaches with one ok in the middle: the window restarts
    evaluations = series("b" * 15 + "o" + "b" * 15)
    verdict = judge(FOR_10M, evaluations)
    assert not verdict.fired and verdict.since == evaluations[16].at


def test_errors_and_gaps_restart_the_window() -> None:
    assert not judge(FOR_10M, series("b" * 12 + "e" + "b" * 12)).fired
    assert not judge(FOR_10M, series("b" * 12 + "i" + "b" * 12)).fired
    gap = [Evaluation(T0 + n * 30 * S, B) for n in range(10)] + [
        Evaluation(T0 + 30 * S * 10 + 2 * M + n * 30 * S, B) for n in range(11)
    ]
    assert not judge(FOR_10M, gap).fired  # the controller was down for 2 minutes: not watched


def test_errors_are_never_a_pass_and_pause_after_max_errors() -> None:
    rule = TriggerRule(interval=S, consecutive=3, max_errors=3)
    assert judge(rule, series("oee", S)).state == "waiting"
    verdict = judge(rule, series("oeee", S))
    assert verdict.state == "erroring" and not verdict.fired
    assert judge(rule, series("eeeo", S)).state == "ok"  # measuring again


def test_consecutive_and_total() -> None:
    rule = TriggerRule(interval=S, consecutive=3)
    assert not judge(rule, series("bbobb", S)).fired
    assert judge(rule, series("bbobbb", S)).fired
    total = TriggerRule(interval=S, total=3)
    assert not judge(total, series("boobo", S)).fired
    assert judge(total, series("boobob", S)).fired


def test_for_zero_fires_on_the_first_breach() -> None:
    rule = TriggerRule(interval=S, for_duration=timedelta(0))
    assert judge(rule, series("ob", S)).fired


def test_inconclusive_escalates_after_its_timeout() -> None:
    rule = TriggerRule(interval=M, for_duration=10 * M, inconclusive_timeout=5 * M)
    assert not inconclusive_too_long(rule, series("iiii", M))
    assert inconclusive_too_long(rule, series("iiiiii", M))
    assert judge(rule, series("iii", M)).state == "inconclusive"


def test_worst_case_detection_time() -> None:
    assert (
        worst_case_detection(TriggerRule(interval=30 * S, for_duration=10 * M, query_window=M))
        == 11 * M + 30 * S
    )
    assert worst_case_detection(TriggerRule(interval=S, consecutive=5)) == 5 * S


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="one rule over time"):
        TriggerRule(interval=S, for_duration=M, consecutive=2)
    with pytest.raises(ValueError, match="interval must be positive"):
        TriggerRule(interval=timedelta(0))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="boei", min_size=1, max_size=60))
def test_persistence_fires_exactly_when_the_window_is_all_breach(outcomes: str) -> None:
    """Oracle: fires iff the trailing run of 'b' spans at least 10 minutes (21 evaluations 30 s apart)."""
    trailing = len(outcomes) - len(outcomes.rstrip("b"))
    assert judge(FOR_10M, series(outcomes)).fired == (trailing >= 21)
    # and an error or inconclusive evaluation is never read as ok
    verdict = judge(FOR_10M, series(outcomes))
    if outcomes[-1] in "ei":
        assert verdict.state != "ok"
