"""What one ``golive`` invocation shares between its parts: its clock and its store.

The clock is built once per command (``GOLIVE_NOW`` honoured, see
:mod:`golive.clock`) and every part of the command gets that same clock: the
event store, the release service, the rollout controller, rehearsals, checks and
reports. Nothing in a command reads the system time by another way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from golive.clock import Clock
    from golive.store.events import EventStore

__all__ = ["command_clock", "open_store"]

_KEY = "golive.clock"


def command_clock() -> Clock:
    """This invocation's clock, made on first use and shared by all that follows."""
    from golive.clock import from_environment

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return from_environment()
    meta: dict[str, Any] = ctx.find_root().meta
    clock = meta.get(_KEY)
    if clock is None:
        clock = meta[_KEY] = from_environment()
    return clock


def open_store(db: str | None, *, read_only: bool = False) -> EventStore:
    """The event store of ``--db`` (or ``GOLIVE_DATABASE_URL``), on the command's clock.
    ``read_only`` (read commands): a SQLite file that does not exist is an error
    naming ``--db`` (exit 2) and no file is created."""
    from golive.store.events import EventStore

    location = "--db" if db else "GOLIVE_DATABASE_URL"
    return EventStore.open(db, clock=command_clock(), must_exist=read_only, location=location)
