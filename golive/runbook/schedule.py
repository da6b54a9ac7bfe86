"""Reading a phase's place relative to launch from the words runbooks use.

Rules (documented in docs/runbooks.md):

- ``T-2 Weeks``, ``T-3 Days``, ``T-30 minutes``: starts that long before T-0.
- ``T-0``: starts at T-0. ``T-0 Day`` / ``Launch Day``: the launch date, midnight
  to midnight (anchor ``launch_day``).
- ``T+2 Hours to T+48 Hours``, ``T-1h - T+1h``, ``T+0 to T+2h``: the window between
  the two offsets.
- ``T+N`` alone is a point at T+N ("T+24 hours: day-1 report", "T+7 days:
  retrospective"), except where the words around it name a span (hypercare,
  stabilisation, monitoring, support, watch, warranty, observation, post-launch,
  "until", "through"): then the window from T-0 until T+N ("Phase 4: Hypercare
  (T+72 Hours)", "T+1 Week: Post-Launch Stabilization").
- ``Day -14``: the 14th day before launch (a 1-day window); ``Day -14 to -11`` and
  ``Day +4-5``: those days inclusive; ``Day +1 Morning``: the morning of that day.
- ``1-2 weeks before``: from 2 weeks to 1 week before T-0; ``1 week before``.
- ``First 15 minutes``, ``First hour``, ``First 24 hours``, ``First week``,
  ``Within 24 hours``: from T-0 (or from the start of the enclosing post-launch
  phase) for that long.
- ``6:00 AM - 7:00 AM``: a wall-clock window on the enclosing day (launch day
  unless an enclosing ``Day N`` says otherwise).
- A bare duration (``15-30 minutes``, ``(2 hours)``, ``1 hour monitoring``) is a
  duration, not a place on the schedule.
"""

from __future__ import annotations

import re
from datetime import timedelta

from golive.durations import unit_seconds
from golive.runbook.model import DurationRange, Schedule

__all__ = ["SCHEDULE_RULES", "parse_duration_range", "parse_schedule", "read_schedule"]

SCHEDULE_RULES: dict[str, str] = {
    "t-range": "a T± range ('T+2 Hours to T+48 Hours'): the window between its two offsets",
    "t-minus": "'T-N': starts N before T-0",
    "t-plus-span": "'T+N' with words that name a span (hypercare, stabilisation, monitoring, "
    "support, until, first, within…): the window from T-0 until T+N",
    "t-plus-point": "'T+N' alone: a point at T+N",
    "day-range": "'Day -14 to -11': those days, inclusive",
    "day-part": "'Day +1 Morning': that part of that day",
    "day": "'Day -14': that whole day",
    "t0-day": "'T-0 Day': the launch date, midnight to midnight",
    "t0": "'T-0': starts at launch",
    "launch-day": "'Launch Day': the launch date, midnight to midnight",
    "before-range": "'1-2 weeks before': between those offsets before T-0",
    "before": "'1 week before': starts that long before T-0",
    "after": "'2 days after': starts that long after T-0",
    "first": "'First 24 hours', 'Within 24 hours': from T-0 (or the enclosing phase's start) for that long",
    "clock": "'6:00 AM - 7:00 AM': a wall-clock window on the enclosing day",
}

_NUM = r"(\d+(?:\.\d+)?)"
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?)"
_ONE = {"a": 1.0, "an": 1.0, "one": 1.0}

