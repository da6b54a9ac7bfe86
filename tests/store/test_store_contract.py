"""The event store's contract, the same on SQLite and PostgreSQL.

1. Contract: appends come back in order with seq 1..n and a hash chain that
   verifies; ``expect_seq`` conflicts and failed batches write nothing; unknown
   releases are NotFoundError; snapshots are idempotent; migrations are
   repeatable and agree with ``golive/store/schema.py``.
2. Concurrency: writer threads and writer processes on one release never lose,
   duplicate or reorder an event, and read-modify-write writers using
   ``expect_seq`` never lose an update; two racing sign-offs by one person give
   exactly one ``signoff.given``.
3. Tamper evidence: any single edit, deletion, insertion or swap made directly
   in the database is reported by ``verify`` (and ``golive audit verify``) at
   the first affected event (a property test over random tamperings).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, inspect, select, text, update

from golive.config import Config
from golive.errors import GoliveError, NotFoundError
from golive.release.service import ActionError, ReleaseService
from golive.store.db import migrate
from golive.store.events import ConflictError, Event, EventStore, event_hash, genesis
from golive.store.migrations import HEAD
from golive.store.schema import events as events_table
from golive.store.schema import metadata
from golive.store.schema import releases as releases_table
from golive.store.schema import snapshots as snapshots_table
from tests.store.conftest import SNAPSHOT

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
NewRelease = Callable[..., str]


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("GOLIVE_DATABASE_URL", "GOLIVE_CONFIG", "GOLIVE_NOW", "GOLIVE_ACTOR", "GOLIVE_AUDIT_KEY"):
        env.pop(name, None)
    return env


def _seqs(store: EventStore, rid: str) -> list[int]:
    return [e.seq for e in store.events(rid)]


# ==================================================================================
# 1. contract
# ==================================================================================


def test_appended_events_come_back_in_order_with_a_chain_that_verifies(
    store: EventStore, new_release: NewRelease
) -> None:
    rid = new_release()
    base = datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    written: list[Event] = []
    for i in range(12):
        written.append(
            store.append(
                rid,
                f"test.kind{i % 3}",
                f"actor-{i % 4}",
                {"i": i, "text": "héllo ✓ \u0000 end", "nested": {"list": [1, 2.5, None, True]}},
                at=base + timedelta(seconds=i, microseconds=i),
            )
        )
    got = store.events(rid)
    assert [e.seq for e in got] == list(range(1, 13))
    assert got == written  # what append returned is what is stored, to the microsecond
    assert got[0].prev_hash == genesis(rid)
    for before, after in itertools.pairwise(got):
        assert after.prev_hash == before.hash
    assert [e.seq for e in store.events(rid, after=7)] == [8, 9, 10, 11, 12]
    head = store.get_release(rid)
    assert (head.head_seq, head.head_hash) == (12, got[-1].hash)
    report = store.verify(rid)
    assert (report.ok, report.events, report.bad_seq) == (True, 12, None)


def test_times_are_stored_as_utc_and_other_values_as_text(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    plus_two = timezone(timedelta(hours=2))
    local = store.append(
        rid,
        "t",
        "a",
        {"when": datetime(2030, 1, 1, tzinfo=UTC)},
        at=datetime(2030, 1, 1, 14, 0, tzinfo=plus_two),
    )
    naive = store.append(rid, "t", "a", {"amount": Decimal("1.10")}, at=datetime(2030, 1, 1, 12, 0, 1))
    stored = store.events(rid)
    assert stored[0].at == datetime(2030, 1, 1, 12, 0, tzinfo=UTC) and stored[0].at.utcoffset() == timedelta(
        0
    )
    assert stored[1].at == datetime(2030, 1, 1, 12, 0, 1, tzinfo=UTC)
    assert stored[0].data == {"when": "2030-01-01 00:00:00+00:00"}
    assert stored[1].data == {"amount": "1.10"}
    assert stored == [local, naive]
    assert store.verify(rid).ok


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_times_come_back_in_utc_whatever_the_session_time_zone(db_url: str) -> None:
    """A PostgreSQL server (or PGTZ, or the URL) may set a local TimeZone for the session."""
    store = EventStore.open(db_url + "?options=-c%20timezone%3DAsia/Kolkata")
    try:
        store.put_snapshot("0" * 64, "t", "", "{}")
        rid = store.create_release(
            service="tz",
            version="1",
            env="test",
            launch_at=LAUNCH,
            launch_tz="UTC",
            created_by="alice",
            snapshot="0" * 64,
        )
        store.append(rid, "t", "a", {}, at=datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
        assert store.get_release(rid).launch_at.utcoffset() == timedelta(0)
        [event] = store.events(rid)
        assert event.at == datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
        assert event.at.utcoffset() == timedelta(0), event.at
    finally:
        store.close()


def test_create_release_with_a_first_event(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release(first_event=("release.started", {"service": "contract"}))
    [first] = store.events(rid)
    assert (first.seq, first.type, first.actor, first.data) == (
        1,
        "release.started",
        "alice",
        {"service": "contract", "audit_mode": "plain"},  # the store records the chain's mode
    )
    assert store.get_release(rid).head_seq == 1
    assert store.verify(rid).ok
    assert [r.id for r in store.list_releases()] == [rid]


def test_expect_seq_conflict_raises_and_writes_nothing(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    assert store.append(rid, "t", "a", {"n": 1}, expect_seq=0).seq == 1
    store.append(rid, "t", "a", {"n": 2})
    store.append(rid, "t", "a", {"n": 3})
    before = store.events(rid)
    head = store.get_release(rid)
    for stale in (0, 2, 4, 99):
        with pytest.raises(ConflictError):
            store.append(rid, "t", "b", {"n": "stale"}, expect_seq=stale)
        with pytest.raises(ConflictError):
            store.append_many(rid, [("t", "b", {"n": "x"}), ("t", "b", {"n": "y"})], expect_seq=stale)
    assert store.events(rid) == before
    assert store.get_release(rid) == head
    assert store.append(rid, "t", "a", {"n": 4}, expect_seq=3).seq == 4
    assert store.verify(rid).ok


def test_append_many_is_one_atomic_batch(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    store.append(rid, "t", "a", {"n": 0})
    batch = store.append_many(rid, [("t", "a", {"n": i}) for i in range(1, 6)], expect_seq=1)
    assert [e.seq for e in batch] == [2, 3, 4, 5, 6]
    assert len({e.at for e in batch}) == 1
    assert store.events(rid)[1:] == batch
    assert store.get_release(rid).head_seq == 6


def test_an_empty_batch_appends_nothing(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    store.append(rid, "t", "a", {"n": 0})
    for expect in (None, 1):
        try:
            assert store.append_many(rid, [], expect_seq=expect) == []
        except GoliveError as exc:  # refusing it is fine too, but not as a conflict
            assert not isinstance(exc, ConflictError), exc
    assert _seqs(store, rid) == [1]


def test_a_batch_that_fails_half_way_writes_nothing(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    store.append(rid, "t", "a", {"n": 0})
    before = store.events(rid)
    head = store.get_release(rid)
    # the third row breaks a NOT NULL constraint inside the database, after two rows went in
    bad: list[tuple[str, Any, dict[str, Any]]] = [
        ("t", "a", {"n": 1}),
        ("t", "a", {"n": 2}),
        ("t", None, {"n": 3}),
    ]
    # the contract is only "nothing written" (which error golive raises: see the report)
    with pytest.raises(Exception) as caught:
        store.append_many(rid, bad)
    assert not isinstance(caught.value, AssertionError)
    with pytest.raises(Exception) as caught:
        store.append_many(rid, bad, expect_seq=1)
    # a value that cannot be encoded, found half-way through the batch
    circular: dict[str, Any] = {}
    circular["self"] = circular
    with pytest.raises(ValueError, match=r"[Cc]ircular"):
        store.append_many(rid, [("t", "a", {"n": 1}), ("t", "a", circular)])
    assert store.events(rid) == before
    assert store.get_release(rid) == head
    assert store.append(rid, "t", "a", {"n": 1}).seq == 2
    assert store.verify(rid).ok


def test_unknown_release_is_not_found(store: EventStore, new_release: NewRelease) -> None:
    new_release()
    for call in (
        lambda: store.get_release("no-such-release"),
        lambda: store.append("no-such-release", "t", "a", {}),
        lambda: store.append("no-such-release", "t", "a", {}, expect_seq=0),
        lambda: store.append_many("no-such-release", [("t", "a", {}), ("t", "a", {})]),
        lambda: store.verify("no-such-release"),
        lambda: store.get_snapshot("f" * 64),
    ):
        with pytest.raises(NotFoundError):
            call()
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar_one() == 0


def test_over_long_names_are_handled_alike_on_both_databases(
    store: EventStore, new_release: NewRelease, backend: str, request: pytest.FixtureRequest
) -> None:
    """An actor or type longer than its column (``--as`` is free text): stored as given, or
    refused with a golive error, the same way on SQLite and PostgreSQL (SQLite stores it)."""
    rid = new_release()
    for type_, actor in (("t" * 65, "bob"), ("t", "b" * 201)):
        try:
            event = store.append(rid, type_, actor, {})
        except GoliveError:
            continue
        stored = store.events(rid)[-1]
        assert (stored.type, stored.actor) == (type_, actor) == (event.type, event.actor)
    assert store.verify(rid).ok


def test_snapshots_are_idempotent(store: EventStore) -> None:
    digest = "a" * 64
    store.put_snapshot(digest, "first title", "# source", '{"model": 1}')
    store.put_snapshot(digest, "second title", "# other", '{"model": 2}')
    assert store.get_snapshot(digest) == ("first title", "# source", '{"model": 1}')
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(snapshots_table)).scalar_one() == 1


def test_a_snapshot_put_while_another_writer_inserts_it_succeeds(
    store: EventStore, backend: str, request: pytest.FixtureRequest
) -> None:
    """Two people start releases of the same runbook at the same moment: the second
    ``put_snapshot`` runs while the first one's insert is not committed yet."""
    digest = "b" * 64
    errors: list[BaseException] = []

    def second() -> None:
        try:
            store.put_snapshot(digest, "second", "s", "{}")
        except BaseException as exc:
            errors.append(exc)

    with store.engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(
            snapshots_table.insert().values(
                hash=digest, title="first", source="s", model="{}", created_at=datetime.now(UTC)
            )
        )
        thread = threading.Thread(target=second)
        thread.start()
        _wait_until_blocked(store, backend, thread)
        transaction.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == [], errors
    assert store.get_snapshot(digest)[0] == "first"


