"""Moves this Python process's clock, for the run of the suite under a far-future date.

``scripts/test-future.sh`` puts this folder on PYTHONPATH with
``GOLIVE_TEST_TIME_SHIFT_DAYS`` set, so that every Python process of the run (the
pytest workers and every ``golive`` subprocess a test starts) sees the wall clock
that many days ahead: ``time.time()``, ``datetime.now()``, ``date.today()``,
``time.gmtime()``/``localtime()``/``strftime()``. The monotonic clocks are left
alone, so sleeps, timeouts and compressed clocks behave as they do any day.

(libfaketime does this for every process, but Debian's 0.9.10 breaks Python 3.11's
``time.sleep`` - ``clock_nanosleep`` with an absolute monotonic deadline fails with
EINVAL - and, with the monotonic clock faked too, threading waits never return.)
"""

from __future__ import annotations

import os

_SHIFT = os.environ.get("GOLIVE_TEST_TIME_SHIFT_DAYS", "").strip()
if _SHIFT:
    from datetime import UTC, datetime, timedelta

    import time_machine

    _TRAVEL = time_machine.travel(datetime.now(UTC) + timedelta(days=float(_SHIFT)), tick=True)
    _TRAVEL.start()
