"""The user actions of the checks layer, shared by the CLI and (later) the API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from golive.checks.context import CheckContext
from golive.checks.result import CheckResult
from golive.checks.runner import PreparedCheck, prepare_checks, run_checks, select
from golive.runbook.model import Runbook

__all__ = ["CheckRun", "check_runbook"]


@dataclass
class CheckRun:
    runbook: Runbook
    checks: list[PreparedCheck]
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.status in ("passed", "skipped") for r in self.results)

    def counts(self) -> dict[str, int]:
        out = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for result in self.results:
            out[result.status] += 1
        return out


def check_runbook(
    path: str | Path,
    *,
    overlay: str | Path | None = None,
    sections: Sequence[str] = (),
    items: Sequence[str] = (),
    kinds: Sequence[str] = (),
    concurrency: int = 20,
    values: dict[str, str] | None = None,
    on_selected: Callable[[list[PreparedCheck]], None] | None = None,
    on_start: Callable[[PreparedCheck], None] | None = None,
    on_result: Callable[[PreparedCheck, CheckResult], None] | None = None,
    now: Callable[[], datetime] | None = None,
) -> CheckRun:
    """Load a runbook, select its checks and run them; bad input raises InputError."""
    from golive.errors import InputError
    from golive.runbook.loader import load_runbook

    if concurrency < 1:
        raise InputError("must be at least 1", location="--concurrency")
    runbook = load_runbook(path, overlay=overlay)
    prepared = prepare_checks(runbook)
    known_items = {i.id for i in runbook.all_items()}
    for item in items:
        if item not in known_items:
            raise InputError(f"no item with id {item!r} (see golive show --json for ids)", location="--item")
    if sections:
        titles = {s.id.lower() for s in runbook.walk_sections()} | {
            s.title.lower() for s in runbook.walk_sections()
        }
        for section in sections:
            if section.lower() not in titles:
                raise InputError(f"no section {section!r}", location="--section")
    chosen = select(prepared, runbook, sections=sections, items=items, kinds=kinds)
    if on_selected is not None:
        on_selected(chosen)
    base = Path(runbook.file).resolve().parent if runbook.file else Path.cwd()
    ctx = CheckContext(base_dir=base, concurrency=concurrency, values=dict(values or {}))
    if now is not None:
        ctx.now = now
    results = asyncio.run(run_checks(chosen, ctx, on_start=on_start, on_result=on_result)) if chosen else []
    return CheckRun(runbook=runbook, checks=chosen, results=results)
