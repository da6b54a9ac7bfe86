"""Text clean-up for runbook prose: mojibake repair, decorative emoji, slugs,
normalisation for matching, and placeholder detection."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "PLACEHOLDER_RE",
    "clean_title",
    "find_placeholders",
    "normalize",
    "repair_line",
    "repair_text",
    "slugify",
    "strip_markdown",
]


@lru_cache(maxsize=1)
def _ftfy_config() -> object:
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        remove_control_chars=False,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        fix_line_breaks=False,
        normalization=None,
        explain=False,
    )


@lru_cache(maxsize=4096)
def repair_line(line: str) -> str:
    """Repair mojibake (UTF-8 read as cp1252: "ðŸš€" -> "🚀") in one line.

    ASCII lines are returned untouched, so this is cheap on real documents.
    """
    if line.isascii():
        return line
    import ftfy

    fixed = ftfy.fix_text(line, _ftfy_config())  # type: ignore[arg-type]
    return fixed if "\n" not in fixed else line


def repair_text(text: str) -> str:
    """Repair mojibake line by line; the number of lines never changes."""
    if text.isascii():
        return text
    lines = text.split("\n")
    return "\n".join(repair_line(line) for line in lines)


def _is_decoration(ch: str) -> bool:
    if ch.isspace():
        return True
    cat = unicodedata.category(ch)
    # symbols, unassigned code points left by lossy mojibake, format chars (ZWJ,
    # variation selectors), private use, and the Latin-1 debris of broken emoji
    if cat in ("So", "Sk", "Cn", "Cf", "Co", "Mn", "Cc"):
        return True
    return ch in "ðŸâ€™œ¤¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÃÂ\u00a0ğÅ¸Ÿ"


_EMOJI_RUN = re.compile(r"[\U0001F000-\U0001FFFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF\uFE0F\u200D]+")


# Latin-1/cp1252 debris that lossy mojibake leaves where an emoji was ("ðŸ—ï",
# "—“ï¸"): repaired where possible by ftfy, stripped at a title's ends otherwise.
_DEBRIS = (
    "[\u00a0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\ufffd\u011f\u015f\u0131\ufe0f]"
)
_DEBRIS_LEAD = re.compile(rf"^{_DEBRIS}{{1,8}}\s+")
_DEBRIS_TAIL = re.compile(rf"\s+{_DEBRIS}{{1,8}}$")
_MOJIBAKE_HINT = re.compile("[ðâÃÂïŸ]")


def clean_title(text: str) -> str:
    """A heading or item text without decorative emoji at either end (and inside runs)."""
    if text.isascii():
        text = text.strip()
        return " ".join(text.split()) if "  " in text or "\t" in text or "\n" in text else text
    text = text.strip()
    lead = _DEBRIS_LEAD.match(text)
    if lead and _MOJIBAKE_HINT.search(lead.group(0)):
        text = text[lead.end() :]
    tail = _DEBRIS_TAIL.search(text)
    if tail and _MOJIBAKE_HINT.search(tail.group(0)):
        text = text[: tail.start()]
    start = 0
    while start < len(text) and _is_decoration(text[start]):
        start += 1
    end = len(text)
    while end > start and (_is_decoration(text[end - 1]) or text[end - 1] == "✓"):
        end -= 1
    out = _EMOJI_RUN.sub("", text[start:end])
    return re.sub(r"\s{2,}", " ", out).strip()


_MD_INLINE = re.compile(r"(\*\*|__|~~|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
_MD_CHARS = re.compile(r"[*_~\[`]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")


def strip_markdown(text: str) -> str:
    """Plain text of inline Markdown: emphasis markers dropped, links to their text."""
    if _MD_CHARS.search(text) is None:
        return text
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_INLINE.sub("", text)
    return text.replace("`", "")


_NORM_DROP = re.compile(r"[^\w%<>=.+/-]+")


def normalize(text: str) -> str:
    """Text reduced for matching: case, emoji, Markdown, punctuation and spacing ignored."""
    text = strip_markdown(clean_title(text)).lower()
    text = _NORM_DROP.sub(" ", text)
    return " ".join(text.split()).strip(" .")


def slugify(text: str, max_len: int = 48) -> str:
    """A readable id fragment: ``Day -14: Infrastructure`` -> ``day-14-infrastructure``."""
    words = _WORD.findall(strip_markdown(text).lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_len and slug:
            break
        slug = candidate[:max_len]
    return slug or "x"


_WORD = re.compile(r"[a-z0-9]+")


# "[Name]", "[Phone/Email]", "[Start Date]", "[TARGET]", "[Backup Name]"; not
# task boxes ("[ ]", "[x]"), not link texts ("[Release Gates](./x.md)").
PLACEHOLDER_RE = re.compile(
    r"\[(?!\s?\]|[xX]\])([A-Za-z][A-Za-z0-9 ,/&.+_-]{0,40})\](?![(\[:])"
    r"|\b(?:your[-_][a-z0-9_.-]+|sk_your_\w+|whsec_your_\w+|xxx+|tbd|todo)\b"
    r"|<(?:token|your[-_ ][\w -]+|api[-_ ]?key|password|secret)>",
    re.IGNORECASE,
)


def find_placeholders(text: str) -> list[str]:
    """Unfilled placeholders in a line of text, as written."""
    found: list[str] = []
    for match in PLACEHOLDER_RE.finditer(text):
        token = match.group(0)
        if token.lower() in {"todo", "tbd"} and not token.isupper():
            continue
        found.append(token)
    return found
