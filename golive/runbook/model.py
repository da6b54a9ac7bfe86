"""The runbook model: one set of typed classes used by import, the native format,
JSON output, lint and every later feature.

Positions: every element read from a file carries ``file`` (path relative to the
runbook's main file, ``None`` for the main file itself) and ``line`` (1-based).
Durations and offsets are ``timedelta`` values, written compactly (``-14d``,
``1h30m``) in JSON and YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PrivateAttr

from golive.durations import format_duration, parse_duration
from golive.runbook.rules import GateRules

__all__ = [
    "CheckSpec",
    "CodeBlock",
    "Contact",
    "Criterion",
    "DurationRange",
    "EscalationLevel",
    "Gate",
    "GateRules",
    "ImportWarning",
    "InlineCode",
    "Item",
    "Link",
    "Metadata",
    "Note",
    "Offset",
    "Policy",
    "Role",
    "RolloutPlan",
    "RolloutStep",
    "Runbook",
    "Schedule",
    "Section",
    "SignOff",
    "Table",
    "TableRow",
    "Threshold",
]

Offset = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""A duration or an offset from T-0, written ``-14d``, ``90m``, ``1h30m``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


Context = Literal["normal", "contingency", "criterion", "metric"]
"""What a section's or item's content is for: ``normal`` work of the release;
``contingency`` procedures run only when something goes wrong (rollback,
troubleshooting, incident response); ``criterion`` rollback criteria and triggers;
``metric`` success metrics and targets."""


class Link(_Model):
    text: str
    target: str


class InlineCode(_Model):
    """An inline code span in an item's text, classified.

    ``kind`` is ``command`` for something a shell runs (``cd frontend && npm run guard``),
    ``http`` for a request line (``GET /api/health``), ``env`` for an environment
    variable name, ``path`` for a file or URL path, ``literal`` for anything else.
    """

    code: str
    kind: Literal["command", "http", "env", "path", "literal"]
    line: int
    file: str | None = None

    @property
    def runnable(self) -> bool:
        return self.kind == "command"


class CodeBlock(_Model):
    """A fenced (or indented) code block.

    Only shell-like blocks whose content is shell are ``runnable``; the others are
    kept as reference and never run, and ``reason`` says why.
    """

    id: str
    code: str
    language: str | None = None
    info: str = ""
    line: int
    file: str | None = None
    runnable: bool = False
    reason: str = ""
    name: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)


class DurationRange(_Model):
    """How long something takes: ``8 hours``, ``15-30 minutes``, ``8-12 hours``."""

    min: Offset
    max: Offset
    text: str


class Schedule(_Model):
    """A place on the timeline, relative to launch (T-0).

    ``anchor == "t0"``: ``start``/``end`` are offsets from the launch instant.
    ``anchor == "launch_day"``: offsets from midnight of the launch date (wall-clock
    windows such as ``6:00 AM - 7:00 AM`` on launch day, ``day`` days after it).
    ``end`` is ``None`` where the document gives only a start.
    """

    label: str = ""
    start: Offset | None = None
    end: Offset | None = None
    anchor: Literal["t0", "launch_day"] = "t0"


class Threshold(_Model):
    """A number the prose commits to: ``error rate > 1% for > 10 minutes``.

    ``value`` is in ``unit`` as written (``1`` with unit ``%``). ``relative_to``
    is ``baseline`` for ``> 5x normal baseline``. ``for_duration`` is the
    persistence window; ``sustained`` marks "sustained" without a stated window.
    ``level`` separates a warning level from a critical one (seed 001's
    Healthy/Investigate columns); ``target`` is a stretch goal ("target: 99.95%").
    """

    metric: str
    subject: str
    op: Literal["<", "<=", ">", ">=", "=="]
    value: float
    unit: str | None = None
    percentile: str | None = None
    for_duration: Offset | None = None
    sustained: bool = False
    relative_to: Literal["baseline"] | None = None
    target: float | None = None
    level: Literal["critical", "warning", "healthy"] = "critical"
    text: str

    @property
    def expression(self) -> str:
        unit = self.unit or ""
        value = f"{self.value:g}"
        if self.relative_to == "baseline":
            rhs = f"{value}x baseline"
        elif unit == "bool":
            rhs = "true" if self.value else "false"
        else:
            rhs = f"{value}{unit}"
        subject = self.metric + (f" {self.percentile}" if self.percentile else "")
        out = f"{subject} {self.op} {rhs}"
        if self.for_duration is not None:
            out += f" for {format_duration(self.for_duration)}"
        elif self.sustained:
            out += " sustained"
        return out


class CheckSpec(BaseModel):
    """A machine verification attached to an item. The check kinds own the
    remaining fields and validate them (see the checks issue)."""

    model_config = ConfigDict(extra="allow")

    kind: str
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """Where the check was defined (``file:line`` of the annotation or overlay entry)."""
        return self._source


class Gate(_Model):
    """Why an item blocks go.

    ``kind``: ``hard`` blocks the release's GO; ``phase`` blocks the next phase;
    ``signoff`` is an approval. ``rule`` names the rule that made it a gate
    (see :class:`GateRules`), or ``annotation`` when marked by hand.
    """

    kind: Literal["hard", "phase", "signoff"]
    rule: str


class Item(_Model):
    """One thing to do or verify: a task-list entry, a numbered step, or a plain
    bullet under a checklist-like heading."""

    id: str
    kind: Literal["task", "step", "bullet"]
    text: str
    text_raw: str
    line: int
    file: str | None = None
    checked: bool | None = None
    optional: bool = False
    owner: str | None = None
    duration: DurationRange | None = None
    schedule: Schedule | None = None
    group: str | None = None
    deliverable: bool = False
    gate: Gate | None = None
    context: Context = "normal"
    inline_code: list[InlineCode] = Field(default_factory=list)
    code_blocks: list[CodeBlock] = Field(default_factory=list)
    thresholds: list[Threshold] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    annotation: dict[str, Any] = Field(default_factory=dict)
    """The machine data given explicitly (annotation or overlay), kept so that
    export writes it back as it was."""

    @property
    def commands(self) -> list[InlineCode]:
        return [c for c in self.inline_code if c.kind == "command"]

    def walk(self) -> Iterator[Item]:
        """This item and its descendants, in document order."""
        stack = [self]
        while stack:
            item = stack.pop()
            yield item
            if item.items:
                stack.extend(reversed(item.items))


class TableRow(_Model):
    cells: list[str]
    line: int


class Table(_Model):
    """A table kept as data. ``kind`` classifies it: ``contacts``, ``escalation``,
    ``metrics``, ``signoff`` or ``other``."""

    header: list[str]
    rows: list[TableRow]
    line: int
    file: str | None = None
    kind: Literal["contacts", "escalation", "metrics", "signoff", "other"] = "other"

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row.cells, strict=False)) for row in self.rows]


class Note(_Model):
    """Content that maps to nothing special, kept so that nothing is dropped."""

    text: str
    line: int
    file: str | None = None
    kind: Literal["paragraph", "bullet", "html", "quote", "rule", "front_matter", "other"] = "paragraph"


class Section(_Model):
    """A heading and what is under it. A phase is a section with a schedule."""

    id: str
    title: str
    title_raw: str
    level: int
    line: int
    file: str | None = None
    schedule: Schedule | None = None
    owner: str | None = None
    duration: DurationRange | None = None
    gate: Gate | None = None
    context: Context = "normal"
    optional: bool = False
    fields: dict[str, str] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    code_blocks: list[CodeBlock] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    annotation: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_phase(self) -> bool:
        return self.schedule is not None

    def walk(self) -> Iterator[Section]:
        """This section and its descendants, in document order."""
        stack = [self]
        while stack:
            section = stack.pop()
            yield section
            if section.sections:
                stack.extend(reversed(section.sections))

    def all_items(self) -> Iterator[Item]:
        """Every item of this section (not of its subsections), depth first."""
        stack = list(reversed(self.items))
        while stack:
            item = stack.pop()
            yield item
            if item.items:
                stack.extend(reversed(item.items))


class Metadata(_Model):
    version: str | None = None
    owner: str | None = None
    last_updated: str | None = None
    scope: str | None = None
    status: str | None = None
    project: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class Contact(_Model):
    """Someone to reach: from a contacts table or an on-call list."""

    role: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    contact: str | None = None
    availability: str | None = None
    backup: str | None = None
    line: int
    file: str | None = None


class EscalationLevel(_Model):
    """One rung of an escalation path, with its time band when the text gives one."""

    level: int
    who: list[str]
    text: str
    start: Offset | None = None
    end: Offset | None = None
    line: int
    file: str | None = None


class SignOff(_Model):
    """A role whose approval the runbook requires. ``section`` is the id of the
    section it gates (``None``: the release's go/no-go)."""

    role: str
    quorum: int = 1
    source: Literal["table", "item", "owner", "attendees", "annotation"] = "annotation"
    section: str | None = None
    line: int
    file: str | None = None


class Role(_Model):
    """A role named in the document, and where it is named."""

    name: str
    sources: list[str] = Field(default_factory=list)


class Criterion(_Model):
    """A rollback criterion or success metric, with the thresholds read from it.

    An empty ``thresholds`` list means the prose states no number: a person must
    judge it, unless an item check is attached (``item`` names the item).
    """

    text: str
    line: int
    file: str | None = None
    item: str | None = None
    section: str | None = None
    thresholds: list[Threshold] = Field(default_factory=list)


class RolloutStep(_Model):
    """One stage of exposure. ``hold`` marks a hold point after it ("T+4h: **HOLD
    POINT** - Go/No-Go decision"): the rollout waits there for a person to promote;
    ``hold_line`` is the hold point's line."""

    weight: float
    bake: Offset | None = None
    hold: bool = False
    hold_line: int | None = None


class RolloutPlan(_Model):
    """Staged exposure as the prose states it: ``10% -> 50% -> 100%``, or
    "Enable for 10% of users, monitor 1 hour, increase to 50%..."."""

    steps: list[RolloutStep]
    text: str
    line: int
    file: str | None = None
    component: str | None = None


class Policy(_Model):
    """A rule the document states for itself (its don'ts), e.g. ``no_friday``."""

    rule: str
    text: str
    line: int
    file: str | None = None


class ImportWarning(_Model):
    message: str
    line: int | None = None
    file: str | None = None


class Runbook(_Model):
    """A parsed go-live runbook."""

    format: Literal["golive.runbook/v1"] = "golive.runbook/v1"
    title: str
    title_raw: str = ""
    metadata: Metadata = Field(default_factory=Metadata)
    front_matter: dict[str, Any] = Field(default_factory=dict)
    file: str | None = None
    files: list[str] = Field(default_factory=list)
    content_hash: str = ""
    sections: list[Section] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    sign_offs: list[SignOff] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    escalation: list[EscalationLevel] = Field(default_factory=list)
    rollback_criteria: list[Criterion] = Field(default_factory=list)
    success_metrics: list[Criterion] = Field(default_factory=list)
    rollout: list[RolloutPlan] = Field(default_factory=list)
    rollout_guard: dict[str, Any] | None = None
    """The executable rollout (``golive.rollout.spec.RolloutGuard``), from an
    annotation or overlay; validated when the runbook is loaded."""
    policies: list[Policy] = Field(default_factory=list)
    gate_rules: GateRules = Field(default_factory=GateRules)
    annotation: dict[str, Any] = Field(default_factory=dict)
    """The document annotation as given (before the first heading), for export."""
    warnings: list[ImportWarning] = Field(default_factory=list)

    def walk_sections(self) -> Iterator[Section]:
        for section in self.sections:
            yield from section.walk()

    def all_items(self) -> Iterator[Item]:
        for section in self.walk_sections():
            yield from section.all_items()

    def task_items(self) -> list[Item]:
        return [item for item in self.all_items() if item.kind == "task"]

    def all_code_blocks(self) -> Iterator[CodeBlock]:
        for section in self.walk_sections():
            yield from section.code_blocks
            for item in section.all_items():
                yield from item.code_blocks

    def phases(self) -> list[Section]:
        return [s for s in self.walk_sections() if s.schedule is not None]

    def gates(self) -> list[Item]:
        return [item for item in self.all_items() if item.gate is not None]

    def find_item(self, item_id: str) -> Item | None:
        for item in self.all_items():
            if item.id == item_id:
                return item
        return None

    def find_section(self, section_id: str) -> Section | None:
        for section in self.walk_sections():
            if section.id == section_id:
                return section
        return None


Item.model_rebuild()
Section.model_rebuild()
