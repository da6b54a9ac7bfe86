"""Writing a :class:`SuggestReport` as an overlay file a person reviews.

Above each entry, a comment quotes the words each check came from (``file:line``)
and says what the check does; the entry matches its item by id. Proposals with
no item to attach to, and items recognised but not compiled, follow as comments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from golive.suggest.report import Proposal, SuggestReport

__all__ = ["render_overlay"]

_SENTENCE_LIMIT = 160


def _one_line(text: str, limit: int = _SENTENCE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100_000)


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line if line else prefix.rstrip() for line in text.rstrip("\n").splitlines()]


def _about(proposal: Proposal) -> list[str]:
    lines = [
        f'# {proposal.file or "<runbook>"}:{proposal.line}: "{_one_line(proposal.sentence)}"',
        f"#   -> {_one_line(proposal.summary, 200)} [rule {proposal.rule}]",
    ]
    lines.extend(f"#   note: {_one_line(note, 200)}" for note in proposal.notes)
    return lines


def _entries(proposals: Iterable[Proposal]) -> dict[str, list[Proposal]]:
    grouped: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        if proposal.item is not None:
            grouped.setdefault(proposal.item, []).append(proposal)
    return grouped


def render_overlay(report: SuggestReport) -> str:
    """The overlay (YAML) proposing every check; loads with
    :func:`golive.runbook.annotations.load_overlay` and applies to the runbook."""
    name = report.file or report.runbook
    out = [
        f"# Checks proposed by `golive suggest` from the words of {name}.",
        "# Review every entry: each is a reading of the sentence quoted above it. Edit or delete it;",
        "# golive never edits the runbook. Use: golive check RUNBOOK --overlay THIS_FILE",
        f"# {report.summary()}",
    ]
    if report.placeholders:
        names = ", ".join(report.placeholders)
        out.append(f"# Placeholders to fill before running: {names}")
    out.append("golive_overlay: 1")
    grouped = _entries(report.proposals)
    if not grouped:
        out.append("items: []")
    else:
        out.append("items:")
    for item_id, proposals in grouped.items():
        for proposal in proposals:
            out.extend(_indent("\n".join(_about(proposal)), "  "))
        out.append(f"  - match: {{id: {json.dumps(item_id, ensure_ascii=False)}}}")
        out.append("    checks:")
        out.extend(_indent(_dump([p.check for p in proposals]), "      "))
    loose = [p for p in report.proposals if p.item is None]
    if loose:
        out.append("")
        out.append("# ---- Proposals with no item to attach to ----")
        out.append(
            "# These words sit in a section that has no checklist item; an overlay attaches checks to items."
        )
        out.append(
            "# Add an item to the section (e.g. '- [ ] Health check passes') and move the check to it."
        )
        for proposal in loose:
            out.extend(_about(proposal))
            out.append(f"#   section: {proposal.section}")
            out.extend(_indent(_dump([proposal.check]), "#     "))
    if report.unresolved:
        out.append("")
        out.append("# ---- Recognised but not compiled: write these checks by hand ----")
        for miss in report.unresolved:
            rule = f" [rule {miss.rule}]" if miss.rule else ""
            out.append(
                f'# {miss.file or "<runbook>"}:{miss.line}: "{_one_line(miss.sentence)}" '
                f"-> {miss.reason}{rule}"
            )
            out.append(f"#   item: {miss.item}")
    return "\n".join(out) + "\n"
