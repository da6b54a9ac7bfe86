"""The post-deployment report as data: what :func:`golive.report.build_report`
reads from a release's event log, and what the Markdown and HTML renderers (and
tests) share.

Every string here comes from the log's already-redacted fields (check summaries,
actuator summaries, reasons, notes) or from the runbook, and has been through
the secret patterns once more (:func:`golive.report.text.clean`). What the log
does not know is said so: a :class:`Field` with ``measured=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "CheckRow",
    "ComponentPlan",
    "DecisionInfo",
    "EvalPoint",
    "Field",
    "GateRecord",
    "Issue",
    "ItemRecord",
    "Moment",
    "Report",
    "Requirement",
    "Rollback",
    "RollbackStep",
    "RolloutReport",
    "SignOffEntry",
    "Step",
    "TargetRow",
    "TimelineEntry",
    "TriggerReport",
    "WeightPoint",
]

NOT_MEASURED = "not measured"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Moment:
    """A time from the log: the instant, its wall-clock text in the launch's time
    zone, and its offset from T-0 (the launch)."""

    at: datetime
    local: str
    t: str

    def __str__(self) -> str:
        return f"{self.local} ({self.t})"


@dataclass(frozen=True)
class Field:
    """One field of the report template. ``measured`` is False when the log does
    not know the value; ``value`` then says so (``not measured``) and ``note`` why."""

    name: str
    value: str
    measured: bool = True
    note: str = ""

    def __str__(self) -> str:
        return f"{self.value} ({self.note})" if self.note else self.value


@dataclass(frozen=True)
class TimelineEntry:
    when: Moment
    kind: str
    """phase, release, role, item, comment, evidence, check, signoff, waiver,
    decision, rollout, step, breach, trigger, alert, pause, resume, promote,
    rollback, attention, hypercare."""
    actor: str
    text: str
    seq: int | None = None
    """The event's sequence number; None for a planned phase window."""
    tone: str = "info"
    """info, ok, warn, bad, or planned (a phase window from the schedule, not an event)."""


@dataclass(frozen=True)
class CheckRow:
    item: str
    item_text: str
    name: str
    kind: str
    status: str
    summary: str
    by: str
    when: Moment


@dataclass(frozen=True)
class GateRecord:
    item: str
    text: str
    line: int
    kind: str
    """hard, phase or signoff."""
    state: str
    """holds, failed, pending or waived (at the end of the log)."""
    by: str
    when: Moment | None
    checks: list[CheckRow]
    """Every recorded result of the gate's checks, oldest first."""
    evidence: list[str]
    waiver: str = ""


@dataclass(frozen=True)
class SignOffEntry:
    role: str
    by: str
    when: Moment
    valid: bool
    """Still counts at the end of the log (same runbook revision, no gate failed since)."""
    note: str = ""


@dataclass(frozen=True)
class Requirement:
    role: str
    quorum: int
    signed_by: list[str]

    @property
    def met(self) -> bool:
        return len(self.signed_by) >= self.quorum


@dataclass(frozen=True)
class DecisionInfo:
    decision: str
    by: str
    when: Moment
    reasons: list[str]
    standing: str
    """``current`` or why it went stale, at the end of the log."""


@dataclass(frozen=True)
class EvalPoint:
    when: Moment
    outcome: str
    value: float | None
    hypercare: bool = False


@dataclass(frozen=True)
class TriggerReport:
    name: str
    text: str
    """The runbook's own words for the criterion."""
    breach: str
    reaction: str
    shadow: bool
    rule: str
    interval: str
    counts: dict[str, int]
    """Evaluations by outcome: ok, breach, error, inconclusive."""
    evaluations: list[EvalPoint]
    first_breach: Moment | None
    breach_began: Moment | None
    """Start of the run of breaches that made it fire."""
    fired: Moment | None
    fired_detail: str
    hypercare_alert: Moment | None
    min_value: float | None
    max_value: float | None
    last_value: float | None
    percent: bool
    """Values are fractions the runbook states as percentages (``5%`` → ``0.05``)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def verdict(self) -> str:
        """What the trigger did, in one sentence."""
        verb = {"rollback": "rolled back", "pause": "paused", "alert": "alerted"}.get(
            self.reaction, self.reaction
        )
        if self.fired is not None:
            if self.shadow:
                return f"would have {verb} at {self.fired.t} (shadow mode: no action taken)"
            return f"fired at {self.fired.t}: {verb}"
        if self.hypercare_alert is not None:
            return f"alerted during hypercare at {self.hypercare_alert.t}"
        if not self.total:
            return "never evaluated"
        breaches = self.counts.get("breach", 0)
        if breaches:
            return f"breached {breaches} time(s), never fired"
        return "never breached"


@dataclass(frozen=True)
class Step:
    component: str
    index: int
    weight: float
    when: Moment
    ok: bool | None
    """None: an intent without an outcome in the log."""
    summary: str


@dataclass(frozen=True)
class WeightPoint:
    component: str
    when: Moment
    weight: float
    rollback: bool = False
    """Set to 0 by the rollback (which comes after the breach it answers, even at the same time)."""


@dataclass(frozen=True)
class ComponentPlan:
    name: str
    weights: list[float]


@dataclass(frozen=True)
class RollbackStep:
    """One step of the runbook's own rollback procedure, as the controller ran it."""

    index: int
    """0-based, as the controller records it; shown as ``index + 1``."""
    item: str | None
    """The runbook item the step carries out, when the log names one."""
    text: str
    line: int | None
    ok: bool | None
    summary: str
    when: Moment


