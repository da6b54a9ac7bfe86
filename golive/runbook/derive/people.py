"""Who: tables classified (sign-off, contacts, escalation, metrics), sign-offs,
contacts, escalation levels, and the roles all of them name."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from golive.errors import RunbookFormatError
from golive.runbook.derive.gates import ROLE_ITEM, RulePatterns, is_decision_title
from golive.runbook.model import Contact, EscalationLevel, Item, Role, Runbook, Section, SignOff, Table
from golive.runbook.text import PLACEHOLDER_RE, clean_title, strip_markdown

__all__ = ["ROLE_DESCRIPTION", "classify_table", "derive_contacts", "derive_roles", "derive_sign_offs"]

_ESCALATION_TITLE = re.compile(r"escalation (?:path|matrix|levels?|chain)|escalation$", re.I)
_ONCALL_TITLE = re.compile(r"on-?call|emergency contacts?|contacts?", re.I)
_APPROVAL_ITEM = re.compile(r"^(?P<role>[A-Z][\w/&' -]{1,40}?)\s+(?:approval|sign[ -]?off)$", re.I)
_GENERIC_ROLE = re.compile(r"^(?:final|official|launch|uat|stakeholder|quality assurance)\b", re.I)
# "Draft sent to VP for approval" names an errand, not a role
_NOT_A_ROLE = re.compile(
    r"\b(?:for|to|sent|send|get|gets|obtain|obtained|request|requested|from|with|by)\b", re.I
)
_ROLE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&(?=\s))\s*")
ROLE_DESCRIPTION = re.compile(
    r"^\s*(?:\*\*)?(?P<role>[A-Z][\w/&' -]{1,40}?)\s*(?:\*\*)?\s*(?::|—|–|\s-\s)\s*\S"
)
_BAND = re.compile(
    r"\(\s*(?:(\d+)\s*(?:-|–|to)\s*(\d+)|>\s*(\d+)|(\d+)\+)\s*(min|minutes|h|hours?)?[^)]*\)", re.I
)


def derive_sign_offs(
    runbook: Runbook, annotations: dict[int, tuple[Any, dict[str, Any], str]]
) -> list[SignOff]:
    out: list[SignOff] = []
    seen: set[tuple[str, str | None]] = set()

    decisions = RulePatterns(runbook.gate_rules.decision_patterns, "decision_patterns")
    not_roles = {w.lower() for w in runbook.gate_rules.not_role_words}

    def add(
        role: str, source: str, section: str | None, line: int, file: str | None, quorum: int = 1
    ) -> None:
        role = role_name(role, not_roles) or ""
        key = (role.lower(), section)
        if not role or key in seen:
            return
        seen.add(key)
        out.append(SignOff(role=role, source=source, section=section, line=line, file=file, quorum=quorum))

    for section in runbook.walk_sections():
        for table in section.tables:
            if table.kind == "signoff":
                role_col = _column(
                    table, ("role", "approver", "decision maker", "signatory", "approved by", "team")
                )
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
        for role, line in _attendees(section, runbook, decisions):
            scope = section.id if section.gate is not None and section.gate.kind == "phase" else None
            add(role, "attendees", scope, line, section.file)
        for item in section.all_items():
            if item.gate is not None and item.gate.kind == "phase" and item.kind == "step" and item.owner:
                add(item.owner, "owner", section.id, item.line, item.file)
            if item.gate is None or item.gate.kind != "signoff":
                continue
            if item.gate.rule.startswith("signoff-item"):
                role_item = ROLE_ITEM.match(item.text_raw)
                if role_item:
                    add(role_item.group("role"), "item", None, item.line, item.file)
                continue
            match = _APPROVAL_ITEM.match(item.text)
            if (
                match
                and not _GENERIC_ROLE.match(match.group("role"))
                and not _NOT_A_ROLE.search(match.group("role"))
            ):
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


def role_name(text: str | None, not_roles: set[str]) -> str | None:
    """A role as the document names it, or None when the text is no role: a
    placeholder ("[Contact]", "TBD"), a contact table's column header ("Phone")
    or empty. A placeholder after the role ("Engineering Manager: [Contact]") is
    dropped."""
    if not text:
        return None
    name = clean_title(strip_markdown(text))
    name = PLACEHOLDER_RE.sub("", name)
    name = re.sub(r"[:(]\s*\)?\s*$", "", name.strip())
    name = name.strip(" *:-–—()")
    if not name or name.lower() in not_roles or not re.search(r"[A-Za-z]", name):
        return None
    return name


def _attendees(section: Section, runbook: Runbook, decisions: RulePatterns) -> list[tuple[str, int]]:
    """The roles of a go/no-go decision's attendees ("**Attendees**: VP Engineering,
    SRE Lead"), with the line they are named on; only in a section that holds a
    decision (its title, its gate, or a decision block among its items)."""
    wanted = {f.lower() for f in runbook.gate_rules.attendee_fields}
    fields = [(k, v) for k, v in section.fields.items() if k.lower().strip() in wanted]
    if not fields:
        return []
    is_decision = is_decision_title(section.title, decisions) is not None or any(
        i.gate is not None and i.gate.rule.startswith("decision") for i in section.all_items()
    )
    if not is_decision:
        return []
    out: list[tuple[str, int]] = []
    for key, value in fields:
        line = next(
            (n.line for n in section.notes if re.match(rf"\s*\*\*{re.escape(key)}", n.text)), section.line
        )
        for raw in _ROLE_SPLIT.split(value):
            part = raw.strip(" .")
            if part and not re.fullmatch(r"(?:etc|others?|tbd)", part, re.I):
                out.append((part, line))
    return out


def _column(table: Table, names: tuple[str, ...]) -> int | None:
    for index, head in enumerate(table.header):
        if any(name in head.lower() for name in names):
            return index
    return None


def classify_table(table: Table, section_title: str) -> None:
    heads = " ".join(h.lower() for h in table.header)
    if "role" in heads and re.search(r"signature|sign[ -]?off|approv|date", heads):
        table.kind = "signoff"
    elif re.search(r"\bdecision\b", heads) and re.search(
        r"approver|decision[ -]?maker|signatory|approved by", heads
    ):
        table.kind = "signoff"  # | Decision | Approver | Criteria |: who approves each decision
    elif re.search(r"\bname\b|contact|phone|e-?mail", heads) and re.search(
        r"role|service|issue|team|type|who|vendor", heads
    ):
        table.kind = "contacts"
    elif re.search(r"\bname\b", heads) and re.search(r"phone|e-?mail|slack|pager|mobile", heads):
        table.kind = "contacts"  # | Name | Phone | Slack | Hours |: people, no roles
    elif re.search(r"\blevel\b|tier|escalat", heads) or _ESCALATION_TITLE.search(section_title):
        table.kind = "escalation"
    elif re.search(r"healthy|target|threshold|investigate|warning|critical|metric|signal|kpi", heads):
        table.kind = "metrics"


def derive_contacts(runbook: Runbook) -> tuple[list[Contact], list[EscalationLevel]]:
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
        named = any("name" in head for head in cols)
        role = pick(cells, "role", "service", "issue", "team", "type", "vendor") or (
            cells[0] if cells and not named else ""
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
        name
        for w in re.split(r"\s*\+\s*|,\s*|\s+and\s+", who_text)
        if (name := role_name(w.split(": ")[0] if PLACEHOLDER_RE.search(w) else w, set())) is not None
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


def derive_roles(runbook: Runbook) -> list[Role]:
    found: dict[str, Role] = {}

    not_roles = {w.lower() for w in runbook.gate_rules.not_role_words}
    role_sections = RulePatterns(runbook.gate_rules.role_section_patterns, "role_section_patterns")

    def add(name: str | None, source: str) -> None:
        name = role_name(name, not_roles)
        if not name:
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
    for section in runbook.walk_sections():
        if role_sections.match(section.title) is None:
            continue
        for item in section.items:  # "Launch Commander: makes go/no-go decisions"
            described = ROLE_DESCRIPTION.match(item.text_raw)
            if described:
                add(described.group("role"), "role description")
    return list(found.values())
