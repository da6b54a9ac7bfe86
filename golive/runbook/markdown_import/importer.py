"""The importer: one Markdown file's block tree walked into sections, items, code
blocks, tables and notes (each with its source line), with the annotations and
links it meets: a :class:`ParsedFile`."""

from __future__ import annotations

import re
from typing import Any

from golive.runbook.annotations import (
    DOCUMENT_KEYS,
    ITEM_KEYS,
    SECTION_KEYS,
    find_annotations,
    parse_annotation,
    parse_fence_info,
    strip_annotations,
)
from golive.runbook.markdown_import.base import ImporterBase, LinkRef, ParsedFile, SectionState
from golive.runbook.markdown_import.classify import code_block_runnable
from golive.runbook.markdown_import.inline import inline_links, inline_plain
from golive.runbook.markdown_import.parser import (
    MAX_NESTING,
    TOO_DEEP,
    Node,
    build_tree,
    has_structure,
    markdown_parser,
    text_of,
)
from golive.runbook.model import CodeBlock, ImportWarning, Item, Link, Note, Section, Table, TableRow
from golive.runbook.text import clean_title, strip_markdown

__all__ = ["LinkRef", "ParsedFile", "parse_markdown"]


_CHECKLIST_TITLE = re.compile(
    r"checklist|\bchecks?\b|verif|\bsteps?\b|\btasks?\b|criteria|trigger|target|\bmetrics?\b|smoke|\btests?\b|"
    r"gates?\b|blocker|\bactions?\b|deliverable|procedure|rollback|roll back|when to|requirement|readiness|"
    r"validation|sign[ -]?off|approval|review|\bkpis?\b|preparation|do'?s|don'?ts|access|response|"
    r"communication|documentation|infrastructure|quality|security|performance|database|code freeze|"
    r"testing|monitoring checklist|daily|phase|day [+-]|deploy|submission|launch|order\b",
    re.I,
)
_NOTE_TITLE = re.compile(
    r"required information|resources|references|\blinks\b|see also|glossary|version history|overview|"
    r"template|assets|signals",
    re.I,
)
_NOTE_LABEL = re.compile(r"symptoms?|examples?|resources?|notes?|links?|required information|see also", re.I)
_FIELD_LINE = re.compile(r"^\s*\*\*([^*]{1,60}?)\s*:?\s*\*\*\s*:?\s*(.*)$")
_BOLD_LEAD = re.compile(r"\*\*[^*\n:.!?]{2,60}\*\*(?:\s*\([^)\n]{0,40}\))?")
_TASK_BOX = re.compile(r"^\[([ xX])\](?:\s+|$)")
_ATX_CLOSING = re.compile(r"(?:^|\s+)#+\s*$")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s*")
_HEADER_STEP = re.compile(r"^\s*\*\*[^*]+\*\*\s*(?:\([^)]*\))?\s*:?\s*$")