@dataclass(frozen=True)
class Rollback:
    reason: str
    trigger: str | None
    trigger_text: str
    intent: Moment
    done: Moment | None
    results: list[tuple[str, bool, str]]
    """(component, ok, summary) of each rollback actuator."""
    steps: list[RollbackStep]

    @property
    def automatic(self) -> bool:
        return self.trigger is not None

    @property
    def ok(self) -> bool | None:
        """True when every actuator and procedure step succeeded; None without an outcome."""
        if self.done is None:
            return None
        return all(ok for _, ok, _ in self.results) and all(s.ok is not False for s in self.steps)


@dataclass
class RolloutReport:
    outcome: str
    """completed, rolled_back, aborted, paused or running."""
    started: Moment
    started_by: str
    ended: Moment | None
    components: list[ComponentPlan]
    steps: list[Step]
    triggers: list[TriggerReport]
    weights: list[WeightPoint]
    max_weight: dict[str, float]
    rollback: Rollback | None
    pauses: list[tuple[Moment, str]]
    paused: str | None
    attention: list[tuple[Moment, str]]
    alerts: list[tuple[Moment, str, str]]
    """(when, trigger, detail)."""
    hypercare: str
    hypercare_until: Moment | None
    hypercare_ended: bool
    """The watch ran to the end of its window (its last evaluation within two intervals of it)."""
    completed: Moment | None
    shadow: bool


@dataclass(frozen=True)
class Issue:
    title: str
    when: Moment
    impact: str
    resolution: str
    resolved: bool


@dataclass(frozen=True)
class ItemRecord:
    id: str
    text: str
    section: str
    line: int
    status: str
    by: str
    when: Moment | None
    reason: str
    checks: list[CheckRow]
    evidence: list[str]
    comments: list[str]
    procedure: list[str]
    """What golive ran for this item in a rollback (the runbook's rollback procedure)."""


@dataclass(frozen=True)
class TargetRow:
    """A success metric the runbook states, and what the log measured of it."""

    text: str
    line: int
    measured: Field


@dataclass
class Report:
    release_id: str
    title: str
    service: str
    version: str
    env: str
    tz: str
    launch: Moment
    started: Moment
    started_by: str
    events: int
    head_hash: str
    audit_ok: bool
    audit: str
    last_event: Moment | None
    summary: list[Field]
    metrics: list[Field]
    targets: list[TargetRow]
    issues: list[Issue]
    lessons: Field
    action_items: list[str]
    timeline: list[TimelineEntry]
    gates: list[GateRecord]
    requirements: list[Requirement]
    signoffs: list[SignOffEntry]
    decision: DecisionInfo | None
    rollout: RolloutReport | None
    items: list[ItemRecord]
    configuration: list[str]
    """The configuration in force (people, quorum, policy, waivers), from the log."""
    runbook_markdown: str
    runbook_origin: str
    """``source`` (the team's own Markdown, annotated) or ``export`` (the stored model
    written out by :func:`golive.runbook.export.to_markdown`, annotated)."""
    runbook_reimports: bool
    runbook_note: str
    checks: list[CheckRow]
    """Every recorded check result, oldest first."""

    def field(self, name: str) -> Field:
        """A template field by name (``Version``, ``Status``, ``Uptime``, ...)."""
        for entry in (*self.summary, *self.metrics, self.lessons):
            if entry.name.lower() == name.lower():
                return entry
        raise KeyError(name)

    @property
    def date(self) -> str:
        """The report's date: when the rollout started, else the launch date."""
        moment = self.rollout.started if self.rollout is not None else self.launch
        return moment.local.split(" ")[0]
