"""The executable rollout plan: components, steps, actuators and triggers.

Declared in a runbook's document annotation or overlay under ``rollout_guard:``
(or in the native format), for example::

    rollout_guard:
      prometheus_url: http://127.0.0.1:9090
      interval: 30s                 # evaluation interval (independent of bakes)
      soak: 10m                     # after the last step, before "completed"
      hypercare: 72h                # keep watching after 100%
      components:
        - name: web
          steps: [{weight: 10, bake: 1h}, {weight: 50, bake: 1h}, {weight: 100}]
          set_weight: {kind: webhook, url: "http://127.0.0.1:8077/admin/weight", json: {weight: "{weight}"}}
          rollback: {kind: webhook, url: "http://127.0.0.1:8077/admin/rollback"}
        - name: ios
          steps: [{weight: 10, bake: 1d}, {weight: 100}]
          set_weight: {kind: command, argv: [fastlane, phased, "--percent", "{weight}"]}
          halt: {kind: command, argv: [fastlane, pause_phased_release]}
          # iOS cannot roll back: its rollback is a kill switch
          rollback: {kind: webhook, url: "https://flags.example.com/purchases", json: {enabled: false}}
      triggers:
        - name: error-rate
          text: "Error rate > 1% for > 10 minutes"
          query: >-
            sum(rate(http_requests_total{version="canary",status=~"5.."}[1m]))
            / sum(rate(http_requests_total{version="canary"}[1m]))
          breach: "value > 0.01"
          for: 10m
          reaction: rollback
      from_criteria: true           # also compile the runbook's own rollback criteria

A bake without a duration waits until someone promotes (``golive rollout promote``),
and so does a step with ``hold: true`` once its bake is over. ``hold_points: true``
(the default) holds every step at which the runbook's own rollout plan has a hold
point.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from golive.runbook.model import Offset

__all__ = ["Actuator", "Component", "HealthSpec", "ProcedureStep", "RolloutGuard", "Step", "TriggerSpec"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Actuator(_Spec):
    """What carries out a step, a halt or a rollback.

    ``command``: ``argv`` (no shell) or ``run`` (a shell line the runbook's author
    wrote); ``{weight}``, ``{version}``, ``{component}``, ``{env}``, ``{service}``
    are filled in, shell-quoted in ``run``. ``webhook``: an HTTP call whose URL,
    headers and JSON strings are filled in the same way. ``idempotent`` actions
    are resumed after a crash; the others are flagged for a person.
    """

    kind: Literal["command", "webhook"]
    argv: list[str] | None = None
    run: str | None = None
    url: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    timeout: Offset = timedelta(seconds=30)
    idempotent: bool = True

    @model_validator(mode="after")
    def _complete(self) -> Actuator:
        if self.kind == "command" and bool(self.argv) == bool(self.run):
            raise ValueError("a command actuator needs either argv or run")
        if self.kind == "webhook" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError("a webhook actuator needs an http(s) url")
        return self


class Step(_Spec):
    weight: float = Field(gt=0, le=100)
    bake: Offset | None = None
    """How long to watch before the next step; ``None``: until promoted."""
    hold: bool = False
    """A hold point: after the bake, wait for a person to promote (``golive rollout
    promote``). Set from the runbook's own hold points ("T+4h: **HOLD POINT** -
    Go/No-Go decision") when the guard's ``hold_points`` is on."""

    @field_validator("bake")
    @classmethod
    def _not_negative(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(0):
            raise ValueError("bake must not be negative")
        return value


class Component(_Spec):
    name: str = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    set_weight: Actuator
    halt: Actuator | None = None
    rollback: Actuator | None = None

    @field_validator("steps")
    @classmethod
    def _increasing(cls, steps: list[Step]) -> list[Step]:
        weights = [s.weight for s in steps]
        if weights != sorted(weights) or len(set(weights)) != len(weights):
            raise ValueError("step weights must increase")
        return steps


class TriggerSpec(_Spec):
    name: str = Field(min_length=1)
    text: str = ""
    source: Literal["prometheus", "http_json", "health"] = "prometheus"
    """``health``: a health probe (``check``, any check kind): a check that passes
    is ``ok``, one that fails or gets no answer is a ``breach`` (see
    :mod:`golive.rollout.health`; the built-in health guard is such a trigger)."""
    url: str | None = None
    query: str | None = None
    path: str | None = None
    baseline: dict[str, Any] | None = None
    breach: str = ""
    check: dict[str, Any] | None = None
    hypercare_reaction: Literal["rollback", "pause", "alert"] | None = None
    """What a trigger that fires in hypercare does (default: alert)."""
    interval: Offset | None = None
    for_duration: Offset | None = Field(default=None, alias="for")
    count: int | None = Field(default=None, ge=1)
    total: int | None = Field(default=None, ge=1)
    reaction: Literal["rollback", "pause", "alert"] = "rollback"
    shadow: bool = False
    max_errors: int = Field(default=3, ge=1)
    inconclusive_timeout: Offset = timedelta(minutes=10)

    @model_validator(mode="after")
    def _durations(self) -> TriggerSpec:
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if self.for_duration is not None and self.for_duration < timedelta(0):
            raise ValueError("for must not be negative")
        if self.inconclusive_timeout <= timedelta(0):
            raise ValueError("inconclusive_timeout must be positive")
        rules = [r for r in (self.for_duration, self.count, self.total) if r is not None]
        if len(rules) > 1:
            raise ValueError("a trigger has one rule over time: for, count or total")
        if self.source == "health" and not self.check:
            raise ValueError("a health trigger needs a check (the probe)")
        if self.source != "health" and not self.breach:
            raise ValueError("a trigger needs a breach condition")
        return self


class HealthSpec(_Spec):
    """The built-in health guard (see :mod:`golive.rollout.health`): ``health:`` in
    the guard. ``true`` (the default) derives the probe, ``false`` turns it off, a
    mapping sets the probe and its timing::

        health: {url: "http://127.0.0.1:8077/api/health", expect: ["status == 200"],
                 interval: 30s, window: 1m, reaction: rollback}
        health: {check: {kind: tcp, host: db.internal, port: 5432}}

    A total outage is no healthy answer for ``window``; then golive rolls back
    during the rollout and pauses and alerts in hypercare, unless ``reaction``
    names another reaction (for both)."""

    enabled: bool = True
    url: str | None = None
    expect: list[str] | None = None
    check: dict[str, Any] | None = None
    interval: Offset | None = None
    window: Offset = timedelta(minutes=1)
    timeout: Offset = timedelta(seconds=5)
    reaction: Literal["rollback", "pause", "alert"] | None = None

    @model_validator(mode="after")
    def _valid(self) -> HealthSpec:
        if self.url is not None and self.check is not None:
            raise ValueError("give either url or check, not both")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if self.expect is not None and self.url is None:
            raise ValueError("expect needs url (a check states its own expect)")
        if self.check is not None and not isinstance(self.check.get("kind"), str):
            raise ValueError("check needs a kind")
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if self.window < timedelta(0):
            raise ValueError("window must not be negative")
        if self.timeout <= timedelta(0):
            raise ValueError("timeout must be positive")
        return self


class ProcedureStep(_Spec):
    """One step of the runbook's rollback procedure, run after the rollback
    actuators: an ``action`` (an actuator) or a ``check`` (any check kind, e.g. a
    health check that proves the rollback worked). ``text`` and ``line`` say which
    words of the runbook the step carries out."""

    text: str = Field(min_length=1)
    line: int | None = None
    item: str | None = None
    action: Actuator | None = None
    check: dict[str, Any] | None = None
    idempotent: bool | None = None
    """Resumed after a crash? Default: the action's own flag; a check step from
    the runbook is resumed only when it says so."""

    @model_validator(mode="after")
    def _one(self) -> ProcedureStep:
        if (self.action is None) == (self.check is None):
            raise ValueError("a rollback procedure step needs exactly one of 'action' or 'check'")
        return self

    @property
    def resumable(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.action.idempotent if self.action is not None else False


class RolloutGuard(_Spec):
    components: list[Component] = Field(min_length=1)
    triggers: list[TriggerSpec] = Field(default_factory=list)
    prometheus_url: str | None = None
    interval: Offset = timedelta(seconds=30)
    soak: Offset = timedelta(0)
    hypercare: Offset | None = None
    hypercare_interval: Offset | None = None
    """Evaluation interval while in hypercare (default: ``interval``)."""
    shadow: bool = False
    from_criteria: bool = False
    """Also watch the runbook's own rollback criteria, compiled into Prometheus
    triggers (needs ``prometheus_url``; see :mod:`golive.rollout.plan`)."""
    health: HealthSpec = Field(default_factory=HealthSpec)
    """The built-in health guard: ``true`` (default), ``false`` or a probe (see
    :class:`HealthSpec`). Resolved when the rollout starts into one more trigger
    (``source: health``), recorded in ``rollout.started``."""
    hold_points: bool = True
    """Hold at the runbook's own hold points: a step whose weight the runbook's
    rollout plan marks with a hold point ("T+4h: **HOLD POINT** - Go/No-Go
    decision") waits for a promote after its bake. Resolved when the rollout
    starts into each step's ``hold``, recorded in ``rollout.started``."""
    rollback_procedure: bool | list[ProcedureStep] = True
    """After the rollback actuators, run the runbook's rollback procedure: ``true``
    runs the checks attached to the items of its rollback procedure sections, a
    list names the steps, ``false`` runs none. Resolved into a list when the
    rollout starts, so the log says exactly what a rollback will run."""

    @field_validator("health", mode="before")
    @classmethod
    def _health_flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"enabled": value}
        if value is None:
            return {}
        return value

    @field_serializer("health")
    def _health_out(self, value: HealthSpec) -> Any:
        if not value.enabled:
            return False
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True) or True

    @field_validator("components")
    @classmethod
    def _unique(cls, components: list[Component]) -> list[Component]:
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise ValueError("component names must be unique")
        return components

    @model_validator(mode="after")
    def _consistent(self) -> RolloutGuard:
        for name in ("interval", "hypercare_interval"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        for name in ("soak", "hypercare"):
            value = getattr(self, name)
            if value is not None and value < timedelta(0):
                raise ValueError(f"{name} must not be negative")
        names = [t.name for t in self.triggers]
        if len(set(names)) != len(names):
            raise ValueError("trigger names must be unique")
        if self.from_criteria and not self.prometheus_url:
            raise ValueError("from_criteria needs prometheus_url (the criteria become Prometheus queries)")
        return self
