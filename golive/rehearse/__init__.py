"""Rehearsals: a whole release of a runbook against a stand-in, on a compressed clock.

``golive rehearse RUNBOOK`` starts the stand-in (``golive demo-target``), starts a
release of the runbook, plays the runbook's timeline from its first phase to the
end of hypercare with simulated people (items done by their owners, checks run,
sign-offs given, the GO recorded by an approver), rolls out with the real
controller watching the runbook's rollback criteria, and writes the report.
See docs/rehearsals.md.

Public: :func:`prepare` (read and check the input, write nothing),
:class:`Rehearsal` (run it), :class:`RehearsalResult`, :class:`RehearsalView`
(what a live display shows), :class:`RehearsalClock`, :func:`find_overlay` and
:func:`fault_notes`.
"""

from __future__ import annotations

from golive.rehearse.clock import RehearsalClock
from golive.rehearse.engine import (
    DEFAULT_SPEED,
    Prepared,
    Rehearsal,
    RehearsalResult,
    RehearsalView,
    prepare,
)
from golive.rehearse.overlays import fault_notes, find_overlay

__all__ = [
    "DEFAULT_SPEED",
    "Prepared",
    "Rehearsal",
    "RehearsalClock",
    "RehearsalResult",
    "RehearsalView",
    "fault_notes",
    "find_overlay",
    "prepare",
]
