"""The hash chain of a release's log: plain SHA-256 or keyed HMAC-SHA256.

- **plain** (no ``GOLIVE_AUDIT_KEY`` when the release was started): each event's
  hash is SHA-256 over its content and the previous hash. Detects edits by anyone
  who does not recompute the hashes.
- **keyed** (``GOLIVE_AUDIT_KEY`` set when the release was started): the same
  body, HMAC-SHA256 with the key, the genesis too. A writer without the key
  cannot forge a consistent chain.

The mode is part of the record: the ``releases`` row (``audit_mode``) and the
``release.started`` event's data (``audit_mode``, covered by the first hash).
The key is read from the environment only, never stored, logged or printed.

:func:`check_chain` is the chain part of an audit: sequence, links, hashes, the
release's head and, optionally, an anchor (``SEQ:HASH``) kept outside the
database, which is what detects a log cut short with its head "repaired".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from golive.errors import InputError

__all__ = [
    "KEYED",
    "KEY_ENV",
    "MODE_NAMES",
    "PLAIN",
    "Anchor",
    "AuditKey",
    "AuditRecord",
    "AuditReport",
    "KeyRequiredError",
    "canonical_time",
    "check_chain",
    "event_hash",
    "genesis",
    "parse_anchor",
    "snapshot_digest",
    "state_digest",
]

PLAIN = "plain"
KEYED = "keyed"
MODE_NAMES = {PLAIN: "plain SHA-256", KEYED: "keyed (HMAC-SHA256)"}
KEY_ENV = "GOLIVE_AUDIT_KEY"


class KeyRequiredError(InputError):
    """A keyed release written to without the audit key."""

    code = "audit_key_required"


class AuditKey:
    """The audit key. Its value never leaves this object: no repr, no str, no pickling."""

    __slots__ = ("__secret",)

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("an empty audit key")
        self.__secret = secret

    @classmethod
    def from_environment(cls) -> AuditKey | None:
        value = os.environ.get(KEY_ENV, "")
        return cls(value.encode("utf-8")) if value else None

    def mac(self, body: bytes) -> str:
        return hmac.new(self.__secret, body, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "AuditKey(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the audit key cannot be pickled")


def _digest(body: bytes, key: AuditKey | None) -> str:
    return key.mac(body) if key is not None else hashlib.sha256(body).hexdigest()


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def genesis(release_id: str, key: AuditKey | None = None) -> str:
    """The ``prev_hash`` of a release's first event (keyed: an HMAC, so the first hash is too)."""
    return _digest(f"golive-release:{release_id}".encode(), key)


