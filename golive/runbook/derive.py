"""What a runbook's structure means: schedules, owners, durations, optional items,
thresholds, gates, sign-offs, roles, contacts, escalation, rollout plans and the
document's own policies.

Runs after import, link merging and overlays, so annotations and overlays can
override every rule here (their values are applied last).
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from functools import lru_cache
from typing import Any

from golive.errors import RunbookFormatError
from golive.runbook.model import (
    CheckSpec,
    Contact,
    Context,
    Criterion,
    EscalationLevel,
    Gate,
    GateRules,
    Item,
    Policy,
    Role,
    RolloutPlan,
    RolloutStep,
    Runbook,
    Schedule,
    Section,
    SignOff,
    Table,
    Threshold,
)
from golive.runbook.schedule import parse_duration_range, parse_schedule
from golive.runbook.text import clean_title, strip_markdown
from golive.runbook.thresholds import parse_thresholds

__all__ = ["apply_annotations", "derive"]

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
_ESCALATION_TITLE = re.compile(r"escalation (?:path|matrix|levels?|chain)|escalation$", re.I)
_ONCALL_TITLE = re.compile(r"on-?call|emergency contacts?|contacts?", re.I)
_DONTS_TITLE = re.compile(r"don'?ts|do not|never", re.I)
_DOS_TITLE = re.compile(r"\bdo'?s\b|best practices", re.I)
_APPROVAL_ITEM = re.compile(r"^(?P<role>[A-Z][\w/&' -]{1,40}?)\s+(?:approval|sign[ -]?off)$", re.I)
_GENERIC_ROLE = re.compile(r"^(?:final|official|launch|uat|stakeholder|quality assurance)\b", re.I)
_PERCENT_CHAIN = re.compile(
    r"(\d{1,3}(?:\.\d+)?)\s*%\s*(?:(?:→|->|=>|to|,|then)\s*(\d{1,3}(?:\.\d+)?)\s*%\s*)+"
)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_STEP_LINE = re.compile(
    r"(?:enable|increase|expand|roll ?out|ramp(?: up)?|release|go)\s+(?:for|to)\s+(\d{1,3}(?:\.\d+)?)\s*%",
    re.I,
)
_BAKE_LINE = re.compile(
    r"(?:monitor|wait|bake|soak|observe)\w*\s+(?:for\s+)?(\d+(?:\.\d+)?|an?|one)\s*(minutes?|hours?|days?)",
    re.I,
)
_BAND = re.compile(
    r"\(\s*(?:(\d+)\s*(?:-|–|to)\s*(\d+)|>\s*(\d+)|(\d+)\+)\s*(min|minutes|h|hours?)?[^)]*\)", re.I
)
_POLICIES: list[tuple[str, str]] = [
    (r"friday", "no_friday"),
    (r"weekend", "no_weekend"),
    (r"low[- ]traffic", "low_traffic_hours"),
    (r"without (?:a )?backup", "backup_before_deploy"),
    (r"without (?:a )?rollback", "rollback_plan_required"),
    (r"without testing|test on staging", "test_before_deploy"),
    (r"without monitoring|monitor closely", "monitor_after_deploy"),
    (r"multiple changes", "one_change_at_a_time"),
    (r"team availab", "team_available"),
    (r"holiday", "no_holidays"),
    (r"code freeze", "code_freeze"),
]
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


def derive(
    runbook: Runbook,
    *,
    annotations: dict[int, tuple[Any, dict[str, Any], str]],
    metadata_fields: list[tuple[str, str, int, int]],
    front_matter: dict[str, Any],
) -> Runbook:
    """Fill in everything the structure implies; mutate and return ``runbook``.

    ``metadata_fields`` are (key, value, line, section level) of the bold
    ``**Key**: value`` paragraphs.
    """
    _metadata(runbook, metadata_fields, front_matter)
    _apply_annotations(annotations, before_gates=True)  # owners and phases set by hand are inherited
    for section in runbook.sections:
        _sections(
            section, parents=[], day=None, parent_start=None, owner=None, context="normal", optional=False
        )
    _fill_phase_windows(runbook.sections)
    _apply_annotations(annotations, before_gates=True)
    _gates(runbook.sections, runbook.gate_rules)
    _apply_annotations(annotations, before_gates=False)
    for section in runbook.walk_sections():
        for table in section.tables:
            _classify_table(table, section.title)
    runbook.sign_offs = _sign_offs(runbook, annotations)
    runbook.contacts, runbook.escalation = _contacts(runbook)
    runbook.rollback_criteria, runbook.success_metrics = _criteria(runbook)
    runbook.rollout = _rollout(runbook)
    runbook.policies = _policies(runbook)
    runbook.roles = _roles(runbook)
    return runbook


# --- metadata -----------------------------------------------------------------


def _metadata(runbook: Runbook, fields: list[tuple[str, str, int, int]], front: dict[str, Any]) -> None:
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


# --- sections and items -------------------------------------------------------


@lru_cache(maxsize=1024)
def _context_of(title: str, inherited: str) -> str:
    if _CRITERIA_TITLE.search(title):
        return "criterion"
    if _METRIC_TITLE.search(title):
        return "metric"
    if _CONTINGENCY_TITLE.search(title):
        return "contingency"
    return inherited


def _sections(
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
        _sections(child, [*parents, section], day, parent_start, owner, context, optional)


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


def _fill_phase_windows(sections: list[Section]) -> None:
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
        _fill_phase_windows(section.sections)


# --- annotations ----------------------------------------------------------------


def apply_annotations(annotations: dict[int, tuple[Any, dict[str, Any], str]]) -> None:
    """Apply annotations or overlay data to an already derived runbook (native YAML)."""
    _apply_annotations(annotations, before_gates=True)
    _apply_annotations(annotations, before_gates=False)


def _apply_annotations(
    annotations: dict[int, tuple[Any, dict[str, Any], str]], *, before_gates: bool
) -> None:
    for target, data, location in annotations.values():
        try:
            if before_gates:
                _apply_plain(target, data, location)
            elif "gate" in data:
                _apply_gate(target, data["gate"], location)
        except (ValueError, TypeError) as exc:
            raise RunbookFormatError(str(exc).split("\n")[0], location=location) from None


def _apply_plain(target: Item | Section, data: dict[str, Any], location: str) -> None:
    target.annotation = {**target.annotation, **data}
    for key, value in data.items():
        if key == "owner":
            target.owner = str(value)
        elif key == "optional":
            target.optional = bool(value)
        elif key == "contingency":
            context: Context = "contingency" if value else "normal"
            target.context = context
            if isinstance(target, Section):
                for section in target.walk():
                    section.context = context
                    for item in section.all_items():
                        item.context = context
        elif key == "duration":
            rng = parse_duration_range(str(value))
            if rng is None:
                raise ValueError(f"duration: expected a duration such as '2 hours', got {value!r}")
            target.duration = rng
        elif key == "phase" and isinstance(target, Section):
            if not isinstance(value, dict):
                raise ValueError("phase: expected a mapping such as {start: -7d, end: 0s}")
            target.schedule = Schedule.model_validate({"label": target.title, **value})
        elif key == "checks" and isinstance(target, Item):
            if not isinstance(value, list) or not all(isinstance(v, dict) and "kind" in v for v in value):
                raise ValueError("checks: expected a list of mappings, each with a 'kind'")
            specs = [CheckSpec.model_validate(v) for v in value]
            for spec in specs:
                spec._source = location
            target.checks = specs


def _apply_gate(target: Item | Section, value: Any, location: str) -> None:
    if value is False or value is None:
        target.gate = None
        if isinstance(target, Section):
            for item in target.all_items():
                if item.gate is not None and item.gate.rule.startswith("section"):
                    item.gate = None
        return
    kind = value if value in ("hard", "phase", "signoff") else "hard"
    if value is not True and value not in ("hard", "phase", "signoff"):
        raise RunbookFormatError(
            "gate: expected true, false, 'hard', 'phase' or 'signoff'", location=location
        )
    target.gate = Gate(kind=kind, rule="annotation")
    if isinstance(target, Section):
        for item in target.all_items():
            if item.gate is None or item.gate.rule != "annotation":
                item.gate = Gate(kind=kind, rule=f"section-annotation:{target.id}")


# --- gates ----------------------------------------------------------------------


class _Patterns:
    """A rule's patterns compiled once into one alternation that says which matched."""

    def __init__(self, patterns: list[str], what: str) -> None:
        self.patterns = patterns
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RunbookFormatError(f"gate_rules.{what}: invalid pattern {pattern!r}: {exc}") from None
        joined = "|".join(f"(?P<p{i}>{p})" for i, p in enumerate(patterns))
        self.regex = re.compile(joined, re.I) if patterns else None

    def match(self, text: str) -> str | None:
        if self.regex is None:
            return None
        found = self.regex.search(text)
        if found is None or found.lastgroup is None:
            return None
        return self.patterns[int(found.lastgroup[1:])]


