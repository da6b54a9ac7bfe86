"""What a check returns. A check never raises for a failed verification: it
returns one of these, with what it observed and each condition's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CheckResult", "ConditionOutcome", "Observation", "Status"]

Status = Literal["passed", "failed", "error", "skipped"]
"""``passed``/``failed``: the conditions held or not. ``error``: could not
measure (unreachable host, timeout, no data); never a pass. ``skipped``: not run
(a manual attestation nobody gave yet, a kind not selected)."""


class ConditionOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expression: str
    passed: bool | None
    rendered: str
    """The expression with the observed values: ``status (503) == 200``."""
    error: str | None = None


class Observation(BaseModel):
    """What a check kind measured. ``values`` are what conditions see."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    values: dict[str, Any] = Field(default_factory=dict)
    evidence: str = ""
    status: Status | None = None
    """Set by a kind that decides itself (``skipped`` for a manual check)."""
    message: str | None = None


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str | None = None
    name: str
    kind: str
    status: Status
    observed: dict[str, Any] = Field(default_factory=dict)
    conditions: list[ConditionOutcome] = Field(default_factory=list)
    evidence: str = ""
    message: str | None = None
    duration_ms: float = 0.0
    attempts: int = 1
    started_at: datetime | None = None
    source: str | None = None

    @property
    def summary(self) -> str:
        if self.message and self.status in ("error", "skipped"):
            return self.message
        failed = [c.rendered for c in self.conditions if c.passed is not True]
        shown = failed or [c.rendered for c in self.conditions]
        return "; ".join(shown) if shown else (self.message or "")
