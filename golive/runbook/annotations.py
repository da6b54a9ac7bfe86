"""Machine data attached to a Markdown runbook without changing how it reads.

In the Markdown itself: an HTML comment, invisible on GitHub::

    - [ ] Backup production database <!-- golive: {id: db-backup, gate: true} -->
    ### Release Gates
    <!-- golive: {gate: true, owner: Release Manager} -->

The comment's body is a YAML flow mapping. At the end of an item's line it
applies to that item; as the first block after a heading, to that section; before
the first heading, to the whole runbook (e.g. ``gate_rules``).

Runme's fenced-block attributes are accepted unchanged: ```` ```sh {"name":"x"} ````.

An overlay file does the same for a runbook one does not want to edit: see
:func:`load_overlay` and docs/overlays.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from golive.errors import OverlayError, RunbookFormatError

__all__ = [
    "ITEM_KEYS",
    "SECTION_KEYS",
    "Overlay",
    "OverlayRule",
    "find_annotations",
    "load_overlay",
    "parse_annotation",
    "parse_fence_info",
    "strip_annotations",
]

ANNOTATION_RE = re.compile(r"<!--\s*golive:(.*?)-->", re.S)
ITEM_KEYS = {"id", "gate", "checks", "owner", "optional", "contingency", "sign_off", "duration", "notes"}
SECTION_KEYS = {"id", "gate", "owner", "phase", "contingency", "sign_off", "duration"}
DOCUMENT_KEYS = {"gate_rules", "metadata", "rollout", "policies", "rollout_guard"}


_CODE_SPAN_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def _in_code(text: str) -> list[tuple[int, int]]:
    """Where the code spans are: an annotation written inside backticks is an
    example in prose (``<!-- golive: {...} -->``), not an annotation."""
    return [m.span() for m in _CODE_SPAN_RE.finditer(text)] if "`" in text else []


def _real(text: str) -> list[re.Match[str]]:
    spans = _in_code(text)
    return [m for m in ANNOTATION_RE.finditer(text) if not any(a <= m.start() < b for a, b in spans)]


def find_annotations(text: str) -> list[str]:
    return [m.group(1) for m in _real(text)]


_STRIP_RE = re.compile(r"[ \t]*<!--\s*golive:.*?-->", re.S)


def strip_annotations(text: str) -> str:
    spans = _in_code(text)
    if not spans:
        return _STRIP_RE.sub("", text).rstrip()

    def keep_code(match: re.Match[str]) -> str:
        start = match.start() + len(match.group(0)) - len(match.group(0).lstrip(" \t"))
        return match.group(0) if any(a <= start < b for a, b in spans) else ""

    return _STRIP_RE.sub(keep_code, text).rstrip()


def parse_annotation(body: str, *, location: str, allowed: set[str]) -> dict[str, Any]:
    """The mapping inside ``<!-- golive: ... -->``; bad input raises RunbookFormatError."""
    source = body.strip()
    if not source.startswith("{"):
        source = "{" + source + "}"
    try:
        data = yaml.safe_load(source)
    except RecursionError:
        raise RunbookFormatError("golive annotation is nested too deeply", location=location) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RunbookFormatError(
            f"golive annotation is not a YAML mapping: {problem}", location=location
        ) from None
    if not isinstance(data, dict):
        raise RunbookFormatError(
            "golive annotation must be a mapping such as {gate: true}", location=location
        )
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise RunbookFormatError(
            f"unknown golive annotation field {unknown[0]!r} (expected one of: {', '.join(sorted(allowed))})",
            location=location,
        )
    return {str(k): v for k, v in data.items()}


def parse_fence_info(info: str) -> tuple[str | None, dict[str, Any]]:
    """Language and attributes of a fence's info string.

    ``sh {"name":"deploy","interactive":false}`` (Runme) -> (``sh``, {...});
    ``bash`` -> (``bash``, {}); ``{"name": "x"}`` alone -> (None, {...}).
    Attributes that are not valid JSON are kept as ``{"raw": "..."}``.
    """
    info = info.strip()
    if not info:
        return None, {}
    brace = info.find("{")
    if brace == -1:
        return info.split()[0].lower(), {}
    language = info[:brace].strip().split()[0].lower() if info[:brace].strip() else None
    raw = info[brace:]
    try:
        attrs = json.loads(raw)
    except (ValueError, RecursionError):
        try:
            attrs = yaml.safe_load(raw)
        except (yaml.YAMLError, RecursionError):
            attrs = None
    if not isinstance(attrs, dict):
        return language, {"raw": raw}
    return language, {str(k): v for k, v in attrs.items()}


@dataclass
class OverlayRule:
    """One overlay entry: what it matches and what it sets."""

    target: str  # "item" or "section"
    match_id: str | None
    match_text: str | None
    match_contains: str | None
    data: dict[str, Any]
    line: int
    all_matches: bool = False

    def describe(self) -> str:
        if self.match_id:
            return f"id {self.match_id!r}"
        if self.match_text:
            return f"text {self.match_text!r}"
        return f"text containing {self.match_contains!r}"


@dataclass
class Overlay:
    path: str
    items: list[OverlayRule] = field(default_factory=list)
    sections: list[OverlayRule] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise RunbookFormatError(
                f"duplicate key {key!r}",
                location=f"{{file}}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}",
            )
        seen.add(key)
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _rule(entry: Any, target: str, path: str, index: int) -> OverlayRule:
    if not isinstance(entry, dict):
        raise OverlayError(f"{target}s[{index}] must be a mapping", location=path)
    line = int(entry.pop("__line__", 0))
    loc = f"{path}:{line}"
    match = entry.pop("match", None)
    if not isinstance(match, dict):
        raise OverlayError(
            f"{target}s[{index}]: 'match' is required: {{id: ...}}, {{text: ...}} or {{contains: ...}}",
            location=loc,
        )
    match.pop("__line__", None)
    all_matches = bool(match.pop("all", False))
    unknown = set(match) - {"id", "text", "contains", "title"}
    if unknown or not match:
        raise OverlayError(f"{target}s[{index}].match: expected one of id, text, contains", location=loc)
    allowed = ITEM_KEYS if target == "item" else SECTION_KEYS
    bad = sorted(set(entry) - allowed)
    if bad:
        raise OverlayError(
            f"{target}s[{index}]: unknown field {bad[0]!r} (expected one of: {', '.join(sorted(allowed))})",
            location=loc,
        )
    _strip_lines(entry)
    text = match.get("text", match.get("title"))
    return OverlayRule(
        target=target,
        match_id=str(match["id"]) if "id" in match else None,
        match_text=str(text) if text is not None else None,
        match_contains=str(match["contains"]) if "contains" in match else None,
        data=entry,
        line=line,
        all_matches=all_matches,
    )


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        value.pop("__line__", None)
        for v in value.values():
            _strip_lines(v)
    elif isinstance(value, list):
        for v in value:
            _strip_lines(v)
    return value


def load_overlay(path: Path) -> Overlay:
    """Read an overlay file::

    golive_overlay: 1
    gate_rules: {section_patterns: ["\\bmust pass\\b"]}
    items:
      - match: {text: "Backup production database"}
        gate: true
        checks: [{kind: file, path: /var/backups/db.sql, max_age: 2h}]
      - match: {id: smoke-test-checklist/health}
        checks: [{kind: http, url: "http://127.0.0.1:8000/api/health"}]
    sections:
      - match: {title: "Phase 2: Deployment (15-30 minutes)"}
        phase: {start: 0s}
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverlayError("overlay file not found", location=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverlayError(f"cannot read overlay: {exc.__class__.__name__}", location=name) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except RunbookFormatError as exc:
        raise OverlayError(exc.message, location=(exc.location or "").replace("{file}", name)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        loc = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise OverlayError(f"invalid YAML: {exc.problem}", location=loc) from None
    except yaml.YAMLError:
        raise OverlayError("invalid YAML", location=name) from None
    if not isinstance(data, dict):
        raise OverlayError("an overlay must be a YAML mapping with 'items' and/or 'sections'", location=name)
    data.pop("__line__", None)
    overlay = Overlay(path=name)
    allowed_top = {"golive_overlay", "runbook", "items", "sections"} | DOCUMENT_KEYS
    unknown = sorted(set(data) - allowed_top)
    if unknown:
        raise OverlayError(
            f"unknown overlay field {unknown[0]!r} (expected one of: {', '.join(sorted(allowed_top))})",
            location=name,
        )
    for key in ("items", "sections"):
        entries = data.get(key) or []
        if not isinstance(entries, list):
            raise OverlayError(f"'{key}' must be a list", location=name)
        target = key[:-1]
        rules = [_rule(entry, target, name, i) for i, entry in enumerate(entries)]
        getattr(overlay, key).extend(rules)
    for key in DOCUMENT_KEYS:
        if key in data:
            overlay.document[key] = _strip_lines(data[key])
    return overlay
