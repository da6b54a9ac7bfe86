"""The report template's fields: summary (date, version, who, duration, status),
metrics (uptime, error rate, user impact) and the success criteria's targets."""

from __future__ import annotations

import re

from golive.report.context import ReportContext
from golive.report.model import NOT_MEASURED, NOT_RECORDED, Field, RolloutReport, TargetRow, TriggerReport
from golive.report.rollout import weight_at
from golive.report.text import clean, fmt_duration, fmt_value
from golive.runbook.thresholds import parse_thresholds

__all__ = ["metric_fields", "summary_fields", "target_rows"]

_ERROR_RATE = re.compile(r"error[ _-]?rate|\berrors?\b|5xx|5\.\.", re.IGNORECASE)
_HEALTH = re.compile(r"uptime|health|availab|downtime|outage|\bup\b", re.IGNORECASE)
_STATUS_WORDS = {
    "completed": "Success",
    "rolled_back": "Failed",
    "aborted": "Failed",
    "paused": "Partial",
    "running": "Partial",
}


def summary_fields(ctx: ReportContext, rollout: RolloutReport | None) -> list[Field]:
    release = ctx.release
    version = Field(
        "Version", f"{clean(release.version)} of {clean(release.service)} to {clean(release.env)}"
    )
    decider = ctx.state.decision
    people = [f"release started by {clean(ctx.state.started_by or release.created_by)}"]
    if decider is not None:
        people.insert(0, f"{clean(decider.decision)} recorded by {clean(decider.by)}")
    deploy_items = [
        f"“{ctx.item_text(item_id)}” done by {clean(s.by)}"
        for item_id, s in ctx.state.items.items()
        if s.status.value == "done" and re.search(r"\bdeploy|roll ?out\b", ctx.item_text(item_id), re.I)
    ]
    release_moment = ctx.when(release.launch_at)
    if rollout is None:
        return [
            Field(
                "Deployment date/time",
                NOT_MEASURED,
                measured=False,
                note=f"no rollout in the log; launch (T-0) was planned for {release_moment.local}",
            ),
            version,
            Field(
                "Deployed by",
                "; ".join(deploy_items) if deploy_items else NOT_RECORDED,
                measured=bool(deploy_items),
                note="; ".join(people) + ("" if deploy_items else "; golive ran no rollout"),
            ),
            Field("Duration", NOT_MEASURED, measured=False, note="no rollout in the log"),
            Field(
                "Status",
                NOT_MEASURED,
                measured=False,
                note="no rollout in the log"
                + (f"; decision {clean(decider.decision)}" if decider is not None else "; no decision"),
            ),
        ]
    deployer = (
        "golive (automated rollout)" if rollout.started_by == "golive-controller" else rollout.started_by
    )
    by_value = "; ".join([deployer, *deploy_items])
    if rollout.ended is not None:
        duration = Field(
            "Duration",
            fmt_duration(rollout.ended.at - rollout.started.at),
            note=f"rollout from {rollout.started.t} to {rollout.ended.t}",
        )
    else:
        last = ctx.events[-1].at
        duration = Field(
            "Duration",
            f"{fmt_duration(last - rollout.started.at)} so far",
            note="not finished at the end of the log",
        )
    return [
        Field("Deployment date/time", str(rollout.started), note="rollout started"),
        version,
        Field("Deployed by", by_value, note="; ".join(people)),
        duration,
        Field("Status", _STATUS_WORDS.get(rollout.outcome, "Partial"), note=status_note(ctx, rollout)),
    ]


def status_note(ctx: ReportContext, rollout: RolloutReport) -> str:
    final: dict[str, float] = {}
    for point in rollout.weights:
        final[point.component] = point.weight
    weights = ", ".join(f"{c} {w:g}%" for c, w in final.items())
    rollback = rollout.rollback
    if rollout.outcome == "completed":
        return f"completed at {rollout.completed}" if rollout.completed else "completed"
    if rollout.outcome == "rolled_back" and rollback is not None:
        how = "automatically" if rollback.automatic else "by hand"
        result = {
            True: "rollback succeeded",
            False: "rollback FAILED",
            None: "rollback outcome not in the log",
        }[rollback.ok]
        return f"rolled back {how} at {rollback.intent.t} ({rollback.reason}); {result}"
    if rollout.outcome == "aborted":
        return "aborted"
    if rollout.outcome == "paused":
        return f"paused at {weights or 'no step'}: {rollout.paused}"
    return f"in progress at {weights or 'no step yet'}"