class _Importer(ImporterBase):
    """The rules for each kind of block, over :class:`ImporterBase`'s state."""

    def run(self) -> ParsedFile:
        env: dict[str, Any] = {}
        tokens = markdown_parser().parse(self.text, env)
        for node in build_tree(tokens):
            self.block(node, None)
        if env.get("references"):
            self.reference_definitions(env["references"])
        for first, last in sorted(set(env.get(TOO_DEEP, ()))):
            lines = f"line {first + 1} is" if last == first else f"lines {first + 1}-{last + 1} are"
            self.warnings.append(
                ImportWarning(
                    message=(
                        f"nested deeper than markdown-it's limit ({MAX_NESTING} levels: a list counts two, "
                        f"a quote one); {lines} not read"
                    ),
                    line=first + 1,
                    file=self.file,
                )
            )
        return ParsedFile(
            file=self.file,
            sections=self.sections,
            title=self.title,
            title_raw=self.title_raw,
            front_matter=self.front_matter,
            metadata_fields=self.metadata_fields,
            annotations=self.annotations,
            document_annotation=self.document_annotation,
            links=self.links,
            warnings=self.warnings,
            labels=self.labels,
        )

    # -- blocks -----------------------------------------------------------
    def block(self, node: Node, parent: Item | None) -> None:
        kind = node.type
        if kind == "heading":
            self.heading(node)
        elif kind == "paragraph":
            self.paragraph(node, parent)
        elif kind in ("bullet_list", "ordered_list"):
            self.list_block(node, parent)
        elif kind in ("fence", "code_block"):
            self.code(node, parent)
        elif kind == "table":
            self.table(node)
        elif kind == "html_block":
            self.html(node, parent)
        elif kind == "blockquote":
            for child in node.children:
                self.block(child, parent)
        elif kind == "front_matter":
            self.front(node)
        elif kind == "hr":
            if parent is None and self.state is not None:
                self.state.step = None
        else:  # pragma: no cover - every CommonMark block type is handled above
            self.note(node.content or "", self.line_of(node), "other", parent)
        if parent is None and self.state is not None and kind not in ("heading", "html_block"):
            self.state.fresh = False

    def heading(self, node: Node) -> None:
        level = int(node.tag[1])
        line = self.line_of(node)
        inline = node.children[0] if node.children else None
        raw = inline.content if inline is not None else ""
        original = (
            self.raw_lines[line - 1].strip().lstrip("#").strip() if 0 < line <= len(self.raw_lines) else raw
        )
        # setext titles are the text as written; "## Summary ##": closing hashes are not the title
        original = raw if node.markup in ("=", "-") else _ATX_CLOSING.sub("", original)
        title = clean_title(inline_plain(inline.inline)) if inline is not None else ""
        section = Section(id="", title=title, title_raw=original, level=level, line=line, file=self.file)
        if inline is not None:
            self.collect_links(inline, line, section)
        for body in find_annotations(raw):
            self.annotate(
                section, parse_annotation(body, location=self.loc(line), allowed=SECTION_KEYS), line
            )
        if level == 1 and self.title is None:
            self.title = title
            self.title_raw = original
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        if self.stack:
            self.stack[-1].sections.append(section)
        else:
            self.sections.append(section)
        self.stack.append(section)
        self.state = SectionState(section)

    def paragraph(self, node: Node, parent: Item | None) -> None:
        inline = node.children[0] if node.children else None
        content = inline.content if inline is not None else ""
        line = self.line_of(node)
        if inline is not None:
            self.collect_links(inline, line, self.current().section)
        if parent is not None:
            parent.notes.append(Note(text=content, line=line, file=self.file))
            return
        state = self.current()
        lines = content.split("\n")
        fields = [_FIELD_LINE.match(ln) for ln in lines]
        if all(fields) and all(":" in ln for ln in lines):
            empty_label: str | None = None
            for offset, match in enumerate(fields):
                assert match is not None
                key = match.group(1).strip().rstrip(":").strip()
                value = strip_markdown(match.group(2)).strip()
                if not value:
                    empty_label = key
                    continue
                self.metadata_fields.append((key, value, line + offset, state.section.level))
                state.section.fields[key] = value
            if empty_label is not None:
                state.label = empty_label
                state.step = None
                self.labels[line] = empty_label
            state.section.notes.append(Note(text=content, line=line, file=self.file))
            return
        state.section.notes.append(Note(text=content, line=line, file=self.file))
        if content.rstrip().endswith(":") or _BOLD_LEAD.fullmatch(content.strip()):
            # "**Go Criteria**:" or a bold line alone ("**Go/No-Go Decision** (T-1h)")
            # names the list that follows
            state.label = clean_title(strip_markdown(content.rstrip().rstrip(":")))
            state.step = None

    def list_block(self, node: Node, parent: Item | None) -> None:
        ordered = node.type == "ordered_list"
        state = self.current()
        if parent is None and ordered:
            state.step = None
        host = parent if parent is not None else state.step
        created: list[Item] = []
        for child in node.children:
            item = self.list_item(child, ordered, host, state)
            if item is not None:
                created.append(item)
        if parent is None:
            state.last_list = created
            if ordered and created and self.is_header_step(created[-1]):
                state.step = created[-1]

    @staticmethod
    def is_header_step(item: Item) -> bool:
        return not item.items and not item.code_blocks and bool(_HEADER_STEP.match(item.text_raw))

    def checklist_context(self, state: SectionState) -> bool:
        if state.label is not None:
            return not _NOTE_LABEL.search(state.label)
        if state.checklist is None:
            if not self.stack or _NOTE_TITLE.search(self.stack[-1].title):
                state.checklist = False
            else:
                state.checklist = any(_CHECKLIST_TITLE.search(s.title) for s in self.stack)
        return state.checklist

    def list_item(self, node: Node, ordered: bool, host: Item | None, state: SectionState) -> Item | None:
        line = self.line_of(node)
        children = list(node.children)
        content = ""
        plain: str | None = None
        first_inline: Node | None = None
        may_be_task = True
        if children and children[0].type == "paragraph":
            first_inline = children[0].children[0] if children[0].children else None
            content = first_inline.content if first_inline is not None else ""
            children = children[1:]
        elif children and children[0].type == "heading":
            # "- [ ] a" underlined by "---": GitHub shows a heading, not a checkbox
            heading = children.pop(0)
            first_inline = heading.children[0] if heading.children else None
            content = first_inline.content if first_inline is not None else ""
            may_be_task = False
        elif (
            children
            and children[0].type == "blockquote"
            and children[0].map
            and children[0].map[0] + 1 == line
        ):
            # "- >5% error rate": a quote marker where the author meant a comparison
            quote = children[0]
            content = (
                _MARKER.sub("", self.text_lines[line - 1], count=1).strip()
                if 0 < line <= len(self.text_lines)
                else ""
            )
            may_be_task = False
            if all(c.type == "paragraph" for c in quote.children) and len(quote.children) == 1:
                children = children[1:]
        box = _TASK_BOX.match(content) if may_be_task else None
        checked: bool | None = None
        if box:
            checked = box.group(1) in "xX"
            content = content[box.end() :]
        kind = "task" if box else ("step" if ordered else "bullet")
        structured = has_structure(children)
        is_item = kind != "bullet" or host is not None or self.checklist_context(state) or structured
        if first_inline is not None:
            self.collect_links(first_inline, line, state.section)
        if not is_item:
            # blocks under the bullet stay separate blocks (a blank line between)
            text = "\n\n".join([content, *(text_of(c).rstrip("\n") for c in children)]).strip("\n")
            state.section.notes.append(Note(text=text, line=line, file=self.file, kind="bullet"))
            return None
        annotation: dict[str, Any] = {}
        clean = content
        if "<!--" in content:
            for body in find_annotations(content):
                annotation.update(parse_annotation(body, location=self.loc(line), allowed=ITEM_KEYS))
            clean = strip_annotations(content)
        if first_inline is not None:
            plain = inline_plain(first_inline.inline)
            if box:
                plain = _TASK_BOX.sub("", plain.lstrip(), count=1)
        text = clean_title(plain if plain is not None else strip_markdown(clean.replace("\n", " ")))
        item = Item(
            id=str(annotation.get("id", "")),
            kind=kind,
            text=text,
            text_raw=clean,
            line=line,
            file=self.file,
            checked=checked,
            group=state.label if host is None else None,
        )
        if first_inline is not None and "`" in content:
            item.inline_code = self.inline_code(first_inline, line)
        if first_inline is not None and "[" in content:
            item.links = [Link(text=t, target=h) for h, t in inline_links(first_inline.inline)]
        if annotation:
            self.annotate(item, annotation, line)
        if host is not None:
            host.items.append(item)
        else:
            state.section.items.append(item)
        for child in children:
            if child.type in ("bullet_list", "ordered_list"):
                for grandchild in child.children:
                    self.list_item(grandchild, child.type == "ordered_list", item, state)
            elif child.type == "heading":
                self.note(text_of(child), self.line_of(child), "paragraph", item)
            else:
                self.block(child, item)
        return item

    def code(self, node: Node, parent: Item | None) -> None:
        line = self.line_of(node)
        info = node.info if node.type == "fence" else ""
        language, attrs = parse_fence_info(info)
        runnable, reason = code_block_runnable(language, node.content)
        name = attrs.get("name") if isinstance(attrs.get("name"), str) else None
        block = CodeBlock(
            id="",
            code=node.content,
            language=language,
            info=info,
            line=line,
            file=self.file,
            runnable=runnable,
            reason=reason,
            name=name,
            attrs=attrs,
        )
        if parent is not None:
            parent.code_blocks.append(block)
            return
        state = self.current()
        if state.step is not None:
            state.step.code_blocks.append(block)
        else:
            state.section.code_blocks.append(block)

    def table(self, node: Node) -> None:
        state = self.current()
        header: list[str] = []
        rows: list[TableRow] = []
        for part in node.children:
            for tr in part.children:
                cells = [
                    clean_title(strip_markdown(td.children[0].content if td.children else ""))
                    for td in tr.children
                ]
                for td in tr.children:
                    if td.children:
                        self.collect_links(td.children[0], self.line_of(tr), state.section)
                if part.type == "thead":
                    header = cells
                else:
                    rows.append(TableRow(cells=cells, line=self.line_of(tr)))
        state.section.tables.append(Table(header=header, rows=rows, line=self.line_of(node), file=self.file))

    def html(self, node: Node, parent: Item | None) -> None:
        line = self.line_of(node)
        bodies = find_annotations(node.content)
        if not bodies:
            self.note(node.content, line, "html", parent)
            return
        if parent is not None:
            for body in bodies:
                self.annotate(
                    parent, parse_annotation(body, location=self.loc(line), allowed=ITEM_KEYS), line
                )
            return
        if self.state is None:
            for body in bodies:
                data = parse_annotation(body, location=self.loc(line), allowed=DOCUMENT_KEYS)
                self.document_annotation.update(data)
            return
        state = self.state
        if state.fresh and state.section.level > 0:
            for body in bodies:
                data = parse_annotation(body, location=self.loc(line), allowed=SECTION_KEYS)
                self.annotate(state.section, data, line)
        elif state.last_list:
            target = state.last_list[-1]
            for body in bodies:
                self.annotate(
                    target, parse_annotation(body, location=self.loc(line), allowed=ITEM_KEYS), line
                )
        else:
            self.warnings.append(
                ImportWarning(
                    message="golive annotation is not attached to a heading or an item; ignored",
                    line=line,
                    file=self.file,
                )
            )
            self.note(node.content, line, "html", None)

    def reference_definitions(self, references: dict[str, Any]) -> None:
        """``[stripe]: https://...`` lines: the parser resolves them into links and
        leaves no block; keep each as a note of its section so nothing is lost."""
        headings = sorted(
            ((s.line, s) for s in self._all_sections() if s.level > 0 and s.file == self.file),
            key=lambda p: p[0],
        )
        for number, text in enumerate(self.text_lines, 1):
            stripped = text.strip()
            if not stripped.startswith("[") or "]:" not in stripped:
                continue
            label = stripped[1 : stripped.index("]:")]
            if label.upper() not in references and label not in references:
                continue
            owner = self.preamble
            for line, section in headings:
                if line <= number:
                    owner = section
            if owner is None:
                owner = self.current().section
            owner.notes.append(Note(text=stripped, line=number, file=self.file, kind="other"))

    def _all_sections(self) -> list[Section]:
        out: list[Section] = []
        stack = list(reversed(self.sections))
        while stack:
            section = stack.pop()
            out.append(section)
            stack.extend(reversed(section.sections))
        return out

    def front(self, node: Node) -> None:
        import yaml

        try:
            data = yaml.safe_load(node.content)
        except (yaml.YAMLError, RecursionError):
            data = None
        if isinstance(data, dict):
            self.front_matter = {str(k): v for k, v in data.items()}
        else:
            self.warnings.append(
                ImportWarning(
                    message="front matter is not a YAML mapping; kept as a note", line=1, file=self.file
                )
            )
            self.note(node.content, 1, "front_matter", None)


def parse_markdown(text: str, file: str | None = None) -> ParsedFile:
    """Parse one Markdown document (already decoded) into its structure."""
    return _Importer(text, file).run()
