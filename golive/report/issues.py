"""The report's issues: failed checks and items, and what the rollout ran into
(triggers, missing data, failed steps, calls for a person, a rollback by hand)."""

from __future__ import annotations

from golive.report.context import ReportContext
from golive.report.model import CheckRow, Issue, Moment, RolloutReport
from golive.report.rollout import weight_at
from golive.report.text import clean, one_line

__all__ = ["find_issues", "rollout_issues"]


def find_issues(ctx: ReportContext, rollout: RolloutReport | None) -> list[Issue]:
    out: list[Issue] = []
    gates = ctx.state.gate_ids
    by_check: dict[tuple[str, str], list[CheckRow]] = {}
    for row in ctx.checks:
        by_check.setdefault((row.item, row.name), []).append(row)
    for (item_id, _name), rows in by_check.items():
        bad = [r for r in rows if r.status in ("failed", "error")]
        if not bad:
            continue
        first, latest = bad[0], rows[-1]
        impact = (
            f"gate “{first.item_text}” did not hold: it blocked GO"
            if item_id in gates
            else f"item “{first.item_text}” was not verified"
        )
        waiver = ctx.state.waivers.get(item_id)
        if latest.status == "passed":
            resolution, resolved = f"passed at {latest.when.t}: {latest.summary}", True
        elif waiver is not None:
            resolution, resolved = f"waived by {clean(waiver.by)}: {one_line(waiver.reason)}", True
        else:
            resolution, resolved = f"unresolved: latest result {latest.status}: {latest.summary}", False
        out.append(
            Issue(
                title=f"check {first.status} on “{first.item_text}”: {first.summary}",
                when=first.when,
                impact=impact,
                resolution=resolution,
                resolved=resolved,
            )
        )
    for event in ctx.events:
        if event.type != "item.failed":
            continue
        item_id = str(event.data.get("item", ""))
        later = ctx.state.items.get(item_id)
        done = (
            later is not None
            and later.status.value in ("done", "skipped")
            and later.at
            and later.at >= event.at
        )
        out.append(
            Issue(
                title=f"item failed: “{ctx.item_text(item_id)}”",
                when=ctx.when(event.at),
                impact=one_line(event.data.get("reason") or event.data.get("note") or "no reason given"),
                resolution=f"{later.status.value} by {clean(later.by)} at {ctx.when(later.at).t}"
                if done and later is not None and later.at is not None
                else "unresolved at the end of the log",
                resolved=bool(done),
            )
        )
    if rollout is not None:
        out.extend(rollout_issues(ctx, rollout))
    out.sort(key=lambda issue: issue.when.at)
    return out


def rollout_issues(ctx: ReportContext, rollout: RolloutReport) -> list[Issue]:
    out: list[Issue] = []
    rollback = rollout.rollback
    resumes = [ctx.when(e.at) for e in ctx.events if e.type == "rollout.resumed"]

    def resumed_after(moment: Moment) -> Moment | None:
        return next((r for r in resumes if r.at >= moment.at), None)

    for trigger in rollout.triggers:
        if trigger.fired is None:
            continue
        began = trigger.breach_began or trigger.fired
        share = ", ".join(f"{c} {w:g}%" for c, w in weight_at(rollout.weights, began.at).items())
        words = trigger.text or trigger.name
        if trigger.shadow:
            out.append(
                Issue(
                    title=f"{words} (trigger {trigger.name}, shadow mode)",
                    when=trigger.fired,
                    impact=f"breached from {began.t} at {share or 'no traffic'}; {trigger.verdict}",
                    resolution="none taken: the trigger was in shadow mode",
                    resolved=True,
                )
            )
            continue
        impact = f"version {clean(ctx.release.version)} breached it from {began.t} at {share or 'no traffic'}"
        if trigger.reaction == "rollback" and rollback is not None and rollback.trigger == trigger.name:
            result = {True: "succeeded", False: "FAILED", None: "outcome not in the log"}[rollback.ok]
            failed = [f"{c}: {s}" for c, ok, s in rollback.results if not ok]
            resolution = f"rolled back automatically at {rollback.intent.t}; rollback {result}"
            if failed:
                resolution += " (" + "; ".join(failed) + ")"
            resolved = rollback.ok is True
        elif trigger.reaction == "pause":
            resumed = resumed_after(trigger.fired)
            resolution = (
                f"rollout paused; resumed at {resumed.t}" if resumed else "rollout paused; not resumed"
            )
            resolved = resumed is not None
        else:
            resolution, resolved = "alert recorded", True
        out.append(
            Issue(
                title=f"{words} (trigger {trigger.name})",
                when=trigger.fired,
                impact=impact,
                resolution=resolution,
                resolved=resolved,
            )
        )
    fired_names = {t.name for t in rollout.triggers if t.fired is not None}
    for moment, trigger_name, detail in rollout.alerts:
        if trigger_name in fired_names and not detail.startswith("hypercare"):
            continue
        if detail.startswith("hypercare"):
            out.append(
                Issue(
                    title=f"hypercare alert: {trigger_name}",
                    when=moment,
                    impact=f"{detail} (after the rollout completed)",
                    resolution="alert recorded; hypercare only alerts",
                    resolved=True,
                )
            )
            continue
        resumed = resumed_after(moment)
        out.append(
            Issue(
                title=f"could not watch {trigger_name}: {detail}",
                when=moment,
                impact="the rollout paused and alerted (no promotion on missing data)",
                resolution=f"resumed at {resumed.t}" if resumed else "unresolved: still paused",
                resolved=resumed is not None,
            )
        )
    for step in rollout.steps:
        if step.ok:
            continue
        retried = next(
            (
                s
                for s in rollout.steps
                if s.component == step.component
                and s.index == step.index
                and s.ok
                and s.when.at >= step.when.at
            ),
            None,
        )
        out.append(
            Issue(
                title=f"setting {step.component} to {step.weight:g}% "
                + ("failed" if step.ok is False else "has no outcome"),
                when=step.when,
                impact=step.summary,
                resolution=f"done at {retried.when.t}" if retried else "unresolved",
                resolved=retried is not None,
            )
        )
    for moment, reason in rollout.attention:
        resumed = resumed_after(moment)
        out.append(
            Issue(
                title=f"needs a person: {reason}",
                when=moment,
                impact="the rollout paused",
                resolution=f"resumed at {resumed.t}" if resumed else "unresolved",
                resolved=resumed is not None,
            )
        )
    if rollback is not None and not rollback.automatic:
        result = {True: "succeeded", False: "FAILED", None: "outcome not in the log"}[rollback.ok]
        out.append(
            Issue(
                title=f"rollout stopped by hand: {rollback.reason}",
                when=rollback.intent,
                impact="rolled back",
                resolution=f"rollback {result}",
                resolved=rollback.ok is True,
            )
        )
    return out
