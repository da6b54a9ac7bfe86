"""Thresholds stated in prose: ``Error rate > 5%``, ``error rate > 1% for > 10 minutes``,
``Health checks failing for > 5 minutes``, ``SSL certificates validated (minimum 60
days remaining)``, ``< 200ms p95``, ``Response times > 5x normal baseline``,
``Memory usage > 90% sustained``, ``**Uptime**: >99.9% (target: 99.95%)``.

This reads one sentence at a time (prose, not Markdown structure), so regular
expressions are the right tool here.
"""

from __future__ import annotations

import re
from datetime import timedelta

from golive.runbook.model import Threshold
from golive.runbook.text import strip_markdown

__all__ = ["metric_name", "parse_level", "parse_thresholds"]

# The metric a subject names, first match wins. The names are golive's
# vocabulary; triggers and checks refer to them.
_METRICS: list[tuple[str, str]] = [
    (r"payment (?:processing )?fail", "payment_failure_rate"),
    (r"payment success", "payment_success_rate"),
    (r"error rate|errors?\b|5\d\d", "error_rate"),
    (r"health ?checks? fail|health fail", "health_check_failing"),
    (r"downtime|outage|\bdown\b", "downtime"),
    (r"uptime|availability", "uptime"),
    (r"page load", "page_load_time"),
    (r"database query|query (?:time|performance)", "db_query_time"),
    (r"response time|latency|api response|endpoint|loading|creation|queries", "latency"),
    (r"memory", "memory_usage"),
    (r"cpu", "cpu_usage"),
    (r"cache hit", "cache_hit_rate"),
    (r"ssl|tls|certificate", "tls_days_remaining"),
    (r"coverage", "test_coverage"),
    (r"tests? .*passing|passing", "tests_passing"),
    (r"deploy(?:ment)? (?:time|completed)|deploy time", "deploy_duration"),
    (r"resolution time", "issue_resolution_time"),
    (r"support response", "support_response_time"),
    (r"support tickets", "support_tickets"),
    (r"rating|satisfaction", "rating"),
    (r"registration", "user_registrations"),
    (r"booking completion", "booking_completion_rate"),
]
_METRICS_RE = re.compile("|".join(f"(?P<m{i}>{p})" for i, (p, _) in enumerate(_METRICS)), re.I)
_METRIC_NAMES = {f"m{i}": name for i, (_, name) in enumerate(_METRICS)}
_KNOWN = set(_METRIC_NAMES.values())

_OPS = {
    ">": ">",
    ">=": ">=",
    "≥": ">=",
    "<": "<",
    "<=": "<=",
    "≤": "<=",
    "=": "==",
    "==": "==",
}
_WORD_OPS = {
    "minimum": ">=",
    "at least": ">=",
    "min": ">=",
    "maximum": "<=",
    "at most": "<=",
    "max": "<=",
    "over": ">",
    "above": ">",
    "more than": ">",
    "exceeds": ">",
    "below": "<",
    "under": "<",
    "less than": "<",
}
_UNIT_WORDS = {
    "ms": "ms",
    "milliseconds": "ms",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "second": "s",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hour": "h",
    "hours": "h",
    "h": "h",
    "day": "d",
    "days": "d",
    "%": "%",
    "x": "x",
}

_NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_UNIT = r"(%|ms|milliseconds|seconds?|secs?|s|minutes?|mins?|hours?|h|days?|x)?"
_CMP = re.compile(
    rf"(?P<op>>=|<=|≥|≤|==|>|<|=)\s*{_NUMBER}\s*{_UNIT}(?:\s*/\s*(?P<per>day|hour|\d+(?:\.\d+)?))?(?![\w.])",
    re.I,
)
_WORDCMP = re.compile(
    rf"\b(?P<word>minimum|at least|maximum|at most|over|above|more than|exceeds|below|under|less than)\s+"
    rf"{_NUMBER}\s*{_UNIT}",
    re.I,
)
_PLUS = re.compile(rf"\b{_NUMBER}\s*{_UNIT}\+", re.I)
_FOR = re.compile(
    r"\bfor\s*(?:>|>=|more than|over|at least)?\s*(\d+(?:\.\d+)?)\s*(seconds?|minutes?|mins?|hours?|s|m|h)\b",
    re.I,
)
_FAILING_FOR = re.compile(
    r"(?P<subject>[\w ]*?(?:fail\w*|down\w*|unavailable|outage))\s*(?:for\s*)?(?:>|>=|more than|over)\s*"
    r"(\d+(?:\.\d+)?)\s*(seconds?|minutes?|mins?|hours?)\b",
    re.I,
)
_TARGET = re.compile(r"target:?\s*(?:[<>]=?\s*)?(\d+(?:\.\d+)?)", re.I)
_PERCENTILE = re.compile(r"\bp(50|75|90|95|99(?:\.9)?)\b", re.I)
_BASELINE = re.compile(r"baseline|normal", re.I)


def metric_name(subject: str) -> str:
    """golive's metric name for a subject's words (``Error rate`` -> ``error_rate``)."""
    match = _METRICS_RE.search(subject)
    if match and match.lastgroup:
        return _METRIC_NAMES[match.lastgroup]
    words = re.findall(r"[a-z0-9]+", subject.lower())
    return "_".join(words[:4]) or "value"


