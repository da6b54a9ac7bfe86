"""Property-based tests of Markdown import and export.

a. Arbitrary text and arbitrary bytes: import returns a runbook or raises
   :class:`golive.errors.InputError`, nothing else.
b. Markdown-shaped documents from a grammar: every task item and every code block
   that markdown-it-py itself sees is in the model, at its line.
c. import -> export -> import gives the same model, and export is idempotent; on
   generated documents and on the five seed runbooks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from golive.errors import InputError
from golive.runbook.export import semantic, to_markdown
from golive.runbook.loader import load_runbook, parse_runbook_text, read_text
from golive.runbook.model import Runbook

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# --- the independent oracle: markdown-it-py tokens, read directly -------------------

_ORACLE = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
_BOX = re.compile(r"\[[ xX]\](?:[ \t\n]|$)")


def oracle_lines(text: str) -> tuple[set[int], set[int]]:
    """Lines of the task items and of the code blocks markdown-it-py finds.

    A task item is a list item whose first block is a paragraph starting with a
    GFM task box; a code block is a ``fence`` or ``code_block`` token, wherever it is.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tokens = _ORACLE.parse(text)
    tasks: set[int] = set()
    codes: set[int] = set()
    for index, token in enumerate(tokens):
        if token.type == "list_item_open" and token.map:
            following = tokens[index + 1 : index + 3]
            if (
                len(following) == 2
                and following[0].type == "paragraph_open"
                and following[1].type == "inline"
                and _BOX.match(following[1].content)
            ):
                tasks.add(token.map[0] + 1)
        elif token.type in ("fence", "code_block") and token.map:
            codes.add(token.map[0] + 1)
    return tasks, codes


def model_lines(runbook: Runbook) -> tuple[set[int], set[int]]:
    return {i.line for i in runbook.task_items()}, {c.line for c in runbook.all_code_blocks()}


def counts(runbook: Runbook) -> tuple[int, int]:
    return len(runbook.task_items()), len(list(runbook.all_code_blocks()))


def import_or_input_error(text: str) -> Runbook | None:
    """Import; InputError is the one documented failure (returns None)."""
    try:
        return parse_runbook_text(text)
    except InputError as exc:
        assert str(exc)
        return None


def assert_nothing_dropped(doc: str) -> None:
    runbook = import_or_input_error(doc)
    if runbook is None:
        return
    want_tasks, want_codes = oracle_lines(doc)
    got_tasks, got_codes = model_lines(runbook)
    assert got_tasks == want_tasks, f"task lines: missing {want_tasks - got_tasks}, extra {got_tasks - want_tasks}"
    assert got_codes == want_codes, f"code lines: missing {want_codes - got_codes}, extra {got_codes - want_codes}"
    # every line is counted once: no item or block is duplicated either
    assert counts(runbook) == (len(want_tasks), len(want_codes))


def assert_round_trip(doc: str) -> None:
    runbook = parse_runbook_text(doc)
    exported = to_markdown(runbook)
    again = parse_runbook_text(exported)
    assert semantic(again) == semantic(runbook), exported
    assert to_markdown(again) == exported


# --- a. arbitrary text and bytes ------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
@example("")
@example("\r\r\n\r")
@example("---\n: [\n---\n")
@example("<!-- golive: {gate: -->\n# T\n")
@example("# T\n<!-- golive: [1, 2] -->\n- [ ] a <!-- golive: {nope: 1} -->\n")
@example("- [ ] a <!-- golive: {id: ''} -->\n")
@example("<!-- golive: {gate_rules: 3} -->\n# T\n")
@example("\x0b\x0c\x1c\x85\u2028\u2029\ufeff# T\n")
def test_arbitrary_text_imports_or_raises_input_error(text: str) -> None:
    import_or_input_error(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("# -*+>`~|[]x:\n\t 1.)<!->{}\"golive")))
