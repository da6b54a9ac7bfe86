"""A release's events in words, as the event timeline shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from golive.web.pages.render import clean_text, fmt_pct

if TYPE_CHECKING:
    from golive.store.events import Event

__all__ = ["describe_event"]


def describe_event(event: Event, items_by_id: dict[str, dict[str, Any]]) -> str:
    """One event in words; never the raw data (a guard carries actuators, which may hold secrets)."""
    data = event.data
    kind = event.type

    def text(key: str) -> str:
        return clean_text(data.get(key, ""))

    def item() -> str:
        found = items_by_id.get(str(data.get("item", "")))
        return f"“{clean_text(found['text'])}”" if found else text("item")

    why = f": {text('reason')}" if data.get("reason") else ""
    verbs = {
        "item.started": "started",
        "item.done": "marked done",
        "item.failed": "marked failed",
        "item.skipped": "skipped",
        "item.reopened": "reopened",
    }
    if kind in verbs:
        return f"{verbs[kind]} {item()}{why}"
    words: dict[str, Callable[[], str]] = {
        "release.started": lambda: "started the release",
        "check.recorded": lambda: f"check {text('name')} of {item()}: {text('status')} ({text('summary')})",
        "item.commented": lambda: f"commented: {text('text')}",
        "evidence.attached": lambda: f"attached evidence to {item()}",
        "signoff.given": lambda: f"signed off as {text('role')}",
        "signoff.revoked": lambda: f"revoked the sign-off as {text('role')}{why}",
        "waiver.granted": lambda: f"waived {_target(items_by_id, str(data.get('target', '')))}{why}",
        "decision.recorded": lambda: f"recorded {text('decision')}",
        "rollout.started": lambda: "started the rollout",
        "rollout.step.intent": lambda: f"setting {text('component')} to {fmt_pct(data.get('weight'))}",
        "rollout.step.done": lambda: (
            f"{text('component')} at {fmt_pct(data.get('weight'))}"
            + ("" if data.get("ok", True) else f": failed ({text('summary')})")
        ),
        "rollout.trigger.fired": lambda: f"trigger {text('trigger')} fired: {text('reaction')}",
        "rollout.alert": lambda: f"alert from {text('trigger')}: {text('detail')}",
        "rollout.paused": lambda: f"paused the rollout{why}",
        "rollout.resumed": lambda: f"resumed the rollout{why}",
        "rollout.promoted": lambda: f"promoted {text('component') or 'the rollout'}",
        "rollout.rollback.intent": lambda: f"rolling back{why}",
        "rollout.rollback.component": lambda: f"rolled back {text('component')}",
        "rollout.rollback.step.done": lambda: f"rollback step: {text('text')}",
        "rollout.rollback.done": lambda: "rollback done",
        "rollout.completed": lambda: "the rollout completed",
        "rollout.aborted": lambda: f"aborted the rollout{why}",
        "rollout.attention": lambda: f"needs a person: {text('reason')}",
        "rollout.resolved": lambda: f"resolved {text('step')}{why}",
    }
    describe = words.get(kind)
    return describe() if describe else kind


def _target(items_by_id: dict[str, dict[str, Any]], target: str) -> str:
    found = items_by_id.get(target)
    return f"the gate “{clean_text(found['text'])}”" if found else clean_text(target)