def _gates(sections: list[Section], rules: GateRules) -> None:
    sec_p = _Patterns(rules.section_patterns, "section_patterns")
    phase_p = _Patterns(rules.phase_patterns, "phase_patterns")
    item_p = _Patterns(rules.item_patterns, "item_patterns")
    for section in sections:
        _gate_section(section, None, None, sec_p, phase_p, item_p)


def _gate_section(
    section: Section,
    phase_hit: str | None,
    section_hit: str | None,
    sec_p: _Patterns,
    phase_p: _Patterns,
    item_p: _Patterns,
) -> None:
    phase_hit = phase_hit or phase_p.match(section.title)
    own_hit = None if phase_hit else sec_p.match(section.title)
    if own_hit is not None and re.search(r"\bprep(?:aration)?\b", section.title, re.I):
        own_hit = None  # "Go/No-Go Review Preparation" prepares the gate; it is not one
    section_hit = None if phase_hit else (own_hit or section_hit)
    if phase_hit is not None:
        section.gate = Gate(kind="phase", rule=f"phase:{phase_hit}")
    elif section_hit is not None:
        section.gate = Gate(kind="hard", rule=f"section:{section_hit}")
    for item in section.items:
        _gate_item(item, section.gate, phase_p, item_p)
    for child in section.sections:
        _gate_section(child, phase_hit, section_hit, sec_p, phase_p, item_p)


