"""The rehearsal clock: virtual time that jumps, or runs at a fixed compressed speed.

A rehearsal covers weeks of a runbook's timeline in seconds, but not all of it
the same way:

- **Jumping** (frozen): before T-0 and through hypercare nothing real has to
  happen between two actions, so virtual time stands still and jumps straight to
  the next action (or hypercare evaluation). No real time passes.
- **Running** (compressed): during the rollout the stand-in's metrics are windows
  of real traffic over real seconds, so steps, bakes and evaluation intervals
  must be paced: virtual time runs at ``speed`` virtual seconds per real second
  (600: a 1-hour bake takes 6 real seconds).

While running, a **hold** caps virtual time: it runs at ``speed`` up to the hold
and waits there (the real time spent waiting is not rehearsal time). The
rehearsal holds the clock while the controller reconciles (a tick takes no
rehearsal time) and at most a little less than two evaluation intervals past
it, so however slow a machine is, evaluations are never further apart than the
persistence rule allows ("for 10m" restarts after a gap of two intervals): a
slow machine rehearses at a lower effective speed, never with other semantics.

Virtual time never goes backwards: a jump to an earlier time is ignored, and
switching modes keeps the current virtual time as the new anchor.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from golive.clock import Clock

__all__ = ["RehearsalClock"]

MIN_REAL_SLEEP = 0.001


class RehearsalClock(Clock):
    """Virtual time for a rehearsal: ``jump_to`` while frozen, ``run`` at ``speed``."""

    def __init__(self, start: datetime, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._anchor = start
        self._real_anchor = time.monotonic()
        self._running = False
        self._hold: datetime | None = None

    @property
    def running(self) -> bool:
        return self._running

    def now(self) -> datetime:
        if not self._running:
            return self._anchor
        real = time.monotonic()
        virtual = self._anchor + timedelta(seconds=(real - self._real_anchor) * self.speed)
        if self._hold is not None and virtual > self._hold:
            # wait at the hold: from here on, time runs again from the hold
            self._anchor, self._real_anchor = max(self._hold, self._anchor), real
            return self._anchor
        return virtual

    def hold(self, until: datetime | None) -> None:
        """While running, never go past ``until`` (None: no hold)."""
        current = self.now()
        self._anchor, self._real_anchor = current, time.monotonic()
        self._hold = until

    def jump_to(self, when: datetime) -> None:
        """Move virtual time forward to ``when`` at once (never backwards); stays in its mode."""
        current = self.now()
        self._anchor = max(current, when)
        self._real_anchor = time.monotonic()

    def run(self) -> None:
        """From now on, virtual time runs at ``speed`` from where it is."""
        if not self._running:
            self._anchor = self.now()
            self._real_anchor = time.monotonic()
            self._running = True

    def freeze(self) -> None:
        """Stop virtual time where it is; only ``jump_to`` moves it."""
        if self._running:
            self._anchor = self.now()
            self._real_anchor = time.monotonic()
            self._running = False

    def real_seconds(self, virtual: timedelta) -> float:
        """How many real seconds ``virtual`` takes while running."""
        return virtual.total_seconds() / self.speed

    async def sleep(self, seconds: float) -> None:
        """Running: sleep ``seconds / speed`` real seconds. Frozen: jump ``seconds`` ahead."""
        if self._running:
            await asyncio.sleep(max(seconds / self.speed, MIN_REAL_SLEEP))
        else:
            self.jump_to(self.now() + timedelta(seconds=max(seconds, 0.0)))
            await asyncio.sleep(0)
