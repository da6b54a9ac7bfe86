"""The event store: releases, runbook snapshots and each release's append-only,
hash-chained event log.

Every change to a release is an event. Events are never updated or deleted.
Each event's hash covers its release, sequence number, type, actor, time, data
and the previous event's hash, so editing, removing, inserting or reordering
any event breaks the chain, which :meth:`EventStore.verify` reports.

Ordering and concurrency come from the database: appends to one release are
serialized (``BEGIN IMMEDIATE`` on SQLite, a row lock on PostgreSQL) and a
unique (release, seq) key makes two writers that raced fail cleanly instead of
both succeeding. ``expect_seq`` lets the service layer append only if nothing
happened since it read the state it validated the action against.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from golive.clock import Clock, SystemClock
from golive.errors import GoliveError, InputError, NotFoundError
from golive.store.chain import (
    KEYED,
    PLAIN,
    Anchor,
    AuditKey,
    AuditRecord,
    AuditReport,
    KeyRequiredError,
    canonical_time,
    check_chain,
    event_hash,
    genesis,
    snapshot_digest,
    state_digest,
)
from golive.store.locks import release_lock

__all__ = [
    "AuditReport",
    "ConflictError",
    "Event",
    "EventStore",
    "ReleaseRow",
    "canonical_time",
    "event_hash",
    "genesis",
]


class ConflictError(GoliveError):
    """The release changed since its state was read; re-read and retry."""

    code = "conflict"
    exit_code = 1


# constant SQL; values are bound parameters (qmark for SQLite, format for psycopg)
_EVENTS_COLUMNS = "SELECT seq, type, actor, at, data, prev_hash, hash FROM events"
_EVENTS_SQL_QMARK = _EVENTS_COLUMNS + " WHERE release_id = ? AND seq > ? ORDER BY seq"
_EVENTS_SQL_FORMAT = _EVENTS_COLUMNS + " WHERE release_id = %s AND seq > %s ORDER BY seq"


# column sizes (golive/store/schema.py), enforced alike on SQLite and PostgreSQL
_LIMITS = {
    "service": 200,
    "version": 200,
    "env": 100,
    "actor": 200,
    "event type": 64,
    "launch time zone": 64,
    "title": 10_000,
}


def _is_sequence_race(exc: Exception) -> bool:
    """A duplicate (release, seq): another writer appended the same seq first."""
    text = str(getattr(exc, "orig", exc))
    return "pk_events" in text or "events.release_id, events.seq" in text


def _check_length(what: str, value: str) -> None:
    if len(value) > _LIMITS[what]:
        raise InputError(
            f"{what} is too long ({len(value)} characters; at most {_LIMITS[what]})", location=what
        )


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Event:
    release_id: str
    seq: int
    type: str
    actor: str
    at: datetime
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ReleaseRow:
    id: str
    service: str
    version: str
    env: str
    launch_at: datetime
    launch_tz: str
    created_at: datetime
    created_by: str
    snapshot: str
    head_seq: int
    head_hash: str
    audit_mode: str = PLAIN
    state_seq: int | None = None
    """The seq of the state cached for the release, if one is."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EventStore:
    """Storage behind one narrow interface; the same contract tests run on
    SQLite and PostgreSQL."""

    def __init__(self, engine: Any, clock: Clock | None = None, *, audit_key: AuditKey | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        """The time of an append that names none: the command's own clock."""
        self.__key = audit_key

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        migrate: bool = True,
        clock: Clock | None = None,
        must_exist: bool = False,
        location: str = "GOLIVE_DATABASE_URL",
    ) -> EventStore:
        """Open (and migrate) the database. With ``must_exist`` a SQLite file that
        does not exist is an error naming ``location``, and none is created. The
        audit key comes from ``GOLIVE_AUDIT_KEY`` (the environment only)."""
        from golive.store.db import make_engine
        from golive.store.db import migrate as run_migrations

        engine = make_engine(url, must_exist=must_exist, location=location)
        if migrate:
            run_migrations(engine)
        return cls(engine, clock, audit_key=AuditKey.from_environment())

    @property
    def audit_mode(self) -> str:
        """The mode new releases are recorded in: keyed when the audit key is set."""
        return KEYED if self.__key is not None else PLAIN

    @property
    def has_audit_key(self) -> bool:
        return self.__key is not None

    def _now(self, at: datetime | None = None) -> datetime:
        return _utc(at or self.clock.now())

    def close(self) -> None:
        self.engine.dispose()

    # -- snapshots ---------------------------------------------------------------
    def _writer(self) -> Any:
        return self.engine.execution_options(golive_write=True)

    def put_snapshot(self, content_hash: str, title: str, source: str, model_json: str) -> None:
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from golive.store.schema import snapshots

        try:
            with self._writer().begin() as conn:
                exists = conn.execute(
                    select(snapshots.c.hash).where(snapshots.c.hash == content_hash)
                ).first()
                if exists is None:
                    conn.execute(
                        snapshots.insert().values(
                            hash=content_hash,
                            title=title[: _LIMITS["title"]],
                            source=source,
                            model=model_json,
                            created_at=self._now(),
                        )
                    )
        except IntegrityError:
            pass  # content-addressed: someone stored the same snapshot at the same moment

    def get_snapshot(self, content_hash: str) -> tuple[str, str, str]:
        from sqlalchemy import select

        from golive.store.schema import snapshots

        with self.engine.connect() as conn:
            row = conn.execute(select(snapshots).where(snapshots.c.hash == content_hash)).first()
        if row is None:
            raise NotFoundError(f"runbook snapshot {content_hash[:12]} not found")
        return row.title, row.source, row.model

    # -- releases ----------------------------------------------------------------
    def create_release(
        self,
        *,
        service: str,
        version: str,
        env: str,
        launch_at: datetime,
        launch_tz: str,
        created_by: str,
        snapshot: str,
        release_id: str | None = None,
        first_event: tuple[str, dict[str, Any]] | None = None,
        at: datetime | None = None,
    ) -> str:
        from golive.store.schema import releases

        when = self._now(at)
        rid = release_id or new_release_id(service, when)
        mode = self.audit_mode
        self.check_release_fields(
            service=service, version=version, env=env, created_by=created_by, launch_tz=launch_tz
        )
        with self._writer().begin() as conn:
            conn.execute(
                releases.insert().values(
                    id=rid,
                    service=service,
                    version=version,
                    env=env,
                    launch_at=_utc(launch_at),
                    launch_tz=launch_tz,
                    created_at=when,
                    created_by=created_by,
                    snapshot=snapshot,
                    head_seq=0,
                    head_hash=genesis(rid, self.__key if mode == KEYED else None),
                    audit_mode=mode,
                )
            )
            if first_event is not None:
                # the mode is part of the record: covered by the first event's hash
                data = {**first_event[1], "audit_mode": mode}
                self._append_in(conn, rid, [(first_event[0], created_by, data)], None, when)
        return rid

    @staticmethod
    def check_release_fields(
        *, service: str, version: str, env: str, created_by: str, launch_tz: str
    ) -> None:
        """InputError naming the field that the releases table cannot hold (before anything is written)."""
        for what, value in (
            ("service", service),
            ("version", version),
            ("env", env),
            ("actor", created_by),
            ("launch time zone", launch_tz),
        ):
            _check_length(what, value)

    def get_release(self, release_id: str) -> ReleaseRow:
        with self.engine.connect() as conn:
            row = conn.execute(_release_by_id(), {"id": release_id}).first()
        if row is None:
            raise NotFoundError(f"no release {release_id!r} (golive release list shows them)")
        return _release(row)

    def list_releases(self) -> list[ReleaseRow]:
        from sqlalchemy import select

        from golive.store.schema import releases

        with self.engine.connect() as conn:
            rows = conn.execute(select(releases).order_by(releases.c.created_at)).all()
        return [_release(r) for r in rows]

    # -- events ------------------------------------------------------------------
    def append(
        self,
        release_id: str,
        type_: str,
        actor: str,
        data: dict[str, Any],
        *,
        expect_seq: int | None = None,
        at: datetime | None = None,
    ) -> Event:
        return self.append_many(release_id, [(type_, actor, data)], expect_seq=expect_seq, at=at)[0]

    def append_many(
        self,
        release_id: str,
        entries: Sequence[tuple[str, str, dict[str, Any]]],
        *,
        expect_seq: int | None = None,
        at: datetime | None = None,
    ) -> list[Event]:
        """Append events atomically. With ``expect_seq``, only if the release's last
        event is still that one (else ConflictError)."""
        from sqlalchemy.exc import IntegrityError, OperationalError

        if not entries:
            return []
        for type_, actor, _data in entries:
            _check_length("event type", type_)
            _check_length("actor", actor)
        for attempt in range(5):
            try:
                with self._writer().begin() as conn:
                    return self._append_in(conn, release_id, entries, expect_seq, self._now(at))
            except IntegrityError as exc:
                if not _is_sequence_race(exc):
                    # not two writers racing for the same seq: the database rejected the row
                    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "constraint violated"
                    raise InputError(f"the database rejected the event: {reason}") from None
                if expect_seq is not None:
                    raise ConflictError(f"release {release_id} changed meanwhile; try again") from None
            except OperationalError as exc:
                if "locked" not in str(exc).lower() and "deadlock" not in str(exc).lower():
                    raise
            time.sleep(0.01 * (attempt + 1))
        raise ConflictError(f"could not append to release {release_id}: too much contention; try again")

    def _append_in(
        self,
        conn: Any,
        release_id: str,
        entries: Sequence[tuple[str, str, dict[str, Any]]],
        expect_seq: int | None,
        at: datetime,
    ) -> list[Event]:
        from sqlalchemy import select, update

        from golive.store.schema import events, releases, snapshots

        query = select(releases.c.head_seq, releases.c.head_hash, releases.c.audit_mode).where(
            releases.c.id == release_id
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        head = conn.execute(query).first()
        if head is None:
            raise NotFoundError(f"no release {release_id!r}")
        if expect_seq is not None and head.head_seq != expect_seq:
            raise ConflictError(f"release {release_id} changed meanwhile (event {head.head_seq}); try again")
        key = None
        if head.audit_mode == KEYED:
            if self.__key is None:
                raise KeyRequiredError(
                    f"release {release_id} is recorded keyed (HMAC-SHA256): "
                    "set GOLIVE_AUDIT_KEY to write to it",
                    location="GOLIVE_AUDIT_KEY",
                )
            key = self.__key
        seq, prev = head.head_seq, head.head_hash
        out: list[Event] = []
        rows = []
        for type_, actor, given in entries:
            seq += 1
            data = given
            named = data.get("snapshot")
            if isinstance(named, str):
                # bind the snapshot's title and source (its hash covers the model only)
                snap = conn.execute(select(snapshots).where(snapshots.c.hash == named)).first()
                if snap is not None:
                    data = {
                        **data,
                        "snapshot_digest": snapshot_digest(
                            snap.hash, snap.title, snap.source, _utc(snap.created_at)
                        ),
                    }
            payload = _dumps(data)
            digest = event_hash(release_id, seq, type_, actor, at, payload, prev, key)
            rows.append(
                {
                    "release_id": release_id,
                    "seq": seq,
                    "type": type_,
                    "actor": actor,
                    "at": at,
                    "data": payload,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            out.append(Event(release_id, seq, type_, actor, at, json.loads(payload), prev, digest))
            prev = digest
        conn.execute(events.insert(), rows)
        updated = conn.execute(
            update(releases)
            .where(releases.c.id == release_id, releases.c.head_seq == head.head_seq)
            .values(head_seq=seq, head_hash=prev)
        )
        if updated.rowcount != 1:
            raise ConflictError(f"release {release_id} changed meanwhile; try again")
        return out

    def _head(self, release_id: str) -> int | None:
        from sqlalchemy import select

        from golive.store.schema import releases

        with self.engine.connect() as conn:
            row = conn.execute(select(releases.c.head_seq).where(releases.c.id == release_id)).first()
        return int(row[0]) if row else None

    def events(self, release_id: str, *, after: int = 0) -> list[Event]:
        """The release's events after ``after``, oldest first.

        The hot path of every status and decision: read through the driver's
        cursor (SQLAlchemy's row processing costs 5x more on long logs).
        """
        sql = _EVENTS_SQL_QMARK if self.engine.dialect.paramstyle == "qmark" else _EVENTS_SQL_FORMAT
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(sql, (release_id, after)).fetchall()
        loads = json.loads
        parse = datetime.fromisoformat
        out = []
        for seq, type_, actor, when, data, prev, digest in rows:
            moment = parse(when) if isinstance(when, str) else when
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
            out.append(Event(release_id, seq, type_, actor, moment, loads(data), prev, digest))
        return out

    # -- rollbacks ---------------------------------------------------------------------
    def begin_rollback(
        self, release_id: str, actor: str, data: dict[str, Any], *, at: datetime | None = None
    ) -> Event | None:
        """Record a rollback's intent, at most once per release: the database
        refuses a second one. Returns None when a rollback was already begun."""
        from sqlalchemy.exc import IntegrityError

        from golive.store.schema import rollbacks

        when = self._now(at)
        try:
            with self._writer().begin() as conn:
                (event,) = self._append_in(
                    conn, release_id, [("rollout.rollback.intent", actor, data)], None, when
                )
                conn.execute(
                    rollbacks.insert().values(release_id=release_id, intent_seq=event.seq, started_at=when)
                )
                return event
        except IntegrityError as exc:
            if _is_sequence_race(exc):
                return self.begin_rollback(release_id, actor, data, at=at)
            return None

    # -- who acts on a release's rollout -----------------------------------------------
    def acting_on(self, release_id: str, *, wait: float = 0.0) -> contextlib.AbstractContextManager[bool]:
        """Exclusive right to act on one release's rollout (run its actuators),
        across threads, processes and, on PostgreSQL, machines. Yields False when
        another holder keeps it for longer than ``wait`` seconds.

        While a controller holds it, an intent without an outcome in the log can
        only be the work of a holder that died (the lock dies with its process or
        connection): that is what makes resuming an intent safe. SQLite: a POSIX
        record lock on ``<database>.lock`` at the release's offset (plus a thread
        lock, since record locks belong to a process); PostgreSQL: a session
        advisory lock on a connection held for the duration."""
        return release_lock(self.engine, release_id, wait=wait)

    # -- state snapshots (a cache of folded state) ---------------------------------
    def get_state(self, release_id: str) -> tuple[int, str] | None:
        """The cached state (seq, JSON), only when it still matches the event it was
        taken at and its digest binds it to that event (keyed with the audit key
        when one is set: a cache written by someone without the key is ignored)."""
        from sqlalchemy import select

        from golive.store.schema import events, state_snapshots

        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    state_snapshots.c.seq, state_snapshots.c.state, state_snapshots.c.digest, events.c.hash
                )
                .join(
                    events,
                    (events.c.release_id == state_snapshots.c.release_id)
                    & (events.c.seq == state_snapshots.c.seq)
                    & (events.c.hash == state_snapshots.c.event_hash),
                )
                .where(state_snapshots.c.release_id == release_id)
            ).first()
        if row is None or row.digest != self.state_digest(release_id, int(row.seq), row.hash, row.state):
            return None
        return int(row.seq), str(row.state)

    def state_digest(self, release_id: str, seq: int, event_hash_: str, state_json: str) -> str:
        """The digest a cached state must carry (keyed when the audit key is set)."""
        return state_digest(release_id, seq, event_hash_, state_json, self.__key)

    def state_digest_matches(
        self, release_id: str, seq: int, event_hash_: str, state_json: str, digest: str
    ) -> bool | None:
        """Whether a stored digest binds the cache row; None when it cannot be
        checked here (a keyed digest and no key)."""
        if digest.startswith("k:"):
            if self.__key is None:
                return None
            return digest == state_digest(release_id, seq, event_hash_, state_json, self.__key)
        return digest == state_digest(release_id, seq, event_hash_, state_json, None)

    def put_state(self, release_id: str, seq: int, event_hash: str, state_json: str) -> None:
        from sqlalchemy import delete
        from sqlalchemy.exc import IntegrityError

        from golive.store.schema import releases, state_snapshots

        try:
            with self._writer().begin() as conn:
                conn.execute(releases.update().where(releases.c.id == release_id).values(state_seq=seq))
                conn.execute(delete(state_snapshots).where(state_snapshots.c.release_id == release_id))
                conn.execute(
                    state_snapshots.insert().values(
                        release_id=release_id,
                        seq=seq,
                        event_hash=event_hash,
                        state=state_json,
                        digest=self.state_digest(release_id, seq, event_hash, state_json),
                    )
                )
        except IntegrityError:
            pass  # another reader cached the state at the same moment

    # -- audit ---------------------------------------------------------------------
    def read_audit(self, release_id: str) -> AuditRecord:
        """Every row of the release (and rows that name no release), from one
        consistent snapshot, so an append committed meanwhile never looks like tampering."""
        from sqlalchemy import func, select

        from golive.store.schema import events, releases, rollbacks, snapshots, state_snapshots

        options = {"isolation_level": "REPEATABLE READ"} if self.engine.dialect.name == "postgresql" else {}
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            release = conn.execute(select(releases).where(releases.c.id == release_id)).first()
            rows = conn.execute(
                select(events).where(events.c.release_id == release_id).order_by(events.c.seq)
            ).all()
            if release is None and not rows:
                raise NotFoundError(f"no release {release_id!r} (golive release list shows them)")
            named = {release.snapshot} if release is not None else set()
            for row in rows:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    value = json.loads(row.data).get("snapshot")
                    if isinstance(value, str):
                        named.add(value)
            found = conn.execute(select(snapshots).where(snapshots.c.hash.in_(sorted(named)))).all()
            backs = conn.execute(select(rollbacks).where(rollbacks.c.release_id == release_id)).all()
            states = conn.execute(
                select(state_snapshots).where(state_snapshots.c.release_id == release_id)
            ).all()
            orphans: list[tuple[str, str, str]] = []
            for table, extra in ((events, "seq"), (rollbacks, "intent_seq"), (state_snapshots, "seq")):
                stray = conn.execute(
                    select(
                        table.c.release_id, func.count(), func.min(table.c[extra]), func.max(table.c[extra])
                    )
                    .where(~table.c.release_id.in_(select(releases.c.id)))
                    .group_by(table.c.release_id)
                    .order_by(table.c.release_id)
                    .limit(20)
                ).all()
                for rid, count, low, high in stray:
                    where = f"{extra} {low}" if count == 1 else f"{extra} {low}..{high} ({count} rows)"
                    orphans.append((table.name, f"release_id {rid!r} {where}", "names no release"))
        return AuditRecord(
            release_id, release, list(rows), {r.hash: r for r in found}, list(backs), list(states), orphans
        )

    def verify_record(self, record: AuditRecord, anchor: Anchor | None = None) -> AuditReport:
        """The chain part of an audit of ``record``, with this store's audit key."""
        return check_chain(record, self.__key, anchor)

    def verify(self, release_id: str, anchor: Anchor | None = None) -> AuditReport:
        """Check the release's hash chain (against ``anchor`` too); name the first bad event."""
        return self.verify_record(self.read_audit(release_id), anchor)


def _release(row: Any) -> ReleaseRow:
    return ReleaseRow(
        id=row.id,
        service=row.service,
        version=row.version,
        env=row.env,
        launch_at=_utc(row.launch_at),
        launch_tz=row.launch_tz,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        snapshot=row.snapshot,
        head_seq=row.head_seq,
        head_hash=row.head_hash,
        audit_mode=row.audit_mode or PLAIN,
        state_seq=row.state_seq,
    )


def new_release_id(service: str, at: datetime) -> str:
    import re

    slug = "-".join(re.findall(r"[a-z0-9]+", service.lower()))[:20] or "release"
    return f"{slug}-{_utc(at):%Y%m%d}-{secrets.token_hex(3)}"


def iter_types(events: Iterable[Event], *types: str) -> list[Event]:
    wanted = set(types)
    return [e for e in events if e.type in wanted]


@cache
def _release_by_id() -> Any:
    """The statement every request runs (built once: building one costs more than running it)."""
    from sqlalchemy import bindparam, select

    from golive.store.schema import releases

    return select(releases).where(releases.c.id == bindparam("id"))
