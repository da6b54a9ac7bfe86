"""One release as its pages show it: :class:`ReleasePage`, whose parts the templates ask for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from markupsafe import Markup

from golive.auth.principal import Principal
from golive.web.pages.actions import CONFIRMED, Action, api_url, rollout_actions
from golive.web.pages.events import describe_event
from golive.web.pages.render import (
    clean_text,
    fmt_duration,
    fmt_pct,
    fmt_when,
    state_word,
    tminus,
    zone_named,
)
from golive.web.pages.runbook_page import render_runbook

if TYPE_CHECKING:
    from golive.release.service import ReleaseService
    from golive.rollout.allowed import Allowed
    from golive.rollout.service import RolloutService
    from golive.rollout.state import RolloutState
    from golive.store.events import Event

__all__ = ["EVENTS_SHOWN", "ReleasePage"]

EVENTS_SHOWN = 60
AUDIT_EVERY = 30
"""Seconds between two checks of the whole record for the release page's audit panel."""
T = TypeVar("T")


class ReleasePage:
    """Everything a release page shows, computed only when a template asks for it
    (a fragment computes its own part only)."""

    def __init__(self, request: Request, release_id: str, principal: Principal) -> None:
        from golive.release.service import ReleaseService
        from golive.rollout.service import RolloutService

        ctx = request.app.state.golive
        self.id = release_id
        self.me = principal
        self.store = ctx.store
        self.views = ctx.views
        self.releases: ReleaseService = ReleaseService(ctx.store, ctx.config, clock=ctx.clock.now)
        self.rollouts: RolloutService = RolloutService(ctx.store, ctx.config, ctx.clock)
        self.now: datetime = ctx.clock.now()
        self.head: int = ctx.store.get_release(release_id).head_seq
        self.loaded = ctx.loaded(self.releases, release_id, self.head)
        self.row, self.state = self.loaded
        self.seq: int = self.state.seq
        self.zone = zone_named(self.row.launch_tz)
        self.launch: datetime = self.row.launch_at

    def shared(self, kind: str, make: Callable[[], T], *, timed: bool = False, mine: bool = False) -> T:
        """``make()``, made once for every page at the release's head (and in the same
        second when ``timed``; per person when ``mine``): fifty screens fold once. What
        is shared is only read from here on."""
        family: tuple[Any, ...] = ("page", kind, self.id, self.head)
        if mine:
            family += (self.me.name, self.me.role)
        if not timed:
            value: T = self.views.get(family, make)
            return value
        timed_value: T = self.views.get((*family, int(self.now.timestamp())), make, family=family)
        return timed_value

    # formatting with the release's time zone
    def when(self, value: datetime | None) -> str:
        return fmt_when(value, self.zone)

    def t(self, value: datetime | None) -> str:
        return tminus(value, self.launch) if value is not None else "open"

    @property
    def title(self) -> str:
        return f"{self.row.service} {self.row.version} → {self.row.env}"

    @property
    def launch_iso(self) -> str:
        return self.launch.astimezone(UTC).isoformat()

    def url(self, *parts: str) -> str:
        return "/releases/" + quote(self.id, safe="") + "".join("/" + p for p in parts)

    # the release's views
    @cached_property
    def status(self) -> dict[str, Any]:
        from golive.release.views import status_view

        return self.shared(
            "status", lambda: status_view(self.releases.status(self.id, loaded=self.loaded)), timed=True
        )

    @cached_property
    def decision(self) -> dict[str, Any]:
        from golive.release.views import decision_view

        return self.shared(
            "decision",
            lambda: decision_view(self.releases.decide(self.id, actor=self.me, loaded=self.loaded)),
            timed=True,
        )

    @property
    def decision_word(self) -> tuple[str, str]:
        return state_word(self.decision["decision"])

    @cached_property
    def allowed(self) -> Allowed:
        from golive.rollout.allowed import allowed_actions

        return self.shared("allowed", lambda: allowed_actions(self.rollouts, self.id, self.me), mine=True)

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        from golive.release.views import items_view

        return self.shared("items", lambda: items_view(self.state))

    @cached_property
    def items_by_id(self) -> dict[str, dict[str, Any]]:
        return {i["id"]: i for i in self.items}

    @cached_property
    def counts(self) -> dict[str, int]:
        counts = {"pending": 0, "started": 0, "done": 0, "failed": 0, "skipped": 0}
        for item in self.items:
            counts[item["status"]] = counts.get(item["status"], 0) + 1
        counts["total"] = len(self.items)
        return counts

    @cached_property
    def sections(self) -> list[dict[str, Any]]:
        """The runbook's sections with their items, for the item list."""
        titles = {s.id: s.title for s in self.state.runbook.walk_sections()}
        flagged = {i["item"] for i in self.status["overdue"]} | {i["item"] for i in self.status["due_now"]}
        out: dict[str, dict[str, Any]] = {}
        for item in self.items:
            section = out.setdefault(
                item["section"],
                {"id": item["section"], "title": titles.get(item["section"], item["section"]), "entries": []},
            )
            section["entries"].append(item | {"due": item["id"] in flagged})
        for section in out.values():
            settled = sum(1 for i in section["entries"] if i["status"] in ("done", "skipped"))
            section["settled"] = settled
            section["open"] = any(
                i["due"] or i["status"] in ("started", "failed") for i in section["entries"]
            )
        return list(out.values())

    @cached_property
    def phases(self) -> list[dict[str, Any]]:
        overdue: dict[str, int] = {}
        by_id = self.items_by_id
        for entry in self.status["overdue"]:
            section = by_id.get(entry["item"], {}).get("section")
            if section:
                overdue[section] = overdue.get(section, 0) + 1
        out = []
        for phase in self.status["phases"]:
            start, end = phase["start"], phase["end"]
            complete = phase["total"] > 0 and phase["done"] >= phase["total"]
            if complete:
                word = ("✓ complete", "ok")
            elif phase["failed"]:
                word = ("✗ has failures", "bad")
            elif end is not None and self.now > end:
                word = ("⚠ overdue", "bad")
            elif (start is None or start <= self.now) and (end is None or self.now <= end):
                word = ("▶ now", "info")
            else:
                word = ("○ upcoming", "neutral")
            out.append(
                phase
                | {
                    "window": f"{self.t(start)} → {self.t(end)}",
                    "state": word,
                    "overdue": overdue.get(phase["id"], 0),
                }
            )
        return out

    @cached_property
    def gates(self) -> list[dict[str, Any]]:
        from golive.release.views import gates_view

        waivers = {w["target"]: w for w in self.status["waivers"]}
        out = []
        for gate in gates_view(self.state):
            item = self.items_by_id.get(gate["item"], {})
            waiver = waivers.get(gate["item"])
            if waiver:
                word = (f"⚑ waived by {waiver['by']}", "warn")
            elif gate["holds"] is True:
                word = ("✓ holds", "ok")
            elif gate["holds"] is False:
                word = ("✗ does not hold", "bad")
            else:
                word = ("○ not met yet", "neutral")
            action = None
            if self.allowed.waive and not waiver and gate["holds"] is not True:
                action = Action(
                    "waive",
                    "Waive…",
                    api_url(self.id, "waivers"),
                    {"target": gate["item"]},
                    kind="danger",
                    icon="⚑",
                    confirm=(
                        f"waive the gate “{gate['text']}” (line {gate['line']}): the GO/NO-GO decision "
                        "stops waiting for it, and your name and reason are recorded"
                    ),
                    title="Waive a gate",
                    ok="Waive the gate",
                    reason="required",
                    stale=True,
                )
            out.append(
                gate
                | {
                    "state": word,
                    "waiver": waiver,
                    "checks": item.get("checks", []),
                    "evidence": item.get("evidence", []),
                    "status": item.get("status", "pending"),
                    "action": action,
                }
            )
        return out

    @cached_property
    def signoffs(self) -> list[dict[str, Any]]:
        from golive.release.views import signoffs_view

        given = signoffs_view(self.state)
        out = []
        for role, counts in self.decision["signoffs"].items():
            rows = [s for s in given if s["role"] == role]
            for row in rows:
                row["current"] = row["revision"] == self.state.revision
            have, need = counts["have"], counts["need"]
            actions = []
            if role in self.allowed.signoff_roles:
                actions.append(
                    Action(
                        "signoff",
                        f"Sign off as {role}",
                        api_url(self.id, "signoffs"),
                        {"role": role},
                        kind="primary",
                        icon="✍",
                        stale=True,
                    )
                )
            if role in self.allowed.revoke_roles:
                actions.append(
                    Action(
                        "revoke",
                        f"Revoke {role}",
                        api_url(self.id, "signoffs", "revoke"),
                        {"role": role},
                        kind="danger",
                        confirm=f"revoke your sign-off as {role}: the decision counts it no more",
                        title="Revoke a sign-off",
                        ok="Revoke",
                        reason="required",
                        stale=True,
                    )
                )
            out.append(
                {
                    "role": role,
                    "have": have,
                    "need": need,
                    "met": have >= need,
                    "given": rows,
                    "holders": self.state.people.get(role, []),
                    "actions": actions,
                }
            )
        return out

    @cached_property
    def decide_actions(self) -> list[Action]:
        if not self.allowed.decide:
            return []
        recorded = self.state.decision
        if recorded is not None and recorded.decision == "GO" and self.decision["recorded"] == "current":
            return []  # a GO that is still current: nothing to record
        word = self.decision["decision"]
        what = f"{self.row.service} {self.row.version} in {self.row.env}"
        if word == "GO":
            return [
                Action(
                    "decide",
                    "Record GO",
                    api_url(self.id, "decision"),
                    {"go": True},
                    kind="primary",
                    icon="✓",
                    confirm=f"record GO for {what}: the rollout may start, and sign-offs close",
                    title="Record the decision",
                    ok="Record GO",
                    stale=True,
                )
            ]
        return [
            Action(
                "decide",
                f"Record {word}",
                api_url(self.id, "decision"),
                {"go": False},
                kind="danger",
                confirm=f"record {word} for {what} with its {len(self.decision['reasons'])} reasons: "
                "sign-offs close",
                title="Record the decision",
                ok=f"Record {word}",
                stale=True,
            )
        ]

    @cached_property
    def other_actions(self) -> list[Action]:
        out = []
        if self.allowed.checks:
            out.append(Action("checks", "Run checks", api_url(self.id, "checks"), {}, icon="⟳"))
        return out

    # the rollout
    @cached_property
    def rollout_state(self) -> RolloutState:
        return self.shared("rollout", lambda: self.rollouts.controller(self.id).state())

    @cached_property
    def rollout(self) -> dict[str, Any]:
        from golive.rollout.views import confirmation, rollout_view

        state = self.rollout_state
        view = rollout_view(state)
        view["state"] = state_word(view["outcome"])
        for component in view["components"]:
            steps = component["steps"]
            index = component["index"]
            component["step_text"] = (
                f"step {index + 1} of {len(steps)}" if index >= 0 else f"not exposed ({len(steps)} steps)"
            )
            component["plan"] = " → ".join(fmt_pct(s["weight"]) for s in steps)
        for trigger in view["triggers"]:
            trigger["state_word"] = state_word(trigger["state"])
            trigger["detection"] = fmt_duration(trigger["worst_case_detection_s"])
        view["actions"] = rollout_actions(self, state, {a: confirmation(state, a) for a in CONFIRMED})
        return view

    # the log
    @cached_property
    def events(self) -> dict[str, Any]:
        return self.shared("events", self._events)

    def _events(self) -> dict[str, Any]:
        events = self.store.events(self.id)
        evaluated = sum(1 for e in events if e.type == "rollout.evaluated")
        shown = [e for e in events if e.type != "rollout.evaluated"][-EVENTS_SHOWN:]
        rows = [
            {"seq": e.seq, "type": e.type, "actor": e.actor, "at": self.when(e.at), "text": self.describe(e)}
            for e in reversed(shown)
        ]
        return {"rows": rows, "evaluated": evaluated, "total": len(events)}

    def describe(self, event: Event) -> str:
        """One event in words; never the raw data (a guard carries actuators, which may hold secrets)."""
        return describe_event(event, self.items_by_id)

    @cached_property
    def audit(self) -> dict[str, Any]:
        # checked again every AUDIT_EVERY seconds even at the same head: an edit of a stored
        # row changes no head, and the page must not say "intact" for ever after it
        family = ("page", "audit", self.id, self.head)
        period = int(self.now.timestamp()) // AUDIT_EVERY
        checked, result = self.views.get(
            (*family, period), lambda: (self.now, self.releases.audit(self.id)), family=family
        )
        if result.findings:
            word = (f"✗ {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}", "bad")
        elif result.hashes_checked:
            word = ("✓ intact", "ok")
        else:
            word = ("✓ consistent (keyed hashes not checked: GOLIVE_AUDIT_KEY is not set)", "warn")
        return {
            "state": word,
            "events": result.events,
            "checked": self.when(checked),
            "mode": result.mode_name,
            "findings": [clean_text(f) for f in result.findings],
            "notes": [clean_text(n) for n in result.notes],
        }

    # the runbook
    @cached_property
    def runbook_html(self) -> Markup:
        _title, source, _model = self.store.get_snapshot(self.state.snapshot or self.row.snapshot)
        return render_runbook(source, self.items, {w["target"]: w["by"] for w in self.status["waivers"]})
