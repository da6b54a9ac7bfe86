"""Stable ids for sections, items and code blocks, and carrying ids across edits.

An id is derived from the nearest section's title and the item's own words,
normalised (case, punctuation, emoji, Markdown emphasis, checkbox state and
spacing ignored), so re-importing an unchanged or re-formatted document gives the
same ids. An explicit id (annotation or overlay) always wins. For edits that
change words, :func:`reconcile` carries the old ids over to the new items that
are still recognisably the same (same section and similar text, or identical
text moved elsewhere).
"""

from __future__ import annotations

from difflib import SequenceMatcher

from golive.runbook.model import CodeBlock, Item, Runbook, Section
from golive.runbook.text import normalize, slugify

__all__ = ["assign_ids", "reconcile", "section_slug"]


def section_slug(section: Section) -> str:
    return slugify(section.title or section.title_raw or "section", 40)


class _IdSpace:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, base: str) -> str:
        candidate = base
        n = 2
        while candidate in self.used:
            candidate = f"{base}-{n}"
            n += 1
        self.used.add(candidate)
        return candidate


def assign_ids(runbook: Runbook) -> Runbook:
    """Fill every empty ``id`` in place (explicit ids are kept) and return the runbook."""
    space = _IdSpace()
    # explicit ids first, so a derived id never steals one
    for section in runbook.walk_sections():
        if section.id:
            space.used.add(section.id)
        for item in section.all_items():
            if item.id:
                space.used.add(item.id)
    for section in runbook.walk_sections():
        if not section.id:
            section.id = space.take(section_slug(section))
    for section in runbook.walk_sections():
        prefix = section.id
        for item in section.items:
            _assign_item(item, prefix, space)
        for index, block in enumerate(section.code_blocks, 1):
            _assign_block(block, prefix, index, space)
    return runbook


def _assign_item(item: Item, prefix: str, space: _IdSpace) -> None:
    if not item.id:
        item.id = space.take(f"{prefix}/{slugify(item.text or item.text_raw, 40)}")
    for index, block in enumerate(item.code_blocks, 1):
        _assign_block(block, item.id, index, space)
    for child in item.items:
        _assign_item(child, prefix, space)


def _assign_block(block: CodeBlock, prefix: str, index: int, space: _IdSpace) -> None:
    if not block.id:
        block.id = space.take(f"{prefix}/code-{block.name or index}")


def _flat(runbook: Runbook) -> list[tuple[str, Item]]:
    return [(section.id, item) for section in runbook.walk_sections() for item in section.all_items()]


def reconcile(old: Runbook, new: Runbook, *, threshold: float = 0.75) -> dict[str, str]:
    """Give ``new``'s items the ids of the matching ``old`` items, in place.

    Returns the mapping ``{new id before: old id}`` of the ids it changed. Matching
    order: identical id; identical normalised text (same section first); then the
    most similar text in the same section (ratio >= ``threshold``).
    """
    old_items = _flat(old)
    new_items = _flat(new)
    old_by_id = {item.id: (sec, item) for sec, item in old_items}
    claimed: set[str] = set()
    pending: list[tuple[str, Item]] = []
    for sec, item in new_items:
        if item.id in old_by_id and normalize(old_by_id[item.id][1].text) == normalize(item.text):
            claimed.add(item.id)
        else:
            pending.append((sec, item))
    changes: dict[str, str] = {}
    taken_new_ids = {item.id for _, item in new_items}

    def adopt(item: Item, old_id: str) -> None:
        if old_id in taken_new_ids and old_id != item.id:
            # another new item carries this id by derivation; it was not matched,
            # so it gets a fresh suffix below
            pass
        changes[item.id] = old_id
        item.id = old_id
        claimed.add(old_id)

    remaining: list[tuple[str, Item]] = []
    old_by_text: dict[str, list[tuple[str, Item]]] = {}
    for sec, item in old_items:
        old_by_text.setdefault(normalize(item.text), []).append((sec, item))
    for sec, item in pending:
        candidates = [c for c in old_by_text.get(normalize(item.text), []) if c[1].id not in claimed]
        same = [c for c in candidates if c[0] == sec]
        choices = same or candidates
        if choices:
            adopt(item, choices[0][1].id)
        else:
            remaining.append((sec, item))
    for sec, item in remaining:
        best: tuple[float, str] | None = None
        text = normalize(item.text)
        for old_sec, old_item in old_items:
            if old_item.id in claimed or old_sec != sec:
                continue
            ratio = SequenceMatcher(None, text, normalize(old_item.text)).ratio()
            if ratio >= threshold and (best is None or ratio > best[0]):
                best = (ratio, old_item.id)
        if best is not None:
            adopt(item, best[1])
    # an unmatched new item whose derived id collides with an adopted old id
    seen: set[str] = set()
    for _, item in new_items:
        if item.id in seen:
            base = item.id
            n = 2
            while f"{base}-{n}" in seen or f"{base}-{n}" in claimed:
                n += 1
            changes[item.id] = f"{base}-{n}"
            item.id = f"{base}-{n}"
        seen.add(item.id)
    return changes