def _gate_item(item: Item, inherited: Gate | None, phase_p: _Patterns, item_p: _Patterns) -> None:
    if item.context in ("contingency", "criterion", "metric"):
        return
    gate = inherited
    own = item.text
    if item.kind == "step" and (hit := phase_p.match(own)):
        gate = Gate(kind="phase", rule=f"phase:{hit}")
        item.gate = gate
    elif inherited is not None and inherited.kind == "phase":
        item.gate = inherited  # an approval inside a phase go/no-go gates that phase
    elif hit := item_p.match(own):
        kind = "signoff" if re.search(r"sign[ -]?off|approv", own, re.I) else "hard"
        item.gate = Gate(kind=kind, rule=f"item:{hit}")
    elif inherited is not None:
        item.gate = inherited
    for child in item.items:
        _gate_item(child, gate if gate is not None and gate.kind == "phase" else inherited, phase_p, item_p)


# --- sign-offs, contacts, escalation -------------------------------------------


def _sign_offs(runbook: Runbook, annotations: dict[int, tuple[Any, dict[str, Any], str]]) -> list[SignOff]:
    out: list[SignOff] = []
    seen: set[tuple[str, str | None]] = set()

    def add(
        role: str, source: str, section: str | None, line: int, file: str | None, quorum: int = 1
    ) -> None:
        role = clean_title(role).strip(" *:")
        key = (role.lower(), section)
        if not role or key in seen:
            return
        seen.add(key)
        out.append(SignOff(role=role, source=source, section=section, line=line, file=file, quorum=quorum))

    for section in runbook.walk_sections():
        for table in section.tables:
            if table.kind == "signoff":
                role_col = _column(table, ("role", "approver", "team"))
                for row in table.rows:
                    if role_col is not None and role_col < len(row.cells):
                        add(row.cells[role_col], "table", None, row.line, table.file)
        gate_section = section.gate is not None and section.gate.kind in ("hard", "phase")
        if (
            gate_section
            and section.owner
            and re.search(r"go[ /-]*no[ -]*go|decision|approval", section.title, re.I)
        ):
            scope = None if section.gate and section.gate.kind == "hard" else section.id
            add(section.owner, "owner", scope, section.line, section.file)
        for item in section.all_items():
            if item.gate is not None and item.gate.kind == "phase" and item.kind == "step" and item.owner:
                add(item.owner, "owner", section.id, item.line, item.file)
            if item.gate is None or item.gate.kind != "signoff":
                continue
            match = _APPROVAL_ITEM.match(item.text)
            if match and not _GENERIC_ROLE.match(match.group("role")):
                add(match.group("role"), "item", None, item.line, item.file)
    for target, data, location in annotations.values():
        if "sign_off" not in data:
            continue
        spec = data["sign_off"]
        roles = spec if isinstance(spec, list) else [spec]
        for role in roles:
            if isinstance(role, dict):
                quorum = role.get("quorum", 1)
                if not isinstance(quorum, int) or quorum < 1:
                    raise RunbookFormatError(
                        "sign_off.quorum: expected a positive integer", location=location
                    )
                add(
                    str(role.get("role", "")),
                    "annotation",
                    getattr(target, "id", None),
                    target.line,
                    target.file,
                    quorum,
                )
            else:
                add(str(role), "annotation", getattr(target, "id", None), target.line, target.file)
    return out