def _duration(number: str, unit: str) -> timedelta:
    unit = unit.lower()
    if unit.startswith("s"):
        return timedelta(seconds=float(number))
    if unit.startswith("h"):
        return timedelta(hours=float(number))
    return timedelta(minutes=float(number))


def _subject_before(text: str, start: int) -> str:
    before = text[:start]
    before = re.split(r"[(]|\bwith\b|\btarget\b", before)[0] if "(" in before else before
    before = before.rstrip(" :-–(")
    return before.strip() or text


def parse_thresholds(text: str, *, context: str = "", level: str = "critical") -> list[Threshold]:
    """Every threshold stated in one sentence. ``context`` (the enclosing heading or
    parent item) names the metric when the sentence itself does not
    (``- Authentication endpoint: < 200ms`` under ``Load testing``)."""
    plain = strip_markdown(text).strip()
    found: list[Threshold] = []
    sustained = bool(re.search(r"\bsustained\b", plain, re.I))
    percentile_match = _PERCENTILE.search(plain)
    percentile = f"p{percentile_match.group(1)}" if percentile_match else None
    target_match = _TARGET.search(plain)
    target = float(target_match.group(1)) if target_match else None
    for_match = _FOR.search(plain)

    lowered = plain.lower()
    stateful = "fail" in lowered or "down" in lowered or "unavailable" in lowered or "outage" in lowered
    match = _FAILING_FOR.search(plain) if stateful else None
    if match:
        subject = match.group("subject").strip() or plain
        found.append(
            Threshold(
                metric=metric_name(subject),
                subject=subject,
                op="==",
                value=1,
                unit="bool",
                for_duration=_duration(match.group(2), match.group(3)),
                text=plain,
                level=level,
            )
        )
        return found

    spans: list[tuple[int, int, str, str, str | None, str | None]] = []
    in_target: list[tuple[int, int, str, str, str | None, str | None]] = []
    for m in _CMP.finditer(plain):
        # a "for > 10 minutes" clause is the persistence window, not a threshold
        if for_match and for_match.start() <= m.start() <= for_match.end():
            continue
        span = (m.start(), m.end(), _OPS[m.group("op")], m.group(2), m.group(3), m.group("per"))
        if target_match and target_match.start() <= m.start() <= target_match.end():
            in_target.append(span)
            continue
        spans.append(span)
    for m in _WORDCMP.finditer(plain):
        spans.append((m.start(), m.end(), _WORD_OPS[m.group("word").lower()], m.group(2), m.group(3), None))
    for m in _PLUS.finditer(plain):
        spans.append((m.start(), m.end(), ">=", m.group(1), m.group(2), None))
    if not spans and in_target:
        # "Response time analysis (target: < 200ms p95)": the target is the threshold
        spans = in_target
        target = None
    spans.sort()
    for start, end, op, number, unit_word, per in spans:
        unit = _UNIT_WORDS.get((unit_word or "").lower())
        value = float(number.replace(",", ""))
        relative = None
        tail = plain[end : end + 40]
        if unit == "x" or (unit is None and _BASELINE.search(tail) and re.match(r"\s*x", tail)):
            unit = "x"
            relative = "baseline"
        if per == "day":
            unit = f"{unit or ''}/day"
        elif per and per[0].isdigit():
            unit = f"/{per}"
        subject = _subject_before(plain, start)
        open_paren = plain.rfind("(", 0, start)
        if open_paren != -1 and ")" not in plain[open_paren:start]:
            # "Unit tests passing (>80% coverage)": the words after the number name it
            after = plain[end:].split(")")[0].strip()
            if after and metric_name(after) in _KNOWN:
                subject = after
        if subject == plain or not re.search(r"[A-Za-z]", subject):
            subject = plain[end:].strip(" ()") or context or plain
        if re.fullmatch(r"[\W\d]*", subject) or len(subject) < 3:
            subject = context or plain
        metric_source = (
            f"{subject} {context}"
            if metric_name(subject) == "_".join(re.findall(r"[a-z0-9]+", subject.lower())[:4])
            else subject
        )
        metric = metric_name(metric_source)
        if unit == "d" and metric == "value":
            metric = "days_remaining"
        found.append(
            Threshold(
                metric=metric,
                subject=subject,
                op=op,
                value=value,
                unit=unit,
                percentile=percentile,
                for_duration=_duration(for_match.group(1), for_match.group(2)) if for_match else None,
                sustained=sustained,
                relative_to=relative,
                target=target,
                text=plain,
                level=level,
            )
        )
        # one sentence states one threshold per subject; "(target: X)" is not another
        break
    if not found and sustained:
        # "Memory usage > 90% sustained" is handled above; "CPU sustained" alone is not a number
        return []
    return found


def parse_level(cell: str, *, subject: str, level: str) -> list[Threshold]:
    """A threshold from a table cell (``> 10%`` under a ``Healthy`` column)."""
    return parse_thresholds(f"{subject} {cell}", level=level)
