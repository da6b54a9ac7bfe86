"""Tampering with any stored fact of a release is found by the audit, on SQLite and PostgreSQL.

Each case builds three real releases through the release service (a runbook
snapshot, an upgrade to a second snapshot, a cached state, a rollback), then
changes the database directly as an attacker with write access would (foreign
keys out of the way: ``sqlite3`` has them off by default; the owner of a
PostgreSQL database may drop them), and checks that the audit exits 1 naming the
table and the row. One case per table runs the real ``golive audit verify`` in a
subprocess; the others call the same function in-process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from golive.config import Config
from golive.release.audit import audit_release
from golive.release.service import ReleaseService
from golive.release.state import state_to_json
from golive.store.chain import AuditKey, event_hash, genesis, state_digest
from golive.store.events import EventStore

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
RUNBOOK = """\
# Checkout go-live

## T-1 Week: Prepare

- [ ] Backup production database
- [ ] Notify the team

## Release Gates

- [ ] Load test passed

## Sign-Off

| Role | Name | Signature |
|------|------|-----------|
| QA Lead | | |
"""
NOTIFY = "t-1-week-prepare/notify-the-team"
BACKUP = "t-1-week-prepare/backup-production-database"


@dataclass
class World:
    store: EventStore
    url: str
    backend: str
    a: str  # 7 events: cache at 5, rollback intent at 6
    b: str  # 8 events: cache at 6, rollback intent at 7
    c: str  # 3 events, no upgrade, no cache, no rollback
    s1: str  # the first snapshot (all three releases)
    s2: str  # the upgraded snapshot (a and b)


def build(store: EventStore, url: str, backend: str, tmp: Path) -> World:
    v1, v2 = tmp / "v1.md", tmp / "v2.md"
    v1.write_text(RUNBOOK, encoding="utf-8")
    v2.write_text(RUNBOOK.replace("- [ ] Notify the team\n", "- [ ] Notify the team\n- [ ] Freeze\n"))
    svc = ReleaseService(store, Config())
    ids = []
    for name in ("a", "b", "c"):
        rid = svc.start(
            v1, service="checkout", version="2.1.0", env="prod", launch=LAUNCH, tz="UTC", actor="rm"
        )
        svc.assign(rid, "QA Lead", "bob", actor="rm")
        svc.item_action(rid, NOTIFY, "done", actor="rm")
        if name == "b":
            svc.comment(rid, "one more, so b's seqs differ from a's", actor="rm")
        if name != "c":
            svc.upgrade(rid, v2, actor="rm")
            svc.item_action(rid, BACKUP, "done", actor="rm")
            _, state = svc.load(rid)
            store.put_state(rid, state.seq, state.last_hash, state_to_json(state))
            assert store.begin_rollback(rid, "controller", {"reason": "error rate"}) is not None
            svc.comment(rid, "after the rollback", actor="rm")
        ids.append(rid)
    release = store.get_release(ids[0])
    s2 = next(e.data["snapshot"] for e in store.events(ids[0]) if e.type == "release.upgraded")
    return World(store, url, backend, *ids, release.snapshot, s2)


@pytest.fixture
def world(store: EventStore, db_url: str, backend: str, tmp_path: Path) -> World:
    return build(store, db_url, backend, tmp_path)


@contextlib.contextmanager
def attacker(w: World) -> Iterator[Any]:
    """A connection without golive's rules: no foreign keys, no golive code."""
    if w.backend == "sqlite":
        engine = create_engine(w.url)  # sqlite3's default: foreign keys off
    else:
        engine = w.store.engine
        with engine.begin() as conn:
            for table, column in (
                ("events", "release_id"),
                ("state_snapshots", "release_id"),
                ("rollbacks", "release_id"),
                ("releases", "snapshot"),
            ):
                conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_fkey"))
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        if engine is not w.store.engine:
            engine.dispose()


def sql(conn: Any, statement: str, **params: Any) -> Any:
    if conn.dialect.name == "sqlite":  # as SQLAlchemy stores times in SQLite
        params = {
            k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
            for k, v in params.items()
        }
    return conn.execute(text(statement), params)


def one(conn: Any, statement: str, **params: Any) -> Any:
    return sql(conn, statement, **params).one()


