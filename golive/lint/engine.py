"""The lint engine: findings, the rule interface, the context rules read, and
:func:`run_rules`, which runs a list of rules over a runbook.

A rule is a small function over a :class:`LintContext` that yields
:class:`Finding` values. The engine knows no rule: built-in rules live in
:mod:`golive.lint.rules`, register with :func:`golive.lint.registry.rule` and are
loaded by :mod:`golive.lint.builtin`, and a third-party rule is the same
:class:`Rule` value::

    from golive.lint import BUILTIN_RULES, Rule, lint

    def no_todo(ctx):
        ...

    findings = lint(runbook, rules=[*BUILTIN_RULES, Rule("no-todo", "warning", "…", no_todo)])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from golive.errors import InputError
from golive.runbook.loader import NATIVE_SUFFIXES, read_text
from golive.runbook.model import CodeBlock, Item, Runbook, Section

__all__ = ["SEVERITIES", "Finding", "LintContext", "Rule", "Severity", "read_sources", "run_rules"]

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
"""From the most to the least serious."""


class Finding(BaseModel):
    """One thing that makes a runbook unsafe (or worth a look), at ``file:line``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    line: int = Field(ge=1)
    rule: str
    severity: Severity
    message: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Rule:
    """A lint rule: ``check`` yields the findings; ``severity`` is the usual one
    (a rule may report some findings more or less severely, and says so in
    ``description``)."""

    name: str
    severity: Severity
    description: str
    check: Callable[[LintContext], Iterable[Finding]]


@dataclass
class LintContext:
    """What a rule reads: the runbook, its raw lines per file, and the launch time."""

    runbook: Runbook
    sources: dict[str, list[str]] = field(default_factory=dict)
    launch: datetime | None = None

    @cached_property
    def main_file(self) -> str:
        if self.runbook.files:
            return self.runbook.files[0]
        if self.runbook.file:
            return Path(self.runbook.file).name
        return "<runbook>"

    def file_of(self, file: str | None) -> str:
        """The name a finding uses for an element's ``file`` (``None``: the main file)."""
        return self.main_file if file is None else file

    def lines(self, file: str | None) -> list[str]:
        """The raw lines of a runbook file (index 0 is line 1); empty when unknown."""
        return self.sources.get(self.file_of(file), [])

    def finding(
        self, rule: str, severity: Severity, message: str, line: int | None, file: str | None
    ) -> Finding:
        return Finding(
            file=self.file_of(file), line=max(line or 1, 1), rule=rule, severity=severity, message=message
        )

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.runbook.all_items()}

    def ordered(self) -> Iterator[tuple[Section, Item | None, Section | Item | CodeBlock]]:
        """Every section, item (depth first) and code block in document order, as
        ``(section, item holding it or None, element)``."""
        for section in self.runbook.walk_sections():
            yield section, None, section
            parts: list[tuple[Item | None, Item | CodeBlock]] = [
                (None, block) for block in section.code_blocks
            ]
            for item in section.all_items():
                parts.append((item, item))
                parts.extend((item, block) for block in item.code_blocks)
            for holder, part in sorted(parts, key=lambda p: p[1].line):
                yield section, holder, part

    def section_path(self, section: Section) -> list[Section]:
        """``section`` and its ancestors, outermost first."""
        return [*self._parents.get(id(section), []), section]

    @cached_property
    def _parents(self) -> dict[int, list[Section]]:
        out: dict[int, list[Section]] = {}

        def visit(section: Section, parents: list[Section]) -> None:
            out[id(section)] = parents
            for child in section.sections:
                visit(child, [*parents, section])

        for root in self.runbook.sections:
            visit(root, [])
        return out


def read_sources(runbook: Runbook, path: str | Path | None = None) -> dict[str | None, list[str]]:
    """The raw lines of the files a runbook's positions refer to, keyed by the model's
    ``file`` names (files are relative to the main file's folder).

    ``path`` is the file the runbook was loaded from (default: ``runbook.file``). A
    native YAML runbook's positions refer to its own lines, unless it was written
    from Markdown files that still sit beside it. Bad input raises InputError.
    """
    if path is None:
        if not runbook.file:
            return {}
        path = runbook.file
    main = Path(path)
    names = runbook.files or [main.name]
    if main.suffix.lower() in NATIVE_SUFFIXES and not all((main.parent / n).is_file() for n in names):
        names = [main.name]
    return {name: read_text(main.parent / name)[0].split("\n") for name in names}


def run_rules(
    runbook: Runbook,
    rules: Sequence[Rule],
    *,
    sources: dict[str | None, list[str]] | None = None,
    launch: datetime | None = None,
) -> list[Finding]:
    """Every finding of ``rules``, sorted by file, line, rule (see :func:`golive.lint.lint`)."""
    if sources is None:
        sources = _sources_on_disk(runbook)
    ctx = LintContext(runbook=runbook, launch=launch)
    ctx.sources = {
        ctx.file_of(name if name != runbook.file else None): lines for name, lines in sources.items()
    }
    findings = [finding for rule in rules for finding in rule.check(ctx)]
    # A stable sort: findings on one line keep their column order.
    return sorted(findings, key=lambda f: (f.file, f.line, f.rule))


def _sources_on_disk(runbook: Runbook) -> dict[str | None, list[str]]:
    if not runbook.file or not Path(runbook.file).is_file():
        return {}
    try:
        return read_sources(runbook)
    except InputError:
        return {}
