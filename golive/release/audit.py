"""The whole-release audit: every stored fact of a release checked against its log.

The event log is the record; every other row is checked against it:

- **events**: the hash chain (plain SHA-256 or keyed HMAC-SHA256, see
  :mod:`golive.store.chain`), the release's head, and an anchor kept elsewhere.
- **snapshots**: each runbook snapshot the release or its events name exists,
  its model matches its content hash, and its title, source and time match the
  ``snapshot_digest`` the naming event recorded (releases recorded before golive
  bound them: a note says their title and source cannot be checked).
- **releases**: the row (service, version, env, launch time and zone, creator,
  creation time, snapshot, mode) matches ``release.started``; its head matches
  the last event.
- **rollbacks**: the row matches a ``rollout.rollback.intent`` event (seq, time)
  and every such event has its row.
- **state_snapshots**: a cached state matches its event, its digest, and a
  fresh fold of the events up to it.
- rows of any table that name no release.

Each finding names the table, the row and what differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from golive.store.chain import KEYED, MODE_NAMES, PLAIN, Anchor, AuditRecord, AuditReport, snapshot_digest
from golive.store.events import Event, EventStore

__all__ = ["Finding", "ReleaseAudit", "audit_release"]


@dataclass(frozen=True)
class Finding:
    table: str
    row: str
    what: str

    def __str__(self) -> str:
        return f"{self.table} {self.row}: {self.what}"


@dataclass
class ReleaseAudit:
    release_id: str
    events: int
    mode: str
    key_set: bool
    chain: AuditReport
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def hashes_checked(self) -> bool:
        return self.chain.hashes_checked

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.mode, self.mode)

    @property
    def exit_code(self) -> int:
        """1 tampering found; 2 nothing found but the keyed hashes could not be
        checked (no key: a setup problem, not evidence); 0 every fact checked."""
        if self.findings:
            return 1
        return 0 if self.hashes_checked else 2


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _short(content_hash: str) -> str:
    return f"{content_hash[:6]}…"


def _data(row: Any) -> dict[str, Any]:
    try:
        value = json.loads(row.data)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def audit_release(
    store: EventStore, release_id: str, *, anchor: Anchor | None = None, require_keyed: bool = False
) -> ReleaseAudit:
    record = store.read_audit(release_id)
    chain = store.verify_record(record, anchor)
    audit = ReleaseAudit(release_id, len(record.events), record.mode, store.has_audit_key, chain)
    if not chain.ok:
        table, _, row = chain.row.partition(" ")
        at = f" at event {chain.bad_seq}" if chain.bad_seq is not None else ""
        audit.findings.append(Finding(table, row, f"chain broken{at}: {chain.reason}"))
    audit.notes.extend(chain.notes)
    if record.release is None:  # nothing left to check the other rows against
        audit.findings.extend(Finding(t, r, w) for t, r, w in record.orphans)
        return audit
    _check_mode(audit, record, require_keyed)
    _check_release_row(audit, record)
    _check_snapshots(audit, record)
    _check_rollbacks(audit, record)
    _check_states(audit, record, store, chain.ok)
    for table, row, what in record.orphans:
        audit.findings.append(Finding(table, row, what))
    return audit


def _check_mode(audit: ReleaseAudit, record: AuditRecord, require_keyed: bool) -> None:
    rid = record.release_id
    if audit.mode == KEYED and not audit.key_set:
        audit.notes.append(
            "recorded keyed (HMAC-SHA256): GOLIVE_AUDIT_KEY is not set, so the keyed hashes were not checked "
            "(sequence, links, head and every other table were)"
        )
    if audit.mode == PLAIN:
        if require_keyed:
            audit.findings.append(
                Finding("releases", rid, "recorded plain SHA-256 but --require-keyed demands keyed")
            )
        elif audit.key_set:
            audit.notes.append(
                "recorded plain SHA-256: not protected against a writer who can recompute hashes "
                "(a keyed release rewritten as plain looks like this: use --require-keyed or --head)"
            )
        else:
            audit.notes.append("plain SHA-256: not protected against a writer who can recompute hashes")


def _check_release_row(audit: ReleaseAudit, record: AuditRecord) -> None:
    rid, release = record.release_id, record.release
    first = record.events[0] if record.events else None
    if first is None:
        audit.findings.append(Finding("releases", rid, "no event records this release (no release.started)"))
        return
    if first.seq != 1 or first.type != "release.started":
        audit.findings.append(
            Finding("events", "seq 1", "is not release.started: the release row cannot be checked")
        )
        return
    data = _data(first)
    differ: list[str] = []

    def compare(column: str, stored: Any, recorded: Any) -> None:
        if stored != recorded:
            differ.append(f"{column} {stored!r} (release.started: {recorded!r})")

    compare("service", release.service, data.get("service"))
    compare("version", release.version, data.get("version"))
    compare("env", release.env, data.get("env"))
    compare("launch_tz", release.launch_tz, data.get("tz"))
    compare("snapshot", release.snapshot, data.get("snapshot"))
    compare("created_by", release.created_by, first.actor)
    compare("created_at", _utc(release.created_at).isoformat(), _utc(first.at).isoformat())
    compare("audit_mode", release.audit_mode or PLAIN, data.get("audit_mode", PLAIN))
    try:
        launch: str | None = _utc(datetime.fromisoformat(str(data.get("launch")))).isoformat()
    except ValueError:
        launch = data.get("launch")
    compare("launch_at", _utc(release.launch_at).isoformat(), launch)
    if differ:
        audit.findings.append(Finding("releases", rid, "; ".join(differ)))


def _check_snapshots(audit: ReleaseAudit, record: AuditRecord) -> None:
    release = record.release
    named: dict[str, list[tuple[str, dict[str, Any]]]] = {release.snapshot: [(f"releases {release.id}", {})]}
    for row in record.events:
        data = _data(row)
        if isinstance(data.get("snapshot"), str):
            named.setdefault(data["snapshot"], []).append((f"events seq {row.seq}", data))
    unbound = []
    for content_hash, refs in named.items():
        where = ", ".join(r for r, _ in refs)
        row = record.snapshots.get(content_hash)
        if row is None:
            audit.findings.append(Finding("snapshots", _short(content_hash), f"missing (named by {where})"))
            continue
        if hashlib.sha256(row.model.encode("utf-8")).hexdigest() != row.hash:
            audit.findings.append(
                Finding(
                    "snapshots", _short(content_hash), "the model does not match its content hash (edited)"
                )
            )
        digest = snapshot_digest(row.hash, row.title, row.source, _utc(row.created_at))
        recorded = [(r, d["snapshot_digest"]) for r, d in refs if "snapshot_digest" in d]
        for ref, value in recorded:
            if value != digest:
                audit.findings.append(
                    Finding(
                        "snapshots",
                        _short(content_hash),
                        f"title, source or created_at differ from what {ref} recorded",
                    )
                )
        if not recorded:
            unbound.append(_short(content_hash))
    if unbound:
        audit.notes.append(
            f"snapshots {', '.join(unbound)}: title and source cannot be checked "
            "(recorded before golive bound them to the log; the model is checked)"
        )


def _check_rollbacks(audit: ReleaseAudit, record: AuditRecord) -> None:
    intents = {row.seq: row for row in record.events if row.type == "rollout.rollback.intent"}
    matched: set[int] = set()
    for back in record.rollbacks:
        event = intents.get(back.intent_seq)
        if event is None:
            audit.findings.append(
                Finding(
                    "rollbacks",
                    back.release_id,
                    f"intent_seq {back.intent_seq} is no rollout.rollback.intent event",
                )
            )
            continue
        if _utc(back.started_at) != _utc(event.at):
            audit.findings.append(
                Finding(
                    "rollbacks",
                    back.release_id,
                    f"started_at {_utc(back.started_at).isoformat()} differs from events seq {event.seq} "
                    f"({_utc(event.at).isoformat()})",
                )
            )
        matched.add(event.seq)
    for seq in sorted(set(intents) - matched):
        audit.findings.append(
            Finding("rollbacks", record.release_id, f"missing: events seq {seq} is a rollout.rollback.intent")
        )


def _check_states(audit: ReleaseAudit, record: AuditRecord, store: EventStore, chain_ok: bool) -> None:
    from golive.release.state import fold, state_to_json
    from golive.runbook.model import Runbook

    rid = record.release_id
    cache: dict[str, Runbook] = {}

    def snapshot(content_hash: str) -> Runbook:
        if content_hash not in cache:
            found = record.snapshots.get(content_hash)
            if found is None:
                raise KeyError(content_hash)
            cache[content_hash] = Runbook.model_validate_json(found.model)
        return cache[content_hash]

    cached_at = record.release.state_seq
    if cached_at is not None and not any(row.seq == cached_at for row in record.states):
        found = ", ".join(f"seq {row.seq}" for row in record.states) or "none"
        audit.findings.append(
            Finding(
                "state_snapshots",
                rid,
                f"the release row records a state cached at seq {cached_at}; "
                f"the table holds {found} (deleted?)",
            )
        )
    if cached_at is None and record.states:
        audit.findings.append(
            Finding("state_snapshots", rid, "a cached state the release row does not record (inserted?)")
        )
    for row in record.states:
        name = f"{rid} (cached at seq {row.seq})"
        if not 1 <= row.seq <= len(record.events) or record.events[row.seq - 1].hash != row.event_hash:
            audit.findings.append(
                Finding("state_snapshots", name, "its event_hash is not the hash of that event")
            )
            continue
        if row.digest is None:
            audit.notes.append("state_snapshots: a cached state without a digest (ignored by readers)")
        else:
            matches = store.state_digest_matches(rid, row.seq, row.event_hash, row.state, row.digest)
            if matches is False:
                audit.findings.append(
                    Finding("state_snapshots", name, "its digest does not bind it to its event")
                )
            elif matches is None:
                audit.notes.append("state_snapshots: a keyed digest, not checked without GOLIVE_AUDIT_KEY")
        if not chain_ok:
            continue  # the log itself is broken: a fold of it proves nothing
        events = [_event(rid, e) for e in record.events[: row.seq]]
        try:
            fresh = fold(rid, snapshot(record.release.snapshot), events, snapshot)
            fresh.snapshot = fresh.snapshot or record.release.snapshot
            expected = json.loads(state_to_json(fresh))
            cached = json.loads(row.state)
        except Exception as exc:  # any failure to refold is a finding, not a crash
            audit.findings.append(
                Finding(
                    "state_snapshots", name, f"cannot be compared with a fresh fold ({type(exc).__name__})"
                )
            )
            continue
        if cached != expected:
            keys = _differing(cached, expected)
            audit.findings.append(
                Finding("state_snapshots", name, f"differs from a fresh fold of events 1..{row.seq} ({keys})")
            )


def _differing(cached: Any, expected: dict[str, Any]) -> str:
    if not isinstance(cached, dict):
        return "not an object"
    keys = sorted(k for k in set(cached) | set(expected) if cached.get(k) != expected.get(k))
    return ", ".join(keys[:5]) + ("…" if len(keys) > 5 else "")


def _event(release_id: str, row: Any) -> Event:
    return Event(
        release_id, row.seq, row.type, row.actor, _utc(row.at), json.loads(row.data), row.prev_hash, row.hash
    )
