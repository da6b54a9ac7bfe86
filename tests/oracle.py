"""An independent oracle for the importer: the lines at which markdown-it-py
itself finds task items and code blocks, read straight from its tokens (golive's
own tree, derivation and ids play no part)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

_ORACLE = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
_ORACLE.options["maxNesting"] = 100  # golive keeps lists nested deeper than CommonMark's preset (20)
_BOX = re.compile(r"\[[ xX]\](?:[ \t\n]|$)")


def oracle_lines(text: str) -> tuple[set[int], set[int]]:
    """1-based lines of the task items and of the code blocks markdown-it-py finds.

    A task item is a list item whose first block is a paragraph that starts with a
    GFM task box (``[ ]``, ``[x]``, ``[X]`` then whitespace or the end); a code block
    is a ``fence`` or ``code_block`` token, wherever it is nested.
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
