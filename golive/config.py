"""golive's configuration: who you are, who holds which role, and the release
policy (deploy windows, freezes, how long a GO stays valid).

Read from ``./golive.toml``, else ``$GOLIVE_HOME/config.toml`` (or the file
``GOLIVE_CONFIG`` names)::

    actor = "alice"                 # who acts, unless --as or GOLIVE_ACTOR says otherwise

    [people]                        # role -> people, for every release
    approver = ["alice"]            # golive's own role: records decisions, grants waivers
    "QA Lead" = ["quinn"]

    [policy]
    no_friday = true                # also on when the runbook itself says "don't deploy on Fridays"
    no_weekend = false
    deploy_window = { start = "06:00", end = "10:00" }    # launch-time window, launch time zone
    freezes = [{ start = "2026-12-20", end = "2027-01-04", reason = "holiday code freeze" }]
    go_max_age = "24h"              # a recorded GO goes stale after this

    [signoff]
    quorum = { "QA Lead" = 2 }      # approvals needed per role (default 1)
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from golive.durations import parse_duration
from golive.errors import InputError

__all__ = [
    "WAIVE_ROLES",
    "Config",
    "Freeze",
    "Policy",
    "config_changes",
    "config_from_record",
    "config_record",
    "describe_record",
    "load_config",
]


@dataclass(frozen=True)
class Freeze:
    start: date
    end: date
    reason: str


@dataclass
class Policy:
    no_friday: bool = False
    no_weekend: bool = False
    deploy_window: tuple[time, time] | None = None
    freezes: list[Freeze] = field(default_factory=list)
    go_max_age: timedelta = timedelta(hours=24)


@dataclass
class Config:
    actor: str | None = None
    people: dict[str, list[str]] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    quorum: dict[str, int] = field(default_factory=dict)
    path: Path | None = None

    def whoami(self, override: str | None = None) -> str:
        who = override or os.environ.get("GOLIVE_ACTOR") or self.actor
        if not who:
            try:
                who = getpass.getuser()
            except (OSError, KeyError):
                who = "unknown"
        return who


def _config_path() -> Path | None:
    explicit = os.environ.get("GOLIVE_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("golive.toml")
    if local.is_file():
        return local
    from golive.store.db import data_dir

    home = data_dir() / "config.toml"
    return home if home.is_file() else None


def _clock(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"expected a time like '06:00', got {value!r}", location=where) from None


def load_config(path: Path | None = None) -> Config:
    path = path or _config_path()
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("configuration file not found", location=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML: {exc}", location=str(path)) from None
    config = Config(path=path)
    actor = data.get("actor")
    if actor is not None and not isinstance(actor, str):
        raise InputError("actor: expected a name", location=f"{path}: actor")
    config.actor = actor
    people = data.get("people", {})
    if not isinstance(people, dict) or not all(isinstance(v, list) for v in people.values()):
        raise InputError("people: expected role = [names]", location=f"{path}: people")
    config.people = {str(k): [str(p) for p in v] for k, v in people.items()}
    raw = data.get("policy", {})
    policy = Policy(
        no_friday=bool(raw.get("no_friday", False)), no_weekend=bool(raw.get("no_weekend", False))
    )
    window = raw.get("deploy_window")
    if window is not None:
        if not isinstance(window, dict) or "start" not in window or "end" not in window:
            raise InputError(
                "expected {start = 'HH:MM', end = 'HH:MM'}", location=f"{path}: policy.deploy_window"
            )
        policy.deploy_window = (
            _clock(window["start"], f"{path}: policy.deploy_window.start"),
            _clock(window["end"], f"{path}: policy.deploy_window.end"),
        )
    for index, freeze in enumerate(raw.get("freezes", [])):
        where = f"{path}: policy.freezes[{index}]"
        try:
            policy.freezes.append(
                Freeze(
                    start=date.fromisoformat(str(freeze["start"])),
                    end=date.fromisoformat(str(freeze["end"])),
                    reason=str(freeze.get("reason", "code freeze")),
                )
            )
        except (KeyError, ValueError, TypeError):
            raise InputError(
                "expected {start = 'YYYY-MM-DD', end = 'YYYY-MM-DD', reason = '...'}", location=where
            ) from None
    if "go_max_age" in raw:
        try:
            policy.go_max_age = parse_duration(raw["go_max_age"])
        except ValueError as exc:
            raise InputError(str(exc), location=f"{path}: policy.go_max_age") from None
    config.policy = policy
    quorum = data.get("signoff", {}).get("quorum", {})
    if not isinstance(quorum, dict) or not all(isinstance(v, int) and v >= 1 for v in quorum.values()):
        raise InputError("expected role = positive number", location=f"{path}: signoff.quorum")
    config.quorum = {str(k): int(v) for k, v in quorum.items()}
    return config


# -- what was in force: the configuration as the release's log records it --------------------

WAIVE_ROLES = ("approver",)
"""Who may grant a waiver (golive's own rule, recorded with the rest so a report can say it)."""


def config_record(config: Config) -> dict[str, Any]:
    """The part of ``config`` that shapes a release's decisions, as plain data for its log:
    people and their roles, quorum, policy (no-Friday, weekends, deploy window, freezes,
    how long a GO stays current) and who may waive. Never the acting user, never a path's
    contents, never a secret (golive.toml holds none)."""
    policy = config.policy
    return {
        "people": {role: list(people) for role, people in sorted(config.people.items())},
        "quorum": dict(sorted(config.quorum.items())),
        "policy": {
            "no_friday": policy.no_friday,
            "no_weekend": policy.no_weekend,
            "deploy_window": (
                None
                if policy.deploy_window is None
                else [policy.deploy_window[0].strftime("%H:%M"), policy.deploy_window[1].strftime("%H:%M")]
            ),
            "freezes": [
                {"start": f.start.isoformat(), "end": f.end.isoformat(), "reason": f.reason}
                for f in policy.freezes
            ],
            "go_max_age": int(policy.go_max_age.total_seconds()),
        },
        "waive": list(WAIVE_ROLES),
        "source": str(config.path) if config.path is not None else None,
    }


def config_from_record(data: dict[str, Any] | None) -> Config:
    """The configuration a release's log records (see :func:`config_record`). A release
    recorded before golive kept it has none: golive's defaults apply, never today's file."""
    if not data:
        return Config()
    raw = data.get("policy", {})
    window = raw.get("deploy_window")
    return Config(
        people={str(k): [str(p) for p in v] for k, v in data.get("people", {}).items()},
        quorum={str(k): int(v) for k, v in data.get("quorum", {}).items()},
        policy=Policy(
            no_friday=bool(raw.get("no_friday", False)),
            no_weekend=bool(raw.get("no_weekend", False)),
            deploy_window=None
            if not window
            else (time.fromisoformat(window[0]), time.fromisoformat(window[1])),
            freezes=[
                Freeze(date.fromisoformat(f["start"]), date.fromisoformat(f["end"]), str(f["reason"]))
                for f in raw.get("freezes", [])
            ],
            go_max_age=timedelta(seconds=int(raw.get("go_max_age", 86400))),
        ),
    )


def config_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, str]]:
    """What differs between two recorded configurations: (what, how) pairs such as
    ("quorum", "QA Lead: 1 → 2") or ("people", "approver: +bob -alice"), in a fixed order."""
    old = before or config_record(Config())
    out: list[tuple[str, str]] = []
    roles = sorted(set(old.get("people", {})) | set(after.get("people", {})))
    for role in roles:
        was = set(old.get("people", {}).get(role, []))
        now = set(after.get("people", {}).get(role, []))
        if was != now:
            delta = [f"+{p}" for p in sorted(now - was)] + [f"-{p}" for p in sorted(was - now)]
            out.append(("people", f"{role}: {' '.join(delta)}"))
    for role in sorted(set(old.get("quorum", {})) | set(after.get("quorum", {}))):
        was_q, now_q = old.get("quorum", {}).get(role, 1), after.get("quorum", {}).get(role, 1)
        if was_q != now_q:
            out.append(("quorum", f"{role}: {was_q} → {now_q}"))
    old_policy, new_policy = old.get("policy", {}), after.get("policy", {})
    for name in sorted(set(old_policy) | set(new_policy)):
        if old_policy.get(name) != new_policy.get(name):
            out.append(("policy", f"{name}: {old_policy.get(name)!r} → {new_policy.get(name)!r}"))
    if old.get("waive") != after.get("waive"):
        out.append(("waive", f"{old.get('waive')!r} → {after.get('waive')!r}"))
    return out


def describe_record(data: dict[str, Any] | None) -> list[str]:
    """A recorded configuration in a few lines for people (status, reports)."""
    if data is None:
        return ["not recorded (the release was recorded before golive kept it): golive's defaults apply"]
    people = "; ".join(f"{role} = {', '.join(who)}" for role, who in data.get("people", {}).items())
    quorum = ", ".join(f"{role} {n}" for role, n in data.get("quorum", {}).items())
    policy = data.get("policy", {})
    rules = [name for name in ("no_friday", "no_weekend") if policy.get(name)]
    if policy.get("deploy_window"):
        rules.append("deploy window " + "-".join(policy["deploy_window"]))
    rules += [f"freeze {f['start']}..{f['end']} ({f['reason']})" for f in policy.get("freezes", [])]
    hours = int(policy.get("go_max_age", 86400)) / 3600
    return [
        "people: " + (people or "none beyond the roles assigned in the release"),
        "quorum: " + (quorum or "the runbook's own (1 per role unless it says more)"),
        "policy: "
        + (", ".join(rules) or "none beyond the runbook's own")
        + f"; a GO stays current {hours:g} h",
        "waivers by: " + ", ".join(data.get("waive", [])),
    ]
