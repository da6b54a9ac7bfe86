"""Faults the demo target can be told to have, and the ``--fault`` syntax for them.

A fault belongs to one version (``canary`` unless said otherwise) and has a kind:

=================  ======================================  ===========================
kind               value                                   effect on that version
=================  ======================================  ===========================
``error_rate``     fraction 0..1 (``0.06`` or ``6%``)      that share of requests: 500
``latency_ms``     milliseconds 0..60000                   every request takes longer
``health``         ``down``                                health endpoints: 503
``payment_failure`` fraction 0..1                          that share of payments: 402
=================  ======================================  ===========================

A fault can wait for the canary to reach a weight (``at_weight``: active while
the weight is at least that) and/or for time to pass (``after_seconds``: active
from that many seconds after it was set). When several active faults of a
version have the same kind, the strongest wins (largest rate, longest latency).

The command-line form, :meth:`FaultSpec.parse`::

    [VERSION:]KIND=VALUE[@WEIGHT][+AFTER]

    error_rate=0.06@50        6% errors on the canary once it takes >= 50% of traffic
    latency_ms=2000@10        +2 s on the canary from 10%
    health=down@100           canary health checks fail at 100%
    payment_failure=3%@50+30s 3% of canary payments fail, from 50% and 30 s after set
    stable:error_rate=0.01    1% errors on the stable version, at once
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from golive.durations import parse_duration
from golive.errors import InputError

__all__ = [
    "FAULT_KINDS",
    "ROLES",
    "Effects",
    "Fault",
    "FaultBook",
    "FaultKind",
    "FaultSpec",
    "Role",
    "parse_weight",
]

FaultKind = Literal["error_rate", "latency_ms", "health", "payment_failure"]
Role = Literal["stable", "canary"]

FAULT_KINDS: tuple[FaultKind, ...] = ("error_rate", "latency_ms", "health", "payment_failure")
ROLES: tuple[Role, ...] = ("stable", "canary")
MAX_LATENCY_MS = 60_000.0

_EXPECTED_VALUE: dict[FaultKind, str] = {
    "error_rate": "a fraction from 0 to 1 such as 0.06 (or 6%)",
    "latency_ms": f"milliseconds from 0 to {MAX_LATENCY_MS:.0f} such as 2000",
    "health": "'down'",
    "payment_failure": "a fraction from 0 to 1 such as 0.03 (or 3%)",
}
_JSON_FIELDS = ("kind", "value", "version", "at_weight", "after_seconds")
_SPEC_GRAMMAR = "[VERSION:]KIND=VALUE[@WEIGHT][+AFTER], e.g. error_rate=0.06@50"


def _bad(field_name: str, expected: str, got: object, where: str = "") -> InputError:
    suffix = f" in {where}" if where else ""
    return InputError(f"expected {expected}, got {got!r}{suffix}", location=field_name)


def _number(text: str) -> float | None:
    """A finite number from text (``6%`` -> 0.06), or None."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%").strip())
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def parse_weight(value: object, field_name: str = "weight", where: str = "") -> int | float:
    """A canary weight: a number from 0 to 100 (percent of traffic). Integral values come back as int."""
    expected = "a number from 0 to 100 (percent of traffic to the canary)"
    number: float | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value) if math.isfinite(value) else None
    elif isinstance(value, str) and where:  # text only from the command-line syntax
        number = _number(value.removesuffix("%"))
    else:
        number = None
    if number is None or not 0 <= number <= 100:
        raise _bad(field_name, expected, value, where)
    return int(number) if number.is_integer() else number


def _parse_value(kind: FaultKind, value: object, where: str = "") -> float | str:
    if kind == "health":
        if isinstance(value, str) and value.strip().lower() == "down":
            return "down"
        raise _bad("value", f"{_EXPECTED_VALUE[kind]} for health", value, where)
    number: float | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        number = _number(value)
        if number is not None and kind == "latency_ms" and value.strip().endswith("%"):
            number = None
    else:
        number = None
    upper = MAX_LATENCY_MS if kind == "latency_ms" else 1.0
    if number is None or not 0 <= number <= upper:
        raise _bad("value", f"{_EXPECTED_VALUE[kind]} for {kind}", value, where)
    return number


def _parse_after(value: object, where: str = "") -> float:
    expected = "seconds (a number >= 0, or a duration such as 30s or 5m)"
    if isinstance(value, bool) or value is None:
        raise _bad("after_seconds", expected, value, where)
    plain = _number(value) if isinstance(value, str) and not value.strip().endswith("%") else None
    try:
        seconds = plain if plain is not None else parse_duration(value).total_seconds()
    except ValueError:
        raise _bad("after_seconds", expected, value, where) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise _bad("after_seconds", expected, value, where)
    return seconds


def _parse_kind(value: object, where: str = "") -> FaultKind:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in FAULT_KINDS:
        raise _bad("kind", "one of " + ", ".join(FAULT_KINDS), value, where)
    return text


def _parse_role(value: object, where: str = "") -> Role:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in ROLES:
        raise _bad("version", "'stable' or 'canary'", value, where)
    return text


def _plain(number: float | int) -> float | int:
    return int(number) if float(number).is_integer() else number


