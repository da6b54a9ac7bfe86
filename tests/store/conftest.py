"""Fixtures for the event-store tests: one contract, run on SQLite and on PostgreSQL.

``db_url`` is a fresh, empty database per test: a SQLite file in ``tmp_path``, or a
database created for the test on the session's private PostgreSQL
(tests/services.py) and dropped afterwards, so tests never see each other's data.

pytest refuses ``pytest_plugins`` in a conftest below the top level, so the
session fixtures of tests/services.py are imported here instead (pytest finds
fixtures by name in a conftest's namespace).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from golive.store.events import EventStore
from tests.services import (  # noqa: F401 - fixtures, found by pytest through this namespace
    PostgresServer,
    postgres_server,
    postgres_url,
)

BACKENDS = ["sqlite", "postgresql"]
SNAPSHOT = hashlib.sha256(b"{}").hexdigest()  # a consistent placeholder: the hash of its model "{}"
LAUNCH = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)


def _admin(server: PostgresServer) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(
        server.url_with(user="postgres", password=None, database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )


@pytest.fixture
def fresh_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of a new, empty PostgreSQL database owned by the test role; dropped after the test."""
    from sqlalchemy import text

    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"golive_t_{uuid.uuid4().hex[:16]}"
    admin = _admin(server)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER golive'))
    finally:
        admin.dispose()
    try:
        yield server.url_with(database=name)
    finally:
        admin = _admin(server)
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'golive.db'}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of the backend under test (not migrated yet)."""
    if backend == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[EventStore]:
    """An EventStore on a fresh, migrated database; closed (engine disposed) afterwards."""
    opened = EventStore.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


def create_release(store: EventStore, *, first_event: tuple[str, dict[str, Any]] | None = None) -> str:
    """A release on a placeholder snapshot, with no events (or one ``first_event``)."""
    store.put_snapshot(SNAPSHOT, "contract", "", "{}")
    return store.create_release(
        service="contract",
        version="1.0",
        env="test",
        launch_at=LAUNCH,
        launch_tz="UTC",
        created_by="alice",
        snapshot=SNAPSHOT,
        first_event=first_event,
    )


@pytest.fixture
def new_release(store: EventStore) -> Callable[..., str]:
    """``new_release(first_event=None) -> release id`` in the test's store."""

    def make(first_event: tuple[str, dict[str, Any]] | None = None) -> str:
        return create_release(store, first_event=first_event)

    return make
