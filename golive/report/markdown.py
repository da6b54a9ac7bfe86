"""The report as Markdown, in the shape of the seeds' own post-deployment report
template (seed 003: Summary, Metrics, Issues, Lessons Learned, Action Items),
followed by what golive knows beyond it: rollout, triggers, gates, sign-offs,
the decision and the timeline.

Every piece of text from the log or the runbook is escaped (:func:`md`), so a
value can never become a link, an image, HTML or a heading.
"""

from __future__ import annotations

from golive.report.model import Field, Moment, Report, RolloutReport
from golive.report.text import fmt_value, md, md_code

__all__ = ["render_markdown"]


def _field(entry: Field) -> str:
    value = md(entry.value)
    if not entry.measured:
        value = f"*{value}*"
    return f"- {md(entry.name)}: {value}" + (f" ({md(entry.note)})" if entry.note else "")


def _when(moment: Moment | None) -> str:
    return f"{md(moment.local)} ({moment.t})" if moment is not None else "—"


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("\n", " ") or " " for c in cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(*header), "|" + "|".join("---" for _ in header) + "|", *(_row(*r) for r in rows), ""]


def _rollout(report: Report, rollout: RolloutReport, chart: str | None) -> list[str]:
    out = ["## Rollout", ""]
    plans = "; ".join(f"{md(c.name)} " + " → ".join(f"{w:g}%" for w in c.weights) for c in rollout.components)
    out.append(
        f"- Plan: {plans or 'no components'}" + (" (whole guard in shadow mode)" if rollout.shadow else "")
    )
    out.append(f"- Started: {_when(rollout.started)}; outcome: **{md(rollout.outcome.replace('_', ' '))}**")
    if rollout.ended is not None:
        out.append(f"- Ended: {_when(rollout.ended)}")
    out.append(f"- Hypercare: {md(rollout.hypercare)}")
    if rollout.paused:
        out.append(f"- Paused at the end of the log: {md(rollout.paused)}")
    out.append("")
    if chart:
        out += [f"![Rollout chart: trigger values and canary weight over time]({chart})", ""]
    if rollout.steps:
        out += ["### Steps", ""]
        out += _table(
            ["time", "component", "weight", "result"],
            [
                [
                    _when(s.when),
                    md(s.component),
                    f"{s.weight:g}%",
                    ("ok" if s.ok else "FAILED" if s.ok is False else "no outcome") + f": {md(s.summary)}",
                ]
                for s in rollout.steps
            ],
        )
    out += ["### Triggers", ""]
    if not rollout.triggers:
        out += ["No triggers watched this rollout.", ""]
    for t in rollout.triggers:
        title = f"“{md(t.text)}” ({md_code(t.name)})" if t.text else md_code(t.name)
        out.append(f"- {title}: {md(t.verdict)}")
        out.append(
            f"  - rule: breach when {md_code(t.breach)}, reacts on {md(t.rule)} every {md(t.interval)} "
            f"with **{md(t.reaction)}**" + (" (shadow mode: recorded only)" if t.shadow else "")
        )
        counts = ", ".join(f"{n} {md(k)}" for k, n in t.counts.items())
        out.append(f"  - evaluations: {t.total} ({counts})")
        if t.total:
            out.append(
                f"  - values: min {md(fmt_value(t.min_value, t.percent))}, "
                f"max {md(fmt_value(t.max_value, t.percent))}, last {md(fmt_value(t.last_value, t.percent))}"
            )
        if t.first_breach is not None:
            out.append(f"  - first breach: {_when(t.first_breach)}")
        if t.fired is not None:
            began = f", breaching since {t.breach_began.t}" if t.breach_began is not None else ""
            out.append(f"  - fired: {_when(t.fired)}{began}: {md(t.fired_detail)}")
        if t.hypercare_alert is not None:
            out.append(f"  - hypercare alert: {_when(t.hypercare_alert)}")
    out.append("")
    return out


def _rollbacks(report: Report) -> list[str]:
    out = ["## Rollbacks", ""]
    rollout = report.rollout
    rollback = rollout.rollback if rollout is not None else None
    if rollback is None:
        out += ["None performed." if rollout is not None else "None: no rollout in the log.", ""]
        return out
    how = "automatic" if rollback.automatic else "by hand"
    trigger = f", trigger “{md(rollback.trigger_text)}”" if rollback.trigger else ""
    out.append(f"1. {_when(rollback.intent)}: {how}{trigger}")
    out.append(f"   - Reason: {md(rollback.reason)}")
    if rollback.done is None:
        out.append("   - Outcome: not in the log (the rollback's intent has no outcome)")
    else:
        out.append(f"   - Done: {_when(rollback.done)}")
        for component, ok, summary in rollback.results:
            out.append(f"   - {md(component)}: {'ok' if ok else 'FAILED'}: {md(summary)}")
    for step in rollback.steps:
        status = "ok" if step.ok else "FAILED" if step.ok is False else "no outcome"
        line = f" (runbook line {step.line})" if step.line is not None else ""
        out.append(
            f"   - procedure step {step.index + 1}{line}: {md(step.text)}: {status}, {md(step.summary)}"
        )
    out.append("")
    return out


