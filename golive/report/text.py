"""Small text helpers shared by the report's parts: secret redaction, times and
T-offsets, numbers, and Markdown escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from golive.checks.redact import Redactor
from golive.durations import format_duration
from golive.report.model import Moment

__all__ = ["clean", "fmt_duration", "fmt_value", "md", "md_code", "moment_maker", "one_line"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# what can start markup inside a line: code, emphasis, links and images, HTML and
# autolinks, table cells, strikethrough, entities; "_" only at a word's edge
_MD_SPECIAL = re.compile(r"([\\`*\[\]<|~]|(?<!\w)_|_(?!\w)|&(?=#?\w+;))")


@lru_cache(maxsize=1)
def _redactor() -> Redactor:
    return Redactor()


def clean(value: Any) -> str:
    """Text for the report: secret patterns masked once more (tokens, keys,
    Authorization headers, ``password=...``, credentials in URLs), control
    characters dropped. Fields of events are redacted when recorded; this is
    the second line of defence, for free text (reasons, notes, comments)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub("", _redactor().redact(text))


def one_line(value: Any, limit: int = 400) -> str:
    """:func:`clean` text on one line, cut at ``limit`` characters."""
    text = " ".join(clean(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md(value: Any) -> str:
    """Clean text escaped for inline Markdown (never a link, HTML or emphasis)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(value))


def md_code(value: Any, *, table: bool = False) -> str:
    """Clean text as a Markdown code span (pipes escaped inside tables)."""
    text = one_line(value)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def fmt_duration(delta: timedelta) -> str:
    """``1h5m``, rounded to whole seconds."""
    return format_duration(timedelta(seconds=round(delta.total_seconds())))


def fmt_value(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "none"
    text = f"{value:.6g}"
    if percent:
        text += f" ({value * 100:.4g}%)"
    return text


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        from datetime import UTC

        return UTC


def moment_maker(launch: datetime, tz: str) -> Callable[[datetime], Moment]:
    """A function that turns a time into a :class:`Moment` for this release."""
    zone = _zone(tz)

    def make(at: datetime) -> Moment:
        local = at.astimezone(zone)
        offset = at - launch
        sign = "-" if offset < timedelta(0) else "+"
        return Moment(
            at=at,
            local=f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or tz}",
            t=f"T{sign}{fmt_duration(abs(offset))}",
        )

    return make
