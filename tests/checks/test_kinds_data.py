"""The data check kinds against real things: sql on SQLite files and on a private
PostgreSQL, metric on a private Prometheus scraping a prometheus_client exporter
and on a small aiohttp JSON server (tests/services.py starts and stops them)."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from golive.checks import CheckContext, CheckResult, prepare_check, run_checks
from golive.checks.errors import CheckSpecError
from tests.services import PostgresServer, PrometheusServer, free_port


def run(
    check: dict[str, Any], *, env: dict[str, str] | None = None, base_dir: Path | None = None
) -> CheckResult:
    prepared = prepare_check(check, source="test.md:1")
    ctx = CheckContext(env=env or {}, base_dir=base_dir or Path.cwd())
    [result] = asyncio.run(run_checks([prepared], ctx))
    return result


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# -- sql on SQLite ----------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total NUMERIC);
            CREATE INDEX orders_customer_idx ON orders (customer);
            INSERT INTO orders (customer, total) VALUES ('ada', 12.5), ('bob', 3), ('o''brien', 7);
            CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
            INSERT INTO alembic_version VALUES ('abc123');
            """
        )
    conn.close()
    return path


INDEX_QUERY_SQLITE = "SELECT name FROM sqlite_master WHERE type = 'index' AND name = :name"


def test_sqlite_index_exists_passes_and_missing_index_fails(sqlite_db: Path) -> None:
    url = f"sqlite:///{sqlite_db}"
    ok = run(
        {"kind": "sql", "url": url, "query": INDEX_QUERY_SQLITE, "params": {"name": "orders_customer_idx"}}
    )
    assert ok.status == "passed", ok.summary
    assert ok.observed["count"] == 1
    assert ok.observed["value"] == "orders_customer_idx"
    assert ok.observed["row"] == {"name": "orders_customer_idx"}
    assert [c.rendered for c in ok.conditions] == ["count (1) > 0"]

    missing = run(
        {"kind": "sql", "url": url, "query": INDEX_QUERY_SQLITE, "params": {"name": "orders_total_idx"}}
    )
    assert missing.status == "failed"
    assert missing.observed["count"] == 0
    assert missing.observed["row"] is None
    assert missing.observed["value"] is None
    assert missing.summary == "count (0) > 0"


def test_sqlite_alembic_revision_equals_head(sqlite_db: Path) -> None:
    url = f"sqlite:///{sqlite_db}"
    by_query = run(
        {
            "kind": "sql",
            "url": url,
            "query": "SELECT version_num FROM alembic_version",
            "expect": 'value == "abc123"',
        }
    )
    assert by_query.status == "passed", by_query.summary
    by_flag = run({"kind": "sql", "url": url, "alembic": True, "expect": ['alembic_revision == "abc123"']})
    assert by_flag.status == "passed", by_flag.summary
    assert by_flag.observed["alembic_revision"] == "abc123"
    behind = run({"kind": "sql", "url": url, "alembic": True, "expect": ['alembic_revision == "def456"']})
    assert behind.status == "failed"
    assert behind.summary == 'alembic_revision ("abc123") == "def456"'


def test_sqlite_rows_values_and_bound_params(sqlite_db: Path) -> None:
    url = f"sqlite:///{sqlite_db}"
    result = run(
        {
            "kind": "sql",
            "url": url,
            "query": "SELECT customer, total FROM orders WHERE customer = :who OR total > :min ORDER BY id",
            "params": {"who": "o'brien", "min": 10},
            "expect": ["count == 2", 'rows[1].customer == "o\'brien"', "row.total > 12"],
        }
    )
    assert result.status == "passed", result.summary
    assert result.observed["rows"] == [
        {"customer": "ada", "total": 12.5},
        {"customer": "o'brien", "total": 7},
    ]
    # a parameter is data, never SQL: an injection attempt matches nothing
    injected = run(
        {
            "kind": "sql",
            "url": url,
            "query": "SELECT id FROM orders WHERE customer = :who",
            "params": {"who": "x' OR '1'='1"},
        }
    )
    assert injected.status == "failed"
    assert injected.observed["count"] == 0


def test_sqlite_rows_are_capped_and_count_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(250)])
    conn.close()
    result = run({"kind": "sql", "url": f"sqlite:///{path}", "query": "SELECT n FROM t ORDER BY n"})
    assert result.status == "passed"
    assert result.observed["count"] == 250
    assert len(result.observed["rows"]) == 100
    assert "245 more" in result.evidence