def test_markdown_punctuation_soup_imports_or_raises_input_error(text: str) -> None:
    import_or_input_error(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
@example(b"\xff\xfe# T\n")
@example(b"\xef\xbb\xbf# T\r\n- [ ] a\r\n")
@example(b"# T\n\x00")
@example(b"\x81\x8d\x8f\x90\x9d")  # the five bytes cp1252 does not define
def test_arbitrary_bytes_load_or_raise_input_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "runbook.md"
    path.write_bytes(data)
    try:
        runbook = load_runbook(path)
    except InputError as exc:
        assert str(exc)
        return
    assert b"\x00" not in data
    text, _ = read_text(path)
    want_tasks, want_codes = oracle_lines(text)
    assert model_lines(runbook) == (want_tasks, want_codes)


# --- b. a grammar of Markdown-shaped runbooks -----------------------------------------

_WORDS = [
    "Deploy",
    "verify",
    "the",
    "backup",
    "database",
    "Rollback",
    "sign-off",
    "T-1",
    "T+2h",
    "(2 hours)",
    "8-12 hours",
    "50%",
    "p99 < 200ms",
    "error rate > 1% for 5 minutes",
    "Owner: Ops",
    "`kubectl get pods`",
    "`npm run build`",
    "`GET /api/health`",
    "`DATABASE_URL`",
    "[runbook](https://example.com/rb)",
    "[notes](./notes.md)",
    "**bold**",
    "_em_",
    "~~old~~",
    "“curly”",
    "don’t",
    "🚀",
    "✅",
    "&amp;",
    "<br>",
    "<b>hi</b>",
    "x*y",
    "#tag",
    "@jane",
    "a\\*b",
    "Release Gates",
    "Go/No-Go",
    "QA",
]
# tokens that change block structure when they start a line (only for the oracle
# test: they make documents whose meaning is ambiguous for a round trip)
_WILD = ["[ ]", "[x]", "- ", "1.", "#", "```", "~~~", ">", "|", "<details>", "*", "+", "    ", "\t", "---", "==="]

_INFOS = [
    "",
    "sh",
    "bash",
    "console",
    "python",
    "json",
    "text",
    'sh {"name":"deploy","interactive":false}',
    '{"name": "only-attrs"}',
    "bash {name: yaml-ish, cwd: ./ops}",
    'sh {"name": broken',
    "sh {}",
    "sh {[1]}",
    "yaml title=x.yaml",
    "  bash   ",
]
_CODE_LINES = [
    "kubectl rollout status deploy/web",
    "echo 'done'",
    'echo "unbalanced',
    "# just a comment",
    "import os",
    "www  IN  A  10.0.0.1",
    "",
    "  indented line",
    "SELECT 1;",
    "- [ ] not a task inside code",
    "# Not a heading inside code",
    "``` not a closing fence with text",
]
_FIELD_KEYS = ["Owner", "Duration", "Version", "Last Updated", "Status", "Dates", "Focus", "Tasks"]
_ANNOTATIONS = [
    "<!-- golive: {gate: true} -->",
    "<!-- golive: {id: custom-id} -->",
    "<!-- golive: {owner: SRE} -->",
    '<!-- golive: {checks: [{kind: http, url: "https://example.com"}]} -->',
    "<!-- golive: {optional: true} -->",
    "<!-- golive: {gate: false} -->",
]
_BAD_ANNOTATIONS = [
    "<!-- golive: {gate: -->",
    "<!-- golive: [1, 2] -->",
    "<!-- golive: {unknown_key: 1} -->",
    "<!-- golive: {id: ''} -->",
    "<!-- golive: {id: [1]} -->",
    "<!-- golive: {gate: ",
    "<!-- golive: {gate_rules: 3} -->",
]


def indent(block: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line.strip() else "" for line in block.split("\n"))


@st.composite
def inline(draw: st.DrawFn, wild: bool, max_words: int = 6) -> str:
    pool = _WORDS + _WILD if wild else _WORDS
    words = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=max_words))
    return " ".join(words).strip() or "text"


@st.composite
def fence(draw: st.DrawFn, wild: bool) -> str:
    char = draw(st.sampled_from("`~"))
    length = draw(st.integers(3, 5))
    info = draw(st.sampled_from(_INFOS))
    if char == "`" and "`" in info:
        info = ""
    lines = draw(st.lists(st.sampled_from(_CODE_LINES), min_size=0, max_size=4))
    if not wild:
        lines = [ln for ln in lines if not ln.startswith("```")]
    marker = char * length
    closed = draw(st.booleans()) if wild else True
    out = [marker + info, *lines]
    if closed:
        out.append(marker)
    return "\n".join(out)


@st.composite
def indented_code(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from([ln for ln in _CODE_LINES if ln]), min_size=1, max_size=3))
    return "\n".join("    " + ln for ln in lines)


@st.composite
def paragraph(draw: st.DrawFn, wild: bool) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "fields", "label"]))
    if kind == "fields":
        keys = draw(st.lists(st.sampled_from(_FIELD_KEYS), min_size=1, max_size=3, unique=True))
        values = [draw(st.sampled_from(["", "Jane Doe", "8 hours", "1.0.0", "2025-01-30", "T-2 Weeks"])) for _ in keys]
        return "\n".join(f"**{k}**: {v}".rstrip() for k, v in zip(keys, values, strict=True))
    if kind == "label":
        return draw(inline(wild=False, max_words=3)) + ":"
    lines = draw(st.lists(inline(wild=wild), min_size=1, max_size=3))
    return "\n".join(lines)


@st.composite
def table(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(
            [
                ["Role", "Name", "Phone", "Email"],
                ["Level", "Who", "When"],
                ["Metric", "Target", "Critical"],
                ["Role", "Name", "Signature", "Date"],
                ["Step", "Owner", "Done"],
            ]
        )
    )
    cells = st.sampled_from(["Jane Doe", "+1 555 0100", "jane@example.com", "1", "< 1%", "", "`x`", "**A**", "15 min"])
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), min_size=0, max_size=3))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(r) + " |" for r in rows)
    return "\n".join(lines)


@st.composite
def html(draw: st.DrawFn, wild: bool) -> str:
    choices = ["<!-- a comment -->", "<br>", "<details>\n<summary>More</summary>", "</details>", *_ANNOTATIONS]
    if wild:
        choices += _BAD_ANNOTATIONS
    return draw(st.sampled_from(choices))


