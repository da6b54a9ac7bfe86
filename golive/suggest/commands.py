"""The rule that proposes command checks: verification commands a runbook
already runs (``alembic current``, ``pytest``, ``npx supabase db diff``), never
the work itself (deploys, migrations, ``git pull``, ``logs -f``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from golive.runbook.model import CodeBlock
from golive.suggest.engine import Draft, Miss, Subject, SuggestContext, SuggestRule, registry
from golive.suggest.shell import block_lines, split_words

__all__ = ["RULES"]

RULES: list[SuggestRule] = []
rule = registry(RULES)

# ---- verification commands

_VERIFY = re.compile(
    r"\balembic\s+(?:current|history|heads|check)\b"
    r"|\bpytest\b|\bpython3?\s+-m\s+pytest\b"
    r"|\b(?:npm|pnpm|yarn)\s+(?:run\s+)?(?:test|lint|guard|check|typecheck|type-check|verify|validate)\b"
    r"|\b(?:npx\s+)?supabase\s+(?:db\s+diff|functions\s+list|status)\b"
    r"|\bkubectl\s+(?:get|describe|top|rollout\s+status)\b"
    r"|\bhelm\s+(?:status|list|test)\b"
    r"|\bdocker(?:-compose|\s+compose)?\s.*\s(?:ps|config)$"
    r"|\bterraform\s+(?:plan|validate)\b"
    r"|\bpg_isready\b|\bredis-cli\b.*\bping\b"
    r"|\b(?:flake8|eslint|ruff|mypy|tsc|shellcheck)\b"
    r"|[\w./-]*(?:health[-_]?check|validat\w*|verif\w*|smoke[-_]?tests?|check)[\w.-]*\.(?:sh|py)\b",
)
_VERIFY_COMMENT = re.compile(r"^#\s*(?:verify|check|validate|confirm|test|ensure|make sure)\b", re.I)
_MUTATES = re.compile(
    r"\b(?:deploy|push|release|rollback|upgrade|downgrade|restart|apply|delete|destroy|drop|migrate|install|"
    r"publish|submit|reset)\b|\brm\s",
    re.I,
)
_ENDLESS = re.compile(r"\blogs?\b.*\s(?:-f|--follow)\b|\btail\s+-f\b|^watch\s|\bnpm\s+(?:run\s+)?start\b")
_TEXT_CUE = re.compile(
    r"\b(?:pass(?:es|ing)?|succeed(?:s|ed)?|successful(?:ly)?|without errors|works?|green)\b", re.I
)
_CD = re.compile(r"^cd\s+\S+$")
_SHELL_META = re.compile(r"[|&;<>$`*?(){}\[\]~]")


def _command_check(ctx: SuggestContext, text: str) -> dict[str, Any]:
    check: dict[str, Any] = {"kind": "command"}
    words = split_words(text)
    if words is None or _SHELL_META.search(text):
        check["run"] = text
    else:
        check["argv"] = words
    check["expect"] = ["exit_code == 0"]
    check["timeout"] = ctx.timeout_for("command")
    return check


def _verification_groups(block: CodeBlock) -> list[tuple[str, int]]:
    """Runs of verification commands in a block (a command golive knows to be
    read-only, or any command under a '# Verify ...' comment), with the ``cd``
    lines before them, joined with ``&&``."""
    groups: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    cds: list[str] = []
    verify_mode = False

    def close() -> None:
        nonlocal current
        if any(not _CD.match(c) for c in current):
            groups.append((" && ".join(current), start))
        current = []

    for line in block_lines(block):
        if line.comment:
            close()
            verify_mode = bool(_VERIFY_COMMENT.match(line.text))
            continue
        text = line.text
        if _CD.match(text):
            (current if current else cds).append(text)
            continue
        if "curl" in text.split() or _ENDLESS.search(text):
            close()
            continue
        if _VERIFY.search(text) or (verify_mode and not _MUTATES.search(text)):
            if not current:
                current, start = [*cds], line.line
            current.append(text)
        else:
            close()
    close()
    return groups


@rule(
    "command",
    "'`alembic current`', '`pytest` for backend, `npm test` for frontend', an inline command in an item "
    "that 'passes' or 'builds without errors', commands under '# Verify ...' in the item's code block",
)
def command_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    cue = bool(_TEXT_CUE.search(subject.text))
    for code in subject.inline:
        text = code.code.strip()
        if code.kind != "command" or "curl" in text.split() or _ENDLESS.search(text):
            continue
        if _VERIFY.search(text) or (cue and not _MUTATES.search(text)):
            check = _command_check(ctx, text)
            yield Draft(
                check=check, sentence=subject.text, line=code.line, summary=f"command {text}; expect exit 0"
            )
    for block in subject.runnable_blocks():
        for text, line in _verification_groups(block):
            check = _command_check(ctx, text)
            notes = []
            if re.search(r"\bdocker(?:-compose|\s+compose)?\b.*\bexec\b", text) and " -T" not in text:
                notes.append("docker compose exec needs -T when golive runs it without a terminal")
            yield Draft(
                check=check, sentence=text, line=line, summary=f"command {text}; expect exit 0", notes=notes
            )