def test_sqlite_relative_path_missing_file_and_bad_sql_are_errors(sqlite_db: Path, tmp_path: Path) -> None:
    relative = run({"kind": "sql", "url": "sqlite:///app.db", "query": "SELECT 1"}, base_dir=tmp_path)
    assert relative.status == "passed", relative.summary

    missing = run({"kind": "sql", "url": "sqlite:///nope.db", "query": "SELECT 1"}, base_dir=tmp_path)
    assert missing.status == "error"
    assert "does not exist" in (missing.message or "")
    assert not (tmp_path / "nope.db").exists()  # a check never creates a database

    bad = run({"kind": "sql", "url": f"sqlite:///{sqlite_db}", "query": "SELECT * FROM no_such_table"})
    assert bad.status == "error"
    assert "no such table" in (bad.message or "")
    assert "\n" not in (bad.message or "")


def test_sqlite_check_is_read_only(sqlite_db: Path) -> None:
    result = run({"kind": "sql", "url": f"sqlite:///{sqlite_db}", "query": "DELETE FROM orders"})
    assert result.status == "error"
    with sqlite3.connect(sqlite_db) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 3
    conn.close()


def test_sql_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="need 'query'"):
        prepare_check({"kind": "sql", "url": "sqlite:///x.db"}, source="t.md:3")
    with pytest.raises(CheckSpecError, match="SQLAlchemy URL"):
        prepare_check({"kind": "sql", "url": "app.db", "query": "SELECT 1"}, source="t.md:3")
    with pytest.raises(CheckSpecError, match="does not observe"):
        prepare_check(
            {"kind": "sql", "url": "sqlite:///x.db", "query": "SELECT 1", "expect": "rowz > 0"}, source="t"
        )


def test_sql_missing_environment_variable_is_an_error() -> None:
    result = run(
        {"kind": "sql", "url": "postgresql+psycopg://app:${DB_PASSWORD}@127.0.0.1/app", "query": "SELECT 1"}
    )
    assert result.status == "error"
    assert result.message == "environment variable DB_PASSWORD is not set"


