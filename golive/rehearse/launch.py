"""The rehearsal's launch time (T-0), kept inside the runbook's own policies.

A rehearsal launches when asked (``--launch``), else tomorrow at 09:00 UTC. When
that time breaks a policy (the runbook's "don't deploy on Fridays", or
golive.toml's weekends, deploy window and freezes), the launch moves to the next
allowed slot: the next day at the same wall-clock time (the deploy window's start
when the time is outside it), never a weekend unless a weekend was asked for,
and the rehearsal says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from golive.config import Config
from golive.release.decide import policy_violations
from golive.release.state import ReleaseState
from golive.runbook.model import Runbook

__all__ = ["choose_launch", "default_launch"]

MAX_DAYS = 400


def default_launch(now: datetime | None = None) -> datetime:
    """Tomorrow at 09:00 UTC, or the next weekday after it."""
    today = (now or datetime.now(UTC)).astimezone(UTC)
    when = (today + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    while when.weekday() >= 5:
        when += timedelta(days=1)
    return when


def _next_day(when: datetime, zone: ZoneInfo) -> datetime:
    local = when.astimezone(zone).replace(tzinfo=None)
    return (local + timedelta(days=1)).replace(tzinfo=zone)


def choose_launch(
    runbook: Runbook, config: Config, requested: datetime, tz: str
) -> tuple[datetime, str | None]:
    """The first allowed launch slot at or after ``requested``, and a note when it moved."""
    zone = ZoneInfo(tz)
    probe = ReleaseState(release_id="rehearsal", runbook=runbook)
    when = requested
    first: list[str] = []
    for _ in range(MAX_DAYS):
        violations = policy_violations(probe, config, when, tz)
        if not first:
            first = [reason for _, reason in violations]
        if not violations and (when == requested or when.astimezone(zone).weekday() < 5):
            break
        window = config.policy.deploy_window
        local = when.astimezone(zone)
        if window is not None and any(pid == "policy:deploy_window" for pid, _ in violations):
            start = local.replace(hour=window[0].hour, minute=window[0].minute, second=0, microsecond=0)
            when = start if start > local else _next_day(start, zone)
            continue
        when = _next_day(when, zone)
    else:
        reasons = "; ".join(first) or "no allowed launch slot"
        return requested, f"no allowed launch slot within {MAX_DAYS} days of the requested one ({reasons})"
    if when == requested:
        return when, None
    shown = requested.astimezone(zone)
    moved = when.astimezone(zone)
    return when, (
        f"launch moved from {shown:%a %Y-%m-%d %H:%M} to {moved:%a %Y-%m-%d %H:%M} {tz}: " + "; ".join(first)
    )
