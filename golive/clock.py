"""One injectable clock for the whole engine.

Every command builds its clock once (:func:`from_environment`) and hands that
same clock to the release service, the event store, the rollout controller, the
check runner, rehearsals and reports, so no command ever mixes two clocks.
``GOLIVE_NOW`` (a time such as ``2026-12-01 09:00 Europe/London``) sets where
that clock starts; it then runs in real time, so a long command (``rollout
run``) still moves forward. Tests run every command of a scenario under one
``GOLIVE_NOW`` and so never depend on the date they run on.

``SystemClock`` is real time. ``OffsetClock`` is real time moved to start at a
given instant (``GOLIVE_NOW``). ``ScaledClock`` compresses time (speed 3600: an hour
a second) from a stored anchor, so a rollout with 1-hour bakes runs in seconds in
tests and rehearsals on the same code path, and a restart continues the same
timeline. ``ManualClock`` moves only when a test says so.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

__all__ = [
    "NOW_VARIABLE",
    "Clock",
    "ManualClock",
    "OffsetClock",
    "ScaledClock",
    "SystemClock",
    "compressed",
    "from_environment",
]

NOW_VARIABLE = "GOLIVE_NOW"


class Clock:
    def now(self) -> datetime:
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of this clock's time."""
        raise NotImplementedError

    def __call__(self) -> datetime:
        return self.now()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class OffsetClock(Clock):
    """Real time, moved so that it starts at ``start`` when the clock is made."""

    def __init__(self, start: datetime, real_anchor: float | None = None) -> None:
        self.start = (start if start.tzinfo is not None else start.replace(tzinfo=UTC)).astimezone(UTC)
        self.real_anchor = time.monotonic() if real_anchor is None else real_anchor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.real_anchor)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScaledClock(Clock):
    """Virtual time = anchor + (real time since ``real_anchor``) x speed."""

    def __init__(
        self, speed: float, anchor: datetime | None = None, real_anchor: float | None = None
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.anchor = anchor or datetime.now(UTC)
        self.real_anchor = time.monotonic() if real_anchor is None else real_anchor

    def now(self) -> datetime:
        return self.anchor + timedelta(seconds=(time.monotonic() - self.real_anchor) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds / self.speed, 0.001))


class ManualClock(Clock):
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    async def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def from_environment(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock of one command: real time, or real time from ``GOLIVE_NOW`` on.

    A malformed ``GOLIVE_NOW`` is bad input (InputError naming the variable)."""
    value = (os.environ if environ is None else environ).get(NOW_VARIABLE, "").strip()
    if not value:
        return SystemClock()
    from golive.timeparse import parse_launch

    return OffsetClock(parse_launch(value, field=NOW_VARIABLE))


def compressed(base: Clock, speed: float, after: datetime | None = None) -> Clock:
    """``base`` itself at speed 1; otherwise a clock that runs ``speed`` times
    faster from ``base``'s present, or from ``after`` (the last recorded event)
    when that is later, so a restarted compressed timeline continues where its
    log stopped: a restart neither shortens nor restarts a bake."""
    if speed == 1:
        return base
    start = base.now()
    if after is not None and after > start:
        start = after
    return ScaledClock(speed, anchor=start)