# -- sql on PostgreSQL ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_table(postgres_server: PostgresServer) -> str:
    """A table with one index, created by the test role (which owns the database)."""
    from sqlalchemy import create_engine, text

    table = unique("orders")
    engine = create_engine(postgres_server.url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(f"CREATE TABLE {table} (id serial PRIMARY KEY, customer text, total numeric(10, 2))")
            )
            conn.execute(text(f"CREATE INDEX {table}_customer_idx ON {table} (customer)"))
            conn.execute(text(f"INSERT INTO {table} (customer, total) VALUES ('ada', 12.50), ('bob', 3)"))
            conn.execute(
                text("CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) PRIMARY KEY)")
            )
            conn.execute(text("DELETE FROM alembic_version"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('abc123')"))
    finally:
        engine.dispose()
    return table


INDEX_QUERY_PG = "SELECT indexname, tablename FROM pg_indexes WHERE indexname = :name"


def test_postgres_index_exists_passes_and_missing_index_fails(postgres_url: str, pg_table: str) -> None:
    ok = run(
        {
            "kind": "sql",
            "url": postgres_url,
            "query": INDEX_QUERY_PG,
            "params": {"name": f"{pg_table}_customer_idx"},
        }
    )
    assert ok.status == "passed", ok.summary
    assert ok.observed["row"] == {"indexname": f"{pg_table}_customer_idx", "tablename": pg_table}

    missing = run(
        {"kind": "sql", "url": postgres_url, "query": INDEX_QUERY_PG, "params": {"name": f"{pg_table}_x_idx"}}
    )
    assert missing.status == "failed"
    assert missing.observed["count"] == 0


def test_postgres_values_params_and_alembic(postgres_url: str, pg_table: str) -> None:
    result = run(
        {
            "kind": "sql",
            "url": postgres_url,
            "query": f"SELECT customer, total FROM {pg_table} WHERE customer = :who",
            "params": {"who": "ada"},
            "alembic": True,
            "expect": ["count == 1", "row.total == 12.5", 'alembic_revision == "abc123"'],
        }
    )
    assert result.status == "passed", result.summary
    assert result.observed["rows"] == [{"customer": "ada", "total": 12.5}]  # numeric → float
    head = run(
        {
            "kind": "sql",
            "url": postgres_url,
            "query": "SELECT version_num FROM alembic_version",
            "expect": 'value == "abc123"',
        }
    )
    assert head.status == "passed", head.summary
    quoted = run({"kind": "sql", "url": postgres_url, "query": "SELECT :v AS v", "params": {"v": "it's"}})
    assert quoted.observed["value"] == "it's"


def test_postgres_password_from_environment_never_shown(
    postgres_server: PostgresServer, pg_table: str
) -> None:
    from tests.services import PG_PASSWORD

    url = postgres_server.url_with(password="${DB_PASSWORD}")
    good = run(
        {"kind": "sql", "url": url, "query": INDEX_QUERY_PG, "params": {"name": f"{pg_table}_customer_idx"}},
        env={"DB_PASSWORD": PG_PASSWORD},
    )
    assert good.status == "passed", good.summary
    assert PG_PASSWORD not in good.model_dump_json()
    assert good.evidence.startswith(
        f"postgresql+psycopg://golive@127.0.0.1:{postgres_server.port}/golive: 1 row"
    )


def test_postgres_bad_password_is_an_error_without_the_password(postgres_server: PostgresServer) -> None:
    wrong = "Wr0ng-Secret-Pass"
    result = run({"kind": "sql", "url": postgres_server.url_with(password=wrong), "query": "SELECT 1"})
    assert result.status == "error"
    message = result.message or ""
    assert "password authentication failed" in message
    assert "\n" not in message
    assert wrong not in result.model_dump_json()


def test_postgres_unreachable_and_read_only(postgres_url: str, pg_table: str) -> None:
    port = free_port()
    down = run(
        {
            "kind": "sql",
            "url": f"postgresql+psycopg://golive:pw-123456@127.0.0.1:{port}/golive",
            "query": "SELECT 1",
        }
    )
    assert down.status == "error"
    assert (down.message or "").startswith(
        f"cannot connect to postgresql+psycopg://golive@127.0.0.1:{port}/golive"
    )
    assert "pw-123456" not in down.model_dump_json()

    write = run({"kind": "sql", "url": postgres_url, "query": f"DELETE FROM {pg_table}"})
    assert write.status == "error"
    assert "read-only" in (write.message or "")
    count = run(
        {
            "kind": "sql",
            "url": postgres_url,
            "query": f"SELECT count(*) FROM {pg_table}",
            "expect": "value == 2",
        }
    )
    assert count.status == "passed", count.summary


# -- metric on Prometheus ---------------------------------------------------------------------


def metric(url: str, query: str, *expect: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "metric", "url": url, "query": query, "expect": list(expect), **extra}


def test_metric_value_against_a_threshold(prometheus_server: PrometheusServer) -> None:
    name = unique("golive_error_ratio")
    gauge = prometheus_server.exporter.gauge(name, labels=("service",))
    gauge.labels(service="checkout").set(0.004)
    prometheus_server.wait_for(name, lambda v: v == 0.004)
    ok = run(metric(prometheus_server.url, name, "value < 0.01"))
    assert ok.status == "passed", ok.summary
    assert ok.observed["value"] == 0.004
    assert ok.observed["samples"] == 1
    assert ok.observed["labels"]["service"] == "checkout"
    assert ok.observed["labels"]["job"] == "golive-test"
    assert ok.observed["baseline"] is None

    gauge.labels(service="checkout").set(0.05)
    prometheus_server.wait_for(name, lambda v: v == 0.05)
    bad = run(metric(prometheus_server.url, name, "value < 0.01"))
    assert bad.status == "failed"
    assert bad.summary == "value (0.05) < 0.01"


def test_metric_ratio_to_a_baseline_query(prometheus_server: PrometheusServer) -> None:
    name = unique("golive_errors_rate")
    gauge = prometheus_server.exporter.gauge(name, labels=("version",))
    gauge.labels(version="stable").set(0.01)
    gauge.labels(version="canary").set(0.08)
    prometheus_server.wait_for(f'{name}{{version="stable"}}', lambda v: v == 0.01)
    prometheus_server.wait_for(f'{name}{{version="canary"}}', lambda v: v == 0.08)
    check = metric(
        prometheus_server.url,
        f'{name}{{version="canary"}}',
        "ratio < 5",  # healthy unless the canary errs more than 5x the stable version
        baseline={"query": f'{name}{{version="stable"}}'},
    )
    breached = run(check)
    assert breached.status == "failed"
    assert breached.observed["baseline"] == 0.01
    assert breached.observed["ratio"] == pytest.approx(8.0)

    gauge.labels(version="canary").set(0.02)
    prometheus_server.wait_for(f'{name}{{version="canary"}}', lambda v: v == 0.02)
    healthy = run(check)
    assert healthy.status == "passed", healthy.summary
    assert healthy.observed["ratio"] == pytest.approx(2.0)


def test_metric_baseline_offset_uses_the_past_value(prometheus_server: PrometheusServer) -> None:
    name = unique("golive_latency")
    gauge = prometheus_server.exporter.gauge(name)
    gauge.set(1)
    set_at = time.time()
    first = prometheus_server.wait_for_scrape(after=set_at)  # a scrape that read 1
    second = prometheus_server.wait_for_scrape(after=first)  # and the next one
    gauge.set(10)
    prometheus_server.wait_for(name, lambda v: v == 10)
    # halfway between two scrapes of 1: half a scrape interval of margin either side
    offset_ms = int((time.time() - (first + second) / 2) * 1000)
    result = run(metric(prometheus_server.url, name, "ratio > 5", baseline={"offset": f"{offset_ms}ms"}))
    assert result.status == "passed", result.summary
    assert result.observed["value"] == 10
    assert result.observed["baseline"] == 1
    assert "earlier" in result.evidence


def test_metric_empty_result_is_an_error_never_a_pass(prometheus_server: PrometheusServer) -> None:
    result = run(metric(prometheus_server.url, unique("golive_never_exported"), "value < 0.01"))
    assert result.status == "error"
    assert "no data" in (result.message or "")
    # a condition that would hold for any number still cannot pass without data
    vacuous = run(metric(prometheus_server.url, "absent_metric_xyz > 1", "true"))
    assert vacuous.status == "error"


@pytest.mark.parametrize(("raw", "label"), [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "ninf")])
def test_metric_nan_and_infinite_values_are_errors(
    prometheus_server: PrometheusServer, raw: float, label: str
) -> None:
    name = unique(f"golive_odd_{label}")
    prometheus_server.exporter.gauge(name).set(raw)
    prometheus_server.wait_for(name, lambda v: math.isnan(v) if math.isnan(raw) else v == raw)
    result = run(metric(prometheus_server.url, name, "value < 0.01"))
    assert result.status == "error"
    assert "value is NaN/Inf" in (result.message or "")


def test_metric_several_series_need_an_aggregate(prometheus_server: PrometheusServer) -> None:
    name = unique("golive_queue_depth")
    gauge = prometheus_server.exporter.gauge(name, labels=("queue",))
    for queue, depth in (("a", 1), ("b", 5), ("c", 3)):
        gauge.labels(queue=queue).set(depth)
    prometheus_server.wait_for(f"count({name})", lambda v: v == 3)
    many = run(metric(prometheus_server.url, name, "value < 100"))
    assert many.status == "error"
    assert "3 series" in (many.message or "")
    for aggregate, expected in (("sum", 9), ("max", 5), ("min", 1), ("avg", 3)):
        result = run(metric(prometheus_server.url, name, "value < 100", aggregate=aggregate))
        assert result.status == "passed", result.summary
        assert result.observed["value"] == expected
        assert result.observed["samples"] == 3


def test_metric_bad_query_and_zero_baseline_are_errors(prometheus_server: PrometheusServer) -> None:
    bad = run(metric(prometheus_server.url, "sum(rate(", "value < 1"))
    assert bad.status == "error"
    assert "bad_data" in (bad.message or "")

    name = unique("golive_zero")
    prometheus_server.exporter.gauge(name).set(0)
    prometheus_server.wait_for(name, lambda v: v == 0)
    zero = run(metric(prometheus_server.url, "vector(1)", "ratio < 2", baseline={"query": name}))
    assert zero.status == "error"
    assert "baseline is 0" in (zero.message or "")

    missing = run(
        metric(prometheus_server.url, "vector(1)", "ratio < 2", baseline={"query": unique("golive_none")})
    )
    assert missing.status == "error"
    assert (missing.message or "").startswith("no data: the baseline")

    matrix = run(metric(prometheus_server.url, "up[1m]", "value == 1.0"))
    assert matrix.status == "error"
    assert "matrix result" in (matrix.message or "")

    scalar = run(metric(prometheus_server.url, "scalar(vector(0.5))", "value == 0.5"))
    assert scalar.status == "passed", scalar.summary


def test_metric_prometheus_down_is_an_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(metric(url, "up", "value == 1"))
    assert result.status == "error"
    assert (result.message or "").startswith(f"cannot reach {url}/api/v1/query")


def test_metric_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="metric checks need 'expect'"):
        prepare_check({"kind": "metric", "url": "http://127.0.0.1:9090", "query": "up"}, source="t.md:9")
    with pytest.raises(CheckSpecError, match="need 'query'"):
        prepare_check({"kind": "metric", "url": "http://127.0.0.1:9090", "expect": "value > 0"}, source="t")
    with pytest.raises(CheckSpecError, match="exactly one of"):
        prepare_check(
            metric("http://p:9090", "up", "ratio < 2", baseline={"offset": "1h", "query": "up"}), source="t"
        )
    with pytest.raises(CheckSpecError, match="need 'path'"):
        prepare_check(
            {"kind": "metric", "source": "http_json", "url": "http://x/", "expect": "value > 0"}, source="t"
        )
    with pytest.raises(CheckSpecError, match="does not observe"):
        prepare_check(metric("http://p:9090", "up", "vaule > 0"), source="t")