_SHORT_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|[smhdw])"
_T_MINUS = re.compile(rf"\bT\s*-\s*{_NUM}\s*{_SHORT_UNIT}\b", re.I)
_T_PLUS = re.compile(rf"\bT\s*\+\s*{_NUM}\s*{_SHORT_UNIT}\b", re.I)
_T_RANGE = re.compile(
    rf"\bT\s*([-+±])\s*{_NUM}\s*{_SHORT_UNIT}?\s*(?:to|-|–|—|until|through)\s*"
    rf"T\s*([-+])\s*{_NUM}\s*{_SHORT_UNIT}\b",
    re.I,
)
_SPAN_WORDS = re.compile(
    r"hypercare|stabili[sz]|monitor|support|watch|warranty|observ|post[- ]?launch|"
    r"post[- ]?go[- ]?live|\buntil\b|\bthrough\b|\bfirst\b|\bwithin\b",
    re.I,
)
_T_ZERO = re.compile(r"\bT\s*[-±+]?\s*0\b(\s*day)?", re.I)
_LAUNCH_DAY = re.compile(r"\blaunch day\b|\bgo[- ]live day\b|\bcutover day\b", re.I)
_DAY_RANGE = re.compile(r"\bday\s*([+-]\s*\d+)\s*(?:to|-|–|through)\s*([+-]?\s*\d+)\b", re.I)
_DAY = re.compile(r"\bday\s*([+-]\s*\d+)\b(\s+(morning|afternoon|evening))?", re.I)
_BEFORE_RANGE = re.compile(rf"\b{_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_UNIT}\s+before\b", re.I)
_BEFORE = re.compile(rf"\b{_NUM}\s*{_UNIT}\s+before\b", re.I)
_AFTER = re.compile(rf"\b{_NUM}\s*{_UNIT}\s+after\b", re.I)
_FIRST = re.compile(rf"\b(?:first|within(?: the first)?)\s+(?:{_NUM}\s*)?{_UNIT}", re.I)
_CLOCK = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?\s*(?:-|–|to)\s*(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)\b"
    r"|\b(\d{1,2}):(\d{2})\s*(?:-|–|to)\s*(\d{1,2}):(\d{2})\b"
)
_DUR_RANGE = re.compile(rf"\b{_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_UNIT}\b", re.I)
_DUR = re.compile(rf"\b{_NUM}\s*{_UNIT}\b", re.I)
_ANY = re.compile(
    r"\bT\s*[-+±]|\bday\s*[-+]|launch day|go[- ]live day|cutover day|"
    r"\bbefore\b|\bafter\b|\bfirst\b|\bwithin\b|"
    r"\d:\d\d|\d\s*[AaPp]\.?[Mm]\b",
    re.I,
)
_PARTS = {"morning": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}


def _seconds(unit: str) -> int:
    unit = unit.lower()
    if unit.startswith("month"):
        return 30 * 86400
    return unit_seconds(unit) or unit_seconds(unit.rstrip("s")) or 0


def _td(number: str | float, unit: str) -> timedelta:
    return timedelta(seconds=float(number) * _seconds(unit))


def _day(text: str) -> int:
    return int(text.replace(" ", ""))


def _clock(hour: str, minute: str | None, ampm: str | None) -> timedelta:
    h = int(hour) % 24
    m = int(minute or 0)
    if ampm:
        pm = ampm.lower().startswith("p")
        h = h % 12 + (12 if pm else 0)
    return timedelta(hours=h, minutes=m)


def parse_schedule(
    text: str, *, day: int | None = None, parent_start: timedelta | None = None
) -> Schedule | None:
    """A schedule read from a heading or step title, or None.

    ``day`` is the enclosing day relative to launch (for wall-clock windows);
    ``parent_start`` the start of an enclosing post-launch phase (for "First hour").
    """
    found = read_schedule(text, day=day, parent_start=parent_start)
    return found[1] if found is not None else None


