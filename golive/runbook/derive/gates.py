"""Gates: sections, phases and items that must hold before GO, by the runbook's
gate rules (patterns over titles and item text), and go/no-go decision blocks
whose criteria are gates rather than rollback criteria."""

from __future__ import annotations

import re

from golive.errors import RunbookFormatError
from golive.runbook.model import Gate, Item, Section
from golive.runbook.rules import GateRules

__all__ = ["ROLE_ITEM", "RulePatterns", "derive_gates", "is_decision_title"]

_ROLLBACK = re.compile(r"roll ?back|abort|revert", re.I)
_PREP = re.compile(r"\bprep(?:are|aration)?\b", re.I)
ROLE_ITEM = re.compile(
    r"^\s*\*\*(?P<role>[A-Za-z][^*:()\n]{1,48}?)(?:\s*:\s*\*\*|\s*\*\*\s*(?::|—|–|\s-))\s*(?P<what>\S.*)$"
)
"""``**Product Owner**: feature set complete``: a role and what it confirms."""


class RulePatterns:
    """A rule's patterns compiled once into one alternation that says which matched."""

    def __init__(self, patterns: list[str], what: str) -> None:
        self.patterns = patterns
        self.what = what
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


def is_decision_title(title: str, decisions: RulePatterns) -> str | None:
    """The decision pattern a heading or bold lead-in matches ("Go/No-Go Decision",
    "Go Criteria"), unless it is about rolling back ("Rollback criteria")."""
    if not title or _ROLLBACK.search(title) or _PREP.search(title):
        return None
    return decisions.match(title)


class _Rules:
    def __init__(self, rules: GateRules) -> None:
        self.section = RulePatterns(rules.section_patterns, "section_patterns")
        self.phase = RulePatterns(rules.phase_patterns, "phase_patterns")
        self.item = RulePatterns(rules.item_patterns, "item_patterns")
        self.quiet = RulePatterns(rules.not_gate_section_patterns, "not_gate_section_patterns")
        self.decision = RulePatterns(rules.decision_patterns, "decision_patterns")
        self.signoff = RulePatterns(rules.signoff_section_patterns, "signoff_section_patterns")
        self._decisions: dict[str, str | None] = {}

    def decision_of(self, title: str) -> str | None:
        """:func:`is_decision_title`, once per distinct lead-in ("Tasks", "Deliverables" repeat)."""
        if title not in self._decisions:
            self._decisions[title] = is_decision_title(title, self.decision)
        return self._decisions[title]


def derive_gates(sections: list[Section], rules: GateRules) -> None:
    compiled = _Rules(rules)
    for section in sections:
        _gate_section(section, None, None, False, None, compiled)


def _gate_section(
    section: Section,
    phase_hit: str | None,
    section_hit: str | None,
    quiet: bool,
    signoff_hit: str | None,
    rules: _Rules,
) -> None:
    phase_hit = phase_hit or rules.phase.match(section.title)
    own_hit = None if phase_hit else rules.section.match(section.title)
    if own_hit is not None and _PREP.search(section.title):
        own_hit = None  # "Go/No-Go Review Preparation" prepares the gate; it is not one
    section_hit = None if phase_hit else (own_hit or section_hit)
    quiet = quiet or rules.quiet.match(section.title) is not None
    signoff_hit = signoff_hit or rules.signoff.match(section.title)
    if phase_hit is not None:
        section.gate = Gate(kind="phase", rule=f"phase:{phase_hit}")
    elif section_hit is not None:
        section.gate = Gate(kind="hard", rule=f"section:{section_hit}")
    heading_decision = is_decision_title(section.title, rules.decision)
    if heading_decision is not None and section.context == "criterion":
        section.context = "normal"  # "Go/No-Go Criteria": the criteria of a decision, not of a rollback
    for item in section.items:
        decision = heading_decision
        if item.group:
            decision = rules.decision_of(item.group) or (
                None if _ROLLBACK.search(item.group) else heading_decision
            )
        if decision is not None:
            for each in item.walk():
                if each.context == "criterion":
                    each.context = "normal"
        if signoff_hit is not None and item.context == "normal" and ROLE_ITEM.match(item.text_raw):
            # "- [ ] **Product Owner**: feature set complete" under "Stakeholder Sign-Off"
            item.gate = Gate(kind="signoff", rule=f"signoff-item:{signoff_hit}")
            continue
        _gate_item(item, section.gate, rules, quiet, decision)
    for child in section.sections:
        _gate_section(child, phase_hit, section_hit, quiet, signoff_hit, rules)


def _gate_item(item: Item, inherited: Gate | None, rules: _Rules, quiet: bool, decision: str | None) -> None:
    if item.context in ("contingency", "criterion", "metric"):
        return
    gate = inherited
    own = item.text
    if item.kind == "step" and (hit := rules.phase.match(own)):
        gate = Gate(kind="phase", rule=f"phase:{hit}")
        item.gate = gate
    elif inherited is not None and inherited.kind == "phase":
        item.gate = inherited  # an approval inside a phase go/no-go gates that phase
    elif not quiet and (hit := rules.item.match(own)):
        kind = "signoff" if re.search(r"sign[ -]?off|approv", own, re.I) else "hard"
        item.gate = Gate(kind=kind, rule=f"item:{hit}")
    elif inherited is not None:
        item.gate = inherited
    elif decision is not None:
        item.gate = Gate(kind="hard", rule=f"decision:{decision}")
        gate = item.gate
    if gate is not None and gate.kind == "phase":
        passed: Gate | None = gate
    elif decision is not None and gate is not None and gate.rule.startswith("decision"):
        passed = gate
    else:
        passed = inherited
    for child in item.items:
        _gate_item(child, passed, rules, quiet, decision)
