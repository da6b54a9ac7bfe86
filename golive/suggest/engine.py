"""The suggestion engine: run every rule over every item without checks, validate
what the rules compile, and count how much of the runbook could be compiled.

A rule reads one *subject* (an item, or the code blocks of a section that has no
item to hold them) and yields :class:`Draft` checks or :class:`Miss` notes (it
recognised something a machine could verify but could not compile it).

The engine knows no rule: rule modules make their ``@rule`` decorator with
:func:`registry`, :mod:`golive.suggest.builtin` names the built-in ones, and
:func:`golive.suggest.suggest` runs them unless given others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from golive.runbook.model import CodeBlock, InlineCode, Item, Runbook, Section
from golive.suggest.report import Proposal, SuggestReport, Unresolved
from golive.suggest.shell import block_lines, find_curl, parse_curl

__all__ = ["Draft", "Miss", "Subject", "SuggestContext", "SuggestRule", "registry", "run_rules"]

_URL = re.compile(r"https?://[^\s\"'<>()\[\]`|]+")


@dataclass
class Draft:
    """A check a rule compiled from some words."""

    check: dict[str, Any]
    sentence: str
    line: int
    summary: str
    notes: list[str] = field(default_factory=list)
    rule: str = ""


@dataclass
class Miss:
    """Something a rule recognised as machine-verifiable but could not compile."""

    reason: str
    rule: str = ""


@dataclass
class Subject:
    """What rules read: an item, or a section's own code blocks (``item`` None)."""

    section: Section
    item: Item | None
    text: str
    inline: list[InlineCode]
    blocks: list[CodeBlock]
    file: str | None
    line: int

    def runnable_blocks(self) -> list[CodeBlock]:
        return [b for b in self.blocks if b.runnable]


RuleFunc = Callable[[Subject, "SuggestContext", list[Draft]], Iterable[Draft | Miss]]


@dataclass(frozen=True)
class SuggestRule:
    """One compilation rule: ``reads`` is the phrase it looks for."""

    name: str
    reads: str
    func: RuleFunc
    items_only: bool = False


@dataclass
class SuggestContext:
    """What rules share: the options, facts gathered from the whole runbook, and
    the nearest preceding http proposal (document order)."""

    runbook: Runbook
    base_url: str | None = None
    host: str | None = None
    prometheus_url: str | None = None
    timeout: str | None = None
    curl_urls: list[str] = field(default_factory=list)
    text_urls: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    last_http: dict[str, Any] | None = None

    @classmethod
    def build(cls, runbook: Runbook, **options: Any) -> SuggestContext:
        ctx = cls(runbook=runbook, **options)
        for section in runbook.walk_sections():
            for block in section.code_blocks:
                ctx._scan_block(block)
            for item in section.all_items():
                for code in item.inline_code:
                    ctx._scan_text(code.code)
                    if code.kind in ("path", "http") and code.code.split()[-1].startswith("/"):
                        ctx.paths.append(code.code.split()[-1])
                ctx._scan_text(item.text)
                for block in item.code_blocks:
                    ctx._scan_block(block)
        return ctx

    def _scan_block(self, block: CodeBlock) -> None:
        for line in block_lines(block):
            args = None if line.comment else find_curl(line.text)
            request = parse_curl(args) if args else None
            if request is not None:
                self.curl_urls.append(request.url)

    def _scan_text(self, text: str) -> None:
        for match in _URL.finditer(text):
            self.text_urls.append(match.group(0).rstrip(".,;:"))

    @property
    def urls(self) -> list[str]:
        """Absolute URLs the runbook uses: those its curl commands request first."""
        return [*self.curl_urls, *self.text_urls]

    # ---- facts rules ask for

    def timeout_for(self, kind: str) -> str:
        if self.timeout:
            return self.timeout
        return "10m" if kind == "command" else "10s"

    def https_host(self) -> tuple[str | None, str | None]:
        """The host for tls/dns checks and a note on where it came from
        (None when neither --host nor an https URL of the runbook gives one)."""
        if self.host:
            return self.host, None
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme == "https" and parts.hostname:
                return (
                    parts.hostname,
                    f"host {parts.hostname} taken from {url} in the runbook; --host changes it",
                )
        return None, "no https URL in the runbook: pass --host"

    def site_origin(self) -> str | None:
        """The origin of the first absolute URL the runbook uses."""
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
        return None

    def join(self, path: str) -> tuple[str, str | None]:
        """An absolute URL for a path the runbook gives without a host: on
        --base-url, else on the origin of the runbook's own URLs, else on a
        ``{base_url}`` placeholder."""
        if self.base_url:
            return self.base_url.rstrip("/") + path, None
        origin = self.site_origin()
        if origin:
            return (
                origin + path,
                f"base URL {origin} taken from the runbook's own commands; --base-url changes it",
            )
        return "{base_url}" + path, "relative path: replace {base_url} (or pass --base-url)"

    def prometheus(self) -> tuple[str, str | None]:
        if self.prometheus_url:
            return self.prometheus_url, None
        return "${PROMETHEUS_URL}", "set PROMETHEUS_URL in the environment (or pass --prometheus-url)"


def registry(rules: list[SuggestRule]) -> Callable[..., Callable[[RuleFunc], RuleFunc]]:
    """A ``@rule(name, reads)`` decorator that appends to ``rules`` (in the order
    of definition, which is the order the rules run)."""

    def rule(name: str, reads: str, *, items_only: bool = False) -> Callable[[RuleFunc], RuleFunc]:
        def register(func: RuleFunc) -> RuleFunc:
            rules.append(SuggestRule(name=name, reads=reads, func=func, items_only=items_only))
            return func

        return register

    return rule


