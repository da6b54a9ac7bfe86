"""Annotations and overlay data, applied over what the rules derived: plain values
(owner, optional, contingency, duration, phase, checks) before gates, gates after."""

from __future__ import annotations

from typing import Any

from golive.errors import RunbookFormatError
from golive.runbook.model import CheckSpec, Context, Gate, Item, Schedule, Section
from golive.runbook.schedule import parse_duration_range

__all__ = ["apply_annotation_pass", "apply_annotations"]


def apply_annotations(annotations: dict[int, tuple[Any, dict[str, Any], str]]) -> None:
    """Apply annotations or overlay data to an already derived runbook (native YAML)."""
    apply_annotation_pass(annotations, before_gates=True)
    apply_annotation_pass(annotations, before_gates=False)


def apply_annotation_pass(
    annotations: dict[int, tuple[Any, dict[str, Any], str]], *, before_gates: bool
) -> None:
    for target, data, location in annotations.values():
        try:
            if before_gates:
                _apply_plain(target, data, location)
            elif "gate" in data:
                _apply_gate(target, data["gate"], location)
        except (ValueError, TypeError) as exc:
            raise RunbookFormatError(str(exc).split("\n")[0], location=location) from None


def _apply_plain(target: Item | Section, data: dict[str, Any], location: str) -> None:
    target.annotation = {**target.annotation, **data}
    for key, value in data.items():
        if key == "owner":
            target.owner = str(value)
        elif key == "optional":
            target.optional = bool(value)
        elif key == "contingency":
            context: Context = "contingency" if value else "normal"
            target.context = context
            if isinstance(target, Section):
                for section in target.walk():
                    section.context = context
                    for item in section.all_items():
                        item.context = context
        elif key == "duration":
            rng = parse_duration_range(str(value))
            if rng is None:
                raise ValueError(f"duration: expected a duration such as '2 hours', got {value!r}")
            target.duration = rng
        elif key == "phase" and isinstance(target, Section):
            if not isinstance(value, dict):
                raise ValueError("phase: expected a mapping such as {start: -7d, end: 0s}")
            target.schedule = Schedule.model_validate({"label": target.title, **value})
        elif key == "checks" and isinstance(target, Item):
            if not isinstance(value, list) or not all(isinstance(v, dict) and "kind" in v for v in value):
                raise ValueError("checks: expected a list of mappings, each with a 'kind'")
            specs = [CheckSpec.model_validate(v) for v in value]
            for spec in specs:
                spec._source = location
            target.checks = specs


def _apply_gate(target: Item | Section, value: Any, location: str) -> None:
    if value is False or value is None:
        target.gate = None
        if isinstance(target, Section):
            for item in target.all_items():
                if item.gate is not None and item.gate.rule.startswith("section"):
                    item.gate = None
        return
    kind = value if value in ("hard", "phase", "signoff") else "hard"
    if value is not True and value not in ("hard", "phase", "signoff"):
        raise RunbookFormatError(
            "gate: expected true, false, 'hard', 'phase' or 'signoff'", location=location
        )
    target.gate = Gate(kind=kind, rule="annotation")
    if isinstance(target, Section):
        for item in target.all_items():
            if item.gate is None or item.gate.rule != "annotation":
                item.gate = Gate(kind=kind, rule=f"section-annotation:{target.id}")