def set_event(conn: Any, rid: str, seq: int, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    assert (
        sql(
            conn,
            f"UPDATE events SET {sets} WHERE release_id = :rid AND seq = :seq",
            rid=rid,
            seq=seq,
            **values,
        ).rowcount
        == 1
    )


def swap(conn: Any, table: str, key: str, first: str, second: str, columns: tuple[str, ...]) -> None:
    a = one(conn, f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = :k", k=first)
    b = one(conn, f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = :k", k=second)
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    sql(conn, f"UPDATE {table} SET {sets} WHERE {key} = :k", k=first, **dict(zip(columns, b, strict=True)))
    sql(conn, f"UPDATE {table} SET {sets} WHERE {key} = :k", k=second, **dict(zip(columns, a, strict=True)))


def rename(conn: Any, table: str, key: str, first: str, second: str) -> None:
    """Swap two rows by swapping their keys (through a temporary key)."""
    sql(conn, f"UPDATE {table} SET {key} = 'tmp-swap' WHERE {key} = :k", k=first)
    sql(conn, f"UPDATE {table} SET {key} = :n WHERE {key} = :k", k=second, n=first)
    sql(conn, f"UPDATE {table} SET {key} = :n WHERE {key} = 'tmp-swap'", n=second)


# -- the cases: (table, tampering) -> (release to audit, the row a finding must name) --
Case = Callable[[Any, World], tuple[str, str]]


def events_edit(conn: Any, w: World) -> tuple[str, str]:
    set_event(conn, w.a, 3, data=json.dumps({"item": BACKUP}))
    return w.a, "seq 3"


def events_delete(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "DELETE FROM events WHERE release_id = :r AND seq = 3", r=w.a)
    return w.a, "seq 3"


def events_insert_from_another_release(conn: Any, w: World) -> tuple[str, str]:
    head = one(conn, "SELECT head_hash FROM releases WHERE id = :r", r=w.a).head_hash
    row = one(conn, "SELECT type, actor, at, data, hash FROM events WHERE release_id = :r AND seq = 8", r=w.b)
    sql(
        conn,
        "INSERT INTO events (release_id, seq, type, actor, at, data, prev_hash, hash) "
        "VALUES (:r, 8, :type, :actor, :at, :data, :prev, :hash)",
        r=w.a,
        type=row.type,
        actor=row.actor,
        at=row.at,
        data=row.data,
        prev=head,
        hash=row.hash,
    )
    return w.a, "seq 8"


def events_insert_for_no_release(conn: Any, w: World) -> tuple[str, str]:
    row = one(
        conn,
        "SELECT type, actor, at, data, prev_hash, hash FROM events WHERE release_id = :r AND seq = 1",
        r=w.a,
    )
    sql(
        conn,
        "INSERT INTO events (release_id, seq, type, actor, at, data, prev_hash, hash) "
        "VALUES ('ghost-release', 1, :type, :actor, :at, :data, :prev, :hash)",
        type=row.type,
        actor=row.actor,
        at=row.at,
        data=row.data,
        prev=row.prev_hash,
        hash=row.hash,
    )
    return w.c, "release_id 'ghost-release' seq 1"


def events_swap(conn: Any, w: World) -> tuple[str, str]:
    a = one(conn, "SELECT type, actor, at, data FROM events WHERE release_id = :r AND seq = 2", r=w.a)
    b = one(conn, "SELECT type, actor, at, data FROM events WHERE release_id = :r AND seq = 3", r=w.a)
    set_event(conn, w.a, 2, **b._asdict())
    set_event(conn, w.a, 3, **a._asdict())
    return w.a, "seq 2"


def snapshots_edit_title(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "UPDATE snapshots SET title = 'Checkout go-live (approved)' WHERE hash = :h", h=w.s1)
    return w.c, w.s1[:6]


def snapshots_edit_model(conn: Any, w: World) -> tuple[str, str]:
    # the attack of issue 10: a gate's text edited inside the stored runbook
    model = one(conn, "SELECT model FROM snapshots WHERE hash = :h", h=w.s1).model
    assert "Load test passed" in model
    sql(
        conn,
        "UPDATE snapshots SET model = :m WHERE hash = :h",
        m=model.replace("Load test passed", "Load test skipped"),
        h=w.s1,
    )
    return w.c, w.s1[:6]


def snapshots_delete(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "DELETE FROM snapshots WHERE hash = :h", h=w.s2)
    return w.a, w.s2[:6]


def snapshots_insert(conn: Any, w: World) -> tuple[str, str]:
    # a forged snapshot in the place of the real one, under the same hash
    row = one(conn, "SELECT title, source, model, created_at FROM snapshots WHERE hash = :h", h=w.s2)
    sql(conn, "DELETE FROM snapshots WHERE hash = :h", h=w.s2)
    sql(
        conn,
        "INSERT INTO snapshots (hash, title, source, model, created_at) VALUES (:h, :t, :s, :m, :c)",
        h=w.s2,
        t=row.title,
        s=row.source,
        m=row.model.replace("Freeze", "Thaw"),
        c=row.created_at,
    )
    return w.a, w.s2[:6]


def snapshots_swap(conn: Any, w: World) -> tuple[str, str]:
    swap(conn, "snapshots", "hash", w.s1, w.s2, ("title", "source", "model", "created_at"))
    return w.a, w.s1[:6]


def releases_edit(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "UPDATE releases SET version = '9.9.9' WHERE id = :r", r=w.a)
    return w.a, w.a


def releases_delete(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "DELETE FROM releases WHERE id = :r", r=w.a)
    return w.a, w.a


def releases_insert(conn: Any, w: World) -> tuple[str, str]:
    sql(
        conn,
        "INSERT INTO releases (id, service, version, env, launch_at, launch_tz, created_at, created_by, "
        "snapshot, head_seq, head_hash, audit_mode) SELECT 'forged-release', service, version, env, "
        "launch_at, launch_tz, created_at, created_by, snapshot, 0, :g, audit_mode "
        "FROM releases WHERE id = :r",
        g=genesis("forged-release"),
        r=w.a,
    )
    return "forged-release", "forged-release"


def releases_swap(conn: Any, w: World) -> tuple[str, str]:
    rename(conn, "releases", "id", w.a, w.b)
    return w.a, w.a


def releases_head(conn: Any, w: World) -> tuple[str, str]:
    prev = one(conn, "SELECT hash FROM events WHERE release_id = :r AND seq = 6", r=w.a).hash
    sql(conn, "UPDATE releases SET head_seq = 6, head_hash = :h WHERE id = :r", h=prev, r=w.a)
    return w.a, w.a


def rollbacks_edit(conn: Any, w: World) -> tuple[str, str]:
    at = one(conn, "SELECT started_at FROM rollbacks WHERE release_id = :r", r=w.a).started_at
    later = (datetime.fromisoformat(at) if isinstance(at, str) else at) + timedelta(seconds=90)
    sql(conn, "UPDATE rollbacks SET started_at = :t WHERE release_id = :r", t=later, r=w.a)
    return w.a, w.a


def rollbacks_delete(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "DELETE FROM rollbacks WHERE release_id = :r", r=w.a)
    return w.a, w.a


def rollbacks_insert(conn: Any, w: World) -> tuple[str, str]:
    sql(
        conn, "INSERT INTO rollbacks (release_id, intent_seq, started_at) VALUES (:r, 3, :t)", r=w.c, t=LAUNCH
    )
    return w.c, w.c


def rollbacks_swap(conn: Any, w: World) -> tuple[str, str]:
    rename(conn, "rollbacks", "release_id", w.a, w.b)
    return w.a, w.a


def _cached(conn: Any, rid: str) -> Any:
    return one(
        conn, "SELECT seq, event_hash, state, digest FROM state_snapshots WHERE release_id = :r", r=rid
    )


def _forged_state(state: str) -> str:
    data = json.loads(state)
    data["items"][BACKUP]["status"] = "failed"
    return json.dumps(data, separators=(",", ":"))


def state_edit(conn: Any, w: World) -> tuple[str, str]:
    row = _cached(conn, w.a)
    sql(
        conn, "UPDATE state_snapshots SET state = :s WHERE release_id = :r", s=_forged_state(row.state), r=w.a
    )
    return w.a, w.a


def state_edit_with_recomputed_digest(conn: Any, w: World) -> tuple[str, str]:
    row = _cached(conn, w.a)
    forged = _forged_state(row.state)
    digest = state_digest(w.a, row.seq, row.event_hash, forged, None)
    sql(
        conn,
        "UPDATE state_snapshots SET state = :s, digest = :d WHERE release_id = :r",
        s=forged,
        d=digest,
        r=w.a,
    )
    return w.a, w.a


def state_insert(conn: Any, w: World) -> tuple[str, str]:
    row = _cached(conn, w.a)
    last = one(conn, "SELECT seq, hash FROM events WHERE release_id = :r AND seq = 3", r=w.c)
    forged = json.dumps({**json.loads(row.state), "release_id": w.c, "seq": 3}, separators=(",", ":"))
    sql(
        conn,
        "INSERT INTO state_snapshots (release_id, seq, event_hash, state, digest) VALUES (:r, 3, :h, :s, :d)",
        r=w.c,
        h=last.hash,
        s=forged,
        d=state_digest(w.c, 3, last.hash, forged, None),
    )
    return w.c, w.c


def state_delete(conn: Any, w: World) -> tuple[str, str]:
    sql(conn, "DELETE FROM state_snapshots WHERE release_id = :r", r=w.a)
    return w.a, w.a


def state_swap(conn: Any, w: World) -> tuple[str, str]:
    swap(conn, "state_snapshots", "release_id", w.a, w.b, ("seq", "event_hash", "state", "digest"))
    return w.a, w.a


CASES: dict[str, tuple[str, Case]] = {
    "events-edit": ("events", events_edit),
    "events-delete": ("events", events_delete),
    "events-insert-from-another-release": ("events", events_insert_from_another_release),
    "events-insert-for-no-release": ("events", events_insert_for_no_release),
    "events-swap": ("events", events_swap),
    "snapshots-edit-title": ("snapshots", snapshots_edit_title),
    "snapshots-edit-model": ("snapshots", snapshots_edit_model),
    "snapshots-delete": ("snapshots", snapshots_delete),
    "snapshots-insert": ("snapshots", snapshots_insert),
    "snapshots-swap": ("snapshots", snapshots_swap),
    "releases-edit": ("releases", releases_edit),
    "releases-delete": ("releases", releases_delete),
    "releases-insert": ("releases", releases_insert),
    "releases-swap": ("releases", releases_swap),
    "releases-head": ("releases", releases_head),
    "rollbacks-edit": ("rollbacks", rollbacks_edit),
    "rollbacks-delete": ("rollbacks", rollbacks_delete),
    "rollbacks-insert": ("rollbacks", rollbacks_insert),
    "rollbacks-swap": ("rollbacks", rollbacks_swap),
    "state-edit": ("state_snapshots", state_edit),
    "state-edit-with-recomputed-digest": ("state_snapshots", state_edit_with_recomputed_digest),
    "state-insert": ("state_snapshots", state_insert),
    "state-delete": ("state_snapshots", state_delete),
    "state-swap": ("state_snapshots", state_swap),
}
# one case per table through the real CLI, in a subprocess
THROUGH_THE_CLI = {"events-edit", "snapshots-edit-model", "releases-swap", "rollbacks-delete", "state-swap"}


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GOLIVE_DATABASE_URL", "GOLIVE_AUDIT_KEY", "GOLIVE_NOW")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def golive_audit(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "golive", "audit", *args, "--db", url],
        capture_output=True,
        text=True,
        env=_env(**env),
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_an_untouched_release_verifies(world: World) -> None:
    for rid in (world.a, world.b, world.c):
        result = audit_release(world.store, rid)
        assert (result.exit_code, result.findings) == (0, []), rid
    cli = golive_audit(world.url, "verify", world.a)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert f"{world.a}: 7 events, chain intact (recorded plain SHA-256)" in cli.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_is_found_naming_the_table_and_row(world: World, case: str) -> None:
    table, tamper = CASES[case]
    with attacker(world) as conn:
        rid, row = tamper(conn, world)
    if case in THROUGH_THE_CLI:
        result = golive_audit(world.url, "verify", rid)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"  {table} {row}" in result.stdout, result.stdout
        assert "Traceback" not in result.stderr
        return
    store = EventStore.open(world.url)  # a fresh store: nothing cached in-process
    try:
        found = audit_release(store, rid)
    finally:
        store.close()
    assert found.exit_code == 1, found
    named = [str(f) for f in found.findings if f.table == table and row in f.row]
    assert named, [str(f) for f in found.findings]


def test_a_deleted_state_cache_is_found_and_changes_nothing(world: World) -> None:
    """The cache holds no fact of its own: deleting it costs a fold and changes no state,
    but the deletion itself is tampering, and the release row's state_seq shows it."""
    svc = ReleaseService(world.store, Config())
    before = state_to_json(svc.load(world.a)[1])
    with attacker(world) as conn:
        sql(conn, "DELETE FROM state_snapshots WHERE release_id = :r", r=world.a)
    found = audit_release(world.store, world.a)
    assert found.exit_code == 1
    assert any("state cached at seq" in str(f) and "deleted?" in str(f) for f in found.findings), found
    assert state_to_json(svc.load(world.a)[1]) == before


def test_status_never_shows_a_tampered_cache(world: World) -> None:
    svc = ReleaseService(world.store, Config())
    assert svc.load(world.a)[1].items[BACKUP].status.value == "done"
    with attacker(world) as conn:
        state_edit(conn, world)
    assert world.store.get_state(world.a) is None  # its digest no longer binds it
    assert svc.status(world.a).state.items[BACKUP].status.value == "done"


# -- keyed chains --------------------------------------------------------------------
KEY = "correct horse battery staple"


@pytest.fixture
def keyed(db_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("GOLIVE_AUDIT_KEY", KEY)
    store = EventStore.open(db_url)
    try:
        yield build(store, db_url, backend, tmp_path)
    finally:
        store.close()


def test_a_keyed_release_records_its_mode_and_verifies_with_the_key(keyed: World) -> None:
    assert keyed.store.get_release(keyed.a).audit_mode == "keyed"
    assert keyed.store.events(keyed.a)[0].data["audit_mode"] == "keyed"
    assert keyed.store.events(keyed.a)[0].prev_hash == genesis(keyed.a, AuditKey(KEY.encode()))
    ok = golive_audit(keyed.url, "verify", keyed.a, GOLIVE_AUDIT_KEY=KEY)
    assert ok.returncode == 0 and "chain intact (recorded keyed (HMAC-SHA256))" in ok.stdout, ok.stdout
    without = golive_audit(keyed.url, "verify", keyed.a)
    assert without.returncode == 2, without.stdout + without.stderr
    assert "cannot check the keyed hashes: GOLIVE_AUDIT_KEY is not set" in without.stdout
    wrong = golive_audit(keyed.url, "verify", keyed.a, GOLIVE_AUDIT_KEY="guess")
    assert wrong.returncode == 1 and "events seq 1" in wrong.stdout, wrong.stdout
    # the key is nowhere: not in the database, not in any output
    with keyed.store.engine.connect() as conn:
        for table in ("events", "releases", "snapshots", "state_snapshots", "rollbacks"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert KEY not in " ".join(map(str, row)), table
    for result in (ok, without, wrong):
        assert KEY not in result.stdout + result.stderr
    assert KEY not in repr(AuditKey(KEY.encode())) and KEY not in repr(keyed.store.__dict__)


def _rewrite_plain(conn: Any, rid: str, first: int, *, genesis_hash: str | None = None) -> None:
    """Rewrite events ``first``.. with correctly recomputed plain SHA-256 hashes
    (an edit in event ``first``), and repair the release's head to match."""
    rows = sql(
        conn,
        "SELECT seq, type, actor, at, data, prev_hash FROM events WHERE release_id = :r ORDER BY seq",
        r=rid,
    ).all()
    prev = genesis_hash
    for row in rows:
        if row.seq < first:
            prev = one(
                conn, "SELECT hash FROM events WHERE release_id = :r AND seq = :s", r=rid, s=row.seq
            ).hash
            continue
        data = row.data
        if row.seq == first:
            data = json.dumps({**json.loads(data), "text": "forged"}, separators=(",", ":"))
        at = datetime.fromisoformat(row.at) if isinstance(row.at, str) else row.at
        digest = event_hash(rid, row.seq, row.type, row.actor, at, data, str(prev))
        set_event(conn, rid, row.seq, data=data, prev_hash=prev, hash=digest)
        prev = digest
    sql(conn, "UPDATE releases SET head_hash = :h WHERE id = :r", h=prev, r=rid)


def test_a_keyed_tail_rewritten_with_plain_hashes_is_found(keyed: World) -> None:
    with attacker(keyed) as conn:
        _rewrite_plain(conn, keyed.a, 7)
    # the same rewrite of a plain release is undetectable: that is what the key is for
    found = audit_release(keyed.store, keyed.a)
    assert found.exit_code == 1
    assert any(f.table == "events" and f.row == "seq 7" for f in found.findings), found.findings
    result = golive_audit(keyed.url, "verify", keyed.a, GOLIVE_AUDIT_KEY=KEY)
    assert result.returncode == 1 and "events seq 7" in result.stdout, result.stdout


def test_a_keyed_release_flipped_to_plain(keyed: World) -> None:
    anchor = golive_audit(keyed.url, "head", keyed.a, "--json", GOLIVE_AUDIT_KEY=KEY)
    kept = json.loads(anchor.stdout)
    assert kept["mode"] == "keyed" and kept["anchor"] == f"7:{kept['hash']}"
    with attacker(keyed) as conn:  # the marker flipped in the row only: caught by the keyed genesis
        sql(conn, "UPDATE releases SET audit_mode = 'plain' WHERE id = :r", r=keyed.a)
    half = golive_audit(keyed.url, "verify", keyed.a, GOLIVE_AUDIT_KEY=KEY)
    assert half.returncode == 1 and "events seq 1" in half.stdout and "keyed genesis" in half.stdout, (
        half.stdout
    )
    with attacker(keyed) as conn:  # ... and the whole chain recomputed plain, marker included
        row = one(conn, "SELECT data FROM events WHERE release_id = :r AND seq = 1", r=keyed.a)
        set_event(conn, keyed.a, 1, data=row.data.replace('"audit_mode":"keyed"', '"audit_mode":"plain"'))
        _rewrite_plain(conn, keyed.a, 1, genesis_hash=genesis(keyed.a))
        sql(conn, "DELETE FROM state_snapshots WHERE release_id = :r", r=keyed.a)  # and its cache,
        sql(conn, "UPDATE releases SET state_seq = NULL WHERE id = :r", r=keyed.a)  # without a trace
    # indistinguishable from a release recorded plain: verify passes but says so ...
    whole = golive_audit(keyed.url, "verify", keyed.a, GOLIVE_AUDIT_KEY=KEY)
    assert whole.returncode == 0, whole.stdout
    assert "recorded plain SHA-256" in whole.stdout and "not protected" in whole.stdout
    # ... and the anchor kept elsewhere, or --require-keyed, catch it
    anchored = golive_audit(keyed.url, "verify", keyed.a, "--head", kept["anchor"], GOLIVE_AUDIT_KEY=KEY)
    assert anchored.returncode == 1 and "events seq 7" in anchored.stdout, anchored.stdout
    required = golive_audit(keyed.url, "verify", keyed.a, "--require-keyed", GOLIVE_AUDIT_KEY=KEY)
    assert required.returncode == 1 and f"releases {keyed.a}" in required.stdout, required.stdout


def test_writing_to_a_keyed_release_needs_the_key(keyed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from golive.store.chain import KeyRequiredError

    monkeypatch.delenv("GOLIVE_AUDIT_KEY")
    store = EventStore.open(keyed.url)
    try:
        with pytest.raises(KeyRequiredError, match="set GOLIVE_AUDIT_KEY"):
            store.append(keyed.a, "item.commented", "eve", {"text": "forged"})
        assert store.get_release(keyed.a).head_seq == 7
        # a cache a writer without the key forged is not trusted by a reader with it
        svc = ReleaseService(store, Config())
        _, state = svc.load(keyed.c)
        state.items[NOTIFY].status = type(state.items[NOTIFY].status)("failed")
        store.put_state(keyed.c, state.seq, state.last_hash, state_to_json(state))
        assert store.get_state(keyed.c) is not None  # a plain digest: trusted without a key ...
    finally:
        store.close()
    assert keyed.store.get_state(keyed.c) is None  # ... never with it
    assert ReleaseService(keyed.store, Config()).status(keyed.c).state.items[NOTIFY].status.value == "done"
    found = audit_release(keyed.store, keyed.c)
    assert any(f.table == "state_snapshots" for f in found.findings), found.findings


# -- anchors ---------------------------------------------------------------------------
def test_truncation_with_a_repaired_head_needs_an_anchor(world: World) -> None:
    anchor = golive_audit(world.url, "head", world.a)
    assert anchor.returncode == 0, anchor.stderr
    kept = anchor.stdout.split()[0]
    assert kept.startswith("7:") and "plain SHA-256" in anchor.stdout
    with attacker(world) as conn:
        sql(conn, "DELETE FROM events WHERE release_id = :r AND seq > 5", r=world.a)
        sql(conn, "DELETE FROM rollbacks WHERE release_id = :r", r=world.a)
        head = one(conn, "SELECT hash FROM events WHERE release_id = :r AND seq = 5", r=world.a).hash
        sql(conn, "UPDATE releases SET head_seq = 5, head_hash = :h WHERE id = :r", h=head, r=world.a)
    # without the anchor the cut is invisible: what is left is a consistent release
    blind = golive_audit(world.url, "verify", world.a)
    assert blind.returncode == 0, blind.stdout
    caught = golive_audit(world.url, "verify", world.a, "--head", kept)
    assert caught.returncode == 1, caught.stdout
    assert "events seq 6" in caught.stdout and "cut off" in caught.stdout


def test_a_rewrite_before_the_anchor_is_found(world: World) -> None:
    kept = golive_audit(world.url, "head", world.a).stdout.split()[0]
    with attacker(world) as conn:
        _rewrite_plain(conn, world.a, 6)  # after the cached state (at 5), so the cache still matches
    assert golive_audit(world.url, "verify", world.a).returncode == 0  # plain: recomputed hashes pass
    caught = golive_audit(world.url, "verify", world.a, "--head", kept)
    assert caught.returncode == 1 and "events seq 7" in caught.stdout, caught.stdout


# -- releases recorded before the audit covered every table -------------------------
def test_a_release_recorded_before_migration_0004_verifies_and_says_what_it_cannot_check(
    db_url: str, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from golive.runbook.loader import load_runbook
    from golive.store.db import MIGRATIONS, make_engine

    engine = make_engine(db_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(golive_write=True) as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    (tmp_path / "v1.md").write_text(RUNBOOK, encoding="utf-8")
    model = load_runbook(tmp_path / "v1.md").model_dump_json()
    snapshot = hashlib.sha256(model.encode()).hexdigest()
    rid, at = "checkout-20261101-abcdef", datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    started = json.dumps(  # what golive recorded then: no audit_mode, no snapshot_digest
        {
            "service": "checkout",
            "version": "2.0",
            "env": "prod",
            "launch": LAUNCH.isoformat(),
            "tz": "UTC",
            "snapshot": snapshot,
            "runbook": "v1.md",
            "title": "Checkout go-live",
            "content_hash": "x",
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    first = event_hash(rid, 1, "release.started", "rm", at, started, genesis(rid))
    with engine.begin() as conn:
        sql(
            conn,
            "INSERT INTO snapshots VALUES (:h, 'Checkout go-live', :s, :m, :t)",
            h=snapshot,
            s=RUNBOOK,
            m=model,
            t=at,
        )
        sql(
            conn,
            "INSERT INTO releases VALUES (:r, 'checkout', '2.0', 'prod', :l, 'UTC', :t, 'rm', :h, 1, :head)",
            r=rid,
            l=LAUNCH,
            t=at,
            h=snapshot,
            head=first,
        )
        sql(
            conn,
            "INSERT INTO events (release_id, seq, type, actor, at, data, prev_hash, hash) "
            "VALUES (:r, 1, 'release.started', 'rm', :t, :d, :p, :h)",
            r=rid,
            t=at,
            d=started,
            p=genesis(rid),
            h=first,
        )
        # a cache as golive wrote it then: no digest, and no state_seq in the release row
        from golive.release.state import fold
        from golive.runbook.model import Runbook
        from golive.store.events import Event

        folded = fold(
            rid,
            Runbook.model_validate_json(model),
            [Event(rid, 1, "release.started", "rm", at, json.loads(started), genesis(rid), first)],
            None,
        )
        folded.snapshot = snapshot
        sql(
            conn,
            "INSERT INTO state_snapshots (release_id, seq, event_hash, state) VALUES (:r, 1, :h, :s)",
            r=rid,
            h=first,
            s=state_to_json(folded),
        )
    engine.dispose()
    store = EventStore.open(db_url)  # migrates to 0004: state_seq is filled from the cache there
    try:
        assert store.get_release(rid).audit_mode == "plain"
        assert store.get_release(rid).state_seq == 1
        assert store.get_state(rid) is None  # not trusted: it is folded again
        found = audit_release(store, rid)
        assert (found.exit_code, found.findings, found.mode) == (0, [], "plain"), found.findings
        notes = " ".join(found.notes)
        assert f"snapshots {snapshot[:6]}…: title and source cannot be checked" in notes
        assert "without a digest" in notes
    finally:
        store.close()