def _column(table: Table, names: tuple[str, ...]) -> int | None:
    for index, head in enumerate(table.header):
        if any(name in head.lower() for name in names):
            return index
    return None


def _classify_table(table: Table, section_title: str) -> None:
    heads = " ".join(h.lower() for h in table.header)
    if "role" in heads and re.search(r"signature|sign[ -]?off|approv|date", heads):
        table.kind = "signoff"
    elif re.search(r"\bname\b|contact|phone|e-?mail", heads) and re.search(
        r"role|service|issue|team|type|who|vendor", heads
    ):
        table.kind = "contacts"
    elif re.search(r"\blevel\b|tier|escalat", heads) or _ESCALATION_TITLE.search(section_title):
        table.kind = "escalation"
    elif re.search(r"healthy|target|threshold|investigate|warning|critical|metric|signal|kpi", heads):
        table.kind = "metrics"


def _contacts(runbook: Runbook) -> tuple[list[Contact], list[EscalationLevel]]:
    contacts: list[Contact] = []
    levels: list[EscalationLevel] = []
    for section in runbook.walk_sections():
        for table in section.tables:
            if table.kind == "contacts":
                contacts.extend(_table_contacts(table))
        if _ESCALATION_TITLE.search(section.title):
            for n, item in enumerate(section.items, 1):
                levels.append(_level(item, n))
        if _ONCALL_TITLE.search(section.title):
            for note in section.notes:
                if note.kind == "bullet":
                    contact = _bullet_contact(note.text, note.line, note.file)
                    if contact:
                        contacts.append(contact)
            for item in section.items:
                contact = _bullet_contact(item.text_raw, item.line, item.file)
                if contact:
                    contacts.append(contact)
    return contacts, levels


def _table_contacts(table: Table) -> list[Contact]:
    cols = {h.lower(): i for i, h in enumerate(table.header)}

    def pick(row: list[str], *names: str) -> str | None:
        for name in names:
            for head, index in cols.items():
                if name in head and index < len(row) and row[index]:
                    return row[index]
        return None

    out = []
    for row in table.rows:
        cells = row.cells
        role = pick(cells, "role", "service", "issue", "team", "type", "vendor") or (
            cells[0] if cells else ""
        )
        contact = pick(cells, "contact")
        out.append(
            Contact(
                role=role,
                name=pick(cells, "name") or (contact if contact and "@" not in contact else None),
                phone=pick(cells, "phone") or (contact if contact and "phone" in contact.lower() else None),
                email=pick(cells, "email", "e-mail"),
                contact=contact,
                availability=pick(cells, "availab", "hours", "sla"),
                backup=pick(cells, "backup"),
                line=row.line,
                file=table.file,
            )
        )
    return out


