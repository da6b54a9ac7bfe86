"""The database schema (SQLAlchemy Core). Changes go through Alembic migrations
in ``golive/store/migrations``; ``tests/store`` checks the two agree."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

__all__ = ["events", "metadata", "releases", "rollbacks", "snapshots", "state_snapshots"]

metadata = MetaData()

snapshots = Table(
    "snapshots",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("service", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("env", String(100), nullable=False),
    Column("launch_at", DateTime(timezone=True), nullable=False),
    Column("launch_tz", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("snapshot", String(64), ForeignKey("snapshots.hash"), nullable=False),
    Column("head_seq", Integer, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False),
    # "plain" (SHA-256) or "keyed" (HMAC-SHA256 with GOLIVE_AUDIT_KEY); release.started records it too
    Column("audit_mode", String(16), nullable=False, server_default="plain"),
    # the seq of the state cached in state_snapshots, if any: a cache row deleted
    # behind golive's back shows as a row the release says exists
    Column("state_seq", Integer, nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("release_id", String(40), ForeignKey("releases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("id", BigInteger, nullable=True),
    Column("type", String(64), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("release_id", "seq", name="pk_events"),
)

Index("ix_events_type", events.c.release_id, events.c.type)

# a cache of a release's folded state at one event (``event_hash`` ties it to
# that event, ``digest`` binds both, keyed with the audit key when one is set);
# derived data: the audit compares it with a fresh fold
state_snapshots = Table(
    "state_snapshots",
    metadata,
    Column("release_id", String(40), ForeignKey("releases.id"), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("event_hash", String(64), nullable=False),
    Column("state", Text, nullable=False),
    Column("digest", String(80), nullable=True),
)

# one rollback per release, ever: the primary key is the release
rollbacks = Table(
    "rollbacks",
    metadata,
    Column("release_id", String(40), ForeignKey("releases.id"), primary_key=True),
    Column("intent_seq", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
)
