"""The report's timeline: the log's events in order, each described in a line,
with the schedule's phases and the hypercare window placed among them."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from golive.release.schedule import phase_windows
from golive.report.context import ReportContext, evidence_text
from golive.report.model import RolloutReport, TimelineEntry
from golive.report.text import clean, fmt_value, one_line
from golive.store.events import Event

__all__ = ["describe", "describe_rollout", "timeline_entries"]


def timeline_entries(ctx: ReportContext, rollout: RolloutReport | None) -> list[TimelineEntry]:
    """The log's events in order, with the schedule's phase windows and the
    hypercare window placed where they fall (marked: they are not events)."""
    state, release = ctx.state, ctx.release
    derived: list[tuple[datetime, int, TimelineEntry]] = []
    windows = phase_windows(state.runbook, release.launch_at, release.launch_tz)
    for section in state.runbook.walk_sections():
        window = windows.get(section.id)
        if window is None or window.start is None:
            continue
        end = f", until {ctx.when(window.end).local} ({ctx.when(window.end).t})" if window.end else ""
        phase = TimelineEntry(
            when=ctx.when(window.start),
            kind="phase",
            actor="schedule",
            text=f"phase “{clean(section.title)}” begins{end}",
            tone="planned",
        )
        derived.append((window.start, 0, phase))
    if rollout is not None and rollout.completed is not None and rollout.hypercare_until is not None:
        began = TimelineEntry(
            rollout.completed,
            "hypercare",
            "golive-controller",
            f"hypercare began: triggers watched (alert only) until {rollout.hypercare_until.t}",
        )
        derived.append((rollout.completed.at, 1, began))
        if rollout.hypercare_ended:
            ended = TimelineEntry(
                rollout.hypercare_until, "hypercare", "golive-controller", "hypercare ended"
            )
            derived.append((rollout.hypercare_until.at, 1, ended))
    derived.sort(key=lambda d: (d[0], d[1]))
    out: list[TimelineEntry] = []
    seen_breach: set[str] = set()
    for event in ctx.events:
        while derived and (derived[0][0] < event.at or (derived[0][0] == event.at and derived[0][1] == 0)):
            out.append(derived.pop(0)[2])
        if event.type == "rollout.evaluated":
            name = str(event.data.get("trigger", ""))
            if event.data.get("outcome") != "breach" or name in seen_breach:
                continue
            seen_breach.add(name)
        entry = describe(ctx, event)
        if entry is not None:
            out.append(entry)
    out.extend(d[2] for d in derived)
    return out


def describe(ctx: ReportContext, event: Event) -> TimelineEntry | None:
    data = event.data
    kind = event.type
    text: str
    tone = "info"
    group = kind.split(".")[0]
    if kind == "release.started":
        runbook = PurePath(str(data.get("runbook", ""))).name
        text = (
            f"release started: {data.get('service')} {data.get('version')} to {data.get('env')}, launch "
            f"{ctx.when(ctx.release.launch_at).local}, runbook {runbook or data.get('title', '')}"
        )
    elif kind == "release.upgraded":
        text = (
            f"runbook upgraded: {len(data.get('added', []))} items added, {len(data.get('removed', []))} "
            f"removed, {len(data.get('changed', []))} changed"
        )
        tone = "warn"
    elif kind in ("role.assigned", "role.unassigned"):
        verb = "assigned to" if kind == "role.assigned" else "taken from"
        text = f"role {data.get('role')} {verb} {data.get('person')}"
        group = "role"
    elif kind.startswith("item.") and kind != "item.commented":
        action = kind.split(".", 1)[1]
        item_id = data.get("item", "")
        section = ctx.section_of.get(str(item_id), "")
        text = f"item {action}: {ctx.item_text(item_id)}" + (f" ({section})" if section else "")
        reason = data.get("reason") or data.get("note")
        if reason:
            text += f": {reason}"
        tone = {"done": "ok", "failed": "bad", "skipped": "warn", "reopened": "warn"}.get(action, "info")
    elif kind == "item.commented":
        where = f" on {ctx.item_text(data['item'])}" if data.get("item") else ""
        text = f"comment{where}: {data.get('text', '')}"
        group = "comment"
    elif kind == "evidence.attached":
        text = f"evidence for {ctx.item_text(data.get('item', ''))}: {evidence_text(data)}"
        group = "evidence"
    elif kind == "check.recorded":
        status = str(data.get("status", ""))
        text = (
            f"check {status}: {data.get('name', '')} on {ctx.item_text(data.get('item', ''))}: "
            f"{data.get('summary', '')}"
        )
        tone = {"passed": "ok", "failed": "bad", "error": "bad"}.get(status, "info")
    elif kind == "signoff.given":
        text = f"sign-off as {data.get('role')}" + (f": {data['note']}" if data.get("note") else "")
        tone = "ok"
    elif kind == "signoff.revoked":
        text = f"sign-off as {data.get('role')} revoked: {data.get('reason', '')}"
        tone = "warn"
        group = "signoff"
    elif kind in ("waiver.granted", "waiver.revoked"):
        target = str(data.get("target", ""))
        what = target if target.startswith("policy:") else ctx.item_text(target)
        text = f"waiver {kind.split('.')[1]} for {what}: {data.get('reason', '')}"
        tone = "warn"
        group = "waiver"
    elif kind == "decision.recorded":
        decision = str(data.get("decision", ""))
        reasons = "; ".join(str(r) for r in data.get("reasons", []))
        text = f"decision recorded: {decision}" + (f" ({reasons})" if reasons else "")
        tone = "ok" if decision == "GO" else "bad"
    elif kind.startswith("rollout."):
        described = describe_rollout(ctx, event)
        if described is None:
            return None
        group, text, tone = described
    else:
        text = kind  # an event type from a newer golive: named, its data not shown
    return TimelineEntry(ctx.when(event.at), group, clean(event.actor), one_line(text, 600), event.seq, tone)


def describe_rollout(ctx: ReportContext, event: Event) -> tuple[str, str, str] | None:
    data = event.data
    kind = event.type[len("rollout.") :]
    if kind == "started":
        guard = data.get("guard") if isinstance(data.get("guard"), dict) else {}
        assert isinstance(guard, dict)
        plans = [
            f"{c.get('name')} "
            + " → ".join(
                f"{s.get('weight'):g}%"
                for s in c.get("steps", [])
                if isinstance(s.get("weight"), int | float)
            )
            for c in guard.get("components", [])
            if isinstance(c, dict)
        ]
        mode = " (whole guard in shadow mode)" if guard.get("shadow") else ""
        return (
            "rollout",
            f"rollout started: {'; '.join(plans)}; {len(guard.get('triggers', []))} triggers{mode}",
            "info",
        )
    if kind == "step.intent":
        return None
    if kind == "step.done":
        if data.get("ok"):
            return "step", f"{data.get('component')} at {data.get('weight'):g}%", "ok"
        return (
            "step",
            f"setting {data.get('component')} to {data.get('weight'):g}% failed: {data.get('summary', '')}",
            "bad",
        )
    if kind == "evaluated":
        return (
            "breach",
            f"first breach of {data.get('trigger')}: value {fmt_value(_float(data.get('value')))} "
            f"({data.get('detail', '')})",
            "warn",
        )
    if kind == "trigger.fired":
        reaction = str(data.get("reaction", ""))
        words = trigger_text(ctx, str(data.get("trigger", "")))
        if data.get("shadow"):
            verb = {"rollback": "rolled back", "pause": "paused", "alert": "alerted"}.get(reaction, reaction)
            return "trigger", f"shadow: {words} would have {verb} here ({data.get('detail', '')})", "warn"
        return "trigger", f"trigger fired: {words} → {reaction} ({data.get('detail', '')})", "bad"
    if kind == "alert":
        return "alert", f"alert: {data.get('trigger', '')}: {data.get('detail', '')}", "warn"
    if kind == "paused":
        return "pause", f"rollout paused: {data.get('reason', '')}", "warn"
    if kind == "resumed":
        return "resume", f"rollout resumed: {data.get('reason', '')}", "info"
    if kind == "promoted":
        return "promote", f"{data.get('component')} promoted by hand", "info"
    if kind == "rollback.intent":
        return "rollback", f"rollback started: {data.get('reason', '')}", "bad"
    if kind == "rollback.done":
        results = data.get("results") if isinstance(data.get("results"), dict) else {}
        assert isinstance(results, dict)
        parts = [
            f"{name} {'ok' if r.get('ok') else 'FAILED'}: {r.get('summary', '')}"
            for name, r in results.items()
            if isinstance(r, dict)
        ]
        ok = all(isinstance(r, dict) and r.get("ok") for r in results.values())
        return (
            "rollback",
            "rollback done: " + ("; ".join(parts) or "no components"),
            "ok" if ok else "bad",
        )
    if kind == "rollback.step.intent":
        return None
    if kind == "rollback.component":
        status = "ok" if data.get("ok") else "FAILED"
        return (
            "rollback",
            f"rollback of {data.get('component')} {status}: {data.get('summary', '')}",
            "ok" if data.get("ok") else "bad",
        )
    if kind == "rollback.step.done":
        line = f" (line {data['line']})" if isinstance(data.get("line"), int) else ""
        status = "ok" if data.get("ok") else "FAILED"
        number = data["index"] + 1 if isinstance(data.get("index"), int) else "?"
        return (
            "rollback",
            f"rollback procedure step {number}{line} {status}: {data.get('text', '')}: "
            f"{data.get('summary', '')}",
            "ok" if data.get("ok") else "bad",
        )
    if kind == "attention":
        return "attention", f"needs a person: {data.get('reason', '')}", "bad"
    if kind == "completed":
        return "rollout", "rollout completed", "ok"
    if kind == "aborted":
        return "rollout", f"rollout aborted: {data.get('reason', '')}", "bad"
    return "rollout", f"rollout event {kind}", "info"


def trigger_text(ctx: ReportContext, name: str) -> str:
    for event in ctx.events:
        if event.type == "rollout.started" and isinstance(event.data.get("guard"), dict):
            for spec in event.data["guard"].get("triggers", []):
                if isinstance(spec, dict) and spec.get("name") == name:
                    text = spec.get("text")
                    return f"{text} ({name})" if text else name
    return name


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
