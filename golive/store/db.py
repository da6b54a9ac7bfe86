"""Opening golive's database: SQLite by default, PostgreSQL by URL.

- ``GOLIVE_DATABASE_URL`` (or ``--db``) is a SQLAlchemy URL
  (``postgresql+psycopg://...``, ``sqlite:////path/golive.db``) or a plain path,
  which means SQLite.
- Without it, SQLite in golive's data directory: ``$GOLIVE_HOME`` or
  ``$XDG_DATA_HOME/golive`` or ``~/.local/share/golive``.
- SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged event is on
  disk) and every write transaction begins with ``BEGIN IMMEDIATE`` (writers
  queue instead of failing half-way).
- Alembic migrations are applied when the database is opened.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from golive.errors import InputError, NotFoundError

__all__ = ["data_dir", "database_url", "make_engine", "migrate"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_POOL = 40
"""SQLite connections kept open: one per server thread (anyio runs 40)."""


def data_dir() -> Path:
    home = os.environ.get("GOLIVE_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "golive"


def database_url(url: str | None = None) -> str:
    """The SQLAlchemy URL to use: the argument, ``GOLIVE_DATABASE_URL``, or the default SQLite file."""
    raw = url or os.environ.get("GOLIVE_DATABASE_URL") or ""
    if not raw:
        directory = data_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{directory / 'golive.db'}"
    if "://" not in raw:
        path = Path(raw).expanduser().resolve()
        return f"sqlite:///{path}"
    return raw


def make_engine(
    url: str | None = None, *, must_exist: bool = False, location: str = "GOLIVE_DATABASE_URL"
) -> Any:
    """A SQLAlchemy engine with golive's durability settings. With ``must_exist``
    (read commands) a SQLite file that does not exist is an error naming
    ``location`` and no file is created."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise InputError(f"not a database URL: {_safe(resolved)!r}", location=location) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).expanduser().parent
            if must_exist and not Path(database).expanduser().is_file():
                raise NotFoundError(f"no database at {database} (nothing to read)", location=location)
            if not parent.is_dir():
                raise InputError(f"folder {parent} does not exist", location=location)
        # a server answers from up to 40 threads at once (anyio's pool): a connection kept per
        # thread, not opened (with its pragmas) and closed again for each request past five
        engine = create_engine(
            parsed,
            connect_args={"timeout": 30, "isolation_level": None, "check_same_thread": False},
            **(
                {"pool_size": SQLITE_POOL, "max_overflow": SQLITE_POOL}
                if database not in ("", ":memory:")
                else {}
            ),
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            _wal(cursor)
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # writers queue up front (no failure half-way); readers take no write lock
            mode = "IMMEDIATE" if conn.get_execution_options().get("golive_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise InputError(f"unsupported database {backend!r}: use SQLite or PostgreSQL", location=location)


def _wal(cursor: Any) -> None:
    """Put the database in WAL mode. WAL is a property of the file, so an opener
    that finds it set does nothing. Switching a fresh file to WAL needs an
    exclusive lock and SQLite does not run the busy handler for it: when several
    openers switch at once, the losers get "database is locked" at once, so they
    retry for as long as a writer would wait (30 s)."""
    import sqlite3
    import time

    deadline = time.monotonic() + 30
    delay = 0.005
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _safe(url: str) -> str:
    # never echo a password
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def current_revision(engine: Any) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


_MIGRATING = threading.Lock()
_MIGRATION_LOCK = 0x676F6C697665  # "golive": the advisory lock key of migrations


def migrate(engine: Any) -> None:
    """Apply every Alembic migration that has not run yet (Alembic is imported
    only when there is one to run: it costs ~200 ms of start-up)."""
    from golive.store.migrations import HEAD

    if current_revision(engine) == HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's ``context`` is process-global: one migration at a time per process.
    # Across processes the migration's transaction takes the database's write lock
    # first (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so a second
    # process waits, then finds the version table at head and does nothing.
    from sqlalchemy import text

    with (
        _MIGRATING,
        engine.connect().execution_options(golive_write=True) as connection,
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