@dataclass(frozen=True)
class FaultSpec:
    """What a fault is, before it is set: the body of ``POST /admin/faults``."""

    kind: FaultKind
    value: float | str
    version: Role = "canary"
    at_weight: int | float | None = None
    after_seconds: float | None = None

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Read ``[VERSION:]KIND=VALUE[@WEIGHT][+AFTER]``; raises InputError naming the bad field."""
        where = f"fault {text!r} ({_SPEC_GRAMMAR})"
        head, sep, rest = text.strip().partition("=")
        if not sep or not head.strip():
            raise _bad("kind", "KIND=VALUE", text, where)
        version: Role = "canary"
        if ":" in head:
            role_text, _, head = head.partition(":")
            version = _parse_role(role_text, where)
        kind = _parse_kind(head, where)
        rest, plus, after_text = rest.partition("+")
        value_text, at, weight_text = rest.partition("@")
        if not value_text.strip():
            raise _bad("value", _EXPECTED_VALUE[kind], value_text, where)
        value = _parse_value(kind, value_text, where)
        at_weight = parse_weight(weight_text.strip(), "at_weight", where) if at else None
        after = _parse_after(after_text.strip(), where) if plus else None
        return cls(kind=kind, value=value, version=version, at_weight=at_weight, after_seconds=after)

    @classmethod
    def from_json(cls, body: object) -> FaultSpec:
        """Read the JSON body of ``POST /admin/faults``; raises InputError naming the bad field."""
        if not isinstance(body, dict):
            raise _bad("body", 'a JSON object such as {"kind": "error_rate", "value": 0.06}', body)
        unknown = sorted(str(key) for key in body if key not in _JSON_FIELDS)
        if unknown:
            raise _bad(unknown[0], "no other fields than " + ", ".join(_JSON_FIELDS), "(unknown field)")
        if "kind" not in body:
            raise _bad("kind", "one of " + ", ".join(FAULT_KINDS), None)
        kind = _parse_kind(body["kind"])
        if "value" not in body:
            raise _bad("value", _EXPECTED_VALUE[kind], None)
        value = _parse_value(kind, body["value"])
        version = _parse_role(body.get("version", "canary"))
        at_weight = None if body.get("at_weight") is None else parse_weight(body["at_weight"], "at_weight")
        after_raw = body.get("after_seconds")
        after = None if after_raw is None else _parse_after(after_raw)
        return cls(kind=kind, value=value, version=version, at_weight=at_weight, after_seconds=after)

    def to_request(self) -> dict[str, Any]:
        """The JSON body for ``POST /admin/faults`` (only the fields that are set)."""
        body: dict[str, Any] = {
            "kind": self.kind,
            "value": self.value if isinstance(self.value, str) else _plain(self.value),
            "version": self.version,
        }
        if self.at_weight is not None:
            body["at_weight"] = self.at_weight
        if self.after_seconds is not None:
            body["after_seconds"] = _plain(self.after_seconds)
        return body

    def __str__(self) -> str:
        value = self.value if isinstance(self.value, str) else f"{_plain(self.value)}"
        text = f"{self.version}:{self.kind}={value}"
        if self.at_weight is not None:
            text += f"@{self.at_weight}"
        if self.after_seconds is not None:
            text += f"+{_plain(self.after_seconds)}s"
        return text


@dataclass(frozen=True)
class Effects:
    """What the active faults of one version do to its requests right now."""

    error_rate: float = 0.0
    latency_ms: float = 0.0
    health_down: bool = False
    payment_failure: float = 0.0

    def gauge(self, kind: FaultKind) -> float:
        """The value of ``demo_target_faults{kind=...}``: the fraction, ms, or 1 for health down."""
        if kind == "health":
            return 1.0 if self.health_down else 0.0
        return float(getattr(self, kind))

    def to_json(self) -> dict[str, Any]:
        return {
            "error_rate": _plain(self.error_rate),
            "latency_ms": _plain(self.latency_ms),
            "health": "down" if self.health_down else "up",
            "payment_failure": _plain(self.payment_failure),
        }


@dataclass(frozen=True)
class Fault:
    """A fault that was set: its spec, id, and when it was set."""

    id: str
    spec: FaultSpec
    set_at: float  # clock seconds (monotonic)
    set_at_iso: str

    def active(self, weight: float, now: float) -> bool:
        spec = self.spec
        if spec.at_weight is not None and weight < spec.at_weight:
            return False
        return spec.after_seconds is None or now - self.set_at >= spec.after_seconds

    def to_json(self, weight: float, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.to_request(),
            "at_weight": self.spec.at_weight,
            "after_seconds": None if self.spec.after_seconds is None else _plain(self.spec.after_seconds),
            "set_at": self.set_at_iso,
            "active": self.active(weight, now),
        }


@dataclass
class FaultBook:
    """The faults set on the demo target, in the order they were set."""

    clock: Callable[[], float]
    faults: list[Fault] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, spec: FaultSpec, set_at_iso: str) -> Fault:
        fault = Fault(id=f"f{next(self._ids)}", spec=spec, set_at=self.clock(), set_at_iso=set_at_iso)
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: str) -> bool:
        kept = [f for f in self.faults if f.id != fault_id]
        removed = len(kept) != len(self.faults)
        self.faults = kept
        return removed

    def clear(self, version: Role | None = None) -> int:
        kept = [f for f in self.faults if version is not None and f.spec.version != version]
        removed = len(self.faults) - len(kept)
        self.faults = kept
        return removed

    def effects(self, version: Role, weight: float) -> Effects:
        now = self.clock()
        error_rate = latency_ms = payment_failure = 0.0
        health_down = False
        for fault in self.faults:
            spec = fault.spec
            if spec.version != version or not fault.active(weight, now):
                continue
            if spec.kind == "health":
                health_down = True
                continue
            value = float(spec.value)
            if spec.kind == "error_rate":
                error_rate = max(error_rate, value)
            elif spec.kind == "latency_ms":
                latency_ms = max(latency_ms, value)
            else:
                payment_failure = max(payment_failure, value)
        return Effects(error_rate, latency_ms, health_down, payment_failure)

    def to_json(self, weight: float) -> list[dict[str, Any]]:
        now = self.clock()
        return [fault.to_json(weight, now) for fault in self.faults]