_BULLET_CONTACT = re.compile(r"^\s*\*\*(?P<role>[^*:]+):?\*\*:?\s*(?P<rest>.+)$")


def _bullet_contact(text: str, line: int, file: str | None) -> Contact | None:
    match = _BULLET_CONTACT.match(text)
    if not match:
        return None
    parts = [p.strip() for p in re.split(r"\s+[-–|]\s+|,\s*", match.group("rest")) if p.strip()]
    name = parts[0] if parts else None
    phone = next((p for p in parts[1:] if re.search(r"phone|\+?\d[\d ()-]{6,}", p, re.I)), None)
    email = next((p for p in parts[1:] if "@" in p or "email" in p.lower()), None)
    return Contact(
        role=match.group("role").strip(), name=name, phone=phone, email=email, line=line, file=file
    )


def _level(item: Item, n: int) -> EscalationLevel:
    text = item.text
    start = end = None
    band = _BAND.search(text)
    if band:
        unit = (band.group(5) or "min").lower()
        scale = 3600 if unit.startswith("h") else 60
        if band.group(1) is not None:
            start, end = int(band.group(1)) * scale, int(band.group(2)) * scale
        else:
            start = int(band.group(3) or band.group(4)) * scale
    level_match = re.match(r"\s*level\s*(\d+)", text, re.I)
    level = int(level_match.group(1)) if level_match else n
    who_text = _BAND.sub("", text)
    who_text = re.sub(r"^\s*level\s*\d+\s*:?", "", who_text, flags=re.I)
    who = [
        clean_title(w).strip(" :+") for w in re.split(r"\s*\+\s*|,\s*|\s+and\s+", who_text) if w.strip(" :+")
    ]
    return EscalationLevel(
        level=level,
        who=who,
        text=text,
        start=timedelta(seconds=start) if start is not None else None,
        end=timedelta(seconds=end) if end is not None else None,
        line=item.line,
        file=item.file,
    )


# --- criteria and metrics ------------------------------------------------------


def _criteria(runbook: Runbook) -> tuple[list[Criterion], list[Criterion]]:
    rollback: list[Criterion] = []
    metrics: list[Criterion] = []
    for section in runbook.walk_sections():
        targets = {"criterion": rollback, "metric": metrics}
        for item in section.all_items():
            target = targets.get(item.context)
            if target is not None and not item.items:
                target.append(
                    Criterion(
                        text=item.text,
                        line=item.line,
                        file=item.file,
                        item=item.id,
                        section=section.id,
                        thresholds=item.thresholds,
                    )
                )
        for table in section.tables:
            if table.kind != "metrics":
                continue
            for row in table.rows:
                if not row.cells:
                    continue
                subject = row.cells[0]
                found: list[Threshold] = []
                for head, cell in zip(table.header[1:], row.cells[1:], strict=False):
                    level = _level_of(head)
                    if level is None:
                        continue
                    found.extend(parse_thresholds(f"{subject} {cell}", level=level))
                metrics.append(
                    Criterion(
                        text=" | ".join(row.cells),
                        line=row.line,
                        file=table.file,
                        section=section.id,
                        thresholds=found,
                    )
                )
    return rollback, metrics


def _level_of(head: str) -> str | None:
    head = head.lower()
    if re.search(r"healthy|target|good|ok\b|normal", head):
        return "healthy"
    if re.search(r"investigate|warn|watch|degraded", head):
        return "warning"
    if re.search(r"critical|page|rollback|alert|bad", head):
        return "critical"
    return None


