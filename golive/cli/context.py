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

__all__ = ["command_clock", "open_store", "release_service", "rollout_service"]

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


def _remote(db: str | None) -> Any:
    """The server to act through (GOLIVE_SERVER, or ``golive login``), or None."""
    from golive.client.connection import remote

    server = remote()
    if server is not None and db:
        from golive.errors import InputError

        raise InputError(
            "--db is the machine's database; GOLIVE_SERVER acts through a server", location="--db"
        )
    return server


def open_store(db: str | None, *, read_only: bool = False, local: bool = False) -> EventStore:
    """The event store of ``--db`` (or ``GOLIVE_DATABASE_URL``), on the command's clock.
    ``read_only`` (read commands): a SQLite file that does not exist is an error
    naming ``--db`` (exit 2) and no file is created. Through a server (unless
    ``local``) it reads the server's log over the API."""
    from golive.store.events import EventStore

    server = None if local else _remote(db)
    if server is not None:
        from typing import cast

        from golive.client.remote import RemoteStore

        return cast("EventStore", RemoteStore(server, command_clock()))  # an EventStore's reads

    location = "--db" if db else "GOLIVE_DATABASE_URL"
    return EventStore.open(db, clock=command_clock(), must_exist=read_only, location=location)


def release_service(db: str | None, *, read_only: bool = False) -> Any:
    """The release service of this command: on the machine's database, or through a server."""
    server = _remote(db)
    if server is not None:
        from golive.client.remote import RemoteReleaseService

        return RemoteReleaseService(server, command_clock())
    from golive.config import load_config
    from golive.release.service import ReleaseService

    return ReleaseService(open_store(db, read_only=read_only), load_config(), clock=command_clock().now)


def rollout_service(db: str | None) -> Any:
    """The rollout service of this command: on the machine's database, or through a server."""
    server = _remote(db)
    if server is not None:
        from golive.client.remote import RemoteRolloutService

        return RemoteRolloutService(server, command_clock())
    from golive.config import load_config
    from golive.rollout.service import RolloutService

    return RolloutService(open_store(db), load_config(), command_clock())
