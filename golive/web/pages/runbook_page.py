"""The runbook as HTML, each item with its status beside it."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from golive.web.pages.render import clean_text, state_word

__all__ = ["render_runbook"]

_TASK = re.compile(r"^\[[ xX]\]\s+")


def render_runbook(source: str, items: list[dict[str, Any]], waivers: dict[str, str] | None = None) -> Markup:
    """The runbook's Markdown as HTML (raw HTML in it is shown as text, never run),
    each item with its status and check results beside it (matched by line), and
    ``waivers`` (gate -> who waived it) beside the gates waived."""
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    from golive.runbook.text import repair_text

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    tokens = md.parse(repair_text(source))  # mojibake repaired as the runbook reader does; same lines
    by_line = {i["line"]: i for i in items}
    for index, token in enumerate(tokens):
        if token.type == "list_item_open" and token.map and token.map[0] + 1 in by_line:
            item = by_line[token.map[0] + 1]
            word, style = state_word(item["status"])
            token.attrSet("id", f"line-{item['line']}")
            token.attrSet("class", f"rb-item st-{item['status']}")
            inline = next((t for t in tokens[index + 1 :] if t.type == "inline"), None)
            if inline is None or inline.children is None:
                continue
            first = inline.children[0] if inline.children else None
            if first is not None and first.type == "text":
                first.content = _TASK.sub("", first.content)
            by = f" by {item['by']}" if item["by"] else ""
            badge = f'<span class="badge {style}">{escape(word)}{escape(by)}</span> '
            if item["id"] in (waivers or {}):
                badge += f'<span class="badge warn">⚑ waived by {escape((waivers or {})[item["id"]])}</span> '
            inline.children.insert(0, _html(Token, badge))
            checks = "".join(
                f' <span class="badge small {state_word(c["status"])[1]}"'
                f' title="{escape(clean_text(c["summary"]))}">'
                f"{escape(state_word(c['status'])[0])}: {escape(c['name'])}</span>"
                for c in item["checks"]
            )
            if checks:
                inline.children.append(_html(Token, f'<span class="rb-checks">{checks}</span>'))
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "link_open":
                    child.attrSet("rel", "noopener noreferrer")
    return Markup(md.renderer.render(tokens, md.options, {}))  # noqa: S704 - built from escaped parts


def _html(token_class: Any, content: str) -> Any:
    token = token_class("html_inline", "", 0)
    token.content = content
    return token
