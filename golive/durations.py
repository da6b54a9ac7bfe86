"""Durations written the way people write them, and golive's compact form.

golive writes durations compactly (``90m``, ``-14d``, ``1h30m``, ``0s``) and reads
those back, plus the prose forms the runbooks use (``2 hours``, ``15 minutes``,
``1 week``). Everything here is pure and fast; no third-party imports.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["UNIT_SECONDS", "format_duration", "parse_duration", "unit_seconds"]

# Unit words as they appear in runbooks, mapped to seconds.
UNIT_SECONDS: dict[str, int] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "wk": 604800,
    "wks": 604800,
    "week": 604800,
    "weeks": 604800,
}

_COMPACT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|[smhdw])", re.IGNORECASE)
_COMPACT_FULL = re.compile(r"^([+-]?)\s*((?:\d+(?:\.\d+)?\s*(?:ms|[smhdw])\s*)+)$", re.IGNORECASE)
_PROSE = re.compile(r"^([+-]?)\s*(\d+(?:\.\d+)?)\s*([a-z]+)$", re.IGNORECASE)


def unit_seconds(word: str) -> int | None:
    """Seconds in one unit word (``hours`` -> 3600), or None when it is no time unit."""
    return UNIT_SECONDS.get(word.lower())


def parse_duration(value: object) -> timedelta:
    """Read a duration: a timedelta, seconds as a number, ``-14d``, ``1h30m``, ``2 hours``.

    Raises ValueError with a message that says what was expected.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '90m', '2h' or '-14d', not a boolean")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as '90m', '2h' or '-14d'")
    text = value.strip()
    match = _COMPACT_FULL.match(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        total = 0.0
        for number, unit_word in _COMPACT.findall(match.group(2)):
            unit = unit_word.lower()
            total += float(number) * (0.001 if unit == "ms" else UNIT_SECONDS[unit])
        return timedelta(seconds=sign * total)
    match = _PROSE.match(text)
    if match and unit_seconds(match.group(3)) is not None:
        sign = -1 if match.group(1) == "-" else 1
        seconds = unit_seconds(match.group(3)) or 0
        return timedelta(seconds=sign * float(match.group(2)) * seconds)
    raise ValueError(f"expected a duration such as '90m', '2h' or '-14d', got {value!r}")


def format_duration(value: timedelta) -> str:
    """The compact form: ``-14d``, ``1h30m``, ``0s``; exact (milliseconds kept)."""
    total_ms = round(value.total_seconds() * 1000)
    sign = "-" if total_ms < 0 else ""
    total_ms = abs(total_ms)
    if total_ms == 0:
        return "0s"
    seconds, ms = divmod(total_ms, 1000)
    parts: list[str] = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if unit == "w" and seconds % 604800 != 0:
            continue  # weeks only when whole: "10d" reads better than "1w3d"
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    if ms:
        parts.append(f"{ms}ms")
    return sign + "".join(parts)
