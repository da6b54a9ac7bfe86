"""Who acts on a release's rollout: one holder at a time, across threads,
processes and (on PostgreSQL) machines. The lock dies with its holder's process
or connection, so an intent without an outcome is only ever a dead holder's."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["release_lock"]


@contextlib.contextmanager
def release_lock(engine: Any, release_id: str, *, wait: float = 0.0) -> Iterator[bool]:
    """See :meth:`golive.store.events.EventStore.acting_on`."""
    key = int.from_bytes(hashlib.sha256(release_id.encode()).digest()[:8], "big", signed=True)
    deadline = time.monotonic() + wait
    local = _LOCAL_LOCKS.setdefault((str(engine.url), release_id), threading.Lock())
    got = local.acquire(timeout=wait) if wait > 0 else local.acquire(blocking=False)
    if not got:
        yield False
        return
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                from sqlalchemy import text

                while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                    if time.monotonic() >= deadline:
                        conn.rollback()
                        yield False
                        return
                    time.sleep(0.05)
                conn.commit()
                try:
                    yield True
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
            return
        fd = _lock_file(engine.url.database)
        if fd is None:  # an in-memory database lives in this process only
            yield True
            return
        offset = key % (2**31 - 1)
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
    finally:
        local.release()


_LOCAL_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCK_FILES: dict[str, int] = {}
_LOCK_FILES_GUARD = threading.Lock()


def _lock_file(database: str | None) -> int | None:
    """One descriptor per lock file for the whole process, never closed: closing
    any descriptor of a file drops every POSIX record lock the process holds on it."""
    if not database or database == ":memory:":
        return None
    path = str(Path(database).expanduser().resolve()) + ".lock"
    with _LOCK_FILES_GUARD:
        fd = _LOCK_FILES.get(path)
        if fd is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _LOCK_FILES[path] = fd
        return fd
