"""Reading a release's event log into a :class:`~golive.report.model.Report`.

Pure reading: the release, its runbook snapshot and its events, folded the same
way :class:`golive.release.service.ReleaseService` folds them, and the hash chain
verified. Nothing is written. Fields the log cannot fill are said to be missing,
never guessed.

Two conventions let a team put what only people know into the log, and so into
the report: a comment (``golive release comment R "..."``) that starts with
``lesson:`` is a lesson learned; one that starts with ``action:`` is an action item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from golive.release.decide import gate_statuses, valid_signoffs
from golive.release.schedule import phase_windows
from golive.release.state import ReleaseState, fold
from golive.report.model import (
    NOT_MEASURED,
    NOT_RECORDED,
    CheckRow,
    DecisionInfo,
    Field,
    GateRecord,
    Issue,
    ItemRecord,
    Moment,
    Report,
    Requirement,
    RolloutReport,
    SignOffEntry,
    TargetRow,
    TimelineEntry,
    TriggerReport,
)
from golive.report.rollout import rollout_report, weight_at
from golive.report.runbook import write_back
from golive.report.text import clean, fmt_duration, fmt_value, md, moment_maker, one_line
from golive.runbook.model import Item, Runbook
from golive.runbook.thresholds import parse_thresholds
from golive.store.events import Event, EventStore, ReleaseRow

__all__ = ["build_report"]

_LESSON = re.compile(r"^\s*lessons?(?: learned)?\s*[:\-]\s*", re.IGNORECASE)
_ACTION = re.compile(r"^\s*(?:action(?: item)?|todo|follow[ -]?up)\s*[:\-]\s*", re.IGNORECASE)
_ERROR_RATE = re.compile(r"error[ _-]?rate|\berrors?\b|5xx|5\.\.", re.IGNORECASE)
_HEALTH = re.compile(r"uptime|health|availab|downtime|outage|\bup\b", re.IGNORECASE)
_STATUS_WORDS = {
    "completed": "Success",
    "rolled_back": "Failed",
    "aborted": "Failed",
    "paused": "Partial",
    "running": "Partial",
}


def build_report(store: EventStore, release_id: str) -> Report:
    """The report of one release, from its event log. NotFoundError for an unknown release."""
    release = store.get_release(release_id)
    events = store.events(release.id)
    audit = store.verify(release.id)
    cache: dict[str, Runbook] = {}

    def snapshot(content_hash: str) -> Runbook:
        if content_hash not in cache:
            cache[content_hash] = Runbook.model_validate_json(store.get_snapshot(content_hash)[2])
        return cache[content_hash]

    state = fold(release.id, snapshot(release.snapshot), events, snapshot)
    source = store.get_snapshot(state.snapshot or release.snapshot)[1]
    return _Builder(release, state, events, source, audit.ok, audit.reason).build()


@dataclass
class _Builder:
    release: ReleaseRow
    state: ReleaseState
    events: list[Event]
    source: str
    audit_ok: bool
    audit_reason: str
    when: Callable[[datetime], Moment] = field(init=False)
    items: dict[str, Item] = field(init=False)
    section_of: dict[str, str] = field(init=False)
    checks: list[CheckRow] = field(default_factory=list)
    comments: list[tuple[Moment, str, str, str | None]] = field(default_factory=list)
    """(when, actor, text, item id)."""

    def __post_init__(self) -> None:
        self.when = moment_maker(self.release.launch_at, self.release.launch_tz)
        runbook = self.state.runbook
        self.items = {item.id: item for item in runbook.all_items()}
        self.section_of = {}
        for section in runbook.walk_sections():
            for item in section.all_items():
                self.section_of[item.id] = clean(section.title or runbook.title)

    # -- helpers -----------------------------------------------------------------
    def item_text(self, item_id: Any) -> str:
        item = self.items.get(str(item_id))
        return one_line(item.text if item is not None else item_id, 160)

    def build(self) -> Report:
        release, state = self.release, self.state
        for event in self.events:
            if event.type == "check.recorded":
                data = event.data
                self.checks.append(
                    CheckRow(
                        item=clean(data.get("item", "")),
                        item_text=self.item_text(data.get("item", "")),
                        name=one_line(data.get("name", ""), 200),
                        kind=clean(data.get("kind", "")),
                        status=clean(data.get("status", "")),
                        summary=one_line(data.get("summary", "")),
                        by=clean(event.actor),
                        when=self.when(event.at),
                    )
                )
            elif event.type == "item.commented":
                item = event.data.get("item")
                self.comments.append(
                    (self.when(event.at), clean(event.actor), one_line(event.data.get("text", "")), item)
                )
        rollout = rollout_report(self.events, self.when)
        items = self.item_records(rollout)
        issues = self.issues(rollout)
        lessons = [_LESSON.sub("", text, count=1) for _, _, text, _ in self.comments if _LESSON.match(text)]
        actions = [_ACTION.sub("", text, count=1) for _, _, text, _ in self.comments if _ACTION.match(text)]
        actions.extend(f"follow up: {issue.title}" for issue in issues if not issue.resolved)
        started = next((e for e in self.events if e.type == "release.started"), None)
        title = clean(started.data.get("title") if started is not None else "") or clean(state.runbook.title)
        header = (
            f"golive record of release {md(release.id)} ({md(release.service)} {md(release.version)} to "
            f"{md(release.env)}), written back from its event log of {len(self.events)} events "
            f"(hash chain {'intact' if self.audit_ok else 'BROKEN'}). Under each item, who did it, "
            "when, and its check results."
        )
        waivers = {k: f"by {w.by}, {self.when(w.at)}: {w.reason}" for k, w in state.waivers.items()}
        # no "%" in the header: golive reads a percentage in a note as a rollout plan
        back = write_back(state.runbook, self.source, items, waivers, header.replace("%", " percent"))
        return Report(
            release_id=clean(release.id),
            title=title,
            service=clean(release.service),
            version=clean(release.version),
            env=clean(release.env),
            tz=clean(release.launch_tz),
            launch=self.when(release.launch_at),
            started=self.when(state.started_at or release.created_at),
            started_by=clean(state.started_by or release.created_by),
            events=len(self.events),
            head_hash=release.head_hash,
            audit_ok=self.audit_ok,
            audit=(
                f"hash chain intact: {len(self.events)} events, head {release.head_hash[:16]}"
                if self.audit_ok
                else f"hash chain BROKEN: {clean(self.audit_reason)}"
            ),
            last_event=self.when(self.events[-1].at) if self.events else None,
            summary=self.summary(rollout),
            metrics=self.metrics(rollout),
            targets=self.targets(rollout),
            issues=issues,
            lessons=Field(
                "Lessons learned",
                "; ".join(lessons) if lessons else NOT_RECORDED,
                measured=bool(lessons),
                note="" if lessons else 'no comment starting "lesson:" in the log',
            ),
            action_items=actions,
            timeline=self.timeline(rollout),
            gates=self.gates(),
            requirements=self.requirements(),
            signoffs=[
                SignOffEntry(
                    role=clean(s.role),
                    by=clean(s.by),
                    when=self.when(s.at),
                    valid=s in valid_signoffs(state),
                    note=one_line(s.note),
                )
                for s in state.signoffs
            ],
            decision=self.decision(),
            rollout=rollout,
            items=items,
            runbook_markdown=back.markdown,
            runbook_origin=back.origin,
            runbook_reimports=back.reimports,
            runbook_note=back.note,
            checks=self.checks,
        )

    # -- the template's fields ---------------------------------------------------------
    def summary(self, rollout: RolloutReport | None) -> list[Field]:
        release = self.release
        version = Field(
            "Version", f"{clean(release.version)} of {clean(release.service)} to {clean(release.env)}"
        )
        decider = self.state.decision
        people = [f"release started by {clean(self.state.started_by or release.created_by)}"]
        if decider is not None:
            people.insert(0, f"{clean(decider.decision)} recorded by {clean(decider.by)}")
        deploy_items = [
            f"“{self.item_text(item_id)}” done by {clean(s.by)}"
            for item_id, s in self.state.items.items()
            if s.status.value == "done" and re.search(r"\bdeploy|roll ?out\b", self.item_text(item_id), re.I)
        ]
        release_moment = self.when(release.launch_at)
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
            last = self.events[-1].at
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
            Field("Status", _STATUS_WORDS.get(rollout.outcome, "Partial"), note=self.status_note(rollout)),
        ]

    def status_note(self, rollout: RolloutReport) -> str:
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

    def metrics(self, rollout: RolloutReport | None) -> list[Field]:
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
        return [uptime, error_rate, self.impact(rollout)]

    def impact(self, rollout: RolloutReport | None) -> Field:
        if rollout is None:
            return Field("User impact", NOT_MEASURED, measured=False, note="no rollout in the log")
        if not rollout.max_weight:
            return Field("User impact", NOT_MEASURED, measured=False, note="no step reached users")
        version = clean(self.release.version)
        exposure = ", ".join(f"{c} {w:g}%" for c, w in rollout.max_weight.items())
        end = rollout.ended.at if rollout.ended is not None else self.events[-1].at
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

    def targets(self, rollout: RolloutReport | None) -> list[TargetRow]:
        triggers = rollout.triggers if rollout is not None else []
        out: list[TargetRow] = []
        for criterion in self.state.runbook.success_metrics:
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
                    (t.metric, t.relative_to, _unit_kind(t.unit))
                    for t in parse_thresholds(trigger.text or "")
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

    # -- issues -----------------------------------------------------------------------------
    def issues(self, rollout: RolloutReport | None) -> list[Issue]:
        out: list[Issue] = []
        gates = self.state.gate_ids
        by_check: dict[tuple[str, str], list[CheckRow]] = {}
        for row in self.checks:
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
            waiver = self.state.waivers.get(item_id)
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
        for event in self.events:
            if event.type != "item.failed":
                continue
            item_id = str(event.data.get("item", ""))
            later = self.state.items.get(item_id)
            done = (
                later is not None
                and later.status.value in ("done", "skipped")
                and later.at
                and later.at >= event.at
            )
            out.append(
                Issue(
                    title=f"item failed: “{self.item_text(item_id)}”",
                    when=self.when(event.at),
                    impact=one_line(event.data.get("reason") or event.data.get("note") or "no reason given"),
                    resolution=f"{later.status.value} by {clean(later.by)} at {self.when(later.at).t}"
                    if done and later is not None and later.at is not None
                    else "unresolved at the end of the log",
                    resolved=bool(done),
                )
            )
        if rollout is not None:
            out.extend(self.rollout_issues(rollout))
        out.sort(key=lambda issue: issue.when.at)
        return out

    def rollout_issues(self, rollout: RolloutReport) -> list[Issue]:
        out: list[Issue] = []
        rollback = rollout.rollback
        resumes = [self.when(e.at) for e in self.events if e.type == "rollout.resumed"]

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
            impact = (
                f"version {clean(self.release.version)} breached it from {began.t} at {share or 'no traffic'}"
            )
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

    # -- timeline -----------------------------------------------------------------------------
    def timeline(self, rollout: RolloutReport | None) -> list[TimelineEntry]:
        """The log's events in order, with the schedule's phase windows and the
        hypercare window placed where they fall (marked: they are not events)."""
        state, release = self.state, self.release
        derived: list[tuple[datetime, int, TimelineEntry]] = []
        windows = phase_windows(state.runbook, release.launch_at, release.launch_tz)
        for section in state.runbook.walk_sections():
            window = windows.get(section.id)
            if window is None or window.start is None:
                continue
            end = f", until {self.when(window.end).local} ({self.when(window.end).t})" if window.end else ""
            phase = TimelineEntry(
                when=self.when(window.start),
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
        for event in self.events:
            while derived and (
                derived[0][0] < event.at or (derived[0][0] == event.at and derived[0][1] == 0)
            ):
                out.append(derived.pop(0)[2])
            if event.type == "rollout.evaluated":
                name = str(event.data.get("trigger", ""))
                if event.data.get("outcome") != "breach" or name in seen_breach:
                    continue
                seen_breach.add(name)
            entry = self.describe(event)
            if entry is not None:
                out.append(entry)
        out.extend(d[2] for d in derived)
        return out

    def describe(self, event: Event) -> TimelineEntry | None:
        data = event.data
        kind = event.type
        text: str
        tone = "info"
        group = kind.split(".")[0]
        if kind == "release.started":
            runbook = PurePath(str(data.get("runbook", ""))).name
            text = (
                f"release started: {data.get('service')} {data.get('version')} to {data.get('env')}, launch "
                f"{self.when(self.release.launch_at).local}, runbook {runbook or data.get('title', '')}"
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
            section = self.section_of.get(str(item_id), "")
            text = f"item {action}: {self.item_text(item_id)}" + (f" ({section})" if section else "")
            reason = data.get("reason") or data.get("note")
            if reason:
                text += f": {reason}"
            tone = {"done": "ok", "failed": "bad", "skipped": "warn", "reopened": "warn"}.get(action, "info")
        elif kind == "item.commented":
            where = f" on {self.item_text(data['item'])}" if data.get("item") else ""
            text = f"comment{where}: {data.get('text', '')}"
            group = "comment"
        elif kind == "evidence.attached":
            text = f"evidence for {self.item_text(data.get('item', ''))}: {_evidence(data)}"
            group = "evidence"
        elif kind == "check.recorded":
            status = str(data.get("status", ""))
            text = (
                f"check {status}: {data.get('name', '')} on {self.item_text(data.get('item', ''))}: "
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
            what = target if target.startswith("policy:") else self.item_text(target)
            text = f"waiver {kind.split('.')[1]} for {what}: {data.get('reason', '')}"
            tone = "warn"
            group = "waiver"
        elif kind == "decision.recorded":
            decision = str(data.get("decision", ""))
            reasons = "; ".join(str(r) for r in data.get("reasons", []))
            text = f"decision recorded: {decision}" + (f" ({reasons})" if reasons else "")
            tone = "ok" if decision == "GO" else "bad"
        elif kind.startswith("rollout."):
            described = self.describe_rollout(event)
            if described is None:
                return None
            group, text, tone = described
        else:
            text = kind  # an event type from a newer golive: named, its data not shown
        return TimelineEntry(
            self.when(event.at), group, clean(event.actor), one_line(text, 600), event.seq, tone
        )

    def describe_rollout(self, event: Event) -> tuple[str, str, str] | None:
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
                f"setting {data.get('component')} to {data.get('weight'):g}% failed: "
                f"{data.get('summary', '')}",
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
            words = self.trigger_text(str(data.get("trigger", "")))
            if data.get("shadow"):
                verb = {"rollback": "rolled back", "pause": "paused", "alert": "alerted"}.get(
                    reaction, reaction
                )
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

    def trigger_text(self, name: str) -> str:
        for event in self.events:
            if event.type == "rollout.started" and isinstance(event.data.get("guard"), dict):
                for spec in event.data["guard"].get("triggers", []):
                    if isinstance(spec, dict) and spec.get("name") == name:
                        text = spec.get("text")
                        return f"{text} ({name})" if text else name
        return name

    # -- gates, sign-offs, decision, items ------------------------------------------------------------
    def gates(self) -> list[GateRecord]:
        out: list[GateRecord] = []
        for status in gate_statuses(self.state):
            item = status.item
            record = self.state.items.get(item.id)
            waiver = self.state.waivers.get(item.id)
            state = (
                "waived" if status.waived else {True: "holds", False: "failed", None: "pending"}[status.holds]
            )
            out.append(
                GateRecord(
                    item=clean(item.id),
                    text=one_line(item.text, 300),
                    line=item.line,
                    kind=item.gate.kind if item.gate is not None else "hard",
                    state=state,
                    by=clean(record.by) if record is not None and record.by else "",
                    when=self.when(record.at) if record is not None and record.at else None,
                    checks=[c for c in self.checks if c.item == item.id],
                    evidence=[_evidence(e) for e in (record.evidence if record is not None else [])],
                    waiver=f"by {clean(waiver.by)}: {one_line(waiver.reason)}" if waiver is not None else "",
                )
            )
        return out

    def requirements(self) -> list[Requirement]:
        from golive.config import Config
        from golive.release.decide import required_signoffs

        valid = valid_signoffs(self.state)
        return [
            Requirement(
                role=clean(role),
                quorum=quorum,
                signed_by=sorted({clean(s.by) for s in valid if s.role == role}),
            )
            for role, quorum in required_signoffs(self.state, Config()).items()
        ]

    def decision(self) -> DecisionInfo | None:
        recorded = self.state.decision
        if recorded is None:
            return None
        if recorded.revision != self.state.revision:
            standing = "stale: the runbook was upgraded after it"
        elif recorded.gate_epoch != self.state.gate_epoch:
            standing = "stale: a gate failed after it"
        else:
            standing = "current at the end of the log"
        return DecisionInfo(
            decision=clean(recorded.decision),
            by=clean(recorded.by),
            when=self.when(recorded.at),
            reasons=[one_line(r) for r in recorded.reasons],
            standing=standing,
        )

    def item_records(self, rollout: RolloutReport | None) -> list[ItemRecord]:
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
        for row in self.checks:
            checks.setdefault(row.item, []).append(row)
        comments: dict[str, list[str]] = {}
        for moment, actor, text, item_id in self.comments:
            if item_id:
                comments.setdefault(str(item_id), []).append(f"{actor}, {moment.t}: {text}")
        for item_id, item in self.items.items():
            record = self.state.items.get(item_id)
            if record is None and not {item_id} & (checks.keys() | comments.keys() | procedure.keys()):
                continue
            out.append(
                ItemRecord(
                    id=clean(item_id),
                    text=one_line(item.text, 300),
                    section=self.section_of.get(item_id, ""),
                    line=item.line,
                    status=record.status.value if record is not None else "pending",
                    by=clean(record.by) if record is not None and record.by else "",
                    when=self.when(record.at) if record is not None and record.at else None,
                    reason=one_line(record.reason) if record is not None and record.reason else "",
                    checks=checks.get(item_id, []),
                    evidence=[_evidence(e) for e in (record.evidence if record is not None else [])],
                    comments=comments.get(item_id, []),
                    procedure=procedure.get(item_id, []),
                )
            )
        return out


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _evidence(data: dict[str, Any]) -> str:
    parts: list[str] = []
    if data.get("url"):
        parts.append(str(data["url"]))
    if data.get("file"):
        digest = str(data.get("sha256", ""))
        parts.append(f"{data['file']}" + (f" (sha256 {digest[:16]}…)" if digest else ""))
    if data.get("note"):
        parts.append(str(data["note"]))
    if data.get("by"):
        parts.append(f"by {data['by']}")
    return one_line(", ".join(parts))


def _unit_kind(unit: str | None) -> str:
    """Thresholds in these units measure the same kind of quantity."""
    if unit in ("ms", "s", "m", "h"):
        return "time"
    if unit in ("%", "ratio", None, ""):
        return "share"
    return unit
