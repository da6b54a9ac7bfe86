"""The demo target's state and the one place that decides how a request goes.

Real HTTP requests (:mod:`golive.demo_target.app`) and synthetic ones
(:mod:`golive.demo_target.traffic`) both ask :meth:`Target.pick_version` which
version serves them and :meth:`Target.decide` what that version's faults do to
them, and both record into the same :class:`~golive.demo_target.metrics.Metrics`.
The admin operations (weight, faults, rollback, kill switch) live here too, so
the HTTP layer only parses and renders.

Chance: a real request draws its faults at random (``rng.random() < p``);
synthetic traffic passes a deterministic :data:`Chance` instead (see
:mod:`golive.demo_target.traffic`), so a 6% error rate is 6% of its requests in
any window, not 6% on average.

Components: ``POST /admin/deploy {"component": "migrations", "weight": 100}``
records that a part of the release other than the traffic-bearing one (database
migrations, a frontend build, a store submission) was deployed to a weight. It
changes nothing about how requests are served: only ``POST /admin/weight``
moves traffic. A rollout guard with several components points one of them at
``/admin/weight`` and the others at ``/admin/deploy``, so they do not overwrite
each other's weight; ``{"weight": 0}`` is such a component's rollback.

Idempotency: ``POST /admin/weight``, ``POST /admin/deploy`` and ``POST /admin/rollback``
honour an ``Idempotency-Key`` (golive's actuators send ``{release}:{component}:step-{index}``
and ``{release}:{component}:rollback``). The first call with a key is applied
and remembered; a later call with the same key and the same action and body is
a replay: it is answered with the current state and ``"replayed": true`` and is
not applied again, so a controller that resumes an action after a crash never
applies it twice. The same key on another action or body is refused (409). Keys
live as long as the process (``POST /admin/reset`` forgets them, like a restart).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from golive.demo_target.faults import ROLES, Effects, Fault, FaultBook, FaultSpec, Role, parse_weight
from golive.demo_target.metrics import Metrics
from golive.errors import InputError, NotFoundError

__all__ = [
    "FEATURES",
    "IDEMPOTENT_ACTIONS",
    "ROUTES",
    "Chance",
    "Decision",
    "DemoConfig",
    "IdempotencyKeyReused",
    "Route",
    "Target",
    "now_iso",
    "random_chance",
]

TTL_SECONDS = 60
IDEMPOTENT_ACTIONS = ("/admin/weight", "/admin/deploy", "/admin/rollback")
MAX_KEY_LENGTH = 300
MAX_COMPONENT_LENGTH = 100
_DEPLOY_FIELDS = ("component", "weight", "reason")

Chance = Callable[[str, float], bool]
"""Does an event of probability ``p`` happen to this request? ``kind`` names the
event (``error``, ``payment_failure``) so a deterministic chance keeps one carry each."""


def random_chance(rng: random.Random) -> Chance:
    """The chance real requests use: an independent draw each time."""

    def chance(kind: str, p: float) -> bool:
        return p > 0 and rng.random() < p

    return chance


class IdempotencyKeyReused(InputError):
    """An ``Idempotency-Key`` already applied to another action or body (answered 409)."""

    code = "idempotency_key_reused"


def now_iso() -> str:
    """The wall-clock time as ISO 8601 UTC with milliseconds (``...T12:00:00.123Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Route:
    """One application route: what it answers when all is well and what else it can answer."""

    method: str
    path: str
    ok: int = 200
    health: bool = False  # governed by the health fault, exempt from error_rate
    feature: str | None = None  # kill switch that can turn it off (503)
    other: tuple[int, ...] = (500,)

    @property
    def statuses(self) -> tuple[int, ...]:
        return (self.ok, *self.other)


ROUTES: dict[str, Route] = {
    route.path: route
    for route in (
        Route("GET", "/api/health", health=True, other=(503,)),
        Route("GET", "/api/v1/health", health=True, other=(503,)),
        Route("GET", "/api/v1/health/detailed", health=True, other=(503,)),
        Route("GET", "/api/v1/health/metrics", health=True, other=(503,)),
        Route("GET", "/api/entitlements/snapshot"),
        Route("POST", "/api/purchases/verify", feature="purchases", other=(400, 500, 503)),
        Route("POST", "/api/orders", ok=201, feature="orders", other=(400, 500, 503)),
        Route("POST", "/api/payments", ok=201, feature="payments", other=(400, 402, 500, 503)),
    )
}
FEATURES = ("purchases", "orders", "payments")
FEATURE_DISABLED_MESSAGE = "{name} temporarily unavailable. Please try again later."


@dataclass(frozen=True)
class Decision:
    """What a version's faults do to one request: its status so far and the added delay."""

    status: int
    reason: str  # ok, error, unhealthy, feature_disabled
    delay: float  # seconds


@dataclass(frozen=True)
class DemoConfig:
    """How to run the demo target (the ``golive demo-target`` options)."""

    stable_version: str = "1.0.0"
    canary_version: str = "1.1.0"
    rps: float = 50.0  # synthetic requests per second; 0 for none
    seed: int | None = None
    ledger: Path | None = None
    faults: Sequence[FaultSpec] = ()
    weight: int | float = 0
    tick_seconds: float = 0.1

    def validate(self) -> None:
        for name, value in (("stable_version", self.stable_version), ("canary_version", self.canary_version)):
            if not value.strip() or any(ch in value for ch in '\r\n"\\'):
                raise InputError(f"expected a version such as 1.0.0, got {value!r}", location=name)
        if not math.isfinite(self.rps) or not 0 <= self.rps <= 100_000:
            raise InputError(
                f"expected requests per second from 0 to 100000, got {self.rps!r}", location="rps"
            )
        if not math.isfinite(self.tick_seconds) or not 0 < self.tick_seconds <= 5:
            raise InputError(
                f"expected seconds from 0 to 5, got {self.tick_seconds!r}", location="tick_seconds"
            )
        parse_weight(self.weight)


@dataclass
class Target:
    """The stand-in service: two versions, a canary weight, faults, kill switches, an admin log."""

    config: DemoConfig
    clock: Callable[[], float] = time.monotonic
    weight: int | float = 0
    rolled_back: bool = False
    rolled_back_at: str | None = None
    features: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(FEATURES, True))
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Components recorded by ``POST /admin/deploy``: name -> {weight, deployed_at}."""
    calls: list[dict[str, Any]] = field(default_factory=list)
    synthetic_requests: int = 0
    applied: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Idempotency keys of the admin actions applied: key -> (action, body as canonical JSON)."""

    def __post_init__(self) -> None:
        self.config.validate()
        self.weight = parse_weight(self.config.weight)
        self.faults = FaultBook(self.clock)
        for spec in self.config.faults:
            self.faults.add(spec, now_iso())
        self.metrics = Metrics(self)
        self.metrics.prime((path, status) for path, route in ROUTES.items() for status in route.statuses)
        self.rng = random.Random(self.config.seed)  # noqa: S311 (simulation, not security)
        self.chance = random_chance(self.rng)
        self.started = self.clock()
        self.started_at = now_iso()
        self._ledger: TextIO | None = None
        self._serial = itertools.count(1)

    def next_id(self, prefix: str) -> str:
        """A fresh id for an order or a payment (``o-1``, ``p-2``)."""
        return f"{prefix}-{next(self._serial)}"

    # -- serving ---------------------------------------------------------------------------

    def build(self, role: Role) -> str:
        return self.config.stable_version if role == "stable" else self.config.canary_version

    def effects(self, role: Role) -> Effects:
        return self.faults.effects(role, self.weight)

    def pick_version(self, rng: random.Random) -> Role:
        """The version that serves a real request: the canary with probability weight/100."""
        return "canary" if rng.random() * 100 < self.weight else "stable"

    def decide(self, role: Role, route: Route, chance: Chance) -> Decision:
        """Kill switch, health, then error rate; the handler adds bad input (400) and payments (402)."""
        effects = self.effects(role)
        delay = effects.latency_ms / 1000
        if route.feature is not None and not self.features[route.feature]:
            return Decision(503, "feature_disabled", delay)
        if route.health:
            return Decision(503, "unhealthy", delay) if effects.health_down else Decision(200, "ok", delay)
        if chance("error", effects.error_rate):
            return Decision(500, "error", delay)
        return Decision(route.ok, "ok", delay)

    def payment_fails(self, role: Role, chance: Chance) -> bool:
        return chance("payment_failure", self.effects(role).payment_failure)

    def window(self, seconds: float) -> dict[str, Any]:
        """The answer of ``GET /metrics/window`` (see :mod:`golive.demo_target.window`)."""
        healthy = {role: not self.effects(role).health_down for role in ROLES}
        return self.metrics.window.report(seconds, self.weight, healthy)

    # -- admin -----------------------------------------------------------------------------

    def set_weight(self, body: object) -> dict[str, Any]:
        if not isinstance(body, dict) or "weight" not in body:
            raise InputError('expected a JSON object such as {"weight": 50}', location="weight")
        self.weight = parse_weight(body["weight"])
        if self.weight > 0:
            self.rolled_back, self.rolled_back_at = False, None
        return self.state()

    def deploy(self, body: object) -> dict[str, Any]:
        """Record a component's weight (``POST /admin/deploy``); traffic is not touched."""
        if not isinstance(body, dict):
            raise InputError(
                'expected a JSON object such as {"component": "migrations", "weight": 100}', location="body"
            )
        unknown = sorted(str(key) for key in body if key not in _DEPLOY_FIELDS)
        if unknown:
            expected = ", ".join(_DEPLOY_FIELDS)
            raise InputError(f"expected no other fields than {expected}", location=unknown[0])
        component = body.get("component")
        if (
            not isinstance(component, str)
            or not component.strip()
            or len(component) > MAX_COMPONENT_LENGTH
            or any(ord(ch) < 32 for ch in component)
        ):
            raise InputError(
                f"expected a component name such as 'migrations', got {component!r}", location="component"
            )
        if "weight" not in body:
            raise InputError("expected a number from 0 to 100 (the component's weight)", location="weight")
        weight = parse_weight(body["weight"])
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InputError(f"expected text, got {reason!r}", location="reason")
        self.components[component] = {"weight": weight, "deployed_at": now_iso()}
        return self.state()

    def add_fault(self, body: object) -> Fault:
        return self.faults.add(FaultSpec.from_json(body), now_iso())

    def remove_fault(self, fault_id: str) -> None:
        if not self.faults.remove(fault_id):
            raise NotFoundError(f"no fault {fault_id!r}", location="id")

    def clear_faults(self, version: str | None) -> int:
        """Remove every fault, or every fault of one version; returns how many."""
        for role in ROLES:
            if version == role:
                return self.faults.clear(role)
        if version is not None:
            raise InputError(f"expected 'stable' or 'canary', got {version!r}", location="version")
        return self.faults.clear()

    def rollback(self) -> dict[str, Any]:
        self.weight = 0
        self.rolled_back, self.rolled_back_at = True, now_iso()
        return self.state()

    def set_feature(self, body: object) -> dict[str, Any]:
        expected = 'a JSON object such as {"feature": "purchases", "enabled": false}'
        if not isinstance(body, dict):
            raise InputError(expected, location="body")
        feature = body.get("feature")
        if feature not in FEATURES:
            raise InputError(f"expected one of {', '.join(FEATURES)}, got {feature!r}", location="feature")
        enabled = body.get("enabled")
        if not isinstance(enabled, bool):
            raise InputError(f"expected true or false, got {enabled!r}", location="enabled")
        self.features[feature] = enabled
        return {"feature": feature, "enabled": enabled, "features": dict(self.features)}

    def reset(self) -> dict[str, Any]:
        """Back to the start: weight from the config, no faults, features on, no components,
        no idempotency keys remembered (the call log and the traffic counted so far stay)."""
        self.weight = parse_weight(self.config.weight)
        self.rolled_back, self.rolled_back_at = False, None
        self.faults.clear()
        self.features = dict.fromkeys(FEATURES, True)
        self.components.clear()
        self.applied.clear()
        return self.state()

    def apply_once(
        self, key: str | None, action: str, body: object, apply: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """Run ``apply`` unless ``key`` was already applied; returns (answer, replayed).

        Without a key the action is simply applied. A replay (same key, action and
        body) applies nothing and answers the current state. An action that fails
        (bad input) does not use up its key. Raises :class:`IdempotencyKeyReused`
        for a key already applied to another action or body, InputError for an
        empty or overlong key.
        """
        if key is None:
            return apply(), False
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise InputError(
                f"expected a non-empty key of at most {MAX_KEY_LENGTH} characters, got {key[:40]!r}",
                location="Idempotency-Key",
            )
        fingerprint = (action, json.dumps(body, sort_keys=True, separators=(",", ":")))
        seen = self.applied.get(key)
        if seen is not None:
            if seen != fingerprint:
                raise IdempotencyKeyReused(
                    f"key {key!r} was already applied to {seen[0]} with body {seen[1]}; "
                    "a key names one action",
                    location="Idempotency-Key",
                )
            return self.state(), True
        answer = apply()
        self.applied[key] = fingerprint
        return answer, False

    def state(self) -> dict[str, Any]:
        versions = {}
        for role in ROLES:
            effects = self.effects(role)
            share = self.weight if role == "canary" else 100 - self.weight
            versions[role] = {
                "version": self.build(role),
                "weight": share,
                "healthy": not effects.health_down,
                "faults": effects.to_json(),
            }
        return {
            "service": "golive demo-target",
            "weight": self.weight,
            "rolled_back": self.rolled_back,
            "rolled_back_at": self.rolled_back_at,
            "versions": versions,
            "faults": self.faults.to_json(self.weight),
            "features": dict(self.features),
            "components": {name: dict(deployed) for name, deployed in sorted(self.components.items())},
            "synthetic": {"rps": self.config.rps, "requests": self.synthetic_requests},
            "started_at": self.started_at,
            "server_time": now_iso(),
        }

    # -- the admin call log ----------------------------------------------------------------

    def open_ledger(self) -> None:
        path = self.config.ledger
        if path is None or self._ledger is not None:
            return
        try:
            self._ledger = path.open("a", encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise InputError(f"{path}: cannot open for appending: {reason}", location="ledger") from None

    def close_ledger(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def record_call(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one admin call to the log (and to the ledger file, flushed and fsync'd)."""
        call = {"seq": len(self.calls) + 1, "time": now_iso(), **entry}
        self.calls.append(call)
        if self._ledger is not None:
            self._ledger.write(json.dumps(call, ensure_ascii=False, separators=(",", ":")) + "\n")
            self._ledger.flush()
            os.fsync(self._ledger.fileno())
        return call
