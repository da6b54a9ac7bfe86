"""Rollout plans: staged percentages ("10% → 50% → 100%", "Enable for 10% …
monitor for 1 hour") in items, code blocks and notes, and flag rollouts written
as a sequence of items (``FLAG_PERCENT=10`` … ``50`` … ``100``) with their hold
points ("T+4h: **HOLD POINT** - Go/No-Go decision"): a hold point is a manual
promotion gate of the step before it, not a release gate."""

from __future__ import annotations

import re
from datetime import timedelta

from golive.runbook.derive.gates import RulePatterns
from golive.runbook.model import Item, RolloutPlan, RolloutStep, Runbook, Section
from golive.runbook.text import strip_markdown

__all__ = ["derive_rollout"]

_PERCENT_CHAIN = re.compile(
    r"(\d{1,3}(?:\.\d+)?)\s*%\s*(?:(?:→|->|=>|to|,|then)\s*(\d{1,3}(?:\.\d+)?)\s*%\s*)+"
)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_STEP_LINE = re.compile(
    r"(?:enable|increase|expand|roll ?out|ramp(?: up)?|release|go)\s+(?:for|to)\s+(\d{1,3}(?:\.\d+)?)\s*%",
    re.I,
)
_BAKE_LINE = re.compile(
    r"(?:monitor|wait|bake|soak|observe)\w*\s+(?:for\s+)?(\d+(?:\.\d+)?|an?|one)\s*(minutes?|hours?|days?)",
    re.I,
)


_FLAG_STEP = re.compile(
    r"\b[A-Z_]*PERCENT(?:AGE)?[A-Z_]*\s*[=:]\s*(\d{1,3})\b"
    r"|--(?:percent(?:age)?|rollout)[= ](\d{1,3})\b"
    r"|\b(?:enable|increase|expand|roll ?out|ramp(?: up)?|widen|set)\b[^%]{0,30}?\bto\s+(\d{1,3})\s*%",
    re.I,
)


def derive_rollout(runbook: Runbook) -> list[RolloutPlan]:
    plans: list[RolloutPlan] = []
    holds = RulePatterns(runbook.gate_rules.hold_point_patterns, "hold_point_patterns")
    for section in runbook.walk_sections():
        sequence = _item_sequence(section, holds)
        if sequence is not None:
            plans.append(sequence)
            continue
        sources: list[tuple[str, int, str | None]] = []
        for item in section.all_items():
            if "%" in item.text:
                sources.append((item.text, item.line, item.file))
            sources.extend((b.code, b.line, b.file) for b in item.code_blocks if "%" in b.code)
        sources.extend((b.code, b.line, b.file) for b in section.code_blocks if "%" in b.code)
        sources.extend((n.text, n.line, n.file) for n in section.notes if "%" in n.text)
        for text, line, file in sources:
            plan = _plan_from(text, line, file)
            if plan is not None:
                plans.append(plan)
    return plans


def _plan_from(text: str, line: int, file: str | None) -> RolloutPlan | None:
    if "%" not in text:
        return None
    plain = strip_markdown(text)
    steps: list[RolloutStep] = []
    for raw in plain.splitlines():
        step = _STEP_LINE.search(raw)
        bake = _BAKE_LINE.search(raw)
        if step:
            steps.append(RolloutStep(weight=float(step.group(1))))
        elif bake and steps and steps[-1].bake is None:
            amount = bake.group(1).lower()
            number = 1.0 if amount in ("a", "an", "one") else float(amount)
            unit = bake.group(2).lower().rstrip("s")
            seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit]
            steps[-1].bake = timedelta(seconds=number * seconds)
    if len(steps) >= 2 and steps[-1].weight == 100:
        return RolloutPlan(steps=steps, text=text.strip(), line=line, file=file)
    chain = _PERCENT_CHAIN.search(plain)
    if chain and re.search(r"roll ?out|staged|canary|phased|traffic|users", plain, re.I):
        weights = [float(w) for w in _PERCENT.findall(chain.group(0))]
        if len(weights) >= 2 and weights == sorted(weights) and weights[-1] == 100:
            return RolloutPlan(
                steps=[RolloutStep(weight=w) for w in weights], text=plain.strip(), line=line, file=file
            )
    return None


def _flag_weight(item: Item) -> float | None:
    texts = [item.text, *(c.code for c in item.code_blocks)]
    for text in texts:
        if "%" not in text and "ercent" not in text and "ERCENT" not in text and "--rollout" not in text:
            continue
        found = _FLAG_STEP.search(strip_markdown(text))
        if found:
            return float(next(g for g in found.groups() if g is not None))
    return None


def _item_sequence(section: Section, holds: RulePatterns) -> RolloutPlan | None:
    """A rollout written as one item per step ("T+0: FLAG_PERCENT=10", "T+4h: HOLD
    POINT - Go/No-Go", "T+4h: FLAG_PERCENT=50", …), in document order."""
    steps: list[RolloutStep] = []
    started: list[Item] = []
    hold_items: list[Item] = []
    for item in section.items:
        weight = _flag_weight(item)
        if weight is not None and (not steps or weight > steps[-1].weight):
            steps.append(RolloutStep(weight=weight))
            started.append(item)
        elif steps and holds.match(item.text):
            step, begun = steps[-1], started[-1]
            step.hold, step.hold_line = True, item.line
            at, since = item.schedule, begun.schedule
            if (
                at is not None
                and since is not None
                and at.start is not None
                and since.start is not None
                and at.start > since.start
            ):
                step.bake = at.start - since.start  # watched from the step to the hold point
            hold_items.append(item)
    if len(steps) < 2 or steps[-1].weight != 100:
        return None
    for item in hold_items:
        if item.gate is not None and item.gate.rule != "annotation":
            item.gate = None  # a promotion gate of its step, decided during the rollout
    text = "\n".join(i.text for i in section.items if i in started or i in hold_items)
    return RolloutPlan(steps=steps, text=text, line=started[0].line, file=started[0].file)
