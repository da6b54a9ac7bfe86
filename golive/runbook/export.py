"""Writing a runbook back to Markdown.

The output imports back to the same model (:func:`semantic` of both is equal):
a property-based test holds this over generated runbooks, and a test holds it on
the seeds. Machine data that the prose cannot carry (explicit ids, checks, gates
set by hand, schedules set by hand) is written as ``<!-- golive: ... -->``
annotations. A runbook spread over several files is written as one document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from golive.durations import format_duration
from golive.runbook.model import CodeBlock, Item, Note, Runbook, Section, Table
from golive.runbook.schedule import parse_schedule
from golive.runbook.text import slugify

__all__ = ["semantic", "to_markdown"]

_HEADER_STEP = re.compile(r"^\s*\*\*[^*]+\*\*\s*(?:\([^)]*\))?\s*:?\s*$")
_VOLATILE = {"line", "file", "files", "content_hash", "warnings"}


def semantic(runbook: Runbook) -> Any:
    """The model without source positions: what must survive export and re-import."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(runbook.model_dump(mode="json"))


def _flow(data: dict[str, Any]) -> str:
    return "<!-- golive: " + json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) + " -->"


def _fence(code: str, info: str, indent: str) -> list[str]:
    longest = max((len(m) for m in re.findall(r"`{3,}|~{3,}", code)), default=0)
    fence = "`" * max(3, longest + 1)
    body = code if code.endswith("\n") or not code else code + "\n"
    lines = [indent + fence + info]
    lines.extend((indent + ln) if ln else "" for ln in body.split("\n")[:-1])
    lines.append(indent + fence)
    return lines


