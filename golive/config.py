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

__all__ = ["Config", "Freeze", "Policy", "load_config"]


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
