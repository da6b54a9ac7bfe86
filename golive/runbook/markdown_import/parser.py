"""The CommonMark parser golive uses, and its flat tokens nested into a tree of
:class:`Node` blocks (with the two questions the importer asks of a subtree)."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

__all__ = ["MAX_NESTING", "TOO_DEEP", "Node", "build_tree", "has_structure", "markdown_parser", "text_of"]


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
TOO_DEEP = "golive_too_deep"


class _BlockParser(ParserBlock):
    """markdown-it's block parser, noting where it drops content nested too deep.

    Past ``maxNesting`` markdown-it silently skips everything to the end of the
    range it tokenizes: for a list item that is the rest of the document, or of the
    quote that holds the list. The 0-based first and last non-blank lines skipped go
    to ``env[TOO_DEEP]``.
    """

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        if state.level >= state.md.options.maxNesting:
            line = state.skipEmptyLines(startLine)
            if line < endLine and state.sCount[line] >= state.blkIndent:
                last = endLine - 1
                while last > line and state.isEmpty(last):
                    last -= 1
                state.env.setdefault(TOO_DEEP, []).append((line, last))
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


def has_structure(children: list[Node]) -> bool:
    """Whether blocks under a bullet hold items or code (they are never dropped)."""
    for child in children:
        if child.type in ("bullet_list", "ordered_list", "list_item", "fence", "code_block"):
            return True
        if has_structure(child.children):
            return True
    return False


def text_of(node: Node) -> str:
    if node.type in ("inline", "fence", "code_block", "html_block"):
        return node.content
    return "\n".join(p for p in (text_of(c) for c in node.children) if p)
