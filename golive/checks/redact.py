"""Secrets never reach evidence, logs, the database, the API or reports.

A :class:`Redactor` knows the secret values (environment values of secret-looking
variables, values a check was given) and secret patterns (tokens, keys,
Authorization headers). :meth:`Redactor.stream` redacts output that arrives in
chunks, holding back enough of each chunk's end that a secret split across two
chunks is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["DEFAULT_PATTERNS", "MASK", "Redactor", "StreamRedactor", "is_secret_name"]

MASK = "[REDACTED]"

DEFAULT_PATTERNS = (
    r"(?i)\b(authorization|proxy-authorization)\s*:\s*[^\r\n]+",
    r"(?i)\b(cookie|set-cookie)\s*:\s*[^\r\n]+",
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{8,}=*",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{8,}\b",
    r"\bwhsec_[0-9A-Za-z]{8,}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    r"(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[=:]\s*[^\s&\"']{4,}",
    r"(?i)://[^/\s:@]+:[^/\s@]+@",
)
_SECRET_NAME = re.compile(
    r"(?i)secret|token|passw|pwd|api[_-]?key|private|credential|dsn|auth|cookie|session|_key$"
)
HOLDBACK = 512

# Literal words (lower case) at least one of which any match of a default
# pattern contains. A pattern runs only on text that has one of its words, so
# plain output (build logs, 100 MB of it) costs a substring search per word
# instead of a regex scan per pattern. Patterns not listed here always run.
_PREFILTERS: dict[str, tuple[str, ...]] = {
    DEFAULT_PATTERNS[0]: ("authorization",),
    DEFAULT_PATTERNS[1]: ("cookie",),
    DEFAULT_PATTERNS[2]: ("bearer",),
    DEFAULT_PATTERNS[3]: ("akia",),
    DEFAULT_PATTERNS[4]: ("_live_", "_test_"),
    DEFAULT_PATTERNS[5]: ("whsec_",),
    DEFAULT_PATTERNS[6]: ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    DEFAULT_PATTERNS[7]: ("xox",),
    DEFAULT_PATTERNS[8]: ("private key-----",),
    DEFAULT_PATTERNS[9]: ("passw", "secret", "token", "api"),
    DEFAULT_PATTERNS[10]: ("://",),
}
# Non-ASCII characters that ``(?i)`` matches to an ASCII letter and that
# ``str.lower`` does not turn into that letter (found by trying every code point).
_CASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _folded(text: str) -> str:
    """``text`` in lower case, for the prefilters (positions are not kept)."""
    return text.lower() if text.isascii() else text.translate(_CASE_FOLD).lower()


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


class Redactor:
    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = DEFAULT_PATTERNS) -> None:
        self._secrets: set[str] = set()
        self._patterns = [(re.compile(p), _PREFILTERS.get(p)) for p in patterns]
        self._compiled: re.Pattern[str] | None = None
        for secret in secrets:
            self.add_secret(secret)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], extra_patterns: Iterable[str] = ()) -> Redactor:
        redactor = cls(patterns=[*DEFAULT_PATTERNS, *extra_patterns])
        for name, value in env.items():
            if is_secret_name(name):
                redactor.add_secret(value)
        return redactor

    def add_secret(self, value: str) -> None:
        if value and len(value) >= 4:
            self._secrets.add(value)
            self._compiled = None

    @property
    def max_secret(self) -> int:
        return max((len(s) for s in self._secrets), default=0)

    def _secret_regex(self) -> re.Pattern[str] | None:
        if self._compiled is None and self._secrets:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._compiled = re.compile("|".join(re.escape(s) for s in ordered))
        return self._compiled

    def _has_secret(self, text: str) -> bool:
        return any(secret in text for secret in self._secrets)

    def _candidates(self, text: str) -> list[re.Pattern[str]]:
        """The patterns that may match ``text`` (the prefilters' words are in it)."""
        folded: str | None = None
        out: list[re.Pattern[str]] = []
        for pattern, words in self._patterns:
            if words is not None:
                if folded is None:
                    folded = _folded(text)
                if not any(word in folded for word in words):
                    continue
            out.append(pattern)
        return out

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """Every match of a secret or a pattern in ``text``: start, end, replacement."""
        found: list[tuple[int, int, str]] = []
        regex = self._secret_regex()
        if regex is not None and self._has_secret(text):
            found.extend((m.start(), m.end(), MASK) for m in regex.finditer(text))
        for pattern in self._candidates(text):
            found.extend((m.start(), m.end(), _keep_label(m)) for m in pattern.finditer(text))
        found.sort(key=lambda f: (f[0], -f[1]))
        return found

    def redact(self, text: str) -> str:
        # All matches are found in the original text and overlapping ones are
        # masked as one: replacing one at a time let the first replacement break
        # another match (a secret inside a token left the token's rest visible).
        if not text:
            return text
        return _apply(text, self.matches(text))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where secrets and secret patterns match in ``text``."""
        return [(start, end) for start, end, _ in self.matches(text)]

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


def _apply(text: str, found: list[tuple[int, int, str]]) -> str:
    """``text`` with the matches (sorted by start) replaced, overlapping ones as one."""
    if not found:
        return text
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(found):
        start, end, replacement = found[i]
        i += 1
        while i < len(found) and found[i][0] < end:
            end = max(end, found[i][1])
            i += 1
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out)


_HEADER_LABEL = re.compile(r"(?i)^(authorization|proxy-authorization|cookie|set-cookie)\s*:\s*")
_ASSIGN_LABEL = re.compile(r"(?i)^(password|passwd|secret|token|api[_-]?key)\s*[=:]\s*")


def _keep_label(match: re.Match[str]) -> str:
    # keep "Authorization:" / "password=" so the evidence still says what was hidden
    text = match.group(0)
    label = _HEADER_LABEL.match(text)
    if label:
        return label.group(0) + MASK
    label = _ASSIGN_LABEL.match(text)
    if label:
        return label.group(0) + MASK
    if text.startswith("://"):
        return "://" + MASK + "@"
    return MASK


class StreamRedactor:
    """Redacts a stream of chunks; ``feed`` returns what is safe to emit now."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._pending = ""

    def feed(self, chunk: str) -> str:
        data = self._pending + chunk
        keep = max(self.redactor.max_secret - 1, 0) + HOLDBACK
        if len(data) <= keep:
            self._pending = data
            return ""
        cut = len(data) - keep
        # a secret that may continue into the next chunk starts in the held-back
        # tail; a match that the cut would split is held back whole. Moving the
        # cut back may split an earlier match that overlaps the first one (a
        # secret value inside a pattern's match), so repeat until none is split.
        found = self.redactor.matches(data)
        moved = True
        while moved:
            moved = False
            for start, end, _ in found:
                if start < cut < end:
                    cut = start
                    moved = True
        if cut <= 0:
            self._pending = data
            return ""
        head, self._pending = data[:cut], data[cut:]
        # no match crosses the cut: the head's matches are those that start in it
        return _apply(head, [m for m in found if m[0] < cut])

    def flush(self) -> str:
        data, self._pending = self._pending, ""
        return self.redactor.redact(data)
