"""Reading a release's event log into a :class:`~golive.report.model.Report`.

Pure reading: the release, its runbook snapshot and its events, folded the same
way :class:`golive.release.service.ReleaseService` folds them, and the hash chain
verified. Nothing is written. Fields the log cannot fill are said to be missing,
never guessed.

Two conventions let a team put what only people know into the log, and so into
the report: a comment (``golive release comment R "..."``) that starts with
``lesson:`` is a lesson learned; one that starts with ``action:`` is an action item.

The parts of the report are built by :mod:`~golive.report.fields` (the
template's fields), :mod:`~golive.report.issues`, :mod:`~golive.report.timeline`
and :mod:`~golive.report.records` (gates, sign-offs, decision, items), each from
a :class:`~golive.report.context.ReportContext`.
"""

from __future__ import annotations

import re
from typing import Any

from golive.release.decide import valid_signoffs
from golive.release.state import fold
from golive.report.context import ReportContext
from golive.report.fields import metric_fields, summary_fields, target_rows
from golive.report.issues import find_issues
from golive.report.model import NOT_RECORDED, CheckRow, Field, Report, SignOffEntry
from golive.report.records import configuration, decision_info, gate_records, item_records, requirements
from golive.report.rollout import rollout_report
from golive.report.runbook import write_back
from golive.report.text import clean, md, one_line
from golive.report.timeline import timeline_entries
from golive.runbook.model import Runbook
from golive.store.events import EventStore

__all__ = ["build_report"]

_LESSON = re.compile(r"^\s*lessons?(?: learned)?\s*[:\-]\s*", re.IGNORECASE)
_ACTION = re.compile(r"^\s*(?:action(?: item)?|todo|follow[ -]?up)\s*[:\-]\s*", re.IGNORECASE)


def build_report(store: EventStore, release_id: str, *, audit: Any = None) -> Report:
    """The report of one release, from its event log. NotFoundError for an unknown release.
    ``audit``: the release's audit when it was made elsewhere (by the server a client reads)."""
    from golive.release.audit import audit_release

    release = store.get_release(release_id)
    events = store.events(release.id)
    if audit is None:
        audit = audit_release(store, release.id)  # every stored fact, not only the chain
    if audit.ok and audit.hashes_checked:
        verdict = f"{audit.mode_name}"
    elif audit.ok:
        verdict = f"{audit.mode_name}, hashes not checked: GOLIVE_AUDIT_KEY is not set"
    else:
        verdict = "; ".join(str(f) for f in audit.findings[:3])
    cache: dict[str, Runbook] = {}

    def snapshot(content_hash: str) -> Runbook:
        if content_hash not in cache:
            cache[content_hash] = Runbook.model_validate_json(store.get_snapshot(content_hash)[2])
        return cache[content_hash]

    state = fold(release.id, snapshot(release.snapshot), events, snapshot)
    source = store.get_snapshot(state.snapshot or release.snapshot)[1]
    return _assemble(ReportContext(release, state, events, source, audit.ok, verdict))


def _assemble(ctx: ReportContext) -> Report:
    """The report: the checks and comments of the log, then every part."""
    release, state = ctx.release, ctx.state
    for event in ctx.events:
        if event.type == "check.recorded":
            data = event.data
            ctx.checks.append(
                CheckRow(
                    item=clean(data.get("item", "")),
                    item_text=ctx.item_text(data.get("item", "")),
                    name=one_line(data.get("name", ""), 200),
                    kind=clean(data.get("kind", "")),
                    status=clean(data.get("status", "")),
                    summary=one_line(data.get("summary", "")),
                    by=clean(event.actor),
                    when=ctx.when(event.at),
                )
            )
        elif event.type == "item.commented":
            item = event.data.get("item")
            ctx.comments.append(
                (ctx.when(event.at), clean(event.actor), one_line(event.data.get("text", "")), item)
            )
    rollout = rollout_report(ctx.events, ctx.when)
    items = item_records(ctx, rollout)
    issues = find_issues(ctx, rollout)
    lessons = [_LESSON.sub("", text, count=1) for _, _, text, _ in ctx.comments if _LESSON.match(text)]
    actions = [_ACTION.sub("", text, count=1) for _, _, text, _ in ctx.comments if _ACTION.match(text)]
    actions.extend(f"follow up: {issue.title}" for issue in issues if not issue.resolved)
    started = next((e for e in ctx.events if e.type == "release.started"), None)
    title = clean(started.data.get("title") if started is not None else "") or clean(state.runbook.title)
    header = (
        f"golive record of release {md(release.id)} ({md(release.service)} {md(release.version)} to "
        f"{md(release.env)}), written back from its event log of {len(ctx.events)} events "
        f"(audit {'intact' if ctx.audit_ok else 'FAILED'}). Under each item, who did it, "
        "when, and its check results."
    )
    waivers = {k: f"by {w.by}, {ctx.when(w.at)}: {w.reason}" for k, w in state.waivers.items()}
    # no "%" in the header: golive reads a percentage in a note as a rollout plan
    back = write_back(state.runbook, ctx.source, items, waivers, header.replace("%", " percent"))
    return Report(
        release_id=clean(release.id),
        title=title,
        service=clean(release.service),
        version=clean(release.version),
        env=clean(release.env),
        tz=clean(release.launch_tz),
        launch=ctx.when(release.launch_at),
        started=ctx.when(state.started_at or release.created_at),
        started_by=clean(state.started_by or release.created_by),
        events=len(ctx.events),
        head_hash=release.head_hash,
        audit_ok=ctx.audit_ok,
        audit=(
            f"every stored fact intact ({clean(ctx.audit_reason)}): {len(ctx.events)} events, "
            f"head {release.head_hash[:16]}"
            if ctx.audit_ok
            else f"audit FAILED: {clean(ctx.audit_reason)}"
        ),
        last_event=ctx.when(ctx.events[-1].at) if ctx.events else None,
        summary=summary_fields(ctx, rollout),
        metrics=metric_fields(ctx, rollout),
        targets=target_rows(ctx, rollout),
        issues=issues,
        lessons=Field(
            "Lessons learned",
            "; ".join(lessons) if lessons else NOT_RECORDED,
            measured=bool(lessons),
            note="" if lessons else 'no comment starting "lesson:" in the log',
        ),
        action_items=actions,
        timeline=timeline_entries(ctx, rollout),
        gates=gate_records(ctx),
        requirements=requirements(ctx),
        configuration=configuration(ctx),
        signoffs=[
            SignOffEntry(
                role=clean(s.role),
                by=clean(s.by),
                when=ctx.when(s.at),
                valid=s in valid_signoffs(state),
                note=one_line(s.note),
            )
            for s in state.signoffs
        ],
        decision=decision_info(ctx),
        rollout=rollout,
        items=items,
        runbook_markdown=back.markdown,
        runbook_origin=back.origin,
        runbook_reimports=back.reimports,
        runbook_note=back.note,
        checks=ctx.checks,
    )
