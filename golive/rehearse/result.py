"""What a rehearsal shows while it runs (:class:`RehearsalView`) and what it ends with
(:class:`RehearsalResult`, the ``--json`` object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["OUTCOMES", "RehearsalResult", "RehearsalView"]

OUTCOMES = ("completed", "rolled_back", "paused", "aborted")


@dataclass
class RehearsalView:
    """What the live display shows; updated as the rehearsal goes."""

    runbook: str = ""
    now: datetime | None = None
    launch: datetime | None = None
    stage: str = "preparing"
    phase: str = ""
    actions_done: int = 0
    actions_total: int = 0
    items_done: int = 0
    items_failed: int = 0
    items_skipped: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    decision: str = ""
    rollout: str = "not started"
    weights: dict[str, float] = field(default_factory=dict)
    triggers: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    alerts: int = 0
    log: list[str] = field(default_factory=list)


@dataclass
class RehearsalResult:
    outcome: str
    reason: str | None
    trigger: str | None
    release_id: str
    out_dir: Path
    db: Path
    report: Path | None
    report_files: dict[str, str]
    runbook: Path
    overlay: Path | None
    launch: datetime
    launch_note: str | None
    virtual: timedelta
    real_seconds: float
    faults: list[str]
    plan: dict[str, list[float]]
    steps: dict[str, list[float]]
    decision: str
    items: dict[str, int]
    checks: dict[str, int]
    alerts: list[str]
    notes: list[str]
    standin: str

    @property
    def ok(self) -> bool:
        return self.outcome == "completed"

    def to_json(self) -> dict[str, Any]:
        from golive.durations import format_duration

        reached = [w for weights in self.steps.values() for w in weights]
        return {
            "outcome": self.outcome,
            "trigger": self.trigger,
            "reason": self.reason,
            "report": str(self.report) if self.report is not None else None,
            "report_files": self.report_files,
            "release": self.release_id,
            "db": str(self.db),
            "out": str(self.out_dir),
            "runbook": str(self.runbook),
            "overlay": str(self.overlay) if self.overlay is not None else None,
            "launch": self.launch.isoformat(),
            "launch_note": self.launch_note,
            "durations": {
                "virtual": format_duration(timedelta(seconds=round(self.virtual.total_seconds()))),
                "virtual_seconds": self.virtual.total_seconds(),
                "real_seconds": round(self.real_seconds, 3),
            },
            "faults": self.faults,
            "plan": self.plan,
            "steps": self.steps,
            "max_weight": max(reached, default=0),
            "decision": self.decision,
            "items": self.items,
            "checks": self.checks,
            "alerts": self.alerts,
            "notes": self.notes,
            "standin": self.standin,
        }