class _Writer:
    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook
        self.out: list[str] = []

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def document(self) -> str:
        front = self.runbook.front_matter
        raw_front = [
            n for s in self.runbook.sections if s.level == 0 for n in s.notes if n.kind == "front_matter"
        ]
        if front:
            import yaml

            self.emit(
                "---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip("\n"), "---", ""
            )
        elif raw_front:
            self.emit("---", *raw_front[0].text.split("\n"), "---", "")
        if self.runbook.annotation:
            self.emit(_flow(self.runbook.annotation), "")
        for section in self.runbook.sections:
            self.section(section)
        return "\n".join(self.out).rstrip("\n") + "\n"

    # -- sections ------------------------------------------------------------
    def section(self, section: Section) -> None:
        if section.level > 0:
            self.blank()
            title = section.title_raw or section.title
            if section.level <= 2 and title.rstrip().endswith("#"):
                # an ATX heading would read the trailing '#' as its closing sequence
                self.emit(title, ("=" if section.level == 1 else "-") * max(3, len(title)))
            else:
                self.emit("#" * min(section.level, 6) + " " + title)
            note = self.section_annotation(section)
            if note:
                self.emit(note)
        self.blank()
        covered: set[str] = set()
        for n in section.notes:
            if n.kind == "paragraph":
                covered.update(k.strip().rstrip(":") for k in re.findall(r"\*\*([^*]+?)\s*:?\s*\*\*", n.text))
        missing = {k: v for k, v in section.fields.items() if k.rstrip(":") not in covered}
        if missing:
            self.emit(*(f"**{k}**: {v}" for k, v in missing.items()))
            self.blank()
        # everything in the order the document had it
        entries: list[tuple[int, int, Any]] = []
        entries.extend((n.line, 0, n) for n in section.notes if n.kind != "front_matter")
        entries.extend((b.line, 1, b) for b in section.code_blocks)
        entries.extend((t.line, 2, t) for t in section.tables)
        entries.extend((i.line, 3, i) for i in section.items)
        entries.sort(key=lambda e: (e[0], e[1]))
        run: list[Item] = []
        for _line, _order, entry in entries:
            if isinstance(entry, Item):
                if run and run[-1].group != entry.group:
                    self.flush(run, section)
                run.append(entry)
                continue
            self.flush(run, section)
            if isinstance(entry, Note):
                self.note(entry)
            elif isinstance(entry, CodeBlock):
                self.code(entry, "")
                self.blank()
            else:
                self.table(entry)
                self.blank()
        self.flush(run, section)
        for child in section.sections:
            self.section(child)

    def flush(self, run: list[Item], section: Section) -> None:
        if run:
            self.blank()
            self.item_list(list(run), "", section)
            self.blank()
            run.clear()

    def section_annotation(self, section: Section) -> str:
        data: dict[str, Any] = dict(section.annotation)
        if "gate" not in data and section.gate is not None and section.gate.rule == "annotation":
            data["gate"] = section.gate.kind
        derived = parse_schedule(section.title) if section.title else None
        sched = section.schedule
        inferred = sched is not None and sched.label.startswith("after ")  # re-inferred on import
        if (
            "phase" not in data
            and sched is not None
            and not inferred
            and (derived is None or derived.label != sched.label or derived.anchor != sched.anchor)
        ):
            phase: dict[str, Any] = {}
            if sched.start is not None:
                phase["start"] = format_duration(sched.start)
            if sched.end is not None:
                phase["end"] = format_duration(sched.end)
            if sched.anchor != "t0":
                phase["anchor"] = sched.anchor
            data["phase"] = phase
        return _flow(data) if data else ""

    def note(self, note: Note) -> None:
        if note.kind == "bullet":
            lines = note.text.split("\n")
            self.emit("- " + lines[0], *(("  " + ln) if ln.strip() else "" for ln in lines[1:]))
        elif note.kind == "quote":
            self.emit(*("> " + ln for ln in note.text.split("\n")))
        else:
            self.emit(*note.text.split("\n"))
        self.blank()

    def table(self, table: Table) -> None:
        def row(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        width = max([len(table.header), *(len(r.cells) for r in table.rows)])
        header = table.header + [""] * (width - len(table.header))
        self.emit(row(header), "|" + "|".join("---" for _ in header) + "|")
        for r in table.rows:
            self.emit(row(r.cells + [""] * (width - len(r.cells))))

    def code(self, block: CodeBlock, indent: str) -> None:
        self.emit(*_fence(block.code, block.info, indent))

    # -- items -----------------------------------------------------------------
    def item_list(self, items: list[Item], indent: str, section: Section) -> None:
        number = 0
        previous: Item | None = None
        previous_numbered = False
        for item in items:
            # a task goes on a numbered list it follows; after a bold-only header
            # step, a '- [ ]' bullet would import as that step's child
            numbered = item.kind == "step" or (item.kind == "task" and previous_numbered)
            if previous is not None and previous_numbered != numbered:
                self.blank()
                if indent == "" and self._captures(previous):
                    # a bullet after a bold-only step is the step's child unless a break ends it
                    self.emit("---")
                    self.blank()
            if numbered:
                number += 1
            marker = f"{number}. " if numbered else "- "
            self.item(item, indent, marker, section)
            previous, previous_numbered = item, numbered
        if previous is not None and previous_numbered and indent == "" and self._captures(previous):
            # a bold-only last step would capture what follows it; a break ends it
            self.blank()
            self.emit("---")

    @staticmethod
    def _captures(item: Item) -> bool:
        """Whether a top-level step, written back, owns the lists and code that follow it."""
        return (
            item.kind == "step"
            and not item.items
            and not item.code_blocks
            and bool(_HEADER_STEP.match(item.text_raw))
        )

    def item(self, item: Item, indent: str, marker: str, section: Section) -> None:
        box = "" if item.kind != "task" else ("[x] " if item.checked else "[ ] ")
        inner = indent + " " * len(marker)
        note = self.item_annotation(item, section)
        notes = list(item.notes)
        if not item.text_raw and not box and notes and notes[0].kind == "html":
            # the item starts with an HTML block ('- <br>'): it goes on the marker line, since
            # an empty item then a blank line ends the item; an annotation after it would turn
            # it into a paragraph, so that goes in a block of its own
            html_lines = notes.pop(0).text.split("\n")
            self.emit(
                indent + marker + html_lines[0],
                *((inner + ln) if ln.strip() else "" for ln in html_lines[1:]),
            )
            if note:
                self.blank()
                self.emit(inner + note)
            if item.code_blocks or notes or item.items:
                self.blank()  # an HTML block runs on to the next blank line
        else:
            text_lines = item.text_raw.split("\n")
            first = " ".join(part for part in (text_lines[0], note) if part)  # "- <!-- -->": no extra indent
            self.emit(indent + marker + box + first)
            self.emit(*(inner + ln for ln in text_lines[1:]))
        for block in item.code_blocks:
            self.code(block, inner)
        for child_note in notes:
            self.blank()
            self.emit(*(inner + ln for ln in child_note.text.split("\n")))
            self.blank()
        if item.items:
            self.item_list(item.items, inner, section)

    def item_annotation(self, item: Item, section: Section) -> str:
        data: dict[str, Any] = dict(item.annotation)
        derived = f"{section.id}/{slugify(item.text or item.text_raw, 40)}"
        if (
            "id" not in data
            and item.id != derived
            and not re.fullmatch(re.escape(derived) + r"-\d+", item.id)
        ):
            data["id"] = item.id
        if "gate" not in data and item.gate is not None and item.gate.rule == "annotation":
            data["gate"] = item.gate.kind
        if "checks" not in data and item.checks:
            data["checks"] = [c.model_dump(mode="json") for c in item.checks]
        return _flow(data) if data else ""


def to_markdown(runbook: Runbook) -> str:
    """The runbook as one Markdown document."""
    return _Writer(runbook).document()
