"""Loading a runbook from disk: Markdown (following links to other Markdown files
beside it) or the native YAML format, then overlays, ids and derived meaning.

This is the one entry point the CLI and every later feature use.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from golive.errors import InputError, OverlayError
from golive.runbook.annotations import DOCUMENT_KEYS, Overlay, OverlayRule, load_overlay
from golive.runbook.derive import derive
from golive.runbook.ids import assign_ids
from golive.runbook.markdown_import import ParsedFile, parse_markdown
from golive.runbook.model import (
    GateRules,
    ImportWarning,
    Item,
    Metadata,
    Policy,
    RolloutPlan,
    Runbook,
    Section,
)
from golive.runbook.text import normalize

__all__ = ["NATIVE_SUFFIXES", "apply_overlay", "load_runbook", "parse_runbook_text", "read_text"]

NATIVE_SUFFIXES = (".yaml", ".yml")
MAX_BYTES = 20 * 1024 * 1024
MAX_LINKED_FILES = 200


def read_text(path: Path) -> tuple[str, bytes]:
    """Decoded text and raw bytes of a runbook file; bad input raises InputError."""
    name = str(path)
    try:
        if path.is_dir():
            raise InputError("is a directory, not a runbook file", location=name)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"file is too large for a runbook ({size} bytes; limit {MAX_BYTES})", location=name
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", location=name) from None
    except PermissionError:
        raise InputError("permission denied", location=name) from None
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc.__class__.__name__}", location=name
        ) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError("binary data (NUL byte): not a text runbook", location=f"{name}:{line}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Old Windows editors: cp1252 text. Decode it rather than refuse it.
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n"), data


def parse_runbook_text(text: str, file: str | None = None) -> Runbook:
    """A runbook from Markdown text alone (no links followed, no overlay)."""
    parsed = parse_markdown(text.replace("\r\n", "\n").replace("\r", "\n"), file)
    runbook = _assemble(parsed, [], hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    return _finish(runbook, parsed, [parsed], None)


def load_runbook(path: str | Path, overlay: str | Path | None = None) -> Runbook:
    """Load a runbook file with its linked files and an optional overlay."""
    main = Path(path)
    if main.suffix.lower() in NATIVE_SUFFIXES:
        from golive.runbook.native import load_native

        runbook = load_native(main)
        if overlay is not None:
            annotations: dict[int, tuple[Any, dict[str, Any], str]] = {}
            apply_overlay(runbook, load_overlay(Path(overlay)), annotations)
            from golive.runbook.derive import apply_annotations

            apply_annotations(annotations)
        validate_checks(runbook)
        return runbook
    text, data = read_text(main)
    parsed = parse_markdown(text, main.name)
    digest = hashlib.sha256()
    digest.update(data)
    extra = _follow_links(main, parsed, digest)
    runbook = _assemble(parsed, [p for p, _ in extra], digest.hexdigest())
    runbook.file = str(main)
    files = [parsed, *(p for p, _ in extra)]
    return _finish(runbook, parsed, files, load_overlay(Path(overlay)) if overlay is not None else None)


def _follow_links(main: Path, parsed: ParsedFile, digest: Any) -> list[tuple[ParsedFile, Section]]:
    """Import relative links to Markdown files beside the runbook, once each."""
    root = main.resolve().parent
    seen = {main.resolve()}
    missing: set[str] = set()
    out: list[tuple[ParsedFile, Section]] = []
    queue: list[tuple[ParsedFile, Path]] = [(parsed, main.resolve())]
    while queue:
        current, current_path = queue.pop(0)
        for link in current.links:
            parts = urlsplit(link.target)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            if not parts.path.lower().endswith((".md", ".markdown")):
                continue
            target = (current_path.parent / unquote(parts.path)).resolve()
            relative = _relative(target, root)
            if relative is None:
                current.warnings.append(
                    ImportWarning(
                        message=f"link to {link.target} leaves the runbook's folder; not followed",
                        line=link.line,
                        file=current.file,
                    )
                )
                continue
            if target in seen:
                continue
            if not target.is_file():
                if relative not in missing:
                    missing.add(relative)
                    current.warnings.append(
                        ImportWarning(
                            message=f"linked file {relative} not found; its items are not in the runbook",
                            line=link.line,
                            file=current.file,
                        )
                    )
                continue
            if len(seen) > MAX_LINKED_FILES:
                current.warnings.append(
                    ImportWarning(message="too many linked files; stopped following links", line=link.line)
                )
                return out
            seen.add(target)
            text, data = read_text(target)
            digest.update(relative.encode())
            digest.update(data)
            child = parse_markdown(text, relative)
            level = (link.section.level if link.section is not None else 0) + 1
            wrapper = Section(
                id="",
                title=link.text or (child.title or relative),
                title_raw=link.text or relative,
                level=level,
                line=1,
                file=relative,
            )
            for section in child.sections:
                _shift_levels(section, level)
            wrapper.sections.extend(child.sections)
            if link.section is not None:
                link.section.sections.append(wrapper)
            else:
                parsed.sections.append(wrapper)
            out.append((child, wrapper))
            queue.append((child, target))
    return out


def _relative(target: Path, root: Path) -> str | None:
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        return None


def _shift_levels(section: Section, base: int) -> None:
    section.level = max(section.level, 1) + base
    for child in section.sections:
        _shift_levels(child, base)


def _assemble(parsed: ParsedFile, extra: list[ParsedFile], content_hash: str) -> Runbook:
    title = parsed.title
    if not title:
        first = next((s for s in parsed.sections if s.level > 0), None)
        title = first.title if first is not None else (parsed.file or "runbook").rsplit(".", 1)[0]
    front_title = parsed.front_matter.get("title")
    if isinstance(front_title, str) and front_title.strip():
        title = front_title.strip()
    warnings = [w for p in (parsed, *extra) for w in p.warnings]
    return Runbook(
        title=title,
        title_raw=parsed.title_raw or title,
        file=parsed.file,
        files=[p.file for p in (parsed, *extra) if p.file],
        content_hash=content_hash,
        front_matter=parsed.front_matter,
        sections=parsed.sections,
        warnings=warnings,
    )


def _finish(runbook: Runbook, main: ParsedFile, files: list[ParsedFile], overlay: Overlay | None) -> Runbook:
    annotations: dict[int, tuple[Any, dict[str, Any], str]] = {}
    fields: list[tuple[str, str, int, int]] = []
    for parsed in files:
        annotations.update(parsed.annotations)
    fields.extend(main.metadata_fields)
    document = dict(main.document_annotation)
    if isinstance(main.front_matter.get("golive"), dict):
        document.update(main.front_matter["golive"])
    assign_ids(runbook)
    if overlay is not None:
        document.update(overlay.document)
        apply_overlay(runbook, overlay, annotations)
    if "gate_rules" in document:
        rules = document["gate_rules"]
        if not isinstance(rules, dict):
            raise InputError("gate_rules: expected a mapping", location=runbook.file or "<runbook>")
        try:
            runbook.gate_rules = GateRules.model_validate({**runbook.gate_rules.model_dump(), **rules})
        except ValueError as exc:
            raise InputError(
                f"gate_rules: {str(exc).splitlines()[-1].strip()}", location=runbook.file
            ) from None
    derive(runbook, annotations=annotations, metadata_fields=fields, front_matter=main.front_matter)
    _apply_document(runbook, document)
    runbook.annotation = {k: v for k, v in document.items() if k in DOCUMENT_KEYS}
    validate_checks(runbook)
    return runbook


def _apply_document(runbook: Runbook, document: dict[str, Any]) -> None:
    """Document-level annotation or overlay data: metadata, rollout plans, policies."""
    where = runbook.file or "<runbook>"
    try:
        if "metadata" in document:
            meta = document["metadata"]
            if not isinstance(meta, dict):
                raise InputError("metadata: expected a mapping", location=where)
            merged = {**runbook.metadata.model_dump(), **{str(k): v for k, v in meta.items()}}
            runbook.metadata = Metadata.model_validate(merged)
        if "rollout" in document:
            plans = document["rollout"]
            plans = plans if isinstance(plans, list) else [plans]
            if not all(isinstance(p, dict) for p in plans):
                raise InputError("rollout: expected a list of plans, each {steps: [...]}", location=where)
            runbook.rollout = [RolloutPlan.model_validate({"text": "", "line": 0, **p}) for p in plans]
        if "rollout_guard" in document:
            guard = document["rollout_guard"]
            if not isinstance(guard, dict):
                raise InputError("rollout_guard: expected a mapping", location=where)
            from golive.rollout.spec import RolloutGuard

            try:
                RolloutGuard.model_validate(guard)  # bad input fails at load, naming the field
            except ValidationError as exc:
                err = exc.errors()[0]
                path = ".".join(str(p) for p in err["loc"])
                raise InputError(f"rollout_guard.{path}: {err['msg']}", location=where) from None
            runbook.rollout_guard = guard
        if "policies" in document:
            policies = document["policies"]
            if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
                raise InputError("policies: expected a list of {rule, text}", location=where)
            runbook.policies.extend(
                Policy.model_validate({"line": 0, "text": p.get("rule", ""), **p}) for p in policies
            )
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{path}: {err['msg']}", location=where) from None


def validate_checks(runbook: Runbook) -> None:
    """Check definitions and their conditions are validated when a runbook is
    loaded, so a typo fails at load time with the file:line of its definition."""
    if any(item.checks for item in runbook.all_items()):
        from golive.checks.runner import prepare_checks

        prepare_checks(runbook)


def apply_overlay(
    runbook: Runbook, overlay: Overlay, annotations: dict[int, tuple[Any, dict[str, Any], str]]
) -> None:
    """Attach an overlay's data to the items and sections it matches.

    A rule that matches nothing is an error (a typo must not silently disable a
    gate); a text rule that matches several items is an error unless ``all: true``.
    """
    items = list(runbook.all_items())
    sections = list(runbook.walk_sections())
    for rule in overlay.items:
        for target in _matches(rule, items, overlay.path, lambda i: i.text):
            _add(annotations, target, rule, overlay.path)
    for rule in overlay.sections:
        for target in _matches(rule, sections, overlay.path, lambda s: s.title):
            _add(annotations, target, rule, overlay.path)


def _matches(rule: OverlayRule, pool: list[Any], path: str, text_of: Any) -> list[Any]:
    if rule.match_id is not None:
        found = [t for t in pool if t.id == rule.match_id]
    elif rule.match_text is not None:
        wanted = normalize(rule.match_text)
        found = [t for t in pool if normalize(text_of(t)) == wanted]
    else:
        needle = normalize(rule.match_contains or "")
        found = [t for t in pool if needle and needle in normalize(text_of(t))]
    where = f"{path}:{rule.line}"
    if not found:
        raise OverlayError(
            f"{rule.target} matching {rule.describe()} not found in the runbook", location=where
        )
    if len(found) > 1 and not rule.all_matches:
        lines = ", ".join(str(t.line) for t in found[:5])
        raise OverlayError(
            f"{rule.describe()} matches {len(found)} {rule.target}s (lines {lines}); "
            "match by id, or add 'all: true' to the match",
            location=where,
        )
    return found


def _add(
    annotations: dict[int, tuple[Any, dict[str, Any], str]],
    target: Item | Section,
    rule: OverlayRule,
    path: str,
) -> None:
    data = dict(rule.data)
    if "id" in data:
        target.id = str(data["id"])
    key = id(target)
    if key in annotations:
        annotations[key][1].update(data)
    else:
        annotations[key] = (target, data, f"{path}:{rule.line}")