def _subjects(runbook: Runbook) -> Iterator[Subject]:
    """Items in document order, each section's own code blocks after its items."""
    for section in runbook.walk_sections():
        for item in section.all_items():
            yield Subject(
                section=section,
                item=item,
                text=item.text,
                inline=list(item.inline_code),
                blocks=list(item.code_blocks),
                file=item.file,
                line=item.line,
            )
        if section.code_blocks and section.context == "normal":
            yield Subject(
                section=section,
                item=None,
                text="",
                inline=[],
                blocks=list(section.code_blocks),
                file=section.file,
                line=section.code_blocks[0].line,
            )


def _signals(item: Item) -> bool:
    """An item stating a threshold on a known metric, a URL or an env var name."""
    from golive.suggest.promql import MEASURABLE

    if any(t.metric in MEASURABLE for t in item.thresholds):
        return True
    if any(c.kind in ("env", "http") for c in item.inline_code):
        return True
    return bool(_URL.search(item.text))


def _http_url(value: str | None, option: str) -> str | None:
    from golive.errors import InputError

    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"expected an http:// or https:// URL with a host, got {value!r}", location=option)
    return value.strip().rstrip("/")


def _options(
    base_url: str | None, host: str | None, prometheus_url: str | None, timeout: str | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """The options, checked; bad input raises InputError naming the option."""
    from golive.durations import format_duration, parse_duration
    from golive.errors import InputError

    if host is not None and (not host.strip() or re.search(r"[\s/:]", host.strip())):
        raise InputError(f"expected a host name such as api.example.com, got {host!r}", location="--host")
    if timeout is not None:
        try:
            duration = parse_duration(timeout)
        except ValueError as exc:
            raise InputError(str(exc), location="--timeout") from None
        if duration.total_seconds() <= 0:
            raise InputError("the timeout must be positive", location="--timeout")
        timeout = format_duration(duration)
    return (
        _http_url(base_url, "--base-url"),
        host.strip() if host else None,
        _http_url(prometheus_url, "--prometheus-url"),
        timeout,
    )


_OPTION_FOR = {"{base_url}": "--base-url", "{host}": "--host"}


def _invalid(draft: Draft, message: str) -> str:
    """Why a compiled check was dropped: a placeholder its kind refuses, or the error."""
    text = repr(draft.check)
    for placeholder, option in _OPTION_FOR.items():
        if placeholder in text and placeholder in message:
            return f"needs a real value for {placeholder}: pass {option}"
    return f"compiled check does not validate: {message}"


def run_rules(
    runbook: Runbook,
    rules: list[SuggestRule],
    *,
    base_url: str | None = None,
    host: str | None = None,
    prometheus_url: str | None = None,
    timeout: str | None = None,
) -> SuggestReport:
    """Propose checks for the runbook's items that have none, by ``rules``
    (see :func:`golive.suggest.suggest`)."""
    from golive.checks.errors import CheckSpecError
    from golive.checks.runner import prepare_check

    base_url, host, prometheus_url, timeout = _options(base_url, host, prometheus_url, timeout)
    ctx = SuggestContext.build(
        runbook, base_url=base_url, host=host, prometheus_url=prometheus_url, timeout=timeout
    )
    main = runbook.file.replace("\\", "/").rsplit("/", 1)[-1] if runbook.file else None
    report = SuggestReport(
        runbook=runbook.title, file=main, items=0, with_checks=0, machine_verifiable=0, compiled=0
    )
    placeholders: set[str] = set()
    for subject in _subjects(runbook):
        item = subject.item
        if item is not None:
            report.items += 1
            if item.checks:
                report.with_checks += 1
                continue
        drafts: list[Draft] = []
        misses: list[Miss] = []
        for entry in rules:
            if entry.items_only and item is None:
                continue
            for out in entry.func(subject, ctx, drafts):
                out.rule = entry.name
                if isinstance(out, Draft):
                    drafts.append(out)
                else:
                    misses.append(out)
        file = subject.file or main
        valid: list[Draft] = []
        for draft in drafts:
            try:
                prepare_check(draft.check, source=f"{file}:{draft.line}", item=item.id if item else None)
            except CheckSpecError as exc:
                misses.append(Miss(reason=_invalid(draft, exc.message), rule=draft.rule))
                continue
            valid.append(draft)
            if draft.check.get("kind") == "http":
                ctx.last_http = draft.check
        for draft in valid:
            placeholders.update(re.findall(r"\$?\{[A-Za-z_]\w*\}", repr(draft.check)))
            report.proposals.append(
                Proposal(
                    item=item.id if item else None,
                    section=subject.section.id,
                    file=file,
                    line=draft.line,
                    item_line=item.line if item else None,
                    sentence=draft.sentence,
                    rule=draft.rule,
                    summary=draft.summary,
                    check=draft.check,
                    notes=draft.notes,
                )
            )
        if item is None:
            continue
        if valid or misses or _signals(item):
            report.machine_verifiable += 1
        if valid:
            report.compiled += 1
        elif misses or _signals(item):
            reason = misses[0].reason if misses else "states a number, URL or variable no rule could compile"
            report.unresolved.append(
                Unresolved(
                    item=item.id,
                    file=file,
                    line=item.line,
                    sentence=item.text,
                    rule=misses[0].rule if misses else "",
                    reason=reason,
                )
            )
    report.placeholders = sorted(placeholders)
    return report
