"""Event-store write throughput and `golive status` time, each beside a baseline
measured in the same run.

1. Events written per second, one event per transaction (what every user action
   does) and in batches, on SQLite and PostgreSQL, against INSERTs of rows with
   the same columns into a plain table over the same engine (same durability
   settings: SQLite WAL + synchronous=FULL + BEGIN IMMEDIATE), without golive's
   head read/lock, head update, JSON encoding and hashing; and against the same
   INSERTs through the bare DB-API driver.
2. `golive status` on a release of seed 004's size (561 items) with 10,000
   events: ``ReleaseService.status`` in-process (first call and median), and the
   ``golive status RELEASE --db URL --json`` subprocess beside ``python -c pass``.
   Goal: under 100 ms in-process. Slower: a cProfile summary says where the time goes.

PostgreSQL is started the way the tests start it (tests/services.py: initdb on a
free port in a temporary directory, fsync=off and synchronous_commit=off, so its
numbers are not durable-commit numbers; the ratio is what to read).

    python benchmarks/bench_events.py [--events N] [--status-events N] [--rounds N] [--no-postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from golive.config import Config  # noqa: E402
from golive.release.service import ReleaseService  # noqa: E402
from golive.store.events import EventStore  # noqa: E402

SEED_004 = ROOT / "golive" / "data" / "seeds" / "004_0770cc43126af0bc.txt"
GOAL_MS = 100.0


# -- PostgreSQL, started like tests/services.py does ------------------------------------------


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    """The URL of a private PostgreSQL (None, with a printed note, when it cannot start)."""
    try:
        from tests import services
    except ImportError as exc:
        print(f"note: PostgreSQL skipped: cannot import tests/services.py ({exc})")
        yield None
        return
    start = getattr(services, "start_postgres", None) or getattr(services, "_start_postgres", None)
    stop = getattr(services, "stop_postgres", None) or getattr(services, "_stop_postgres", None)
    find = getattr(services, "postgres_bindir", None) or getattr(services, "_postgres_bindir", None)
    if not (callable(start) and callable(stop) and callable(find)):
        print("note: PostgreSQL skipped: tests/services.py exposes no start/stop helpers")
        yield None
        return
    bindir = find()
    if bindir is None:
        print("note: PostgreSQL skipped: not installed (scripts/setup-system.sh installs it)")
        yield None
        return
    try:
        server = start(bindir)
    except (Exception, BaseException) as exc:  # pytest.fail/skip raise BaseException subclasses
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        print(f"note: PostgreSQL skipped: it did not start ({exc})")
        yield None
        return
    try:
        print(f"PostgreSQL {bindir.parent.name} started in {server.started_in:.1f} s (fsync=off)")
        yield str(server.url)
    finally:
        stop(server)


# -- 1. write throughput ------------------------------------------------------------------------


def _new_release(store: EventStore) -> str:
    store.put_snapshot("0" * 64, "bench", "", "{}")
    return store.create_release(
        service="bench",
        version="1",
        env="bench",
        launch_at=datetime.now(UTC),
        launch_tz="UTC",
        created_by="bench",
        snapshot="0" * 64,
    )


def _payload(i: int) -> dict[str, Any]:
    return {"item": f"phase-2.item-{i % 561}", "note": "done by the book", "n": i}


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _golive_single(store: EventStore, count: int) -> float:
    rid = _new_release(store)
    started = time.perf_counter()
    for i in range(count):
        store.append(rid, "item.done", "bench", _payload(i))
    return _rate(count, time.perf_counter() - started)


def _golive_batched(store: EventStore, count: int, batch: int) -> float:
    rid = _new_release(store)
    started = time.perf_counter()
    for first in range(0, count, batch):
        store.append_many(
            rid, [("item.done", "bench", _payload(i)) for i in range(first, min(first + batch, count))]
        )
    return _rate(count, time.perf_counter() - started)


def _raw_table(engine: Any) -> Any:
    """A table with the events table's columns and key, not golive's."""
    from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

    meta = MetaData()
    table = Table(
        "bench_raw_events",
        meta,
        Column("release_id", String(40), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("id", BigInteger, nullable=True),
        Column("type", String(64), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("data", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )
    meta.drop_all(engine)
    meta.create_all(engine)
    return table


def _row(rid: str, i: int) -> dict[str, Any]:
    return {
        "release_id": rid,
        "seq": i + 1,
        "type": "item.done",
        "actor": "bench",
        "at": datetime.now(UTC),
        "data": '{"item":"phase-2.item-1","n":1,"note":"done by the book"}',
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }


def _baseline_single(store: EventStore, count: int) -> float:
    table = _raw_table(store.engine)
    started = time.perf_counter()
    for i in range(count):
        with store.engine.begin() as conn:
            conn.execute(table.insert(), [_row("single", i)])
    return _rate(count, time.perf_counter() - started)


def _baseline_batched(store: EventStore, count: int, batch: int) -> float:
    table = _raw_table(store.engine)
    started = time.perf_counter()
    for first in range(0, count, batch):
        with store.engine.begin() as conn:
            conn.execute(
                table.insert(), [_row("batched", i) for i in range(first, min(first + batch, count))]
            )
    return _rate(count, time.perf_counter() - started)


def _dbapi_single(url: str, count: int) -> float:
    """The same INSERT per transaction through sqlite3 / psycopg directly."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    sql = (
        "INSERT INTO bench_raw_events (release_id, seq, type, actor, at, data, prev_hash, hash) "
        "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
    )
    rows = [tuple(_row("dbapi", i).values()) for i in range(count)]
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        lite = sqlite3.connect(parsed.database or "", isolation_level=None, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            lite.execute(f"PRAGMA {pragma}")
        statement = sql.format(p="?")
        rows = [(*r[:4], r[4].isoformat(), *r[5:]) for r in rows]
        started = time.perf_counter()
        for row in rows:
            lite.execute("BEGIN IMMEDIATE")
            lite.execute(statement, row)
            lite.execute("COMMIT")
        elapsed = time.perf_counter() - started
        lite.close()
        return _rate(count, elapsed)
    import psycopg

    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        statement = sql.format(p="%s")
        started = time.perf_counter()
        for row in rows:
            with conn.transaction():
                conn.execute(statement, row)
        return _rate(count, time.perf_counter() - started)


def bench_writes(name: str, url: str, count: int, batch: int) -> None:
    store = EventStore.open(url)
    try:
        # warm up the pool, the statement caches and the file
        _golive_single(store, 20)
        _baseline_single(store, 20)
        single = _golive_single(store, count)
        base_single = _baseline_single(store, count)
        dbapi = _dbapi_single(url, count)
        batched = _golive_batched(store, count * 5, batch)
        base_batched = _baseline_batched(store, count * 5, batch)
    finally:
        store.close()
    print(f"\n{name}: events written per second")
    print(f"  one event per transaction ({count} events)")
    print(f"    golive append              : {single:9.0f} /s")
    print(f"    baseline SQLAlchemy INSERT : {base_single:9.0f} /s   golive = {single / base_single:.2f}x")
    print(f"    baseline DB-API INSERT     : {dbapi:9.0f} /s   golive = {single / dbapi:.2f}x")
    print(f"  batches of {batch} ({count * 5} events)")
    print(f"    golive append_many         : {batched:9.0f} /s")
    print(f"    baseline SQLAlchemy INSERT : {base_batched:9.0f} /s   golive = {batched / base_batched:.2f}x")


# -- 2. golive status ---------------------------------------------------------------------------


def _status_release(url: str, events: int, seed: int = 4) -> str:
    """A release of seed 004 with ``events`` events of the kinds a real release has."""
    rng = random.Random(seed)
    store = EventStore.open(url)
    try:
        service = ReleaseService(store, Config())
        launch = datetime.now(UTC) + timedelta(days=3)
        rid = service.start(
            SEED_004,
            service="payments",
            version="4.0",
            env="production",
            launch=launch,
            tz="UTC",
            actor="alice",
        )
        _release, state = service.load(rid)
        items = [i.id for i in state.runbook.all_items()]
        roles = [r.name for r in state.runbook.roles] or ["QA Lead"]
        people = [f"person{i}" for i in range(12)]
        entries: list[tuple[str, str, dict[str, Any]]] = []
        for role in roles:
            entries.append(("role.assigned", "alice", {"role": role, "person": rng.choice(people)}))
        while len(entries) < events - 1:
            who, item, pick = rng.choice(people), rng.choice(items), rng.random()
            if pick < 0.30:
                entries.append((rng.choice(("item.started", "item.done", "item.done")), who, {"item": item}))
            elif pick < 0.35:
                entries.append(("item.failed", who, {"item": item, "reason": "smoke test red"}))
            elif pick < 0.40:
                entries.append(("item.reopened", who, {"item": item, "reason": "rerun"}))
            elif pick < 0.65:
                status = rng.choice(("passed", "passed", "passed", "failed", "error"))
                entries.append(
                    (
                        "check.recorded",
                        "golive",
                        {
                            "item": item,
                            "name": f"http:{item}",
                            "kind": "http",
                            "status": status,
                            "summary": "status (200) == 200" if status == "passed" else "status (503) == 200",
                            "observed": {"status": 200 if status == "passed" else 503, "elapsed_ms": 41},
                            "evidence": "HTTP/1.1 200 OK\ncontent-type: application/json\n" * 4,
                            "duration_ms": 41,
                            "attempts": 1,
                        },
                    )
                )
            elif pick < 0.85:
                text = "looks good; see the dashboard " * rng.randint(1, 4)
                entries.append(("item.commented", who, {"item": item, "text": text}))
            elif pick < 0.90:
                entries.append(("item.commented", who, {"text": "status update: on track"}))
            elif pick < 0.95:
                entries.append(
                    (
                        "evidence.attached",
                        who,
                        {"item": item, "url": f"https://ci.example.com/run/{rng.randrange(10**6)}"},
                    )
                )
            elif pick < 0.98:
                role = rng.choice(roles)
                entries.append(("role.assigned", "alice", {"role": role, "person": rng.choice(people)}))
            else:
                entries.append(
                    ("role.unassigned", "alice", {"role": rng.choice(roles), "person": rng.choice(people)})
                )
        for first in range(0, len(entries), 500):
            store.append_many(rid, entries[first : first + 500])
        assert store.get_release(rid).head_seq == events
        return rid
    finally:
        store.close()


def _median_ms(func: Callable[[], Any], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def _subprocess_ms(cmd: list[str], rounds: int, cwd: Path) -> tuple[float, float]:
    env = dict(os.environ)
    env.pop("GOLIVE_DATABASE_URL", None)

    def run() -> None:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=env)

    run()  # warm the OS caches
    return _median_ms(run, rounds)


def bench_status(name: str, url: str, events: int, rounds: int, workdir: Path) -> float:
    rid = _status_release(url, events)
    store = EventStore.open(url)
    try:
        service = ReleaseService(store, Config())
        from golive.release import service as service_module

        service_module._runbook_from_json.cache_clear()
        started = time.perf_counter()
        report = service.status(rid)
        first = (time.perf_counter() - started) * 1000
        median, best = _median_ms(lambda: service.status(rid), rounds)
        # where it goes: reading the events, folding them, the rest of status
        read, _ = _median_ms(lambda: store.events(rid), rounds)
        load, _ = _median_ms(lambda: service.load(rid), rounds)
        phases = len(report.phases)
    finally:
        store.close()
    print(f"\n{name}: golive status, seed 004 ({phases} phases) with {events} events")
    goal = f"goal < {GOAL_MS:.0f} ms"
    print(f"  in-process ReleaseService.status : {median:7.1f} ms median ({best:.1f} best)   {goal}")
    print(f"    first call (runbook not cached) : {first:7.1f} ms")
    print(f"    of which store.events()         : {read:7.1f} ms")
    print(f"    of which load() (events + fold) : {load:7.1f} ms")
    cli = [sys.executable, "-m", "golive", "status", rid, "--db", url, "--json"]
    sub, sub_best = _subprocess_ms(cli, max(3, rounds // 2), workdir)
    bare, bare_best = _subprocess_ms([sys.executable, "-c", "pass"], max(3, rounds // 2), workdir)
    print(f"  golive status --json subprocess  : {sub:7.1f} ms median ({sub_best:.1f} best)")
    print(f"  python -c pass (baseline)        : {bare:7.1f} ms median ({bare_best:.1f} best)")
    print(f"  subprocess - start-up baseline   : {sub - bare:7.1f} ms   ratio {sub / bare:.1f}x")
    return median


def profile_status(url: str, events: int) -> None:
    rid = _status_release(url, events, seed=5)
    store = EventStore.open(url)
    try:
        service = ReleaseService(store, Config())
        service.status(rid)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            service.status(rid)
        profiler.disable()
    finally:
        store.close()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(18)
        print(f"\ncProfile of 3 status calls, by {order}:")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per write measurement")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--status-events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile status even when under the goal")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="golive-bench-") as tmp:
        workdir = Path(tmp)
        sqlite = f"sqlite:///{workdir / 'writes.db'}"
        bench_writes("SQLite (WAL, synchronous=FULL)", sqlite, args.events, args.batch)
        status_url = f"sqlite:///{workdir / 'status.db'}"
        slowest = bench_status("SQLite", status_url, args.status_events, args.rounds, workdir)
        if not args.no_postgres:
            with postgres() as pg:
                if pg is not None:
                    bench_writes("PostgreSQL (fsync=off)", pg, args.events, args.batch)
                    slowest = max(
                        slowest, bench_status("PostgreSQL", pg, args.status_events, args.rounds, workdir)
                    )
        if slowest > GOAL_MS or args.profile:
            print(f"\nstatus takes {slowest:.0f} ms in-process (goal {GOAL_MS:.0f} ms): where the time goes")
            profile_status(f"sqlite:///{workdir / 'profile.db'}", args.status_events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