def read_schedule(
    text: str, *, day: int | None = None, parent_start: timedelta | None = None
) -> tuple[str, Schedule] | None:
    """Like :func:`parse_schedule`, with the name of the rule that read it (a key of
    :data:`SCHEDULE_RULES`)."""
    if not _ANY.search(text):
        return None
    match = _T_RANGE.search(text)
    if match:
        # "T+2 Hours to T+48 Hours", "T-1h - T+1h", "T+0 to T+2h": a unit left off the
        # first offset is the second's ("T+2 to T+48 hours")
        unit_b = match.group(6)
        from_offset = _td(match.group(2), match.group(3) or unit_b)
        to_offset = _td(match.group(5), unit_b)
        if match.group(1) == "-":
            from_offset = -from_offset
        if match.group(4) == "-":
            to_offset = -to_offset
        return "t-range", Schedule(
            label=match.group(0), start=min(from_offset, to_offset), end=max(from_offset, to_offset)
        )
    match = _T_MINUS.search(text)
    if match and float(match.group(1)) > 0:
        return "t-minus", Schedule(label=match.group(0), start=-_td(match.group(1), match.group(2)))
    match = _T_PLUS.search(text)
    if match and float(match.group(1)) > 0:
        at = _td(match.group(1), match.group(2))
        if _SPAN_WORDS.search(text):
            return "t-plus-span", Schedule(label=match.group(0), start=timedelta(0), end=at)
        return "t-plus-point", Schedule(label=match.group(0), start=at, end=at)
    match = _DAY_RANGE.search(text)
    if match:
        first = _day(match.group(1))
        second_text = match.group(2).replace(" ", "")
        second = int(second_text)
        if not second_text.startswith(("+", "-")):
            second = second if first >= 0 else -second
        lo, hi = sorted((first, second))
        return "day-range", Schedule(
            label=match.group(0), start=timedelta(days=lo), end=timedelta(days=hi + 1)
        )
    match = _DAY.search(text)
    if match:
        n = _day(match.group(1))
        part = (match.group(3) or "").lower()
        if part:
            lo_h, hi_h = _PARTS[part]
            return "day-part", Schedule(
                label=match.group(0).strip(),
                start=timedelta(days=n, hours=lo_h),
                end=timedelta(days=n, hours=hi_h),
                anchor="launch_day",
            )
        return "day", Schedule(label=match.group(0), start=timedelta(days=n), end=timedelta(days=n + 1))
    if _T_ZERO.search(text):
        match = _T_ZERO.search(text)
        assert match is not None
        if match.group(1):
            return "t0-day", Schedule(
                label=match.group(0), start=timedelta(0), end=timedelta(days=1), anchor="launch_day"
            )
        return "t0", Schedule(label=match.group(0), start=timedelta(0))
    if _LAUNCH_DAY.search(text):
        match = _LAUNCH_DAY.search(text)
        assert match is not None
        return "launch-day", Schedule(
            label=match.group(0), start=timedelta(0), end=timedelta(days=1), anchor="launch_day"
        )
    match = _BEFORE_RANGE.search(text)
    if match:
        a, b = _td(match.group(1), match.group(3)), _td(match.group(2), match.group(3))
        return "before-range", Schedule(label=match.group(0), start=-max(a, b), end=-min(a, b))
    match = _BEFORE.search(text)
    if match:
        return "before", Schedule(label=match.group(0), start=-_td(match.group(1), match.group(2)))
    match = _AFTER.search(text)
    if match:
        return "after", Schedule(label=match.group(0), start=_td(match.group(1), match.group(2)))
    match = _FIRST.search(text)
    if match:
        length = _td(match.group(1) or 1, match.group(2))
        base = parent_start if parent_start is not None and parent_start > timedelta(0) else timedelta(0)
        return "first", Schedule(label=match.group(0), start=base, end=base + length)
    match = _CLOCK.search(text)
    if match:
        if match.group(1) is not None:
            end = _clock(match.group(4), match.group(5), match.group(6))
            start = _clock(match.group(1), match.group(2), match.group(3) or match.group(6))
            if start > end and not match.group(3):
                # "11:30 - 12:30 PM": the first time is before noon
                start = _clock(match.group(1), match.group(2), "am")
        else:
            start = _clock(match.group(7), match.group(8), None)
            end = _clock(match.group(9), match.group(10), None)
        offset = timedelta(days=day or 0)
        return "clock", Schedule(
            label=match.group(0), start=offset + start, end=offset + end, anchor="launch_day"
        )
    return None


def parse_duration_range(text: str) -> DurationRange | None:
    """A duration or duration range (``8 hours``, ``15-30 minutes``, ``8-12 hours``), or None."""
    match = _DUR_RANGE.search(text)
    if match:
        a, b = _td(match.group(1), match.group(3)), _td(match.group(2), match.group(3))
        return DurationRange(min=min(a, b), max=max(a, b), text=match.group(0))
    match = _DUR.search(text)
    if match:
        value = _td(match.group(1), match.group(2))
        return DurationRange(min=value, max=value, text=match.group(0))
    lowered = text.lower()
    for word, unit in (("hour", "hour"), ("day", "day"), ("week", "week"), ("minute", "minute")):
        if re.search(rf"\b(?:an?|one)\s+{word}\b", lowered):
            value = _td(1, unit)
            return DurationRange(min=value, max=value, text=f"1 {word}")
    return None
