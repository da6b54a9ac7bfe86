"""Reading shell text from runbooks: logical lines of a code block (with their
line numbers), command segments, and curl command lines parsed into requests.

Nothing here runs anything: it only reads the words.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from golive.runbook.model import CodeBlock

__all__ = ["CodeLine", "CurlRequest", "block_lines", "find_curl", "parse_curl", "segments", "split_words"]

_CONTROL = {"|", "||", "&&", ";", "&", "|&"}


@dataclass(frozen=True)
class CodeLine:
    """One logical line of a code block (backslash continuations joined)."""

    text: str
    line: int
    comment: bool


def block_lines(block: CodeBlock) -> list[CodeLine]:
    """The logical lines of a fenced block, each with its line in the file
    (the fence is ``block.line``; its first content line is ``block.line + 1``)."""
    out: list[CodeLine] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(block.code.splitlines()):
        number = block.line + 1 + offset
        if not pending:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.lstrip().startswith("#"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped.strip())
        text = " ".join(p for p in pending if p)
        pending = []
        if text:
            out.append(CodeLine(text=text, line=start, comment=text.startswith("#")))
    if pending:
        text = " ".join(p for p in pending if p)
        if text:
            out.append(CodeLine(text=text, line=start, comment=text.startswith("#")))
    return out


def split_words(text: str) -> list[str] | None:
    """Shell words and control operators (``|``, ``&&``, ``;``) of one line;
    None when the line does not split (an unclosed quote)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return None


def segments(text: str) -> list[list[str]]:
    """The simple commands of a line, split at ``|``, ``&&``, ``||`` and ``;``."""
    words = split_words(text)
    if words is None:
        return []
    out: list[list[str]] = [[]]
    for word in words:
        if word in _CONTROL:
            out.append([])
        else:
            out[-1].append(word)
    return [s for s in out if s]


