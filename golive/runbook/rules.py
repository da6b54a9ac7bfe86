"""The reading rules of a runbook: which items are gates, who signs off, what is a
role, where a rollout holds. Part of the runbook model (``Runbook.gate_rules``);
kept in its own module because it is a list of patterns, not a shape."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GateRules"]


class GateRules(BaseModel):
    """The explicit rules that decide which items are gates, who signs off and what
    is a role. Override any of them in the runbook's document annotation or in an
    overlay (``gate_rules:``); ``golive show RUNBOOK --explain LINE`` says which
    rule read a line as it did.

    - an item or section annotated ``gate: true`` is a gate; ``gate: false`` never is;
    - every item under a section whose title matches ``section_patterns`` is a
      hard gate (``Release Gates``, ``Hard blockers``, ``Quality gates``), and so
      are the items of a Markdown file reached through a link whose text matches;
    - every item under a section or step whose title matches ``phase_patterns``
      (``Phase 1 Go/No-Go``) is a phase gate: it must hold before the next phase;
    - an item whose own text matches ``item_patterns`` (``QA team sign-off``,
      ``Final approval obtained``, ``Verify Release Gates``) is a hard gate, except
      under a section whose title matches ``not_gate_section_patterns`` (a war
      room's role descriptions, a communication plan's "draft sent for approval");
    - the bullets after a bold lead-in matching ``decision_patterns`` (``**Go/No-Go
      Decision**``, ``**Go Criteria**:``, ✅ lists) are the criteria of a go/no-go
      decision: hard gates, never rollback criteria; a heading that matches is read
      the same way;
    - the roles listed in a field named in ``attendee_fields`` (``**Attendees**:
      VP Engineering, SRE Lead``) of a go/no-go section are its sign-off roles, and
      so is the role column of a table with a Decision/Approver column;
    - under a section whose title matches ``signoff_section_patterns``, an item
      ``**Role**: what they confirm`` is a sign-off by that role;
    - sign-off tables, approval items and go/no-go sections owned by a role
      produce required sign-offs (:class:`SignOff`);
    - a role is never one of ``not_role_words`` (a contact table's column header)
      nor a placeholder (``[Contact]``, ``TBD``); under a section whose title
      matches ``role_section_patterns`` (War Room, Roles), ``Role: what they do``
      names a role and is not a gate;
    - inside a staged rollout, an item matching ``hold_point_patterns`` (``HOLD
      POINT``) is a manual promotion gate of the step before it, not a release gate.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    section_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\brelease gates?\b",
            r"\bhard blockers?\b",
            r"\bquality gates?\b",
            r"\bgo[ /-]*no[ -]*go\b",
            r"\bsign[ -]?offs?\b",
        ]
    )
    phase_patterns: list[str] = Field(default_factory=lambda: [r"\bphase \d+ go[ /-]*no[ -]*go\b"])
    item_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bsign[ -]?off\b",
            r"\bapprov(?:al|ed)\b",
            r"\brelease gates?\b",
            r"\bquality gates? passed\b",
            r"\bgo[ /-]*no[ -]*go\b",
            r"\blaunch authori[sz]ation\b",
        ]
    )
    not_gate_section_patterns: list[str] = Field(
        default_factory=lambda: [
            r"^war[ -]?room\b",
            r"^(?:launch |team |key )?roles?\b",
            r"^(?:\w+ )?responsibilit",
            r"^raci\b",
            r"^(?:\w+ )?(?:communications?|comms)(?: plan| channels?)?$",
            r"^announcements?$",
            r"^(?:\w+ )?contacts?$",
        ]
    )
    decision_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bgo[ /-]*no[ -]*go\b",
            r"\b(?:go|no[ -]go|decision|launch|go[ -]live|readiness|release|exit) criteria\b",
        ]
    )
    attendee_fields: list[str] = Field(
        default_factory=lambda: [
            "attendees",
            "participants",
            "approvers",
            "decision makers",
            "voters",
            "required approvers",
            "sign-off by",
        ]
    )
    role_section_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bwar[ -]?room\b",
            r"\broles?\b",
            r"\bresponsibilit",
            r"\braci\b",
            r"\b(?:launch|release|core|command) team\b",
        ]
    )
    signoff_section_patterns: list[str] = Field(
        default_factory=lambda: [r"\bsign[ -]?offs?\b", r"^(?:stakeholder |final |required )?approvals?$"]
    )
    not_role_words: list[str] = Field(
        default_factory=lambda: [
            "name",
            "names",
            "phone",
            "mobile",
            "email",
            "e-mail",
            "slack",
            "hours",
            "contact",
            "contacts",
            "availability",
            "role",
            "team",
            "timezone",
            "time zone",
            "pager",
            "notes",
            "channel",
        ]
    )
    hold_point_patterns: list[str] = Field(
        default_factory=lambda: [r"\bhold[ -]?points?\b", r"\bhold\b.{0,40}\bgo[ /-]*no[ -]*go\b"]
    )
