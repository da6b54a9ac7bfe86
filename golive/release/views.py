"""Releases as plain JSON-ready data: the one shape ``--json`` prints and the API
answers, so a script reading one reads the other."""

from __future__ import annotations

from typing import Any

from golive.release.decide import Decision, gate_statuses
from golive.release.state import ItemStatus, ReleaseState
from golive.release.status import StatusReport
from golive.store.events import Event, ReleaseRow

__all__ = [
    "decision_view",
    "event_view",
    "gates_view",
    "items_view",
    "release_view",
    "signoffs_view",
    "status_view",
]


def release_view(row: ReleaseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "service": row.service,
        "version": row.version,
        "env": row.env,
        "launch": row.launch_at,
        "launch_tz": row.launch_tz,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "audit_mode": row.audit_mode,
        "snapshot": row.snapshot,
        "head_seq": row.head_seq,
        "head_hash": row.head_hash,
    }


def decision_view(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.decision,
        "reasons": decision.reasons,
        "signoffs": {k: {"have": v[0], "need": v[1]} for k, v in decision.signoffs.items()},
        "recorded": decision.recorded,
    }


def status_view(report: StatusReport) -> dict[str, Any]:
    decision = report.decision
    return {
        "release": report.release.id,
        "service": report.release.service,
        "version": report.release.version,
        "env": report.release.env,
        "launch": report.release.launch_at,
        "now": report.now,
        "seq": report.state.seq,
        "phases": [
            {
                "id": p.section.id,
                "title": p.section.title,
                "start": p.window.start,
                "end": p.window.end,
                "total": p.total,
                "done": p.done,
                "failed": p.failed,
            }
            for p in report.phases
        ],
        "due_now": [{"item": i.id, "text": i.text, "end": w.end} for i, w in report.due_now],
        "overdue": [{"item": i.id, "text": i.text, "end": w.end} for i, w in report.overdue],
        "next_gate": {"item": report.next_gate.id, "text": report.next_gate.text}
        if report.next_gate
        else None,
        "decision": {
            "decision": decision.decision,
            "reasons": decision.reasons,
            "recorded": decision.recorded,
        }
        if decision
        else None,
        "waivers": [
            {"target": w.target, "by": w.by, "reason": w.reason} for w in report.state.waivers.values()
        ],
        "config": report.state.config,
    }


def items_view(state: ReleaseState) -> list[dict[str, Any]]:
    """Every item of the release's runbook with its state, checks and evidence."""
    out: list[dict[str, Any]] = []
    for section in state.runbook.walk_sections():
        for item in section.items:
            for found in [item, *_children(item)]:
                current = state.items.get(found.id)
                out.append(
                    {
                        "id": found.id,
                        "section": section.id,
                        "text": found.text,
                        "line": found.line,
                        "owner": found.owner,
                        "gate": found.gate.kind if found.gate else None,
                        "optional": found.optional,
                        "status": (current.status if current else ItemStatus.PENDING).value,
                        "by": current.by if current else None,
                        "at": current.at if current else None,
                        "checks": [
                            {
                                "name": c.name,
                                "kind": c.kind,
                                "status": c.status,
                                "summary": c.summary,
                                "at": c.at,
                            }
                            for c in (current.checks.values() if current else [])
                        ],
                        "evidence": list(current.evidence) if current else [],
                    }
                )
    return out


def _children(item: Any) -> list[Any]:
    out: list[Any] = []
    for child in item.items:
        out.append(child)
        out.extend(_children(child))
    return out


def gates_view(state: ReleaseState) -> list[dict[str, Any]]:
    return [
        {
            "item": g.item.id,
            "text": g.item.text,
            "line": g.item.line,
            "kind": g.item.gate.kind if g.item.gate else None,
            "holds": g.holds,
            "waived": g.waived,
        }
        for g in gate_statuses(state)
    ]


def signoffs_view(state: ReleaseState) -> list[dict[str, Any]]:
    return [
        {"role": s.role, "by": s.by, "at": s.at, "note": s.note, "revision": s.revision}
        for s in state.signoffs
    ]


def event_view(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "type": event.type,
        "actor": event.actor,
        "at": event.at,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