@dataclass
class CurlRequest:
    """What a curl command line asks for."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    json: Any = None
    fail: bool = False
    timeout: str | None = None
    retries: int | None = None
    notes: list[str] = field(default_factory=list)


# curl options that take a value (long and short forms)
_LONG_WITH_VALUE = {
    "--request", "--header", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode",
    "--json", "--user", "--max-time", "--user-agent", "--referer", "--cookie", "--output", "--write-out",
    "--connect-timeout", "--retry", "--retry-delay", "--retry-max-time", "--cacert", "--cert", "--key",
    "--resolve", "--proxy", "--url", "--form", "--upload-file", "--interface", "--limit-rate",
    "--cookie-jar", "--config", "--oauth2-bearer", "--range", "--unix-socket", "--capath", "--pass",
}  # fmt: skip
_SHORT_WITH_VALUE = set("XHdumAowebTFxrEKtzCc")
_DATA = {"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode"}
_ENV_PREFIX = re.compile(r"^[A-Za-z_]\w*=")


def _curl_words(words: list[str]) -> list[str] | None:
    """The words after ``curl`` when this simple command runs curl."""
    index = 0
    while index < len(words) and (
        _ENV_PREFIX.match(words[index]) or words[index] in ("sudo", "command", "time")
    ):
        index += 1
    if index < len(words) and words[index].rsplit("/", 1)[-1] == "curl":
        return words[index + 1 :]
    return None


def find_curl(text: str) -> list[str] | None:
    """The arguments of the first curl command in a shell line (``| jq ...`` and
    any other command around it are ignored), or None."""
    if "curl" not in text:
        return None
    for segment in segments(text):
        args = _curl_words(segment)
        if args is not None:
            return args
    return None


def _expand_short(word: str) -> list[tuple[str, str | None]]:
    """``-fsSL`` -> [(-f), (-s), (-S), (-L)]; ``-XPOST`` -> [(-X, POST)]."""
    out: list[tuple[str, str | None]] = []
    chars = word[1:]
    for position, char in enumerate(chars):
        if char in _SHORT_WITH_VALUE:
            rest = chars[position + 1 :]
            out.append((f"-{char}", rest or None))
            return out
        out.append((f"-{char}", None))
    return out


def parse_curl(args: list[str]) -> CurlRequest | None:
    """A request from curl's arguments, or None when no URL is given.

    Read: ``-X/--request``, ``-H/--header``, ``-d/--data*`` (POST unless ``-X``),
    ``--json``, ``-f/--fail`` (the check then expects ``status < 400``),
    ``-I/--head`` (HEAD), ``-G/--get``, ``-A``, ``-b``, ``--oauth2-bearer``,
    ``-m/--max-time`` (timeout), ``--retry``, ``--url``. Output options
    (``-s``, ``-o``, ``-w``, ``-L``, ...) do not change what is checked.
    """
    opts: list[tuple[str, str | None]] = []
    positional: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            positional.extend(args[index:])
            break
        if word.startswith("--"):
            name, eq, inline = word.partition("=")
            if name in _LONG_WITH_VALUE:
                if eq:
                    opts.append((name, inline))
                elif index < len(args):
                    opts.append((name, args[index]))
                    index += 1
                continue
            opts.append((name, None))
            continue
        if word.startswith("-") and len(word) > 1:
            expanded = _expand_short(word)
            last, value = expanded[-1]
            if last[1] in _SHORT_WITH_VALUE and value is None:
                expanded[-1] = (last, args[index] if index < len(args) else "")
                index += 1
            opts.extend(expanded)
            continue
        positional.append(word)
    request = CurlRequest(url="")
    data: list[str] = []
    explicit_method: str | None = None
    head = get = False
    for name, value in opts:
        if name in ("-X", "--request") and value:
            explicit_method = value.upper()
        elif name in ("-H", "--header") and value and ":" in value:
            key, _, val = value.partition(":")
            request.headers[key.strip()] = val.strip()
        elif name in _DATA and value is not None:
            if value.startswith("@"):
                request.notes.append(
                    f"the request body is read from the file {value[1:]!r}: add it as 'body'"
                )
            else:
                data.append(value)
        elif name == "--json" and value is not None:
            data.append(value)
            request.headers.setdefault("Content-Type", "application/json")
            request.headers.setdefault("Accept", "application/json")
        elif name in ("-f", "--fail", "--fail-with-body"):
            request.fail = True
        elif name in ("-I", "--head"):
            head = True
        elif name in ("-G", "--get"):
            get = True
        elif name in ("-A", "--user-agent") and value:
            request.headers["User-Agent"] = value
        elif name in ("-b", "--cookie") and value and "=" in value:
            request.headers["Cookie"] = value
        elif name == "--oauth2-bearer" and value:
            request.headers["Authorization"] = f"Bearer {value}"
        elif name in ("-u", "--user") and value:
            request.notes.append("curl sends credentials with -u: add an Authorization header")
        elif name in ("-k", "--insecure"):
            request.notes.append("curl skips certificate verification here (-k)")
        elif name in ("-m", "--max-time") and value:
            request.timeout = _seconds(value)
        elif name == "--retry" and value and value.isdigit():
            request.retries = min(int(value), 10)
        elif name == "--url" and value:
            positional.insert(0, value)
    urls = [p for p in positional if p and not p.startswith("-")]
    if not urls:
        return None
    url = urls[0]
    if "://" not in url:
        url = "http://" + url
    if get and data:
        url += ("&" if "?" in url else "?") + "&".join(data)
        data = []
    request.url = url
    if data:
        text = "&".join(data)
        parsed = _json_or_none(text)
        if parsed is not None and (text.lstrip().startswith(("{", "["))):
            request.json = parsed
        else:
            request.body = text
    if explicit_method:
        request.method = explicit_method
    elif head:
        request.method = "HEAD"
    elif data:
        request.method = "POST"
    return request


def _seconds(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return f"{number:g}s" if number > 0 else None


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
