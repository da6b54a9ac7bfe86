"""Why golive read a line of a runbook as it did: ``golive show RUNBOOK --explain LINE``.

For the heading, item, table row or note at a line, every reading golive made of it
(its place on the schedule, gate, sign-off, role, context, criterion, rollout step,
hold point, contact, escalation level), the rule that fired, and how to override
it. The readings come from the loaded runbook itself, so this never disagrees with
what a release uses; only the schedule's rule name is recomputed from the heading's
words, by the same reader.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from golive.durations import format_duration
from golive.errors import InputError
from golive.runbook.derive.gates import RulePatterns
from golive.runbook.derive.people import ROLE_DESCRIPTION
from golive.runbook.model import Gate, Item, Runbook, Schedule, Section
from golive.runbook.schedule import SCHEDULE_RULES, read_schedule

__all__ = ["Explanation", "Reading", "explain_line"]

_ANNOTATE = "an annotation under it, e.g. <!-- golive: {{{body}}} -->, or the same in an overlay"


class Reading(BaseModel):
    """One thing golive read from the line."""

    what: str
    """``phase``, ``gate``, ``sign-off``, ``role``, ``context``, ``rollback criterion``,
    ``success metric``, ``rollout``, ``hold point``, ``contact``, ``escalation``."""
    reading: str
    rule: str
    override: str


class Explanation(BaseModel):
    file: str | None
    line: int
    kind: str
    """``heading``, ``item``, ``table row``, ``table`` or ``note``."""
    text: str
    readings: list[Reading] = Field(default_factory=list)


def explain_line(runbook: Runbook, line: int, file: str | None = None) -> Explanation:
    """What golive read at ``line`` of ``file`` (the runbook's main file by default).

    Raises :class:`InputError` naming file:line when nothing golive reads starts there.
    """
    file = _file_of(runbook, file)
    found = _locate(runbook, line, file)
    if found is None:
        raise InputError(
            "nothing golive reads starts on this line (a heading, an item, a table row or a paragraph)",
            location=f"{file or '<runbook>'}:{line}",
        )
    kind, text, target, section = found
    out = Explanation(file=file, line=line, kind=kind, text=text)
    if isinstance(target, Section):
        out.readings.extend(_section_readings(target))
    elif isinstance(target, Item):
        out.readings.extend(_item_readings(runbook, target, section))
    out.readings.extend(_document_readings(runbook, line, file))
    if not out.readings:
        out.readings.append(
            Reading(
                what="nothing",
                reading="kept as written; no rule gave it a meaning",
                rule="no rule matched",
                override=_ANNOTATE.format(body="gate: true") + " to make it a gate",
            )
        )
    return out


def _file_of(runbook: Runbook, given: str | None) -> str | None:
    """The runbook's own name for a file given on the command line (its main file
    when none is given)."""
    if not given:
        return runbook.files[0] if runbook.files else runbook.file
    for name in runbook.files:
        if given == name or Path(given).name == Path(name).name:
            return name
    raise InputError(
        f"not a file of this runbook (its files: {', '.join(runbook.files) or 'none'})", location=given
    )


def _same(a: str | None, b: str | None) -> bool:
    return a == b or a is None or b is None


def _locate(
    runbook: Runbook, line: int, file: str | None
) -> tuple[str, str, Section | Item | None, Section | None] | None:
    for section in runbook.walk_sections():
        if section.line == line and _same(section.file, file) and section.title:
            return "heading", section.title, section, section
        for item in section.all_items():
            if item.line == line and _same(item.file, file):
                return "item", item.text, item, section
        for table in section.tables:
            if table.line == line and _same(table.file, file):
                return "table", " | ".join(table.header), None, section
            for row in table.rows:
                if row.line == line and _same(table.file, file):
                    return "table row", " | ".join(row.cells), None, section
        for note in section.notes:
            if note.line == line and _same(note.file, file):
                return "note", note.text.split("\n")[0], None, section
    return None


def _when(schedule: Schedule) -> str:
    def fmt(offset: object) -> str:
        if offset is None:
            return "?"
        assert hasattr(offset, "total_seconds")
        seconds = offset.total_seconds()
        sign = "-" if seconds < 0 else "+"
        return f"T{sign}{format_duration(abs(offset))}"  # type: ignore[arg-type]

    if schedule.anchor == "launch_day":
        return f"{schedule.label or 'launch day'} (from midnight of the launch date)"
    if schedule.end is None:
        return f"from {fmt(schedule.start)}"
    if schedule.start == schedule.end:
        return f"at {fmt(schedule.start)}"
    return f"{fmt(schedule.start)} → {fmt(schedule.end)}"


def _schedule_reading(title: str, schedule: Schedule, annotated: bool, what: str) -> Reading:
    if what == "phase":
        override = _ANNOTATE.format(body="phase: {start: -2h, end: 48h}")
    else:
        override = "write the window in its words ('T+0 to T+4h'), or move it under a phase heading"
    if annotated:
        return Reading(what=what, reading=_when(schedule), rule="annotation 'phase'", override=override)
    read = read_schedule(title)
    if read is None:
        rule = f"after the numbered phase before it ({schedule.label})" if schedule.label else "derived"
    else:
        name, parsed = read
        rule = f"schedule rule {name}: {SCHEDULE_RULES[name]} (read from {parsed.label!r})"
        if parsed.end is None and schedule.end is not None:
            rule += "; it ends where the next phase starts"
    return Reading(what=what, reading=_when(schedule), rule=rule, override=override)


def _gate_reading(gate: Gate) -> Reading:
    kinds = {
        "hard": "a hard gate: GO waits for it",
        "phase": "a phase gate: the next phase waits for it",
        "signoff": "a sign-off gate: GO waits for the approval",
    }
    rule, _, pattern = gate.rule.partition(":")
    rules = {
        "section": f"under a section whose title matches gate_rules.section_patterns {pattern!r}",
        "phase": f"under a section or step whose title matches gate_rules.phase_patterns {pattern!r}",
        "item": f"its own text matches gate_rules.item_patterns {pattern!r}",
        "decision": f"a criterion of a go/no-go decision: its lead-in or heading matches "
        f"gate_rules.decision_patterns {pattern!r}",
        "signoff-item": f"'**Role**: what they confirm' under a heading matching "
        f"gate_rules.signoff_section_patterns {pattern!r}",
        "section-annotation": f"its section ({pattern}) is annotated as a gate",
        "annotation": "an annotation marks it",
    }
    return Reading(
        what="gate",
        reading=kinds.get(gate.kind, gate.kind),
        rule=rules.get(rule, gate.rule),
        override=_ANNOTATE.format(body="gate: false")
        + "; or change the pattern list in the runbook's or overlay's gate_rules",
    )


def _section_readings(section: Section) -> list[Reading]:
    out: list[Reading] = []
    if section.schedule is not None:
        out.append(_schedule_reading(section.title, section.schedule, "phase" in section.annotation, "phase"))
    if section.gate is not None:
        out.append(_gate_reading(section.gate))
    out.extend(_context(section.context, "its heading"))
    if section.owner:
        out.append(
            Reading(
                what="owner",
                reading=section.owner,
                rule="its 'Owner' field" if "owner" not in section.annotation else "annotation 'owner'",
                override=_ANNOTATE.format(body="owner: Release Manager"),
            )
        )
    return out


def _context(context: str, where: str) -> list[Reading]:
    meanings = {
        "criterion": "a rollback criterion, not a task (words such as 'criteria', 'trigger', "
        "'when to roll back')",
        "metric": "a success metric, not a task (words such as 'success metrics', 'targets', 'KPIs')",
        "contingency": "kept for when things go wrong, not done on the way (words such as "
        "'rollback', 'troubleshooting', 'incident', 'emergency')",
    }
    if context not in meanings:
        return []
    return [
        Reading(
            what="context",
            reading=context,
            rule=f"{where} reads as {meanings[context]}",
            override=_ANNOTATE.format(body="contingency: false") + " (or gate: true to make it a gate of GO)",
        )
    ]


def _item_readings(runbook: Runbook, item: Item, section: Section | None) -> list[Reading]:
    out: list[Reading] = []
    if item.schedule is not None:
        out.append(_schedule_reading(item.text, item.schedule, False, "due"))
    if item.gate is not None:
        out.append(_gate_reading(item.gate))
    elif section is not None and item.context == "normal":
        quiet = RulePatterns(runbook.gate_rules.not_gate_section_patterns, "not_gate_section_patterns")
        items = RulePatterns(runbook.gate_rules.item_patterns, "item_patterns")
        chain = [s for s in runbook.walk_sections() if item in list(s.all_items())]
        hit = next((quiet.match(s.title) for s in chain if quiet.match(s.title)), None)
        if hit is not None and items.match(item.text):
            out.append(
                Reading(
                    what="gate",
                    reading="not a gate, though its words match gate_rules.item_patterns",
                    rule=f"under a section whose title matches gate_rules.not_gate_section_patterns {hit!r} "
                    "(role descriptions, communication tasks)",
                    override=_ANNOTATE.format(body="gate: true"),
                )
            )
    if section is not None:
        out.extend(_role_description(runbook, item))
    out.extend(
        _context(item.context, "its heading or lead-in" + (f" ({item.group!r})" if item.group else ""))
    )
    if item.owner and section is not None:
        out.append(
            Reading(
                what="owner",
                reading=item.owner,
                rule="its own text" if item.owner != section.owner else "inherited from its section's owner",
                override=_ANNOTATE.format(body="owner: QA Lead"),
            )
        )
    return out


def _role_description(runbook: Runbook, item: Item) -> list[Reading]:
    roles = RulePatterns(runbook.gate_rules.role_section_patterns, "role_section_patterns")
    owner = next((s for s in runbook.walk_sections() if item in s.items), None)
    if owner is None or roles.match(owner.title) is None:
        return []
    described = ROLE_DESCRIPTION.match(item.text_raw)
    if described is None:
        return []
    name = described.group("role").strip(" *")
    if not any(r.name.lower() == name.lower() for r in runbook.roles):
        return []
    return [
        Reading(
            what="role",
            reading=f"{name}: a role the document describes",
            rule=f"'Role: what they do' under a heading matching gate_rules.role_section_patterns "
            f"{roles.match(owner.title)!r}",
            override="gate_rules.role_section_patterns; map the role onto a person with "
            "'golive release assign'",
        )
    ]


def _document_readings(runbook: Runbook, line: int, file: str | None) -> list[Reading]:
    out: list[Reading] = []
    sources = {
        "table": "the role column of a sign-off table (Role with Signature/Date/Approval, or Decision "
        "with Approver)",
        "item": "an approval item ('QA sign-off') or '**Role**: confirmation' under a sign-off heading",
        "owner": "the owner of a go/no-go section",
        "attendees": "listed in a field named in gate_rules.attendee_fields of a go/no-go decision",
        "annotation": "an annotation 'sign_off'",
    }
    for signoff in runbook.sign_offs:
        if signoff.line == line and _same(signoff.file, file):
            scope = "the release's GO" if signoff.section is None else f"the phase {signoff.section}"
            out.append(
                Reading(
                    what="sign-off",
                    reading=f"{signoff.role} must approve {scope} (quorum {signoff.quorum})",
                    rule=sources[signoff.source],
                    override=_ANNOTATE.format(body="sign_off: [Release Manager]")
                    + "; gate_rules.attendee_fields and not_role_words change what is read",
                )
            )
    for name, criteria in (
        ("rollback criterion", runbook.rollback_criteria),
        ("success metric", runbook.success_metrics),
    ):
        for criterion in criteria:
            if criterion.line == line and _same(criterion.file, file):
                numbers = (
                    ", ".join(t.expression for t in criterion.thresholds) or "no number: a person judges"
                )
                out.append(
                    Reading(
                        what=name,
                        reading=numbers,
                        rule="an item under a criteria heading or lead-in; its thresholds are read "
                        "from its words",
                        override="an overlay's rollout_guard triggers name the query; "
                        + _ANNOTATE.format(body="checks: [...]"),
                    )
                )
    for plan in runbook.rollout:
        if plan.line == line and _same(plan.file, file):
            steps = " → ".join(f"{s.weight:g}%" for s in plan.steps)
            out.append(
                Reading(
                    what="rollout",
                    reading=steps,
                    rule="staged percentages ending at 100% (a chain, 'enable for N%' lines, or one "
                    "item per step such as FLAG_PERCENT=N)",
                    override="an overlay's rollout: list, or rollout_guard components",
                )
            )
        for step in plan.steps:
            if step.hold and step.hold_line == line:
                out.append(
                    Reading(
                        what="hold point",
                        reading=f"a manual promotion gate after the {step.weight:g}% step: the rollout "
                        "waits there for 'golive rollout promote'; not a release gate",
                        rule="inside a staged rollout, its words match gate_rules.hold_point_patterns",
                        override="rollout_guard hold_points: false, or gate_rules.hold_point_patterns",
                    )
                )
    for contact in runbook.contacts:
        if contact.line == line and _same(contact.file, file):
            out.append(
                Reading(
                    what="contact",
                    reading=", ".join(
                        x for x in (contact.role, contact.name, contact.phone, contact.email) if x
                    ),
                    rule="a row of a contacts table or an on-call bullet",
                    override="edit the table; a role is never a column header or a placeholder",
                )
            )
    for level in runbook.escalation:
        if level.line == line and _same(level.file, file):
            out.append(
                Reading(
                    what="escalation",
                    reading=f"level {level.level}: {', '.join(level.who) or 'nobody named'}",
                    rule="an item under an escalation heading; placeholders ('[Contact]') name nobody",
                    override="edit the item",
                )
            )
    return out
