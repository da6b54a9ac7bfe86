"""Rollout plans: staged percentages ("10% → 50% → 100%", "Enable for 10% …
monitor for 1 hour") in items, code blocks and notes."""

from __future__ import annotations

import re
from datetime import timedelta

from golive.runbook.model import RolloutPlan, RolloutStep, Runbook
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


def derive_rollout(runbook: Runbook) -> list[RolloutPlan]:
    plans: list[RolloutPlan] = []
    for section in runbook.walk_sections():
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