@st.composite
def list_block(draw: st.DrawFn, wild: bool, depth: int, quirks: bool = True) -> str:
    ordered = draw(st.booleans())
    if ordered:
        delim = draw(st.sampled_from(".)"))
        start = draw(st.sampled_from([0, 1, 1, 1, 2, 9, 10]))
    else:
        bullet = draw(st.sampled_from("-*+"))
    size = draw(st.integers(1, 4))
    tight = draw(st.booleans())
    items: list[str] = []
    for n in range(size):
        marker = f"{start + n}{delim}" if ordered else bullet
        gap = draw(st.sampled_from([1, 1, 1, 2])) if wild else 1
        width = len(marker) + gap
        box = draw(st.sampled_from(["", "", "[ ] ", "[x] ", "[X] "]))
        text = draw(inline(wild=wild, max_words=5))
        if not quirks:
            text = "Item " + text  # an item's first block is its paragraph
        annotation = draw(st.sampled_from(["", "", "", *_ANNOTATIONS]))
        head = f"{marker}{' ' * gap}{box}{text}" + (f" {annotation}" if annotation else "")
        children: list[str] = []
        if depth < 4:
            for _ in range(draw(st.integers(0, 2))):
                children.append(draw(child_block(wild=wild, depth=depth + 1, quirks=quirks, in_item=True)))
        body = head
        for child in children:
            sep = "\n" if (tight and child.lstrip()[:1] in "-*+0123456789") else "\n\n"
            body += sep + indent(child, width)
        items.append(body)
    return ("\n" if tight else "\n\n").join(items)


@st.composite
def blockquote(draw: st.DrawFn, wild: bool, depth: int, quirks: bool = True) -> str:
    inner = draw(st.lists(child_block(wild=wild, depth=depth + 1, quirks=quirks), min_size=1, max_size=3))
    text = "\n\n".join(inner)
    return "\n".join(("> " + line) if line else ">" for line in text.split("\n"))


def child_block(wild: bool, depth: int, quirks: bool = True, in_item: bool = False) -> st.SearchStrategy[str]:
    options = [
        list_block(wild=wild, depth=depth, quirks=quirks),
        fence(wild=wild),
        paragraph(wild=wild),
    ]
    if depth < 3 and (quirks or not in_item):
        options.append(blockquote(wild=wild, depth=depth, quirks=quirks))
    if wild:
        options += [indented_code(), html(wild=True)]
    return st.one_of(options)


@st.composite
def heading(draw: st.DrawFn, wild: bool) -> str:
    text = draw(
        st.sampled_from(
            [
                "Pre-Deployment Checklist",
                "Release Gates",
                "Phase 1: Preparation (T-1 Week)",
                "Rollback Procedures",
                "Day -14: Infrastructure",
                "Notes",
                "Contacts",
                "Success Metrics",
                "Go/No-Go",
                "🚀 Launch",
                "Overview",
                "Smoke tests",
            ]
        )
    )
    if draw(st.booleans()):
        text = draw(inline(wild=False, max_words=3))
    style = draw(st.sampled_from(["atx", "atx", "atx", "setext"]))
    if style == "setext":
        return text + "\n" + draw(st.sampled_from(["===", "---", "======"]))
    level = draw(st.integers(1, 6))
    annotation = draw(st.sampled_from(["", "", "", " <!-- golive: {gate: true} -->"]))
    closing = draw(st.sampled_from(["", "", " ##"])) if wild else ""
    return "#" * level + " " + text + annotation + closing


@st.composite
def documents(draw: st.DrawFn, wild: bool = True, quirks: bool = True) -> str:
    """A Markdown runbook built from the grammar; ``wild`` adds malformed input."""
    blocks: list[str] = []
    if draw(st.integers(0, 4)) == 0:
        blocks.append(
            draw(
                st.sampled_from(
                    [
                        "---\ntitle: Generated\nowner: Ops\n---",
                        "---\ntitle: Generated\ngolive:\n  gate_rules:\n    item_patterns: ['deploy']\n---",
                        "---\n- not a mapping\n---",
                    ]
                )
            )
        )
    if draw(st.booleans()):
        blocks.append("<!-- golive: {gate_rules: {section_patterns: ['launch']}} -->")
    top = [heading(wild=wild), list_block(wild=wild, depth=0, quirks=quirks), fence(wild=wild), paragraph(wild=wild)]
    top += [table(), blockquote(wild=wild, depth=0, quirks=quirks), st.just("---"), html(wild=wild)]
    if wild:
        top.append(indented_code())
    blocks.extend(draw(st.lists(st.one_of(top), min_size=1, max_size=12)))
    seps = [draw(st.sampled_from(["\n\n", "\n\n", "\n\n", "\n"])) if wild else "\n\n" for _ in blocks]
    out = ""
    for block, sep in zip(blocks, seps, strict=True):
        out += block + sep
    if draw(st.booleans()):
        out = out.replace("\n", "\r\n")
    return out
