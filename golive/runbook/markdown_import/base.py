"""What the importer builds and holds: a :class:`ParsedFile` (one Markdown file's
structure) with its :class:`LinkRef` links, the state of the section being read,
and :class:`ImporterBase`, the importer's state and the places what it finds goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from golive.runbook.markdown_import.classify import classify_inline_code
from golive.runbook.markdown_import.inline import inline_code_spans, inline_links
from golive.runbook.markdown_import.parser import Node
from golive.runbook.model import ImportWarning, InlineCode, Item, Note, Section
from golive.runbook.text import clean_title, repair_text

__all__ = ["ImporterBase", "LinkRef", "ParsedFile", "SectionState"]


@dataclass
class LinkRef:
    target: str
    text: str
    line: int
    section: Section | None


@dataclass
class ParsedFile:
    """One Markdown file's structure, before meaning is derived."""

    file: str | None
    sections: list[Section]
    title: str | None
    title_raw: str | None
    front_matter: dict[str, Any]
    metadata_fields: list[tuple[str, str, int, int]]
    annotations: dict[int, tuple[Any, dict[str, Any], str]]
    document_annotation: dict[str, Any]
    links: list[LinkRef]
    warnings: list[ImportWarning]
    labels: dict[int, str] = field(default_factory=dict)


@dataclass
class SectionState:
    """Where the importer is in the section it reads: the label and step that
    hold the next items, whether a list there is a checklist, the last list."""

    section: Section
    label: str | None = None
    step: Item | None = None
    fresh: bool = True
    checklist: bool | None = None
    last_list: list[Item] = field(default_factory=list)


class ImporterBase:
    """The importer's state, and where what it finds goes: positions, the current
    section (a preamble before the first heading), notes, annotations, links and
    inline code. :class:`~golive.runbook.markdown_import.importer` adds the rules
    for each kind of block."""

    def __init__(self, text: str, file: str | None) -> None:
        self.file = file
        self.raw_lines = text.split("\n")
        self.text = repair_text(text)
        self.text_lines = self.text.split("\n")
        self.sections: list[Section] = []
        self.stack: list[Section] = []
        self.preamble: Section | None = None
        self.title: str | None = None
        self.title_raw: str | None = None
        self.front_matter: dict[str, Any] = {}
        self.metadata_fields: list[tuple[str, str, int, int]] = []
        self.annotations: dict[int, tuple[Any, dict[str, Any], str]] = {}
        self.document_annotation: dict[str, Any] = {}
        self.links: list[LinkRef] = []
        self.warnings: list[ImportWarning] = []
        self.labels: dict[int, str] = {}
        self.state: SectionState | None = None

    def loc(self, line: int) -> str:
        return f"{self.file or '<runbook>'}:{line}"

    @staticmethod
    def line_of(node: Node) -> int:
        return (node.map[0] + 1) if node.map else 0

    def current(self) -> SectionState:
        if self.state is None:
            self.preamble = Section(id="", title="", title_raw="", level=0, line=1, file=self.file)
            self.sections.append(self.preamble)
            self.state = SectionState(self.preamble)
        return self.state

    def note(self, text: str, line: int, kind: str, parent: Item | None) -> None:
        note = Note(text=text.rstrip("\n"), line=line, file=self.file, kind=kind)
        if parent is not None:
            parent.notes.append(note)
        else:
            self.current().section.notes.append(note)

    def annotate(self, target: Any, data: dict[str, Any], line: int) -> None:
        key = id(target)
        if key in self.annotations:
            self.annotations[key][1].update(data)
        else:
            self.annotations[key] = (target, dict(data), self.loc(line))
        if "id" in data:
            if not isinstance(data["id"], str | int) or not str(data["id"]).strip():
                from golive.errors import RunbookFormatError

                raise RunbookFormatError(
                    "annotation 'id' must be a non-empty string", location=self.loc(line)
                )
            target.id = str(data["id"])

    def inline_code(self, inline: Node, line: int) -> list[InlineCode]:
        return [
            InlineCode(code=code, kind=classify_inline_code(code), line=line, file=self.file)
            for code in inline_code_spans(inline.inline)
        ]

    def collect_links(self, inline: Node, line: int, section: Section | None) -> None:
        if "[" not in inline.content:
            return
        for href, text in inline_links(inline.inline):
            self.links.append(LinkRef(target=href, text=clean_title(text), line=line, section=section))
