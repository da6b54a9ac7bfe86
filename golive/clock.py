"""One injectable clock for the whole engine.

``SystemClock`` is real time. ``ScaledClock`` compresses time (speed 3600: an hour
a second) from a stored anchor, so a rollout with 1-hour bakes runs in seconds in
tests and rehearsals on the same code path, and a restart continues the same
timeline. ``ManualClock`` moves only when a test says so.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "ManualClock", "ScaledClock", "SystemClock"]


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