def _wait_until_blocked(store: EventStore, backend: str, thread: threading.Thread) -> None:
    """Until the thread waits for a lock held by the test (SQLite: BEGIN IMMEDIATE waits
    before reading anything, so a short pause is enough)."""
    if backend == "sqlite":
        thread.join(timeout=0.3)
        return
    deadline = time.monotonic() + 20
    with store.engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second writer never waited for the first one's insert")


def _alembic_version(store: EventStore) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def _describe(engine: Any) -> dict[str, Any]:
    inspector = inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = {
            "columns": [(c["name"], c["nullable"]) for c in inspector.get_columns(table)],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted((ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes(table)),
        }
    return out


def test_migrations_applied_again_change_nothing(
    store: EventStore, new_release: NewRelease, db_url: str
) -> None:
    rid = new_release()
    store.append_many(rid, [("t", "a", {"n": i}) for i in range(5)])
    shape = _describe(store.engine)
    assert _alembic_version(store) == [HEAD]
    migrate(store.engine)
    migrate(store.engine)
    again = EventStore.open(db_url)
    try:
        assert _describe(again.engine) == shape
        assert _alembic_version(again) == [HEAD]
        assert again.verify(rid).ok and again.verify(rid).events == 5
    finally:
        again.close()


def test_the_migration_and_schema_py_agree(store: EventStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    described = _describe(store.engine)
    assert set(described) == {*metadata.tables, "alembic_version"}
    for name, table in metadata.tables.items():
        found = described[name]
        assert [c for c, _ in found["columns"]] == [c.name for c in table.columns], name
        assert dict(found["columns"]) == {c.name: c.nullable for c in table.columns}, name
        assert found["pk"] == [c.name for c in table.primary_key.columns], name
        assert found["fks"] == sorted(
            (
                tuple(e.parent.name for e in fk.elements),
                fk.referred_table.name,
                tuple(e.column.name for e in fk.elements),
            )
            for fk in table.foreign_key_constraints
        ), name
        assert found["indexes"] == sorted(
            (ix.name, tuple(c.name for c in ix.columns)) for ix in table.indexes
        ), name
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


# ==================================================================================
# 2. concurrency
# ==================================================================================


def _run_threads(count: int, target: Callable[[int], Any]) -> list[BaseException]:
    """Run ``target(i)`` in ``count`` threads released together; the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(i)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), name=f"writer-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), f"{thread.name} did not finish"
    return errors


def _read_counter(store: EventStore, rid: str) -> tuple[int, int]:
    """The release's last seq and the value of its last counter event, from one read."""
    log = store.events(rid)
    seq = log[-1].seq if log else 0
    value = next((e.data["value"] for e in reversed(log) if e.type == "counter.incremented"), 0)
    return seq, value


def _increment(store: EventStore, rid: str, writer: str, k: int) -> int:
    """Read-modify-write: append the counter read + 1, only if nothing was appended since."""
    conflicts = 0
    while True:
        seq, value = _read_counter(store, rid)
        try:
            store.append(
                rid,
                "counter.incremented",
                writer,
                {"writer": writer, "k": k, "value": value + 1},
                expect_seq=seq,
            )
            return conflicts
        except ConflictError:
            conflicts += 1
            assert conflicts < 10_000, "read-modify-write writer starved"


def _check_log(store: EventStore, rid: str, writers: dict[str, str], per_writer: int) -> None:
    log = store.events(rid)
    total = len(writers) * per_writer
    assert [e.seq for e in log] == list(range(1, total + 1)), "gaps or duplicates in seq"
    report = store.verify(rid)
    assert report.ok, report
    assert store.get_release(rid).head_seq == total
    by_writer: dict[str, list[Event]] = {}
    for event in log:
        by_writer.setdefault(event.actor, []).append(event)
    assert sorted(by_writer) == sorted(writers)
    for writer, mine in by_writer.items():
        # every event of every writer is there once, in the writer's own order
        assert [e.data["k"] for e in mine] == list(range(per_writer)), writer
    counters = [e.data["value"] for e in log if e.type == "counter.incremented"]
    rmw = sum(1 for mode in writers.values() if mode == "rmw")
    assert counters == list(range(1, rmw * per_writer + 1)), "a read-modify-write update was lost"
    # a batch from one append_many is contiguous
    for event, following in itertools.pairwise(log):
        if event.data.get("batch_first"):
            assert (following.actor, following.data["k"]) == (event.actor, event.data["k"] + 1)


def _plain_writer(store: EventStore, rid: str, writer: str, count: int) -> None:
    k = 0
    while k < count:
        if k + 1 < count and k % 4 == 0:
            store.append_many(
                rid,
                [
                    ("note.added", writer, {"writer": writer, "k": k, "batch_first": True}),
                    ("note.added", writer, {"writer": writer, "k": k + 1}),
                ],
            )
            k += 2
        else:
            store.append(rid, "note.added", writer, {"writer": writer, "k": k})
            k += 1


def test_parallel_writer_threads_lose_nothing(store: EventStore, new_release: NewRelease) -> None:
    rid = new_release()
    writers = {f"w{i}": ("rmw" if i % 2 else "plain") for i in range(8)}
    names = sorted(writers)
    per_writer = 25

    def work(i: int) -> None:
        name = names[i]
        if writers[name] == "plain":
            _plain_writer(store, rid, name, per_writer)
        else:
            for k in range(per_writer):
                _increment(store, rid, name, k)

    errors = _run_threads(len(names), work)
    assert errors == [], errors
    _check_log(store, rid, writers, per_writer)


WRITER_SCRIPT = r"""
import json, sys
from golive.store.events import ConflictError, EventStore

url, rid, writer, count, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
store = EventStore.open(url, migrate=False)
conflicts = 0
try:
    print("ready", flush=True)
    sys.stdin.readline()
    k = 0
    while k < count:
        if mode == "plain":
            if k + 1 < count and k % 4 == 0:
                store.append_many(rid, [
                    ("note.added", writer, {"writer": writer, "k": k, "batch_first": True}),
                    ("note.added", writer, {"writer": writer, "k": k + 1}),
                ])
                k += 2
            else:
                store.append(rid, "note.added", writer, {"writer": writer, "k": k})
                k += 1
            continue
        while True:
            log = store.events(rid)
            seq = log[-1].seq if log else 0
            value = next((e.data["value"] for e in reversed(log) if e.type == "counter.incremented"), 0)
            try:
                store.append(rid, "counter.incremented", writer,
                             {"writer": writer, "k": k, "value": value + 1}, expect_seq=seq)
                break
            except ConflictError:
                conflicts += 1
        k += 1
finally:
    store.close()
print(json.dumps({"conflicts": conflicts}), flush=True)
"""


def test_parallel_writer_processes_lose_nothing(
    store: EventStore, new_release: NewRelease, db_url: str, tmp_path: Path
) -> None:
    rid = new_release()
    writers = {f"p{i}": ("rmw" if i % 2 else "plain") for i in range(4)}
    per_writer = 30
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, db_url, rid, name, str(per_writer), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=_subprocess_env(),
        )
        for name, mode in writers.items()
    }
    try:
        for name, proc in procs.items():
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", f"{name}: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        for proc in procs.values():  # released together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, f"{name} exited {proc.returncode}:\n{err}"
            json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    _check_log(store, rid, writers, per_writer)


