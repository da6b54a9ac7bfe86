"""The fields every check kind shares; each kind subclasses :class:`KindSpec`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from golive.runbook.model import Offset

__all__ = ["KindSpec"]


class KindSpec(BaseModel):
    """Common check fields.

    - ``expect``: conditions (CEL, see :mod:`golive.checks.conditions`) that must
      all hold; ``condition`` is accepted for one. Each kind has defaults.
    - ``timeout`` per attempt; ``retries`` extra attempts after a failure or an
      error, waiting ``backoff`` doubled each time (capped at 30 s).
    """

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str | None = None
    expect: list[str] = Field(default_factory=list)
    timeout: Offset = timedelta(seconds=10)
    retries: int = Field(default=0, ge=0, le=10)
    backoff: Offset = timedelta(milliseconds=500)

    @model_validator(mode="before")
    @classmethod
    def _condition_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "condition" in data:
            data = dict(data)
            condition = data.pop("condition")
            expect = data.get("expect") or []
            if isinstance(expect, str):
                expect = [expect]
            data["expect"] = [condition, *expect] if isinstance(condition, str) else expect
        if isinstance(data, dict) and isinstance(data.get("expect"), str):
            data = {**data, "expect": [data["expect"]]}
        return data

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("timeout must be positive")
        return value