def event_hash(
    release_id: str,
    seq: int,
    type_: str,
    actor: str,
    at: datetime,
    data: str,
    prev: str,
    key: AuditKey | None = None,
) -> str:
    body = json.dumps(
        {
            "release": release_id,
            "seq": seq,
            "type": type_,
            "actor": actor,
            "at": canonical_time(at),
            "data": data,
            "prev": prev,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _digest(body.encode("utf-8"), key)


def snapshot_digest(content_hash: str, title: str, source: str, created_at: datetime) -> str:
    """What an event that names a snapshot records of it (``snapshot_digest``): its
    title, source and time besides its hash (the hash covers the model only).
    Plain SHA-256: the event's own hash protects it."""
    body = json.dumps(
        [content_hash, title, source, canonical_time(created_at)], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def state_digest(release_id: str, seq: int, event_hash_: str, state: str, key: AuditKey | None) -> str:
    """The digest binding a cached state to its release and event: ``k:`` HMAC with
    the audit key, ``p:`` plain SHA-256 without one."""
    body = json.dumps([release_id, seq, event_hash_, state], ensure_ascii=False, separators=(",", ":"))
    return ("k:" if key is not None else "p:") + _digest(body.encode("utf-8"), key)


# -- anchors -----------------------------------------------------------------------
@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


_ANCHOR = re.compile(r"(\d{1,9}):([0-9a-f]{64})")


def parse_anchor(text: str, *, location: str = "--head") -> Anchor:
    match = _ANCHOR.fullmatch(text.strip().lower())
    if match is None:
        raise InputError(
            f"not an anchor: {text[:80]!r} (expected SEQ:HASH, e.g. 7:<64 hex digits>, "
            "as `golive audit head` prints it)",
            location=location,
        )
    return Anchor(int(match.group(1)), match.group(2))


# -- the audit record: every row of a release, read in one transaction -------------
@dataclass
class AuditRecord:
    """A release's rows as stored (raw: nothing parsed, nothing trusted)."""

    release_id: str
    release: Any  # the releases row (None: deleted, while events still name the release)
    events: list[Any]  # events rows, by seq
    snapshots: dict[str, Any]  # snapshots rows named by the release or its events, by hash
    rollbacks: list[Any]  # rollbacks rows of the release (at most one)
    states: list[Any]  # state_snapshots rows of the release (at most one)
    orphans: list[tuple[str, str, str]] = field(default_factory=list)  # (table, row, what)

    @property
    def mode(self) -> str:
        if self.release is None:
            return PLAIN
        return str(getattr(self.release, "audit_mode", None) or PLAIN)


@dataclass(frozen=True)
class AuditReport:
    """The chain part of an audit. ``row`` names where it broke (``events seq 7``,
    ``releases ID``); ``hashes_checked`` is False for a keyed release audited
    without the key (links, sequence and head were checked, the HMACs were not)."""

    release_id: str
    events: int
    ok: bool
    bad_seq: int | None = None
    reason: str = ""
    mode: str = PLAIN
    hashes_checked: bool = True
    row: str = ""
    notes: tuple[str, ...] = ()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_chain(record: AuditRecord, key: AuditKey | None, anchor: Anchor | None = None) -> AuditReport:
    """Check the release's hash chain; name the first bad event."""
    rid, rows, release = record.release_id, record.events, record.release
    mode = record.mode
    n = len(rows)

    def broken(seq: int | None, reason: str, row: str | None = None, checked: bool = True) -> AuditReport:
        return AuditReport(
            rid,
            n,
            False,
            seq,
            reason,
            mode,
            checked,
            row or (f"events seq {seq}" if seq else f"releases {rid}"),
        )

    if release is None:
        return broken(None, f"the release row is missing but {n} events name it (deleted)", f"releases {rid}")
    if mode not in MODE_NAMES:
        return broken(None, f"unknown audit mode {mode!r}", f"releases {rid}")
    checked = mode == PLAIN or key is not None
    chain_key = key if mode == KEYED else None
    notes: list[str] = []
    if mode == PLAIN and key is not None and rows and rows[0].prev_hash == genesis(rid, key):
        return broken(
            1,
            "event 1 follows the keyed genesis but the release is marked plain (its mode marker was changed)",
        )
    prev = genesis(rid, chain_key) if checked else (rows[0].prev_hash if rows else release.head_hash)
    expected = 1
    for row in rows:
        if row.seq != expected:
            if row.seq > expected:
                return broken(expected, f"event {expected} is missing (removed)", checked=checked)
            return broken(row.seq, f"event {row.seq} appears twice", checked=checked)
        if row.prev_hash != prev and row.seq == 1:
            return broken(
                1,
                f"event 1 does not start from the release's {MODE_NAMES[mode]} genesis "
                + (
                    "(a wrong GOLIVE_AUDIT_KEY, or the log was rewritten)"
                    if chain_key
                    else "(an event was inserted or removed)"
                ),
                checked=checked,
            )
        if row.prev_hash != prev:
            return broken(
                row.seq,
                f"event {row.seq} does not follow event {row.seq - 1} "
                "(an event was inserted, removed or reordered)",
                checked=checked,
            )
        if checked:
            digest = event_hash(
                rid, row.seq, row.type, row.actor, _utc(row.at), row.data, row.prev_hash, chain_key
            )
            if digest != row.hash:
                how = " (a keyed hash does not verify with this key)" if mode == KEYED else ""
                return broken(
                    row.seq, f"event {row.seq} was edited (its content no longer matches its hash){how}"
                )
        prev = row.hash
        expected += 1
    if release.head_seq != n or release.head_hash != prev:
        missing = release.head_seq if release.head_seq > n else n
        return broken(
            min(n + 1, missing),
            f"the log ends at event {n} but the release's head is event {release.head_seq} "
            "(events were removed from the end, or the head was changed)",
            f"releases {rid}",
            checked,
        )
    if anchor is not None:
        if anchor.seq > n:
            return broken(
                n + 1,
                f"the log ends at event {n} but the anchor kept elsewhere is event {anchor.seq} "
                "(events were cut off and the head repaired)",
                checked=checked,
            )
        if anchor.seq >= 1 and rows[anchor.seq - 1].hash != anchor.hash:
            return broken(
                anchor.seq,
                f"event {anchor.seq} does not have the anchor's hash (the log was rewritten)",
                checked=checked,
            )
        if anchor.seq == 0 and anchor.hash != (genesis(rid, chain_key) if checked else anchor.hash):
            return broken(None, "the genesis does not match the anchor", f"releases {rid}", checked)
        notes.append(f"matches the anchor {anchor.seq}:{anchor.hash[:12]}…")
    return AuditReport(rid, n, True, None, "", mode, checked, "", tuple(notes))
