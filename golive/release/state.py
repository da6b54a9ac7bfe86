"""A release's state is a pure fold over its events.

Event types (``data`` fields):

- ``release.started`` {runbook, content_hash, snapshot, service, version, env, launch, config}
- ``release.reconfigured`` {config, changes, affects_go}: the configuration in force from now on
- ``release.upgraded`` {snapshot, content_hash, added, removed, changed, renamed}
- ``role.assigned`` {role, person} / ``role.unassigned`` {role, person}
- ``item.started`` / ``item.done`` / ``item.failed`` {item, note?}; ``item.skipped`` {item, reason}
- ``item.reopened`` {item, reason}
- ``item.commented`` {item?, text}; ``evidence.attached`` {item, url? | file?, sha256?, note?}
- ``check.recorded`` {item, name, kind, status, summary, observed, evidence, duration_ms}
- ``signoff.given`` {role, revision, gate_epoch, note?} / ``signoff.revoked`` {role, reason}
- ``waiver.granted`` {target, reason} / ``waiver.revoked`` {target, reason}
- ``decision.recorded`` {decision, reasons, revision, gate_epoch}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from golive.runbook.model import Runbook
from golive.store.events import Event

__all__ = [
    "ITEM_TRANSITIONS",
    "CheckRecord",
    "DecisionRecord",
    "ItemState",
    "ItemStatus",
    "ReleaseState",
    "SignOffRecord",
    "Waiver",
    "fold",
    "state_from_json",
    "state_snapshot_hash",
    "state_to_json",
]


class ItemStatus(StrEnum):
    PENDING = "pending"
    STARTED = "started"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


# event type -> (statuses it may follow, status it leads to); transitions as data
ITEM_TRANSITIONS: dict[str, tuple[frozenset[ItemStatus], ItemStatus]] = {
    "item.started": (frozenset({ItemStatus.PENDING, ItemStatus.FAILED}), ItemStatus.STARTED),
    "item.done": (frozenset({ItemStatus.PENDING, ItemStatus.STARTED, ItemStatus.FAILED}), ItemStatus.DONE),
    "item.failed": (frozenset({ItemStatus.PENDING, ItemStatus.STARTED, ItemStatus.DONE}), ItemStatus.FAILED),
    "item.skipped": (
        frozenset({ItemStatus.PENDING, ItemStatus.STARTED, ItemStatus.FAILED}),
        ItemStatus.SKIPPED,
    ),
    "item.reopened": (
        frozenset({ItemStatus.DONE, ItemStatus.FAILED, ItemStatus.SKIPPED}),
        ItemStatus.PENDING,
    ),
}


@dataclass
class CheckRecord:
    name: str
    kind: str
    status: str
    summary: str
    at: datetime
    by: str


@dataclass
class ItemState:
    status: ItemStatus = ItemStatus.PENDING
    by: str | None = None
    at: datetime | None = None
    reason: str | None = None
    comments: list[tuple[datetime, str, str]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, CheckRecord] = field(default_factory=dict)

    @property
    def checks_passed(self) -> bool | None:
        """None without checks; True when every latest check result passed."""
        if not self.checks:
            return None
        return all(c.status in ("passed", "skipped") for c in self.checks.values()) and any(
            c.status == "passed" for c in self.checks.values()
        )


@dataclass
class SignOffRecord:
    role: str
    by: str
    at: datetime
    revision: int
    gate_epoch: int
    note: str = ""


@dataclass
class Waiver:
    target: str
    by: str
    at: datetime
    reason: str


@dataclass
class DecisionRecord:
    decision: str
    by: str
    at: datetime
    reasons: list[str]
    revision: int
    gate_epoch: int
    config_epoch: int = 0


@dataclass
class ReleaseState:
    release_id: str
    runbook: Runbook
    seq: int = 0
    revision: int = 0
    gate_epoch: int = 0
    started_by: str = ""
    started_at: datetime | None = None
    items: dict[str, ItemState] = field(default_factory=dict)
    people: dict[str, list[str]] = field(default_factory=dict)
    signoffs: list[SignOffRecord] = field(default_factory=list)
    waivers: dict[str, Waiver] = field(default_factory=dict)
    decision: DecisionRecord | None = None
    comments: list[tuple[datetime, str, str]] = field(default_factory=list)
    last_event_at: datetime | None = None
    snapshot: str = ""
    last_hash: str = ""
    gate_ids: set[str] = field(default_factory=set)
    config: dict[str, Any] | None = None
    """The configuration in force, as the log records it (golive.config.config_record);
    None for a release recorded before golive kept it."""
    config_epoch: int = 0
    """Counts the reconfigurations that changed people or quorum: a GO recorded before one is stale."""

    def __post_init__(self) -> None:
        self.gate_ids = {item.id for item in self.runbook.gates()}

    def item(self, item_id: str) -> ItemState:
        return self.items.setdefault(item_id, ItemState())

    def roles_of(self, person: str) -> set[str]:
        return {role for role, people in self.people.items() if person in people}

    def gate_holds(self, item_id: str) -> bool | None:
        """True when a gate item holds, False when it failed, None while pending."""
        state = self.items.get(item_id)
        if item_id in self.waivers:
            return True
        if state is None:
            return None
        if state.status == ItemStatus.FAILED:
            return False
        passed = state.checks_passed
        if passed is False:
            return False
        if state.status == ItemStatus.DONE:
            return True
        if passed is True and state.status != ItemStatus.SKIPPED:
            return True
        return None


def fold(
    release_id: str,
    runbook: Runbook,
    events: Iterable[Event],
    load_snapshot: Any = None,
    *,
    initial: ReleaseState | None = None,
) -> ReleaseState:
    """Derive a release's state from its events, oldest first, or continue from
    ``initial`` (a cached state) with the events after it.

    ``load_snapshot(hash) -> Runbook`` is used for ``release.upgraded``.
    """
    state = initial if initial is not None else ReleaseState(release_id=release_id, runbook=runbook)
    for event in events:
        _apply(state, event, load_snapshot)
        state.seq = event.seq
        state.last_event_at = event.at
        state.last_hash = event.hash
    return state


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def state_to_json(state: ReleaseState) -> str:
    """The state as JSON, for the snapshot cache (the runbook by its snapshot hash)."""
    import json

    def item(value: ItemState) -> dict[str, Any]:
        return {
            "status": value.status.value,
            "by": value.by,
            "at": _iso(value.at),
            "reason": value.reason,
            "comments": [[_iso(a), b, c] for a, b, c in value.comments],
            "evidence": value.evidence,
            "checks": {
                name: [c.kind, c.status, c.summary, _iso(c.at), c.by] for name, c in value.checks.items()
            },
        }

    decision = state.decision
    data = {
        "snapshot": state.snapshot,
        "release_id": state.release_id,
        "seq": state.seq,
        "last_hash": state.last_hash,
        "revision": state.revision,
        "gate_epoch": state.gate_epoch,
        "started_by": state.started_by,
        "started_at": _iso(state.started_at),
        "last_event_at": _iso(state.last_event_at),
        "items": {k: item(v) for k, v in state.items.items()},
        "people": state.people,
        "signoffs": [[s.role, s.by, _iso(s.at), s.revision, s.gate_epoch, s.note] for s in state.signoffs],
        "waivers": {k: [w.by, _iso(w.at), w.reason] for k, w in state.waivers.items()},
        "decision": None
        if decision is None
        else [
            decision.decision,
            decision.by,
            _iso(decision.at),
            decision.reasons,
            decision.revision,
            decision.gate_epoch,
            decision.config_epoch,
        ],
        "comments": [[_iso(a), b, c] for a, b, c in state.comments],
        "config": state.config,
        "config_epoch": state.config_epoch,
    }
    return json.dumps(data, separators=(",", ":"), default=str)


def state_snapshot_hash(text: str) -> str:
    """The runbook snapshot a cached state was folded over."""
    import json

    return str(json.loads(text)["snapshot"])


def state_from_json(text: str, runbook: Runbook) -> ReleaseState:
    import json

    data = json.loads(text)
    state = ReleaseState(release_id=data["release_id"], runbook=runbook)
    state.snapshot = data["snapshot"]
    state.seq = data["seq"]
    state.last_hash = data["last_hash"]
    state.revision = data["revision"]
    state.gate_epoch = data["gate_epoch"]
    state.started_by = data["started_by"]
    state.started_at = _dt(data["started_at"])
    state.last_event_at = _dt(data["last_event_at"])
    for key, value in data["items"].items():
        state.items[key] = ItemState(
            status=ItemStatus(value["status"]),
            by=value["by"],
            at=_dt(value["at"]),
            reason=value["reason"],
            comments=[(_need(_dt(a)), b, c) for a, b, c in value["comments"]],
            evidence=value["evidence"],
            checks={
                name: CheckRecord(name=name, kind=k, status=st, summary=sm, at=_need(_dt(at)), by=by)
                for name, (k, st, sm, at, by) in value["checks"].items()
            },
        )
    state.people = {k: list(v) for k, v in data["people"].items()}
    state.signoffs = [
        SignOffRecord(role=r, by=b, at=_need(_dt(a)), revision=rv, gate_epoch=ge, note=n)
        for r, b, a, rv, ge, n in data["signoffs"]
    ]
    state.waivers = {
        k: Waiver(target=k, by=b, at=_need(_dt(a)), reason=r) for k, (b, a, r) in data["waivers"].items()
    }
    if data["decision"] is not None:
        d, b, a, reasons, rv, ge, ce = data["decision"]
        state.decision = DecisionRecord(
            decision=d, by=b, at=_need(_dt(a)), reasons=reasons, revision=rv, gate_epoch=ge, config_epoch=ce
        )
    state.comments = [(_need(_dt(a)), b, c) for a, b, c in data["comments"]]
    state.config = data["config"]
    state.config_epoch = data["config_epoch"]
    return state


def _need(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("missing time in cached state")
    return value


def _apply(state: ReleaseState, event: Event, load_snapshot: Any) -> None:
    data = event.data
    kind = event.type
    if kind == "release.started":
        state.started_by = event.actor
        state.started_at = event.at
        state.config = data.get("config")
        return
    if kind == "release.reconfigured":
        state.config = data["config"]
        if data.get("affects_go"):
            state.config_epoch += 1
        return
    if kind == "release.upgraded":
        state.snapshot = data["snapshot"]
        state.snapshot = data["snapshot"]
        if load_snapshot is not None:
            state.runbook = load_snapshot(data["snapshot"])
            state.gate_ids = {item.id for item in state.runbook.gates()}
        for old, new in data.get("renamed", {}).items():
            if old in state.items:
                state.items[new] = state.items.pop(old)
        for removed in data.get("removed", []):
            state.items.pop(removed, None)
        for changed in data.get("changed", []):
            state.items[changed] = ItemState()
        state.revision += 1
        return
    if kind in ITEM_TRANSITIONS:
        item = state.item(data["item"])
        gates = state.gate_ids
        held_before = state.gate_holds(data["item"]) if data["item"] in gates else None
        item.status = ITEM_TRANSITIONS[kind][1]
        item.by, item.at = event.actor, event.at
        item.reason = data.get("reason") or data.get("note")
        if data["item"] in gates and held_before is True and state.gate_holds(data["item"]) is not True:
            state.gate_epoch += 1
        return
    if kind == "check.recorded":
        item = state.item(data["item"])
        gates = state.gate_ids
        held_before = state.gate_holds(data["item"]) if data["item"] in gates else None
        item.checks[data["name"]] = CheckRecord(
            name=data["name"],
            kind=data.get("kind", ""),
            status=data["status"],
            summary=data.get("summary", ""),
            at=event.at,
            by=event.actor,
        )
        if data["item"] in gates and held_before is True and state.gate_holds(data["item"]) is False:
            state.gate_epoch += 1
        return
    if kind == "item.commented":
        target = state.item(data["item"]).comments if data.get("item") else state.comments
        target.append((event.at, event.actor, data["text"]))
        return
    if kind == "evidence.attached":
        state.item(data["item"]).evidence.append({**data, "by": event.actor, "at": event.at.isoformat()})
        return
    if kind == "role.assigned":
        people = state.people.setdefault(data["role"], [])
        if data["person"] not in people:
            people.append(data["person"])
        return
    if kind == "role.unassigned":
        people = state.people.get(data["role"], [])
        if data["person"] in people:
            people.remove(data["person"])
        return
    if kind == "signoff.given":
        state.signoffs.append(
            SignOffRecord(
                role=data["role"],
                by=event.actor,
                at=event.at,
                revision=data["revision"],
                gate_epoch=data["gate_epoch"],
                note=data.get("note", ""),
            )
        )
        return
    if kind == "signoff.revoked":
        state.signoffs = [s for s in state.signoffs if not (s.role == data["role"] and s.by == event.actor)]
        return
    if kind == "waiver.granted":
        state.waivers[data["target"]] = Waiver(
            target=data["target"], by=event.actor, at=event.at, reason=data["reason"]
        )
        return
    if kind == "waiver.revoked":
        state.waivers.pop(data["target"], None)
        return
    if kind == "decision.recorded":
        state.decision = DecisionRecord(
            decision=data["decision"],
            by=event.actor,
            at=event.at,
            reasons=list(data.get("reasons", [])),
            revision=data["revision"],
            gate_epoch=data["gate_epoch"],
            config_epoch=data.get("config_epoch", 0),
        )
        return
    # unknown event types (from a newer golive) are kept in the log and ignored here
