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
_SECRET_NAME = re.compile(r"(?i)secret|token|passw|pwd|api[_-]?key|private|credential|dsn|auth|cookie|session|_key$")
HOLDBACK = 512


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


class Redactor:
    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = DEFAULT_PATTERNS) -> None:
        self._secrets: set[str] = set()
        self._patterns = [re.compile(p) for p in patterns]
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

    def redact(self, text: str) -> str:
        if not text:
            return text
        regex = self._secret_regex()
        if regex is not None:
            text = regex.sub(MASK, text)
        for pattern in self._patterns:
            text = pattern.sub(_keep_label, text)
        return text

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where secrets and secret patterns match in ``text``."""
        found: list[tuple[int, int]] = []
        regex = self._secret_regex()
        if regex is not None:
            found.extend(m.span() for m in regex.finditer(text))
        for pattern in self._patterns:
            found.extend(m.span() for m in pattern.finditer(text))
        return sorted(found)

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


def _keep_label(match: re.Match[str]) -> str:
    # keep "Authorization:" / "password=" so the evidence still says what was hidden
    text = match.group(0)
    label = re.match(r"(?i)^(authorization|proxy-authorization|cookie|set-cookie)\s*:\s*", text)
    if label:
        return label.group(0) + MASK
    label = re.match(r"(?i)^(password|passwd|secret|token|api[_-]?key)\s*[=:]\s*", text)
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
        # tail; a match that the cut would split is held back whole
        for start, end in self.redactor.spans(data):
            if start < cut < end:
                cut = start
                break
        head, self._pending = data[:cut], data[cut:]
        return self.redactor.redact(head)

    def flush(self) -> str:
        data, self._pending = self._pending, ""
        return self.redactor.redact(data)
