"""Gates: sections, phases and items that must hold before GO, by the runbook's
gate rules (patterns over titles and item text)."""

from __future__ import annotations

import re

from golive.errors import RunbookFormatError
from golive.runbook.model import Gate, GateRules, Item, Section

__all__ = ["derive_gates"]


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


def derive_gates(sections: list[Section], rules: GateRules) -> None:
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
