"""sql: run a read-only query against a database and look at what comes back.

    checks:
      - kind: sql
        url: postgresql+psycopg://app:${DB_PASSWORD}@db:5432/app
        query: SELECT indexname FROM pg_indexes WHERE indexname = :name
        params: {name: orders_customer_idx}
        # default expect: count > 0
      - kind: sql
        url: sqlite:///var/app.db
        alembic: true
        expect: ['alembic_revision == "abc123"']

``url`` is a SQLAlchemy URL; ``${NAME}`` is taken from the environment and the
URL's password is registered as a secret, so it never reaches evidence or
messages. ``params`` are bound parameters (``:name`` in the query), never
formatted into the SQL text.

Observes ``rows`` (a list of column → value maps, at most 100), ``row`` (the
first row or null), ``value`` (the first column of the first row or null),
``count`` (the number of rows) and, with ``alembic: true``,
``alembic_revision`` (the ``version_num`` of ``alembic_version``; several heads
are joined with ``,`` in sorted order; null when the table is empty).

The query runs in a transaction that is always rolled back; on PostgreSQL the
transaction is read-only with a statement timeout of the check's timeout, on
SQLite the connection is ``query_only``. A relative SQLite path is relative to
the runbook's folder, and a missing SQLite file is an error (not a new, empty
database). Not reaching the database, a failing query or a missing
``${NAME}`` is an ``error`` result with a one-line reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import time
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection

__all__ = ["KIND", "SqlKind", "SqlSpec", "expand_env"]

MAX_ROWS = 100
EVIDENCE_ROWS = 5
ALEMBIC_QUERY = "SELECT version_num FROM alembic_version"
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` with the environment's value; a missing one is a
    MeasurementError naming it (never its neighbours' values)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise MeasurementError(f"environment variable {name} is not set")
        return env[name]

    return _REFERENCE.sub(value, text)


class SqlSpec(KindSpec):
    kind: Literal["sql"]
    url: str = Field(min_length=1)
    query: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    alembic: bool = False

    @field_validator("url")
    @classmethod
    def _looks_like_url(cls, value: str) -> str:
        if "://" not in value and not value.startswith("${"):
            raise ValueError(
                "expected a SQLAlchemy URL such as 'postgresql+psycopg://user@host/db' or 'sqlite:///app.db'"
            )
        return value

    @model_validator(mode="after")
    def _query_or_alembic(self) -> SqlSpec:
        if self.query is not None and not self.query.strip():
            raise ValueError("query is empty")
        if self.query is None and not self.alembic:
            raise ValueError("sql checks need 'query' (or 'alembic: true')")
        return self


def _one_line(text: str, limit: int = 300) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = " ".join(" ".join(lines[:2]).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _plain(value: Any) -> Any:
    """A database value as something conditions understand."""
    if value is None or isinstance(value, bool | int | str | dt.datetime | dt.timedelta):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _render(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class SqlKind(CheckKind):
    name: ClassVar[str] = "sql"
    spec: ClassVar[type[KindSpec]] = SqlSpec
    observes: ClassVar[frozenset[str]] = frozenset({"rows", "row", "value", "count", "alembic_revision"})
    default_expect: ClassVar[tuple[str, ...]] = ("count > 0",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, SqlSpec)
        if spec.name:
            return spec.name
        what = " ".join((spec.query or ALEMBIC_QUERY).split())
        return f"sql {what[:60]}{'…' if len(what) > 60 else ''}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, SqlSpec)
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        raw = expand_env(spec.url, ctx.env)
        try:
            url = make_url(raw)
        except ArgumentError:
            raise MeasurementError("the database URL does not parse as a SQLAlchemy URL") from None
        if url.password:
            ctx.redact.add_secret(str(url.password))
        if url.get_backend_name() == "sqlite":
            url = _sqlite_file(url, ctx)
        return await asyncio.to_thread(_run, spec, url)


def _sqlite_file(url: URL, ctx: CheckContext) -> URL:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = ctx.resolve_path(database)
    if not path.is_file():
        raise MeasurementError(f"SQLite database {path} does not exist")
    return url.set(database=str(path))


def _without_password(url: URL) -> str:
    """The URL for messages: no password, not even masked (``URL.set(password=None)``
    would keep it), so the user name stays readable."""
    from sqlalchemy.engine import URL as URL_

    bare = URL_.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False)


def _connect_args(url: URL, timeout: float) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "postgresql":
        return {"connect_timeout": max(1, math.ceil(timeout)), "application_name": "golive"}
    if backend == "sqlite":
        return {"timeout": timeout}
    if backend in ("mysql", "mariadb"):
        return {"connect_timeout": max(1, math.ceil(timeout))}
    return {}


def _guard(conn: Connection, backend: str, timeout: float) -> None:
    """Make the transaction read-only and bounded where the database can."""
    if backend == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
    elif backend == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")


def _run(spec: SqlSpec, url: URL) -> Observation:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    shown = _without_password(url)
    timeout = spec.timeout.total_seconds()
    backend = url.get_backend_name()
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=_connect_args(url, timeout))
    except NoSuchModuleError:
        raise MeasurementError(f"no SQLAlchemy dialect/driver for {url.drivername!r}") from None
    except (ImportError, SQLAlchemyError) as exc:
        raise MeasurementError(f"cannot use {url.drivername!r}: {_one_line(str(exc))}") from None
    start = time.perf_counter()
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise MeasurementError(f"cannot connect to {shown}: {_one_line(str(exc.orig))}") from None
        except (SQLAlchemyError, OSError) as exc:
            raise MeasurementError(f"cannot connect to {shown}: {_one_line(str(exc))}") from None
        with conn:
            try:
                _guard(conn, backend, timeout)
                rows: list[dict[str, Any]] = []
                count = 0
                first_value: Any = None
                if spec.query is not None:
                    result = conn.execute(text(spec.query), spec.params)
                    if result.returns_rows:
                        for row in result:
                            if count == 0 and len(row) > 0:
                                first_value = _plain(row[0])
                            if count < MAX_ROWS:
                                rows.append({str(k): _plain(v) for k, v in row._mapping.items()})
                            count += 1
                    else:
                        result.close()
                revision: str | None = None
                if spec.alembic:
                    heads = sorted(str(r[0]) for r in conn.exec_driver_sql(ALEMBIC_QUERY))
                    revision = ",".join(heads) if heads else None
                    if spec.query is None:
                        rows = [{"version_num": h} for h in heads]
                        count = len(heads)
                        first_value = heads[0] if heads else None
            except DBAPIError as exc:
                raise MeasurementError(f"query failed on {shown}: {_one_line(str(exc.orig))}") from None
            except SQLAlchemyError as exc:
                raise MeasurementError(f"query failed on {shown}: {_one_line(str(exc))}") from None
            finally:
                if conn.in_transaction():
                    conn.rollback()
    finally:
        engine.dispose()
    elapsed_ms = (time.perf_counter() - start) * 1000
    values: dict[str, Any] = {
        "rows": rows,
        "row": rows[0] if rows else None,
        "value": first_value,
        "count": count,
    }
    if spec.alembic:
        values["alembic_revision"] = revision
    lines = [f"{shown}: {count} row{'s' if count != 1 else ''} in {elapsed_ms:.1f} ms"]
    if spec.alembic:
        lines.append(f"alembic_version: {revision or '(empty)'}")
    for row_values in rows[:EVIDENCE_ROWS]:
        lines.append("  " + ", ".join(f"{k}={_render(v)}" for k, v in row_values.items()))
    if count > EVIDENCE_ROWS:
        lines.append(f"  … {count - EVIDENCE_ROWS} more")
    return Observation(values=values, evidence="\n".join(lines))


KIND = SqlKind()
