"""The report's records: gates, required sign-offs, the decision, and each item
with who did it, its checks, evidence, comments and rollback procedure steps."""

from __future__ import annotations

from golive.release.decide import gate_statuses, valid_signoffs
from golive.report.context import ReportContext, evidence_text
from golive.report.model import CheckRow, DecisionInfo, GateRecord, ItemRecord, Requirement, RolloutReport
from golive.report.text import clean, one_line

__all__ = ["decision_info", "gate_records", "item_records", "requirements"]


def gate_records(ctx: ReportContext) -> list[GateRecord]:
    out: list[GateRecord] = []
    for status in gate_statuses(ctx.state):
        item = status.item
        record = ctx.state.items.get(item.id)
        waiver = ctx.state.waivers.get(item.id)
        state = "waived" if status.waived else {True: "holds", False: "failed", None: "pending"}[status.holds]
        out.append(
            GateRecord(
                item=clean(item.id),
                text=one_line(item.text, 300),
                line=item.line,
                kind=item.gate.kind if item.gate is not None else "hard",
                state=state,
                by=clean(record.by) if record is not None and record.by else "",
                when=ctx.when(record.at) if record is not None and record.at else None,
                checks=[c for c in ctx.checks if c.item == item.id],
                evidence=[evidence_text(e) for e in (record.evidence if record is not None else [])],
                waiver=f"by {clean(waiver.by)}: {one_line(waiver.reason)}" if waiver is not None else "",
            )
        )
    return out


def requirements(ctx: ReportContext) -> list[Requirement]:
    from golive.config import config_from_record
    from golive.release.decide import required_signoffs

    valid = valid_signoffs(ctx.state)
    return [
        Requirement(
            role=clean(role),
            quorum=quorum,
            signed_by=sorted({clean(s.by) for s in valid if s.role == role}),
        )
        for role, quorum in required_signoffs(ctx.state, config_from_record(ctx.state.config)).items()
    ]


def decision_info(ctx: ReportContext) -> DecisionInfo | None:
    recorded = ctx.state.decision
    if recorded is None:
        return None
    if recorded.revision != ctx.state.revision:
        standing = "stale: the runbook was upgraded after it"
    elif recorded.gate_epoch != ctx.state.gate_epoch:
        standing = "stale: a gate failed after it"
    else:
        standing = "current at the end of the log"
    return DecisionInfo(
        decision=clean(recorded.decision),
        by=clean(recorded.by),
        when=ctx.when(recorded.at),
        reasons=[one_line(r) for r in recorded.reasons],
        standing=standing,
    )


def item_records(ctx: ReportContext, rollout: RolloutReport | None) -> list[ItemRecord]:
    out: list[ItemRecord] = []
    procedure: dict[str, list[str]] = {}
    rollback = rollout.rollback if rollout is not None else None
    for step in rollback.steps if rollback is not None else []:
        if step.item:
            status = "ok" if step.ok else "FAILED" if step.ok is False else "no outcome"
            procedure.setdefault(step.item, []).append(
                f"run by golive as rollback procedure step {step.index + 1}, {step.when.local} "
                f"({step.when.t}): {status}: {step.summary}"
            )
    checks: dict[str, list[CheckRow]] = {}
    for row in ctx.checks:
        checks.setdefault(row.item, []).append(row)
    comments: dict[str, list[str]] = {}
    for moment, actor, text, item_id in ctx.comments:
        if item_id:
            comments.setdefault(str(item_id), []).append(f"{actor}, {moment.t}: {text}")
    for item_id, item in ctx.items.items():
        record = ctx.state.items.get(item_id)
        if record is None and not {item_id} & (checks.keys() | comments.keys() | procedure.keys()):
            continue
        out.append(
            ItemRecord(
                id=clean(item_id),
                text=one_line(item.text, 300),
                section=ctx.section_of.get(item_id, ""),
                line=item.line,
                status=record.status.value if record is not None else "pending",
                by=clean(record.by) if record is not None and record.by else "",
                when=ctx.when(record.at) if record is not None and record.at else None,
                reason=one_line(record.reason) if record is not None and record.reason else "",
                checks=checks.get(item_id, []),
                evidence=[evidence_text(e) for e in (record.evidence if record is not None else [])],
                comments=comments.get(item_id, []),
                procedure=procedure.get(item_id, []),
            )
        )
    return out


def configuration(ctx: ReportContext) -> list[str]:
    """The configuration in force as the log records it (people, quorum, policy, who may
    waive), then each reconfiguration with who recorded it and what changed."""
    from golive.config import describe_record

    out = [clean(line) for line in describe_record(ctx.state.config)]
    for event in ctx.events:
        if event.type == "release.reconfigured":
            changes = "; ".join(clean(c) for c in event.data.get("changes", []))
            out.append(f"reconfigured at {ctx.when(event.at).local} by {clean(event.actor)}: {changes}")
    return out
