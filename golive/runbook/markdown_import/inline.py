"""Reading markdown-it's inline tokens: the plain text a reader sees, code spans, links."""

from __future__ import annotations

from markdown_it.token import Token

__all__ = ["inline_code_spans", "inline_links", "inline_plain"]


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
