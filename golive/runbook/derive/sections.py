"""The document's metadata, and what its sections and items say about themselves:
schedules and phase windows, owners, durations, context (normal, contingency,
criterion, metric), optional items, deliverables and thresholds."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from functools import lru_cache
from typing import Any

from golive.runbook.model import Item, Runbook, Schedule, Section
from golive.runbook.schedule import parse_duration_range, parse_schedule
from golive.runbook.text import clean_title
from golive.runbook.thresholds import parse_thresholds

__all__ = ["derive_metadata", "derive_sections", "fill_phase_windows"]

_LEADING_OFFSET = re.compile(
    r"^\s*(?:\*\*|__)?\s*((?:at\s+)?T\s*[-+±]\s*[^:*]{1,40}?)\s*(?:\*\*|__)?\s*:", re.I
)
_OPTIONAL = re.compile(
    r"\(optional\)|\boptional\b|\bif applicable\b|\bif using\b|\bif any\b|\bif needed\b|\bif possible\b|"
    r"\(if [^)]*\)|\bif analytics\b|\bwhere applicable\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_HAS_NUMBER = re.compile(
    r"\d.*?(?:%|ms\b|x\b|\+|\bdays?\b|\bmin|\bhours?\b|/)|[<>≤≥]\s*\d|\d[^(]*\)?\s*[<>]", re.I
)
_PHASE_TITLE = re.compile(r"^\s*phase\s*\d+\b", re.I)
_CRITERIA_TITLE = re.compile(r"criteria|trigger|when to roll ?back|roll ?back if|abort criteria", re.I)
_METRIC_TITLE = re.compile(
    r"success metric|\btargets?\b|\bkpis?\b|success criteria|technical metrics|business metrics", re.I
)
_CONTINGENCY_TITLE = re.compile(
    r"roll ?back|troubleshoot|incident|emergency|scenario|disable|recovery|mitigation|common issues", re.I
)
_META_KEYS = {
    "version": "version",
    "document version": "version",
    "last updated": "last_updated",
    "updated": "last_updated",
    "scope": "scope",
    "project": "project",
    "owner": "owner",
    "document owner": "owner",
    "status": "status",
    "document status": "status",
}
_META_EXTRA = {"next review", "launch objective", "author", "authors", "date", "reviewers", "approvers"}


def derive_metadata(runbook: Runbook, fields: list[tuple[str, str, int, int]], front: dict[str, Any]) -> None:
    meta = runbook.metadata
    for key, value in front.items():
        name = _META_KEYS.get(key.lower().replace("_", " "))
        if key.lower() == "title" and isinstance(value, str) and not runbook.title:
            runbook.title = value
        elif name and getattr(meta, name) is None:
            setattr(meta, name, str(value))
        elif not isinstance(value, dict | list):
            meta.extra[key] = str(value)
    for key, value, _line, level in fields:
        lowered = key.lower()
        name = _META_KEYS.get(lowered)
        top = level <= 1 or lowered.startswith("document")
        if name and top and getattr(meta, name) is None:
            setattr(meta, name, value)
        elif top and lowered in _META_EXTRA:
            meta.extra.setdefault(key, value)


@lru_cache(maxsize=1024)
def _context_of(title: str, inherited: str) -> str:
    if _CRITERIA_TITLE.search(title):
        return "criterion"
    if _METRIC_TITLE.search(title):
        return "metric"
    if _CONTINGENCY_TITLE.search(title):
        return "contingency"
    return inherited


def derive_sections(
    section: Section,
    parents: list[Section],
    day: int | None,
    parent_start: timedelta | None,
    owner: str | None,
    context: str,
    optional: bool,
) -> None:
    title = section.title
    if section.schedule is None and title:
        section.schedule = parse_schedule(title, day=day, parent_start=parent_start)
    if section.schedule is not None:
        sched = section.schedule
        whole_day = (
            sched.start is not None and sched.end is not None and sched.end - sched.start == timedelta(days=1)
        )
        if sched.anchor == "t0" and whole_day and sched.start is not None and sched.start.seconds == 0:
            day = sched.start.days
        if sched.start is not None and sched.anchor == "t0":
            parent_start = sched.start
    for key, value in section.fields.items():
        lowered = key.lower()
        if lowered == "owner" and section.owner is None:
            section.owner = clean_title(value)
        elif lowered in ("duration", "time", "estimated duration") and section.duration is None:
            section.duration = parse_duration_range(value)
    if section.duration is None and section.schedule is None and "(" in title:
        section.duration = parse_duration_range(title[title.find("(") :])
    owner = section.owner or owner
    context = _context_of(title, context)
    section.context = context  # type: ignore[assignment]
    optional = optional or bool(_OPTIONAL.search(title))
    section.optional = section.optional or optional
    label_ctx = context
    for item in section.items:
        ctx = _context_of(item.group, label_ctx) if item.group else label_ctx
        _item(item, section, owner, ctx, optional, day, parent_start, context_text=title)
    previous: Section | None = None
    for child in section.sections:
        if child.schedule is None and child.title:
            child.schedule = parse_schedule(child.title, day=day, parent_start=parent_start)
        if child.duration is None and child.schedule is None and "(" in child.title:
            child.duration = parse_duration_range(child.title[child.title.find("(") :])
        if child.schedule is None and previous is not None and _PHASE_TITLE.match(child.title):
            child.schedule = _after(previous, child)
        if child.schedule is not None and _PHASE_TITLE.match(child.title):
            previous = child
        derive_sections(child, [*parents, section], day, parent_start, owner, context, optional)


def _after(previous: Section, child: Section) -> Schedule | None:
    """The place of a numbered phase that states only a duration ("Phase 2:
    Deployment (15-30 minutes)"): right after the previous phase. A phase that
    counts down to launch ("T-30 minutes") ends at T-0."""
    prev = previous.schedule
    if prev is None or prev.start is None or prev.anchor != "t0":
        return None
    if prev.end is not None:
        start = prev.end
    elif previous.duration is not None:
        start = prev.start + previous.duration.max
    elif prev.start < timedelta(0):
        start = timedelta(0)
    else:
        return None
    end = start + child.duration.max if child.duration is not None else None
    return Schedule(label=f"after {previous.title.split(':')[0]}", start=start, end=end)


def _item(
    item: Item,
    section: Section,
    owner: str | None,
    context: str,
    optional: bool,
    day: int | None,
    parent_start: timedelta | None,
    context_text: str,
) -> None:
    if item.owner is None and owner is not None:
        item.owner = owner
    if item.context != context:
        item.context = context  # type: ignore[assignment]
    lowered = item.text.lower()
    if not item.optional and (
        optional or (("if " in lowered or "optional" in lowered) and _OPTIONAL.search(item.text))
    ):
        item.optional = True
    if item.group and re.search(r"deliverable", item.group, re.I):
        item.deliverable = True
    if item.schedule is None:
        lead = _LEADING_OFFSET.match(item.text)
        if lead:  # "T+24 hours: day-1 report", "**T+4h**: hold point": at that offset
            item.schedule = parse_schedule(lead.group(1), day=day, parent_start=parent_start)
    if item.kind == "step":
        paren = item.text.find("(")
        if paren != -1:
            tail = item.text[paren:]
            if item.schedule is None:
                item.schedule = parse_schedule(tail, day=day, parent_start=parent_start)
            if item.schedule is None and item.duration is None:
                item.duration = parse_duration_range(tail)
    if not item.thresholds and _DIGIT.search(item.text) and _HAS_NUMBER.search(item.text):
        item.thresholds = parse_thresholds(
            item.text,
            context=context_text,
        )
    child_optional = item.optional and item.kind == "step"
    for child in item.items:
        _item(child, section, item.owner, context, child_optional or optional, day, parent_start, item.text)


def fill_phase_windows(sections: list[Section]) -> None:
    phases = [s for s in sections if s.schedule is not None]
    for current, nxt in itertools.pairwise(phases):
        a, b = current.schedule, nxt.schedule
        assert a is not None and b is not None
        if (
            a.end is None
            and a.start is not None
            and b.start is not None
            and a.anchor == b.anchor
            and b.start > a.start
        ):
            a.end = b.start
    for section in sections:
        fill_phase_windows(section.sections)