# --- rollout plans ---------------------------------------------------------------


def _rollout(runbook: Runbook) -> list[RolloutPlan]:
    plans: list[RolloutPlan] = []
    for section in runbook.walk_sections():
        sources: list[tuple[str, int, str | None]] = []
        for item in section.all_items():
            if "%" in item.text:
                sources.append((item.text, item.line, item.file))
            sources.extend((b.code, b.line, b.file) for b in item.code_blocks if "%" in b.code)
        sources.extend((b.code, b.line, b.file) for b in section.code_blocks if "%" in b.code)
        sources.extend((n.text, n.line, n.file) for n in section.notes if "%" in n.text)
        for text, line, file in sources:
            plan = _plan_from(text, line, file)
            if plan is not None:
                plans.append(plan)
    return plans


def _plan_from(text: str, line: int, file: str | None) -> RolloutPlan | None:
    if "%" not in text:
        return None
    plain = strip_markdown(text)
    steps: list[RolloutStep] = []
    for raw in plain.splitlines():
        step = _STEP_LINE.search(raw)
        bake = _BAKE_LINE.search(raw)
        if step:
            steps.append(RolloutStep(weight=float(step.group(1))))
        elif bake and steps and steps[-1].bake is None:
            amount = bake.group(1).lower()
            number = 1.0 if amount in ("a", "an", "one") else float(amount)
            unit = bake.group(2).lower().rstrip("s")
            seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit]
            steps[-1].bake = timedelta(seconds=number * seconds)
    if len(steps) >= 2 and steps[-1].weight == 100:
        return RolloutPlan(steps=steps, text=text.strip(), line=line, file=file)
    chain = _PERCENT_CHAIN.search(plain)
    if chain and re.search(r"roll ?out|staged|canary|phased|traffic|users", plain, re.I):
        weights = [float(w) for w in _PERCENT.findall(chain.group(0))]
        if len(weights) >= 2 and weights == sorted(weights) and weights[-1] == 100:
            return RolloutPlan(
                steps=[RolloutStep(weight=w) for w in weights], text=plain.strip(), line=line, file=file
            )
    return None


# --- policies and roles ------------------------------------------------------------


def _policies(runbook: Runbook) -> list[Policy]:
    out: list[Policy] = []
    for section in runbook.walk_sections():
        negative = bool(_DONTS_TITLE.search(section.title))
        positive = bool(_DOS_TITLE.search(section.title)) and not negative
        if not (negative or positive):
            continue
        lines: list[tuple[str, int, str | None]] = []
        for note in section.notes:
            for offset, text in enumerate(note.text.split("\n")):
                lines.append((text, note.line + offset, note.file))
        lines.extend((item.text, item.line, item.file) for item in section.all_items())
        for text, line, file in lines:
            clean = clean_title(strip_markdown(text))
            if not clean:
                continue
            rule = next((name for pattern, name in _POLICIES if re.search(pattern, clean, re.I)), "custom")
            if positive and rule not in ("low_traffic_hours", "monitor_after_deploy", "test_before_deploy"):
                continue
            out.append(Policy(rule=rule, text=clean, line=line, file=file))
    return out


def _roles(runbook: Runbook) -> list[Role]:
    found: dict[str, Role] = {}

    def add(name: str | None, source: str) -> None:
        if not name:
            return
        name = clean_title(name).strip(" *:")
        if not name or re.fullmatch(r"\[.*\]", name):
            return
        key = name.lower()
        role = found.setdefault(key, Role(name=name))
        if source not in role.sources:
            role.sources.append(source)

    add(runbook.metadata.owner, "document owner")
    for section in runbook.walk_sections():
        add(section.owner, "owner")
        for item in section.all_items():
            if item.owner != section.owner:
                add(item.owner, "owner")
    for signoff in runbook.sign_offs:
        add(signoff.role, "sign-off")
    for contact in runbook.contacts:
        add(contact.role, "contact")
    for level in runbook.escalation:
        for who in level.who:
            add(who, "escalation")
    return list(found.values())
