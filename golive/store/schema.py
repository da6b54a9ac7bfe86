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

__all__ = [
    "api_tokens",
    "events",
    "idempotency_keys",
    "login_throttle",
    "metadata",
    "releases",
    "rollbacks",
    "snapshots",
    "state_snapshots",
    "users",
    "web_sessions",
]

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

# -- people, tokens and sessions of the web API (golive.auth) ----------------------
users = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=True),  # argon2id; none: the person signs in with tokens only
    Column("disabled", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
)

# failed logins per person and client address: a lock-out by someone guessing
# elsewhere never locks the person out where they are
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("user_name", String(200), nullable=False),
    Column("client", String(100), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("user_name", "client", name="pk_login_throttle"),
)

# an API token is shown once; only the SHA-256 of its secret is kept
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("user_name", String(200), ForeignKey("users.name"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

# a dashboard session: the cookie holds the id, the table its SHA-256
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(200), ForeignKey("users.name"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# the first answer to an action sent with an Idempotency-Key, replayed to its retries
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=True),  # none: the first request is still running
    Column("body", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("principal", "key", name="pk_idempotency_keys"),
)
