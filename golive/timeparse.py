"""Launch times as people write them: ``2026-12-01 09:00 Europe/London``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from golive.errors import InputError

__all__ = ["parse_launch"]

_LAUNCH = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?\s*"
    r"(Z|[+-]\d{2}:?\d{2}|[A-Za-z_]+(?:/[A-Za-z_+-]+)*)?\s*$"
)


def parse_launch(text: str, *, field: str = "--launch") -> datetime:
    """A timezone-aware launch time. Without a zone, UTC is assumed."""
    match = _LAUNCH.match(text)
    if not match:
        raise InputError(
            f"expected a time such as '2026-12-01 09:00 Europe/London', got {text!r}", location=field
        )
    date, clock, zone = match.groups()
    try:
        naive = datetime.fromisoformat(f"{date}T{clock or '00:00'}")
    except ValueError:
        raise InputError(f"not a valid date or time: {text!r}", location=field) from None
    if zone is None or zone in ("Z", "UTC"):
        return naive.replace(tzinfo=UTC)
    if zone[0] in "+-":
        return datetime.fromisoformat(f"{date}T{clock or '00:00'}{zone}")
    try:
        return naive.replace(tzinfo=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {zone!r}", location=field) from None