def metric_fields(ctx: ReportContext, rollout: RolloutReport | None) -> list[Field]:
    triggers = rollout.triggers if rollout is not None else []
    health = [t for t in triggers if _HEALTH.search(f"{t.name} {t.text}")]
    if health:
        parts = [
            f"trigger {t.name} ({t.text or t.breach}): {t.counts.get('ok', 0)} of {t.total} "
            f"evaluations ok, {t.counts.get('breach', 0)} breached"
            for t in health
        ]
        uptime = Field(
            "Uptime",
            NOT_MEASURED,
            measured=False,
            note="no uptime percentage in the log; " + "; ".join(parts),
        )
    else:
        uptime = Field("Uptime", NOT_MEASURED, measured=False, note="no uptime metric in the log")
    errors = [t for t in triggers if _ERROR_RATE.search(f"{t.name} {t.text}") and t.max_value is not None]
    if errors:
        error_rate = Field(
            "Error rate",
            "; ".join(
                f"max {fmt_value(t.max_value, t.percent)}, last {fmt_value(t.last_value, t.percent)}"
                for t in errors
            ),
            note="; ".join(
                f"as measured by trigger {t.name} ({t.text or t.breach}; breach when {t.breach}), "
                f"{t.total} evaluations"
                for t in errors
            ),
        )
    else:
        error_rate = Field(
            "Error rate", NOT_MEASURED, measured=False, note="no error-rate trigger in the log"
        )
    return [uptime, error_rate, impact(ctx, rollout)]


def impact(ctx: ReportContext, rollout: RolloutReport | None) -> Field:
    if rollout is None:
        return Field("User impact", NOT_MEASURED, measured=False, note="no rollout in the log")
    if not rollout.max_weight:
        return Field("User impact", NOT_MEASURED, measured=False, note="no step reached users")
    version = clean(ctx.release.version)
    exposure = ", ".join(f"{c} {w:g}%" for c, w in rollout.max_weight.items())
    end = rollout.ended.at if rollout.ended is not None else ctx.events[-1].at
    parts = [
        f"exposure: version {version} served up to {exposure} of traffic, "
        f"for {fmt_duration(end - rollout.started.at)}"
    ]
    for trigger in rollout.triggers:
        if trigger.fired is None or trigger.shadow:
            continue
        began = trigger.breach_began or trigger.fired
        at = weight_at(rollout.weights, began.at)
        share = ", ".join(f"{c} {w:g}%" for c, w in at.items()) or "no traffic"
        parts.append(f"{trigger.text or trigger.name} from {began.t} to {trigger.fired.t} at {share}")
    return Field("User impact", NOT_MEASURED, measured=False, note="; ".join(parts))


def target_rows(ctx: ReportContext, rollout: RolloutReport | None) -> list[TargetRow]:
    triggers = rollout.triggers if rollout is not None else []
    out: list[TargetRow] = []
    for criterion in ctx.state.runbook.success_metrics:
        words = {
            w
            for t in criterion.thresholds
            for w in (t.metric.replace("_", " ").lower(), t.subject.lower())
            if w.strip()
        }
        wanted = {(t.metric, t.relative_to, _unit_kind(t.unit)) for t in criterion.thresholds}
        matched: TriggerReport | None = None
        for trigger in triggers:
            haystack = re.sub(r"[_\-]+", " ", f"{trigger.name} {trigger.text}").lower()
            if not (words and any(w in haystack for w in words) and trigger.max_value is not None):
                continue
            # the same quantity only: "5x normal baseline" (a ratio) never stands for "< 500ms"
            read = {
                (t.metric, t.relative_to, _unit_kind(t.unit)) for t in parse_thresholds(trigger.text or "")
            }
            if read and not (read & wanted):
                continue
            matched = trigger
            break
        if matched is None:
            measured = Field(
                criterion.text, NOT_MEASURED, measured=False, note="no trigger in the log measured it"
            )
        else:
            measured = Field(
                criterion.text,
                f"min {fmt_value(matched.min_value, matched.percent)}, "
                f"max {fmt_value(matched.max_value, matched.percent)}",
                note=f"trigger {matched.name}, {matched.total} evaluations during the rollout",
            )
        out.append(TargetRow(text=clean(criterion.text), line=criterion.line, measured=measured))
    return out


def _unit_kind(unit: str | None) -> str:
    """Thresholds in these units measure the same kind of quantity."""
    if unit in ("ms", "s", "m", "h"):
        return "time"
    if unit in ("%", "ratio", None, ""):
        return "share"
    return unit