# -- metric on a JSON endpoint ----------------------------------------------------------------


def with_json_server(body: Callable[[str], Awaitable[Any]]) -> Any:
    """Run ``body(base_url)`` while a small aiohttp server answers on 127.0.0.1."""
    from aiohttp import web

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(
            {"queue": {"depth": 42, "workers": [3, 9, 4]}, "ratio": "0.25", "broken": None}
        )

    async def nan(_request: web.Request) -> web.Response:
        return web.Response(text='{"value": NaN}', content_type="application/json")

    async def boom(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="internal error")

    async def main() -> Any:
        app = web.Application()
        app.router.add_get("/stats", stats)
        app.router.add_get("/nan", nan)
        app.router.add_get("/boom", boom)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            return await body(f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()

    return asyncio.run(main())


async def run_async(check: dict[str, Any]) -> CheckResult:
    [result] = await run_checks([prepare_check(check, source="test.md:1")], CheckContext(env={}))
    return result


def test_metric_http_json_source() -> None:
    def check(url: str, path: str, *expect: str, **extra: Any) -> dict[str, Any]:
        return {
            "kind": "metric",
            "source": "http_json",
            "url": url,
            "path": path,
            "expect": list(expect),
            **extra,
        }

    async def body(base: str) -> None:
        ok = await run_async(check(f"{base}/stats", "queue.depth", "value < 100"))
        assert ok.status == "passed", ok.summary
        assert ok.observed["value"] == 42
        failing = await run_async(check(f"{base}/stats", "queue.depth", "value < 10"))
        assert failing.status == "failed"
        numeric_string = await run_async(check(f"{base}/stats", "ratio", "value == 0.25"))
        assert numeric_string.status == "passed", numeric_string.summary
        indexed = await run_async(check(f"{base}/stats", "queue.workers.1", "value == 9.0"))
        assert indexed.status == "passed", indexed.summary
        listed = await run_async(check(f"{base}/stats", "queue.workers", "value == 9.0", aggregate="max"))
        assert listed.status == "passed", listed.summary
        assert listed.observed["samples"] == 3

        errors = {
            "missing path": check(f"{base}/stats", "queue.length", "value < 10"),
            "null": check(f"{base}/stats", "broken", "value < 10"),
            "list without aggregate": check(f"{base}/stats", "queue.workers", "value < 10"),
            "NaN": check(f"{base}/nan", "value", "value < 10"),
            "HTTP 500": check(f"{base}/boom", "value", "value < 10"),
            "not found": check(f"{base}/nothing", "value", "value < 10"),
        }
        for what, spec in errors.items():
            result = await run_async(spec)
            assert result.status == "error", (what, result.summary)
        nan = await run_async(errors["NaN"])
        assert "NaN/Inf" in (nan.message or "")
        boom = await run_async(errors["HTTP 500"])
        assert (boom.message or "").startswith("HTTP 500")

        # the release's values fill placeholders in the URL (rehearsals: the stand-in's port)
        port = base.rsplit(":", 1)[1]
        templated = prepare_check(
            check("http://127.0.0.1:{target_port}/stats", "queue.depth", "value < 100"), source="t"
        )
        [filled] = await run_checks([templated], CheckContext(env={}, values={"target_port": port}))
        assert filled.status == "passed", filled.summary
        [unfilled] = await run_checks([templated], CheckContext(env={}))
        assert unfilled.status == "error" and "{target_port}" in (unfilled.message or "")

    with_json_server(body)


# -- the fixtures' own rule -------------------------------------------------------------------


def test_require_fails_under_ci_and_skips_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import services

    monkeypatch.setitem(services._FINDERS, "prometheus", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: prometheus is not installed"):
        services.require("prometheus")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"setup-system\.sh"):
        services.require("prometheus")
