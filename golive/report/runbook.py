"""The runbook written back with its evidence: the team's own Markdown, in which
each item shows who did it, when, and its check results, so the document the
team knows becomes the record.

The release stores its runbook's source (the main file as it was at ``release
start`` or the last upgrade) and its model. The source is annotated when it
imports to exactly the release's items (same ids, same order); otherwise (an
overlay gave ids, linked files, a native YAML runbook, an upgrade that carried
ids over) the model is written out with :func:`golive.runbook.export.to_markdown`
and that is annotated. Either way the result is imported again and must give
the same item ids; the report says whether it did.

Each record is a block quote inside the item's list entry, after the item's own
words: Markdown renders it under the item, and golive imports it as a note of
that item (never as an item, so ids are unchanged). Done tasks are ticked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from golive.report.model import ItemRecord
from golive.report.text import clean, md, md_code
from golive.runbook.model import Runbook

__all__ = ["WriteBack", "record_lines", "write_back"]

_ITEM_LINE = re.compile(r"^(?P<lead>(?:[ \t]*>)*[ \t]?)(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])")
_BOX = re.compile(r"([ \t]*)\[ \]")
_ICONS = {"done": "✅", "failed": "❌", "skipped": "⏭", "started": "▶", "pending": "○"}


@dataclass(frozen=True)
class WriteBack:
    markdown: str
    origin: str
    """``source`` or ``export``."""
    reimports: bool
    note: str


def record_lines(record: ItemRecord, waiver: str = "") -> list[str]:
    """The Markdown lines (one paragraph each) recording what happened to an item."""
    out: list[str] = []
    if record.status != "pending" and record.when is not None:
        icon = _ICONS.get(record.status, "•")
        line = f"{icon} **{md(record.status)}** by {md(record.by)}, {md(record.when.local)} ({record.when.t})"
        if record.reason:
            line += f": {md(record.reason)}"
        out.append(line)
    latest: dict[str, int] = {}
    for index, check in enumerate(record.checks):
        latest[check.name] = index
    for name, index in latest.items():
        check = record.checks[index]
        line = (
            f"check {md_code(name)} ({md(check.kind)}): **{md(check.status)}** {md_code(check.summary)}"
            f" by {md(check.by)}, {md(check.when.local)} ({check.when.t})"
        )
        earlier = [c for c in record.checks[:index] if c.name == name and c.status != check.status]
        if earlier:
            shown = "; ".join(f"{md(c.status)} {md_code(c.summary)} at {c.when.t}" for c in earlier[-3:])
            more = f" (and {len(earlier) - 3} more)" if len(earlier) > 3 else ""
            line += f"; before: {shown}{more}"
        out.append(line)
    out.extend(f"evidence: {md(entry)}" for entry in record.evidence)
    out.extend(f"comment: {md(entry)}" for entry in record.comments)
    out.extend(md(entry) for entry in record.procedure)
    if waiver:
        out.append(f"waived: {md(waiver)}")
    return out


def _item_ids(runbook: Runbook) -> list[str]:
    return [item.id for item in runbook.all_items()]


def _parse(text: str) -> Runbook | None:
    from golive.runbook.loader import parse_runbook_text

    try:
        return parse_runbook_text(text)
    except Exception:  # a text that does not even import is simply not a candidate
        return None


def _annotate(text: str, parsed: Runbook, notes: dict[str, list[str]], ticks: set[str], header: str) -> str:
    """``text`` with each item's record inserted after the item's own words."""
    from golive.runbook.markdown_import import markdown_parser
    from golive.runbook.text import repair_text

    lines = text.split("\n")
    by_line = {item.line: item for item in parsed.all_items() if item.file is None}
    tokens = markdown_parser().parse(repair_text(text), {})
    inserts: dict[int, list[str]] = {}
    first_heading: int | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None and first_heading is None:
            first_heading = token.map[0]
        if token.type != "list_item_open" or token.map is None:
            continue
        start = token.map[0]
        item = by_line.get(start + 1)
        if item is None or start >= len(lines):
            continue
        item_id = item.id
        match = _ITEM_LINE.match(lines[start])
        if match is None:
            continue
        if item_id in ticks and item.kind == "task" and not item.checked:
            box = _BOX.match(lines[start], match.end())
            if box is not None:
                lines[start] = lines[start][: box.start(1)] + box.group(1) + "[x]" + lines[start][box.end() :]
        entries = notes.get(item_id)
        if not entries:
            continue
        child = tokens[index + 1] if index + 1 < len(tokens) else None
        end = child.map[1] if child is not None and child.map is not None else start + 1
        lead = match.group("lead")
        quote = lead.rstrip() if ">" in lead else ""
        after_marker = lines[start][match.end() :]
        spaces = len(after_marker) - len(after_marker.lstrip(" "))
        if spaces == 0 or spaces > 4 or after_marker.strip() == "":
            spaces = 1
        column = len((lines[start][: match.end()]).expandtabs(4)) + spaces
        pad = quote + " " * max(column - len(quote), 1 if quote else 0)
        block = [quote]
        for number, entry in enumerate(entries):
            if number:
                block.append(pad + ">")
            block.append(pad + "> " + entry)
        if end >= len(lines) or lines[end].strip(" \t>") != "":
            block.append(quote)
        inserts.setdefault(end, []).extend(block)
    if header:
        at = first_heading if first_heading is not None else len(lines)
        inserts.setdefault(at, []).extend(["", "> " + header, ""])
    out: list[str] = []
    for number, line in enumerate(lines):
        out.extend(inserts.get(number, []))
        out.append(line)
    out.extend(inserts.get(len(lines), []))
    return "\n".join(out)


def write_back(
    runbook: Runbook,
    source: str,
    records: Sequence[ItemRecord],
    waivers: dict[str, str],
    header: str,
) -> WriteBack:
    """The runbook annotated with each item's record; see the module docstring."""
    from golive.runbook.export import to_markdown

    expected = _item_ids(runbook)
    notes: dict[str, list[str]] = {}
    ticks: set[str] = set()
    for record in records:
        lines = record_lines(record, waivers.get(record.id, ""))
        if lines:
            notes[record.id] = lines
        if record.status == "done":
            ticks.add(record.id)
    candidates: list[tuple[str, str]] = []
    text = source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    native = (runbook.file or "").lower().endswith((".yaml", ".yml"))
    if text.strip() and not native:
        candidates.append(("source", clean(text)))
    candidates.append(("export", clean(to_markdown(runbook))))
    fallback: WriteBack | None = None
    for origin, candidate in candidates:
        parsed = _parse(candidate)
        if parsed is None or _item_ids(parsed) != expected:
            continue
        annotated = _annotate(candidate, parsed, notes, ticks, header)
        again = _parse(annotated)
        if again is not None and _item_ids(again) == expected:
            how = (
                "the runbook's own Markdown"
                if origin == "source"
                else "the release's stored runbook written out as Markdown"
            )
            return WriteBack(
                annotated, origin, True, f"{how}, annotated; it imports again with the same item ids"
            )
        if fallback is None:
            fallback = WriteBack(
                annotated, origin, False, "annotated, but it does not import again with the same item ids"
            )
    if fallback is not None:
        return fallback
    exported = clean(to_markdown(runbook))
    parsed = _parse(exported)
    annotated = _annotate(exported, parsed, notes, ticks, header) if parsed is not None else exported
    return WriteBack(
        annotated,
        "export",
        False,
        "the stored runbook does not write out as Markdown that imports to the same item ids; "
        "this copy may differ from the release's items",
    )
