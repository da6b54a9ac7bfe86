"""The buttons: what each one posts to the API, and the rollout's, which depend on
where the rollout is."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from golive.rollout.state import RolloutState

__all__ = ["CONFIRMED", "Action", "api_url", "rollout_actions"]

CONFIRMED = ("abort", "stop", "pause", "promote", "resume")
"""The rollout actions whose dialog says what happens (golive.rollout.views.confirmation)."""


@dataclass
class Action:
    """A button: POST ``body`` (JSON) to ``url`` with the session's CSRF token; with
    ``confirm``, first an in-page dialog that says exactly what will happen."""

    name: str
    label: str
    url: str
    body: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    """``primary``, ``danger`` or plain."""
    icon: str = ""
    confirm: str = ""
    title: str = ""
    ok: str = ""
    reason: str = ""
    """``required`` or ``optional``: the dialog asks for a reason."""
    reason_field: str = "reason"
    reason_label: str = "Reason (recorded)"
    stale: bool = False
    """Send ``expect_seq``: refused when the release moved on since the person looked."""

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{self.name}\n{self.url}\n{self.body_json}".encode()).hexdigest()
        return "act-" + digest[:12]

    @property
    def body_json(self) -> str:
        return json.dumps(self.body, sort_keys=True)


def api_url(release_id: str, *parts: str) -> str:
    return "/api/v1/releases/" + quote(release_id, safe="") + "".join("/" + p for p in parts)


def rollout_actions(page: Any, state: RolloutState, confirm: dict[str, str]) -> list[Action]:
    """The rollout's buttons the person may press now, each confirming what ``confirm``
    (action -> what happens) says. ``page`` is the ReleasePage (not imported: it
    imports this module)."""
    may = page.allowed.rollout
    out: list[Action] = []

    def add(action: str, label: str, **options: Any) -> None:
        if may.get(action):
            body = options.pop("body", {})
            out.append(
                Action(f"rollout.{action}", label, api_url(page.id, "rollout", action), body, **options)
            )

    if state.guard is None:
        if page.state.runbook.rollout_guard is not None:
            blocker = page.releases.rollout_blocker(page.row, page.state)
            add(
                "start",
                "Start rollout…",
                kind="primary",
                icon="▶",
                confirm="start the rollout with the runbook's own rollout plan"
                + (f" although {blocker}" if blocker else ""),
                title="Start the rollout",
                ok="Start the rollout",
                reason="required" if blocker else "",
                reason_field="without_go",
                reason_label="Why start without a current GO (recorded)",
            )
        return out
    finished = state.rollback_done or state.rollback_intent is not None or state.aborted is not None
    if state.active and not state.paused:
        last = all(
            (state.components.get(c.name) is not None and state.components[c.name].index + 1 >= len(c.steps))
            for c in state.guard.components
        )
        if not last and state.completed_at is None:
            add(
                "promote",
                "Promote…",
                icon="»",
                confirm=confirm["promote"],
                title="Promote",
                ok="Promote",
                reason="required",
            )
        add(
            "pause",
            "Pause…",
            icon="‖",
            confirm=confirm["pause"],
            title="Pause the rollout",
            ok="Pause",
            reason="required",
        )
    if state.paused and not finished:
        add(
            "resume",
            "Resume…",
            kind="primary",
            icon="▶",
            confirm=confirm["resume"],
            title="Resume the rollout",
            ok="Resume",
            reason="required",
        )
    if not finished and state.completed_at is None:
        add(
            "abort",
            "Abort and roll back…",
            kind="danger",
            icon="↩",
            confirm=confirm["abort"],
            title="Abort the rollout",
            ok="Abort and roll back",
            reason="required",
        )
    if state.active and not state.paused:
        add(
            "stop",
            "Emergency stop",
            kind="danger big",
            icon="■",
            confirm=confirm["stop"],
            title="Emergency stop",
            ok="Stop everything now",
            reason="required",
        )
    if may.get("resolve"):
        for intent in page.rollouts.waiting_for_a_person(state):
            for ran in (True, False):
                out.append(
                    Action(
                        "rollout.resolve",
                        f"{intent.step}: it {'ran' if ran else 'did not run'}",
                        api_url(page.id, "rollout", "resolve"),
                        {"step": intent.step, "ran": ran},
                        confirm=(
                            f"record that {intent.what} {'ran' if ran else 'did not run'}"
                            + ("" if ran else ": the controller runs it again, once")
                        ),
                        title="Resolve an open action",
                        ok="Record it",
                        reason="required",
                    )
                )
    return out
