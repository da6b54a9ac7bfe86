"""Rollback criteria and success metrics: items under criteria and metric
headings, and the rows of metric tables with their healthy/warning/critical levels."""

from __future__ import annotations

import re

from golive.runbook.model import Criterion, Runbook, Threshold
from golive.runbook.thresholds import parse_thresholds

__all__ = ["derive_criteria"]


def derive_criteria(runbook: Runbook) -> tuple[list[Criterion], list[Criterion]]:
    rollback: list[Criterion] = []
    metrics: list[Criterion] = []
    for section in runbook.walk_sections():
        targets = {"criterion": rollback, "metric": metrics}
        for item in section.all_items():
            target = targets.get(item.context)
            if target is not None and not item.items:
                target.append(
                    Criterion(
                        text=item.text,
                        line=item.line,
                        file=item.file,
                        item=item.id,
                        section=section.id,
                        thresholds=item.thresholds,
                    )
                )
        for table in section.tables:
            if table.kind != "metrics":
                continue
            for row in table.rows:
                if not row.cells:
                    continue
                subject = row.cells[0]
                found: list[Threshold] = []
                for head, cell in zip(table.header[1:], row.cells[1:], strict=False):
                    level = _level_of(head)
                    if level is None:
                        continue
                    found.extend(parse_thresholds(f"{subject} {cell}", level=level))
                metrics.append(
                    Criterion(
                        text=" | ".join(row.cells),
                        line=row.line,
                        file=table.file,
                        section=section.id,
                        thresholds=found,
                    )
                )
    return rollback, metrics


def _level_of(head: str) -> str | None:
    head = head.lower()
    if re.search(r"healthy|target|good|ok\b|normal", head):
        return "healthy"
    if re.search(r"investigate|warn|watch|degraded", head):
        return "warning"
    if re.search(r"critical|page|rollback|alert|bad", head):
        return "critical"
    return None