def test_verify_while_events_are_appended_reports_no_tampering(
    store: EventStore, new_release: NewRelease, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = new_release()
    store.append_many(rid, [("t", "a", {"n": i}) for i in range(5)])
    other = EventStore.open(db_url, migrate=False)
    try:
        # 1. the interleaving, made certain: another writer commits right after the head is read
        real_get_release = store.get_release

        def get_release_then_someone_appends(release_id: str) -> Any:
            row = real_get_release(release_id)
            other.append(release_id, "t", "other", {"n": "between"})
            return row

        monkeypatch.setattr(store, "get_release", get_release_then_someone_appends)
        report = store.verify(rid)
        monkeypatch.undo()
        assert report.ok, report
        # 2. the same, left to chance: a writer thread and audits at the same time
        alarms: list[Any] = []
        done = threading.Event()

        def audit() -> None:
            while not done.is_set():
                found = store.verify(rid)
                if not found.ok:
                    alarms.append(found)

        auditor = threading.Thread(target=audit)
        auditor.start()
        try:
            for i in range(150):
                other.append(rid, "t", "other", {"n": i})
        finally:
            done.set()
            auditor.join(timeout=60)
        assert alarms == []
    finally:
        other.close()


SIGNOFF_RUNBOOK = """\
# Checkout go-live

## Preparation

- [ ] Back up the orders database
- [ ] Tell support the launch time

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |
| Product Owner | | |
"""


def test_racing_signoffs_by_one_person_record_exactly_one(store: EventStore, tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.md"
    runbook.write_text(SIGNOFF_RUNBOOK, encoding="utf-8")
    service = ReleaseService(store, Config())
    for _round in range(3):
        rid = service.start(
            runbook, service="checkout", version="1.0", env="prod", launch=LAUNCH, tz="UTC", actor="alice"
        )
        service.assign(rid, "QA Lead", "bob", actor="alice")
        service.assign(rid, "Product Owner", "carol", actor="alice")
        outcomes: list[str] = []
        lock = threading.Lock()
        racers = ["bob"] * 5 + ["carol"] * 2

        def sign(
            i: int,
            rid: str = rid,
            racers: list[str] = racers,
            outcomes: list[str] = outcomes,
            lock: Any = lock,
        ) -> None:
            who = racers[i]
            role = "QA Lead" if who == "bob" else "Product Owner"
            try:
                ReleaseService(store, Config()).signoff(rid, role, actor=who)
                result = f"{who}: signed"
            except ActionError as exc:
                assert "already signed off" in str(exc), exc
                result = f"{who}: refused"
            with lock:
                outcomes.append(result)

        errors = _run_threads(len(racers), sign)
        assert errors == [], errors
        assert Counter(outcomes) == {
            "bob: signed": 1,
            "bob: refused": 4,
            "carol: signed": 1,
            "carol: refused": 1,
        }
        given_ = [(e.actor, e.data["role"]) for e in store.events(rid) if e.type == "signoff.given"]
        assert sorted(given_) == [("bob", "QA Lead"), ("carol", "Product Owner")]
        assert store.verify(rid).ok


# ==================================================================================
# 3. tamper evidence
# ==================================================================================

KINDS = [
    "none",
    "edit_data",
    "edit_actor",
    "edit_type",
    "edit_at",
    "edit_hash",
    "edit_prev_hash",
    "delete",
    "delete_renumber",
    "insert",
    "swap_contents",
    "swap_rows",
]
TYPES = ["item.done", "item.started", "check.recorded", "item.commented", "role.assigned", "signoff.given"]
NAME = st.text(alphabet=string.ascii_letters + string.digits + "éß✓ .-", min_size=1, max_size=12)


@dataclass(frozen=True)
class Scenario:
    entries: tuple[tuple[str, str, str], ...]  # (type, actor, note) of events 1..n
    kind: str
    target: int  # the event edited / deleted / swapped (1..n)
    other: int  # the second event of a swap (!= target)
    insert_at: int  # the seq a forged event takes (1..n+1)
    replacement: str
    shift_us: int

    @property
    def n(self) -> int:
        return len(self.entries)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(5, 30))
    entries = tuple((draw(st.sampled_from(TYPES)), draw(NAME), draw(st.text(max_size=15))) for _ in range(n))
    target = draw(st.integers(1, n))
    return Scenario(
        entries=entries,
        kind=draw(st.sampled_from(KINDS)),
        target=target,
        other=draw(st.integers(1, n).filter(lambda x: x != target)),
        insert_at=draw(st.integers(1, n + 1)),
        replacement=draw(NAME),
        shift_us=draw(st.integers(1, 10**9)) * draw(st.sampled_from([1, -1])),
    )


def _build(store: EventStore, new_release: NewRelease, scenario: Scenario) -> str:
    rid = new_release()
    base = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    for i, (type_, actor, note) in enumerate(scenario.entries):
        # every event is distinct (its index is in its data), so every swap changes something
        store.append(
            rid, type_, actor, {"i": i, "note": note}, at=base + timedelta(seconds=i * 7, microseconds=i)
        )
    return rid


def _where(rid: str, seq: int) -> Any:
    return (events_table.c.release_id == rid) & (events_table.c.seq == seq)


def _row(conn: Any, rid: str, seq: int) -> Any:
    return conn.execute(select(events_table).where(_where(rid, seq))).one()


def _set(conn: Any, rid: str, seq: int, /, **values: Any) -> None:
    assert conn.execute(update(events_table).where(_where(rid, seq)).values(**values)).rowcount == 1


def _differs(old: str, new: str) -> str:
    return new if new != old else new + "x"


def tamper(store: EventStore, rid: str, s: Scenario) -> tuple[int, int] | None:
    """Apply the scenario's tampering directly in the database, as an attacker with
    write access but without the chain's secrets would. Returns the range the first
    reported seq must fall in (None: untampered)."""
    k, n = s.target, s.n
    with store.engine.begin() as conn:
        if s.kind == "none":
            return None
        if s.kind.startswith("edit_"):
            row = _row(conn, rid, k)
            field = s.kind.removeprefix("edit_")
            if field == "at":
                new: Any = row.at + timedelta(microseconds=s.shift_us)
            elif field == "data":
                new = _differs(row.data, json.dumps({"i": k - 1, "note": s.replacement}, ensure_ascii=False))
            elif field in ("hash", "prev_hash"):
                new = _differs(getattr(row, field), event_hash(rid, k, "x", s.replacement, row.at, "{}", "0"))
            else:
                new = _differs(getattr(row, field), s.replacement)
            _set(conn, rid, k, **{field: new})
            return k, k
        if s.kind in ("delete", "delete_renumber"):
            conn.execute(delete(events_table).where(_where(rid, k)))
            if s.kind == "delete_renumber":  # close the gap, so the seqs look right
                for seq in range(k + 1, n + 1):
                    _set(conn, rid, seq, seq=seq - 1)
            return k, k
        if s.kind == "insert":
            p = s.insert_at
            for seq in range(n, p - 1, -1):  # one row at a time: the key is checked per row
                _set(conn, rid, seq, seq=seq + 1)
            if p == 1:
                prev, at = genesis(rid), datetime(2030, 1, 1, 7, 59, tzinfo=UTC)
            else:
                before = _row(conn, rid, p - 1)
                prev, at = before.hash, before.at
            data = json.dumps({"item": "forged", "note": s.replacement}, ensure_ascii=False)
            conn.execute(
                events_table.insert().values(
                    release_id=rid,
                    seq=p,
                    type="item.done",
                    actor=s.replacement,
                    at=at,
                    data=data,
                    prev_hash=prev,
                    # self-consistent with its own predecessor: only what follows can tell
                    hash=event_hash(rid, p, "item.done", s.replacement, _as_utc(at), data, prev),
                )
            )
            return p, p + 1
        i, j = sorted((k, s.other))
        if s.kind == "swap_contents":
            a, b = _row(conn, rid, i), _row(conn, rid, j)
            fields = ("type", "actor", "at", "data")
            _set(conn, rid, i, **{f: getattr(b, f) for f in fields})
            _set(conn, rid, j, **{f: getattr(a, f) for f in fields})
            return i, i
        if s.kind == "swap_rows":  # reorder: whole rows, hashes included, change places
            _set(conn, rid, i, seq=-1)
            _set(conn, rid, j, seq=i)
            _set(conn, rid, -1, seq=j)
            return i, i
    raise AssertionError(f"unknown tampering {s.kind}")


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_verify_detects_any_single_tampering(
    store: EventStore, new_release: NewRelease, scenario: Scenario
) -> None:
    # each example is a new release in the test's database; tampering touches only that release
    rid = _build(store, new_release, scenario)
    assert store.verify(rid).ok
    expected = tamper(store, rid, scenario)
    report = store.verify(rid)
    if expected is None:
        assert (report.ok, report.events, report.bad_seq) == (True, scenario.n, None)
        return
    low, high = expected
    assert not report.ok, f"{scenario.kind} went unnoticed"
    assert report.bad_seq is not None and low <= report.bad_seq <= high, (scenario.kind, report)
    assert re.search(rf"\bevent {report.bad_seq}\b", report.reason), report.reason


BOUNDARY_CASES = [
    *((kind, target, 1) for kind in KINDS if kind.startswith("edit_") for target in (1, 6)),
    ("delete", 1, 1),
    ("delete", 3, 1),
    ("delete", 6, 1),  # the last event: only the release's head can tell
    ("delete_renumber", 1, 1),
    ("delete_renumber", 6, 1),
    ("insert", 1, 1),  # before the first event
    ("insert", 1, 4),
    ("insert", 1, 7),  # after the last event
    ("swap_contents", 1, 6),
    ("swap_contents", 3, 4),
    ("swap_rows", 1, 2),
    ("swap_rows", 6, 2),
]


def test_verify_detects_tampering_at_the_ends_of_the_log(store: EventStore, new_release: NewRelease) -> None:
    """The property test's edge cases, every time: first and last events, insertion
    before the first and after the last."""
    entries = tuple((TYPES[i % len(TYPES)], f"actor{i}", f"note {i}") for i in range(6))
    for kind, target, position in BOUNDARY_CASES:
        scenario = Scenario(
            entries, kind, target, position if kind.startswith("swap") else 5, position, "eve", 1
        )
        rid = _build(store, new_release, scenario)
        expected = tamper(store, rid, scenario)
        assert expected is not None
        report = store.verify(rid)
        assert not report.ok and report.bad_seq is not None, (kind, target, position)
        assert expected[0] <= report.bad_seq <= expected[1], (kind, target, position, report)


def _cli_verify(url: str, rid: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golive", "audit", "verify", rid, "--db", url],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_subprocess_env(),
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_golive_audit_verify_names_the_tampered_event(
    store: EventStore, new_release: NewRelease, db_url: str, tmp_path: Path
) -> None:
    started = {
        "service": "contract",
        "version": "1.0",
        "env": "test",
        "launch": LAUNCH.isoformat(),
        "tz": "UTC",
    }
    rid = new_release(first_event=("release.started", {**started, "snapshot": SNAPSHOT}))
    for i in range(7):
        store.append(rid, "item.done", "bob", {"item": f"item-{i}"})
    intact = _cli_verify(db_url, rid, tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert "8 events, chain intact" in intact.stdout
    with store.engine.begin() as conn:
        _set(conn, rid, 5, data='{"item":"item-x"}')
    broken = _cli_verify(db_url, rid, tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "chain broken at event 5" in broken.stdout and "edited" in broken.stdout
    missing = _cli_verify(db_url, "no-such-release", tmp_path)
    assert missing.returncode == 2 and "no-such-release" in missing.stdout + missing.stderr


def test_releases_do_not_share_a_chain(store: EventStore, new_release: NewRelease) -> None:
    """Moving an event to another release (same seq, same content) is caught: the
    release id is part of the hash."""
    first, second = new_release(), new_release()
    for rid in (first, second):
        store.append_many(rid, [("item.done", "bob", {"n": i}) for i in range(3)])
    with store.engine.begin() as conn:
        conn.execute(delete(events_table).where(_where(second, 2)))
        row = _row(conn, first, 2)
        conn.execute(events_table.insert().values({**row._mapping, "release_id": second}))
    assert store.verify(first).ok
    report = store.verify(second)
    assert (report.ok, report.bad_seq) == (False, 2)
    with store.engine.begin() as conn:  # and a head that points elsewhere
        conn.execute(update(releases_table).where(releases_table.c.id == first).values(head_hash="0" * 64))
    assert not store.verify(first).ok
