"""Markdown -> runbook structure, with markdown-it-py's source positions.

This module turns one Markdown file into sections, items, code blocks, tables and
notes, each with its 1-based source line, and records the annotations and links it
meets. What the structure *means* (schedules, gates, thresholds, sign-offs, roles)
is worked out afterwards by :mod:`golive.runbook.derive`, once linked files and
overlays are merged in.

Nothing is dropped: content that maps to nothing special becomes a note of its
section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

from golive.runbook.annotations import (
    DOCUMENT_KEYS,
    ITEM_KEYS,
    SECTION_KEYS,
    find_annotations,
    parse_annotation,
    parse_fence_info,
    strip_annotations,
)
from golive.runbook.model import (
    CodeBlock,
    ImportWarning,
    InlineCode,
    Item,
    Link,
    Note,
    Section,
    Table,
    TableRow,
)
from golive.runbook.text import clean_title, repair_text, strip_markdown

__all__ = ["ParsedFile", "classify_inline_code", "code_block_runnable", "markdown_parser", "parse_markdown"]


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The CommonMark parser golive uses (tables, strikethrough, front matter)."""
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
    # CommonMark's preset stops nesting at 20 tokens (about 9 list levels) and
    # drops what is deeper; runbooks nest deeper than that
    md.options["maxNesting"] = MAX_NESTING
    block = _BlockParser()
    block.ruler = md.block.ruler
    md.block = block
    return md


MAX_NESTING = 100
"""markdown-it's nesting limit in tokens: a list level is two (list and item), a quote one."""
_TOO_DEEP = "golive_too_deep"


class _BlockParser(ParserBlock):
    """markdown-it's block parser, noting where it drops content nested too deep.

    Past ``maxNesting`` markdown-it silently skips everything to the end of the
    range it tokenizes: for a list item that is the rest of the document, or of the
    quote that holds the list. The 0-based first and last non-blank lines skipped go
    to ``env[_TOO_DEEP]``.
    """

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        if state.level >= state.md.options.maxNesting:
            line = state.skipEmptyLines(startLine)
            if line < endLine and state.sCount[line] >= state.blkIndent:
                last = endLine - 1
                while last > line and state.isEmpty(last):
                    last -= 1
                state.env.setdefault(_TOO_DEEP, []).append((line, last))
        super().tokenize(state, startLine, endLine)


class Node:
    """A block of the document: markdown-it's flat tokens nested by open/close.

    Lighter than ``markdown_it.tree.Node`` (import runs at most 2x the
    bare parser's time; see benchmarks/bench_import.py).
    """

    __slots__ = ("children", "content", "info", "inline", "map", "markup", "tag", "token", "type")

    def __init__(self, token: Token, kind: str) -> None:
        self.token = token
        self.type = kind
        self.tag = token.tag
        self.markup = token.markup
        self.map = token.map
        self.info = token.info
        self.content = token.content
        self.children: list[Node] = []
        self.inline: list[Token] = token.children or []


def build_tree(tokens: list[Token]) -> list[Node]:
    root: list[Node] = []
    stack: list[Node] = []
    for token in tokens:
        if token.nesting == 1:
            node = Node(token, token.type[:-5])
            (stack[-1].children if stack else root).append(node)
            stack.append(node)
        elif token.nesting == -1:
            if stack:
                stack.pop()
        else:
            (stack[-1].children if stack else root).append(Node(token, token.type))
    return root


def inline_plain(inline: list[Token]) -> str:
    """The text a reader sees: emphasis and link syntax gone, code spans verbatim
    (``payments-*`` keeps its star), golive annotations left out."""
    parts: list[str] = []
    for token in inline:
        kind = token.type
        if kind in ("text", "code_inline"):
            parts.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "image" or (kind == "html_inline" and not token.content.lstrip().startswith("<!--")):
            parts.append(token.content)
    return "".join(parts)


def inline_code_spans(inline: list[Token]) -> list[str]:
    return [t.content for t in inline if t.type == "code_inline"]


def inline_links(inline: list[Token]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    href: str | None = None
    text: list[str] = []
    for token in inline:
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            text = []
        elif token.type == "link_close" and href is not None:
            out.append((href, "".join(text)))
            href = None
        elif href is not None and token.type in ("text", "code_inline"):
            text.append(token.content)
    return out


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


# --- classification helpers -------------------------------------------------

_SHELL_LANGS = {"bash", "sh", "shell", "zsh", "ksh", "console", "shell-session", "shellsession", "terminal"}
_PYTHON_LINE = re.compile(
    r"^\s*(?:@\w+(?:\.\w+)*\(|(?:async\s+)?def\s+\w+\s*\(|class\s+\w+.*:\s*$|from\s+\w+(?:\.\w+)*\s+import\s|"
    r"import\s+\w+\s*$|if\s+.+:\s*$|raise\s+\w+|return\s+[{\[(\w])"
)
_DNS_LINE = re.compile(
    r"^\s*(?:[\w.@*-]+\.?\s+)?(?:\d+\s+)?(?:IN\s+)?(?:A|AAAA|CNAME|MX|TXT|NS|SRV|CAA|ALIAS)\s+\S+", re.I
)
_QUOTED_LINE = re.compile(r"""^\s*(?:"[^"]*"|'[^']*')\s*$""")
_KNOWN_COMMANDS = frozenset(
    """npm npx yarn pnpm cd pytest python python3 pip pip3 curl wget git docker docker-compose kubectl helm
    terraform alembic make eas expo psql pg_dump pg_restore netlify fastlane bash sh node go cargo ls cat grep
    jq redis-cli systemctl ssh scp aws gcloud az flutter dart supabase heroku fly flyctl ansible mvn gradle
    ./gradlew rake bundle rails php composer dotnet java openssl dig nslookup nc telnet sudo export echo
    mongosh mysql sqlite3 uvicorn gunicorn celery vercel firebase gh tar rsync""".split()  # noqa: SIM905
)
_HTTP_METHOD = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\S+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}(?:=\S*)?$")
_PATHISH = re.compile(
    r"^(?:[\w.-]*/[\w./{}:-]*|[\w-]+\.(?:md|py|tsx?|jsx?|json|ya?ml|toml|sh|sql|txt|env|cfg|ini))$"
)


