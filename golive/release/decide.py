"""GO / NO-GO from facts: gates, sign-offs, policy, and every reason listed.

GO when, and only when:

- every hard gate holds: its item is done, or its checks' latest results passed,
  or it was waived by an approver (a failed gate blocks even if once done);
- no phase gate has failed (a pending phase gate blocks the start of the next
  phase, not the release);
- every required sign-off is present with its quorum, given on the release's
  current revision and after the last gate failure (an upgrade or a gate that
  fails afterwards invalidates it);
- no policy is violated (no launch on a Friday or weekend when the runbook or the
  configuration forbids it, launch inside the deploy window, outside freezes),
  unless the violation is waived.

A recorded GO goes stale when a gate fails afterwards, when the runbook is
upgraded, or when it is older than ``policy.go_max_age``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from golive.config import Config
from golive.release.state import ReleaseState, SignOffRecord
from golive.runbook.model import Item

__all__ = [
    "Decision",
    "GateStatus",
    "decide",
    "gate_statuses",
    "policy_violations",
    "required_signoffs",
    "valid_signoffs",
]


@dataclass(frozen=True)
class GateStatus:
    item: Item
    holds: bool | None  # None: pending
    waived: bool


@dataclass
class Decision:
    decision: str  # "GO" | "NO-GO"
    reasons: list[str] = field(default_factory=list)
    gates: list[GateStatus] = field(default_factory=list)
    signoffs: dict[str, tuple[int, int]] = field(default_factory=dict)  # role -> (have, need)
    violations: list[str] = field(default_factory=list)
    recorded: str | None = None  # state of the recorded decision: "current", "stale: ...", None

    @property
    def go(self) -> bool:
        return self.decision == "GO"


def gate_statuses(state: ReleaseState) -> list[GateStatus]:
    return [
        GateStatus(item=item, holds=state.gate_holds(item.id), waived=item.id in state.waivers)
        for item in state.runbook.gates()
    ]


def required_signoffs(state: ReleaseState, config: Config) -> dict[str, int]:
    """Role -> quorum: the runbook's release-level sign-offs (phase sign-offs gate their phase)."""
    out: dict[str, int] = {}
    for signoff in state.runbook.sign_offs:
        if signoff.section is not None and signoff.source == "owner":
            continue  # a phase go/no-go owner approves that phase, not the release
        out[signoff.role] = max(out.get(signoff.role, 1), signoff.quorum, config.quorum.get(signoff.role, 1))
    return out


def valid_signoffs(state: ReleaseState) -> list[SignOffRecord]:
    return [s for s in state.signoffs if s.revision == state.revision and s.gate_epoch == state.gate_epoch]


def policy_violations(
    state: ReleaseState, config: Config, launch: datetime, tz: str
) -> list[tuple[str, str]]:
    """(policy id, reason) for each policy the launch time breaks."""
    local = launch.astimezone(ZoneInfo(tz))
    rules = {p.rule for p in state.runbook.policies}
    out: list[tuple[str, str]] = []
    if (config.policy.no_friday or "no_friday" in rules) and local.weekday() == 4:
        source = "the runbook says don't deploy on Fridays" if "no_friday" in rules else "policy no_friday"
        out.append(("policy:no_friday", f"launch {local:%a %Y-%m-%d %H:%M} is a Friday ({source})"))
    if (config.policy.no_weekend or "no_weekend" in rules) and local.weekday() >= 5:
        out.append(("policy:no_weekend", f"launch {local:%a %Y-%m-%d %H:%M} is on a weekend"))
    window = config.policy.deploy_window
    if window is not None:
        start, end = window
        if not (start <= local.time() < end):
            out.append(
                (
                    "policy:deploy_window",
                    f"launch at {local:%H:%M} is outside the deploy window {start:%H:%M}-{end:%H:%M}",
                )
            )
    for freeze in config.policy.freezes:
        if freeze.start <= local.date() <= freeze.end:
            out.append(("policy:freeze", f"launch {local:%Y-%m-%d} is inside a freeze: {freeze.reason}"))
    return out


def decide(state: ReleaseState, config: Config, *, launch: datetime, tz: str, now: datetime) -> Decision:
    reasons: list[str] = []
    gates = gate_statuses(state)
    for gate in gates:
        if gate.item.gate is None or gate.item.optional:
            continue
        where = f"line {gate.item.line}" + (f" of {gate.item.file}" if gate.item.file else "")
        label = "phase gate" if gate.item.gate.kind == "phase" else "gate"
        if gate.holds is False:
            reasons.append(f"{label} failed: {gate.item.text} ({where})")
        elif gate.holds is None and gate.item.gate.kind != "phase":  # a pending phase gate blocks its phase
            reasons.append(f"{label} not done: {gate.item.text} ({where})")
    need = required_signoffs(state, config)
    have: dict[str, set[str]] = {}
    for record in valid_signoffs(state):
        have.setdefault(record.role, set()).add(record.by)
    counts: dict[str, tuple[int, int]] = {}
    for role, quorum in need.items():
        count = len(have.get(role, set()))
        counts[role] = (count, quorum)
        if count < quorum:
            stale = [s for s in state.signoffs if s.role == role and s not in valid_signoffs(state)]
            why = " (an earlier sign-off was invalidated by an upgrade or a failed gate)" if stale else ""
            reasons.append(f"sign-off missing: {role} ({count} of {quorum}){why}")
    violations: list[str] = []
    for policy_id, reason in policy_violations(state, config, launch, tz):
        if policy_id in state.waivers:
            continue
        violations.append(reason)
        reasons.append(f"policy: {reason}")
    decision = Decision(
        decision="NO-GO" if reasons else "GO",
        reasons=reasons,
        gates=gates,
        signoffs=counts,
        violations=violations,
    )
    recorded = state.decision
    if recorded is not None:
        if recorded.decision == "GO":
            if recorded.revision != state.revision:
                decision.recorded = "stale: the runbook was upgraded after the GO"
            elif recorded.gate_epoch != state.gate_epoch:
                decision.recorded = "stale: a gate failed after the GO"
            elif recorded.config_epoch != state.config_epoch:
                decision.recorded = "stale: the release was reconfigured (people or quorum) after the GO"
            elif now - recorded.at > config.policy.go_max_age:
                decision.recorded = f"stale: the GO is older than {config.policy.go_max_age}"
            else:
                decision.recorded = "current"
        else:
            decision.recorded = "current"
    return decision