def render_markdown(report: Report, *, chart: str | None = None, runbook: str | None = None) -> str:
    """The report as Markdown. ``chart`` and ``runbook`` name the files beside it."""
    out = [f"# Deployment Report - {md(report.date)}", ""]
    out.append(
        f"Release {md_code(report.release_id)}: {md(report.service)} {md(report.version)} to "
        f"{md(report.env)}, from the runbook “{md(report.title)}”. Launch (T-0): "
        f"{md(report.launch.local)}; times in {md(report.tz)}. Written from {report.events} events of the "
        f"release's log ({md(report.audit)})."
    )
    out.append("")
    out += ["## Summary", "", *(_field(f) for f in report.summary), ""]
    out += ["## Metrics", "", *(_field(f) for f in report.metrics), ""]
    if report.targets:
        out += ["### The runbook's targets", ""]
        out += _table(
            ["target (runbook line)", "measured"],
            [
                [
                    f"{md(t.text)} (line {t.line})",
                    md(str(t.measured)) if t.measured.measured else f"*{md(str(t.measured))}*",
                ]
                for t in report.targets
            ],
        )
    out += ["## Issues", ""]
    if not report.issues:
        out += ["None recorded in the log.", ""]
    for number, issue in enumerate(report.issues, 1):
        out.append(f"{number}. {md(issue.title)} ({_when(issue.when)})")
        out.append(f"   - Impact: {md(issue.impact)}")
        out.append(f"   - Resolution: {md(issue.resolution)}")
    if report.issues:
        out.append("")
    out += _rollbacks(report)
    out += ["## Lessons Learned", ""]
    out.append(
        f"- {md(report.lessons.value)}"
        if report.lessons.measured
        else f"- *{md(report.lessons.value)}* ({md(report.lessons.note)})"
    )
    out.append("")
    out += ["## Action Items", ""]
    out += [f"- [ ] {md(a)}" for a in report.action_items] or ["None recorded in the log."]
    out.append("")
    if report.rollout is not None:
        out += _rollout(report, report.rollout, chart)
    out += ["## Gates", ""]
    if not report.gates:
        out += ["The runbook has no gates.", ""]
    for gate in report.gates:
        who = f" by {md(gate.by)} at {_when(gate.when)}" if gate.by else ""
        out.append(f"- **{md(gate.state)}** ({md(gate.kind)} gate, line {gate.line}): {md(gate.text)}{who}")
        for check in gate.checks:
            out.append(
                f"  - check {md_code(check.name)}: {md(check.status)} {md_code(check.summary)} "
                f"({md(check.by)}, {_when(check.when)})"
            )
        for evidence in gate.evidence:
            out.append(f"  - evidence: {md(evidence)}")
        if gate.waiver:
            out.append(f"  - waived {md(gate.waiver)}")
    out.append("")
    out += ["## Sign-offs and decision", ""]
    for req in report.requirements:
        signed = ", ".join(md(p) for p in req.signed_by) or "nobody"
        missing = "" if req.met else " — missing"
        out.append(f"- {md(req.role)}: {len(req.signed_by)} of {req.quorum} ({signed}){missing}")
    for s in report.signoffs:
        valid = "" if s.valid else " (no longer valid: given before an upgrade or a gate failure)"
        note = f": {md(s.note)}" if s.note else ""
        out.append(f"- signed as {md(s.role)} by {md(s.by)} at {_when(s.when)}{valid}{note}")
    if not report.requirements and not report.signoffs:
        out.append("- The runbook asks no sign-off; none given.")
    decision = report.decision
    if decision is None:
        out.append("- Decision: *not recorded*")
    else:
        reasons = "; ".join(md(r) for r in decision.reasons)
        out.append(
            f"- Decision: **{md(decision.decision)}** by {md(decision.by)} at {_when(decision.when)}, "
            f"{md(decision.standing)}" + (f" (reasons: {reasons})" if reasons else "")
        )
    out.append("")
    out += ["### Configuration in force", "", *(f"- {md(line)}" for line in report.configuration), ""]
    out += ["## Timeline", ""]
    out += _table(
        ["time", "T", "who", "what"],
        [
            [
                md(e.when.local),
                e.when.t,
                md(e.actor),
                ("*planned:* " if e.tone == "planned" else "") + md(e.text),
            ]
            for e in report.timeline
        ],
    )
    out += ["## The runbook, written back", ""]
    where = f" ({md(runbook)})" if runbook else ""
    out.append(f"The runbook with each item's record under it{where}: {md(report.runbook_note)}.")
    out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