def classify_inline_code(code: str) -> str:
    text = code.strip()
    if _HTTP_METHOD.match(text):
        return "http"
    if _ENV_NAME.match(text):
        return "env"
    first = text.split()[0] if text.split() else ""
    if first in _KNOWN_COMMANDS or first.startswith("./") or (" && " in text and " " in text):
        return "command"
    if _PATHISH.match(text):
        return "path"
    return "literal"


def code_block_runnable(language: str | None, code: str) -> tuple[bool, str]:
    """Whether golive may run a block, and why not when it may not."""
    if language is None:
        return False, "no language given; mark it ```sh to make it runnable"
    if language not in _SHELL_LANGS:
        return False, f"{language} is not a shell language; kept as reference"
    lines = [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False, "only comments; nothing to run"
    if any(_PYTHON_LINE.match(ln) for ln in lines):
        return False, "contains Python, not shell; kept as reference"
    if all(_QUOTED_LINE.match(ln) for ln in lines):
        return False, "quoted text (log lines or markers), not commands; kept as reference"
    if all(_DNS_LINE.match(ln) for ln in lines):
        return False, "DNS records, not commands; kept as reference"
    if not _quotes_balanced(code):
        return False, "not valid shell (unbalanced quotes); kept as reference"
    return True, ""


def _quotes_balanced(code: str) -> bool:
    """Whether every quote in a shell text is closed (comments ignored)."""
    if "'" not in code and '"' not in code:
        return True
    quote: str | None = None
    escaped = False
    at_word_start = True
    skip_comment = False
    for ch in code:
        if skip_comment:
            if ch == "\n":
                skip_comment = False
                at_word_start = True
            continue
        if escaped:
            escaped = False
            continue
        if quote == "'":
            if ch == "'":
                quote = None
            continue
        if ch == "\\":
            escaped = True
            continue
        if quote == '"':
            if ch == '"':
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#" and at_word_start:
            skip_comment = True
        at_word_start = ch in " \t\n;&|("
    return quote is None


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
_TASK_BOX = re.compile(r"^\[([ xX])\](?:\s+|$)")
_ATX_CLOSING = re.compile(r"(?:^|\s+)#+\s*$")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s*")
_HEADER_STEP = re.compile(r"^\s*\*\*[^*]+\*\*\s*(?:\([^)]*\))?\s*:?\s*$")


@dataclass
class _State:
    section: Section
    label: str | None = None
    step: Item | None = None
    fresh: bool = True
    checklist: bool | None = None
    last_list: list[Item] = field(default_factory=list)


class _Importer:
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
        self.state: _State | None = None

    # -- positions --------------------------------------------------------
    def loc(self, line: int) -> str:
        return f"{self.file or '<runbook>'}:{line}"

    @staticmethod
    def line_of(node: Node) -> int:
        return (node.map[0] + 1) if node.map else 0

    # -- containers -------------------------------------------------------
    def current(self) -> _State:
        if self.state is None:
            self.preamble = Section(id="", title="", title_raw="", level=0, line=1, file=self.file)
            self.sections.append(self.preamble)
            self.state = _State(self.preamble)
        return self.state

    def run(self) -> ParsedFile:
        env: dict[str, Any] = {}
        tokens = markdown_parser().parse(self.text, env)
        for node in build_tree(tokens):
            self.block(node, None)
        if env.get("references"):
            self.reference_definitions(env["references"])
        for first, last in sorted(set(env.get(_TOO_DEEP, ()))):
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
        self.state = _State(section)

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
        if content.rstrip().endswith(":"):
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

    def checklist_context(self, state: _State) -> bool:
        if state.label is not None:
            return not _NOTE_LABEL.search(state.label)
        if state.checklist is None:
            if not self.stack or _NOTE_TITLE.search(self.stack[-1].title):
                state.checklist = False
            else:
                state.checklist = any(_CHECKLIST_TITLE.search(s.title) for s in self.stack)
        return state.checklist

    def list_item(self, node: Node, ordered: bool, host: Item | None, state: _State) -> Item | None:
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
        structured = _has_structure(children)
        is_item = kind != "bullet" or host is not None or self.checklist_context(state) or structured
        if first_inline is not None:
            self.collect_links(first_inline, line, state.section)
        if not is_item:
            # blocks under the bullet stay separate blocks (a blank line between)
            text = "\n\n".join([content, *(_text_of(c).rstrip("\n") for c in children)]).strip("\n")
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
                self.note(_text_of(child), self.line_of(child), "paragraph", item)
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

    # -- inline -----------------------------------------------------------
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


def _has_structure(children: list[Node]) -> bool:
    """Whether blocks under a bullet hold items or code (they are never dropped)."""
    for child in children:
        if child.type in ("bullet_list", "ordered_list", "list_item", "fence", "code_block"):
            return True
        if _has_structure(child.children):
            return True
    return False


def _text_of(node: Node) -> str:
    if node.type in ("inline", "fence", "code_block", "html_block"):
        return node.content
    return "\n".join(p for p in (_text_of(c) for c in node.children) if p)


def parse_markdown(text: str, file: str | None = None) -> ParsedFile:
    """Parse one Markdown document (already decoded) into its structure."""
    return _Importer(text, file).run()
