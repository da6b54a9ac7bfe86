"""``lint`` and ``lint_path``: the engine run with the built-in rules unless told otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from golive.lint.builtin import load_builtin
from golive.lint.engine import Finding, Rule, read_sources, run_rules
from golive.runbook.loader import load_runbook
from golive.runbook.model import Runbook

__all__ = ["lint", "lint_path"]


def lint(
    runbook: Runbook,
    *,
    sources: dict[str | None, list[str]] | None = None,
    launch: datetime | None = None,
    rules: Sequence[Rule] | None = None,
) -> list[Finding]:
    """Every finding of ``rules`` (default: the built-in rules), sorted by file, line, rule.

    ``sources`` maps each runbook file (the model's ``file`` values; ``None`` or
    the main file's name for the main file) to its lines. Without it the files are
    read from beside ``runbook.file`` when that exists; rules that scan raw text
    see nothing for a runbook that has no file.
    """
    return run_rules(runbook, load_builtin() if rules is None else rules, sources=sources, launch=launch)


def lint_path(
    path: str | Path, overlay: str | Path | None = None, launch: datetime | None = None
) -> tuple[Runbook, list[Finding]]:
    """Load a runbook (Markdown with its linked files, or native YAML) and lint it.

    Bad input raises :class:`golive.errors.InputError` as :func:`load_runbook` does.
    """
    runbook = load_runbook(path, overlay)
    return runbook, lint(runbook, sources=read_sources(runbook, path), launch=launch)
