"""A runbook sent as text: linted, or read into its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter

from golive.auth.principal import Principal
from golive.web.api.common import RunbookText, who, with_file

router = APIRouter()


@router.post("/runbooks/lint")
def runbook_lint(doc: RunbookText, _: Principal = who("runbook.lint")) -> dict[str, Any]:
    from golive.lint.api import lint_path

    def run(path: Path) -> dict[str, Any]:
        _runbook, findings = lint_path(path)
        return {"findings": [f.model_dump(mode="json") for f in findings]}

    result: dict[str, Any] = with_file(doc, run)
    return result


@router.post("/runbooks/show")
def runbook_show(doc: RunbookText, _: Principal = who("read")) -> dict[str, Any]:
    from golive.runbook.loader import load_runbook

    result: dict[str, Any] = with_file(doc, lambda path: load_runbook(path).model_dump(mode="json"))
    return result
