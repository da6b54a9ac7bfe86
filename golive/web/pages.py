"""The dashboard's pages (server-rendered with Jinja2, htmx for the live parts).

- ``/login`` (public) and ``/logout``: the session cookie, as ``POST /api/v1/session`` sets it;
- ``/``: the releases; ``/releases/{id}``: one release (phases on the T-minus timeline,
  gates, sign-offs, the decision with every reason, the rollout with its triggers'
  charts, the event timeline, the audit); ``/releases/{id}/board``: the war-room
  board; ``/releases/{id}/runbook``: the runbook as rendered Markdown with each
  item's status; ``/releases/{id}/report``: the report;
- ``/releases/{id}/fragment/{name}``: one live part of a page, which ``golive.js``
  asks htmx to fetch again when the release's event stream says it changed.

Pages only read. Every action is a call of the JSON API from ``golive.js`` with the
session's CSRF token (``<meta name="csrf-token">``), and the buttons shown are the
actions :func:`~golive.rollout.allowed.allowed_actions` says the person may take.
A request without a session is sent to ``/login``; the page's other errors are an
HTML page with the API's message. Templates autoescape; runbook Markdown is
rendered with HTML turned off, so its text can never inject markup.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from markupsafe import Markup, escape

from golive.auth.principal import Principal
from golive.errors import AuthError, GoliveError, NotFoundError
from golive.web.errors import status_of
from golive.web.security import COOKIE, CSRF_COOKIE, PUBLIC, Require

if TYPE_CHECKING:
    from jinja2 import Environment

    from golive.release.service import ReleaseService
    from golive.rollout.allowed import Allowed
    from golive.rollout.service import RolloutService
    from golive.rollout.state import RolloutState
    from golive.store.events import Event

__all__ = ["FRAGMENTS", "render_runbook", "router"]

DATA = Path(__file__).resolve().parent.parent / "data" / "web"
TEMPLATES = DATA / "templates"
STATIC = DATA / "static"
SESSION_AGE = 12 * 3600  # as the API's session cookie
EVENTS_SHOWN = 60
NO_STORE = {"Cache-Control": "no-store"}
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

FRAGMENTS: dict[str, str] = {
    "summary": "_summary.html",
    "decision": "_decision.html",
    "signoffs": "_signoffs.html",
    "gates": "_gates.html",
    "phases": "_phases.html",
    "items": "_items.html",
    "rollout": "_rollout.html",
    "events": "_events.html",
    "audit": "_audit.html",
    "board": "_board.html",
    "runbook": "_runbook.html",
}
"""The live parts of the pages: name -> template (``/releases/{id}/fragment/{name}``)."""


# -- routes that answer HTML, also for their errors -------------------------------------
class PageRoute(APIRoute):
    """A page route: no session -> ``/login`` (htmx: ``HX-Redirect``); another
    golive error -> an HTML page with the API's status and message."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthError:
                return _to_login(request)
            except GoliveError as exc:
                return _error_page(request, status_of(exc), exc.message)

        return page


router = APIRouter(include_in_schema=False, route_class=PageRoute)


class FormRequire(Require):
    """``Require`` for an HTML form post: the form's ``csrf`` field is the CSRF token
    (``authenticate`` reads it from ``request.state.form_csrf``)."""

    async def __call__(self, request: Request) -> Any:
        form = await request.form()
        value = form.get("csrf")
        request.state.form_csrf = value if isinstance(value, str) else None
        return super().__call__(request)


Reader = Annotated[Principal, Depends(Require("read"))]
Public = Annotated[Any, Depends(Require(PUBLIC))]
FormReader = Annotated[Principal, Depends(FormRequire("read"))]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _to_login(request: Request) -> Response:
    """To the sign-in form, and back to the page afterwards (a fragment: its page)."""
    target = "/login"
    path = request.url.path.split("/fragment/")[0]
    if request.method == "GET" and path not in ("/", "/login"):
        target += "?next=" + quote(path, safe="/")
    if _is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target, **NO_STORE})
    return RedirectResponse(target, status_code=303, headers=NO_STORE)


def _safe_next(value: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout", "/api/")):
        return "/"
    return parts.path


# -- templates ----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = _asset
    env.filters["duration"] = fmt_duration
    env.filters["pct"] = _pct
    env.filters["clean"] = _clean
    env.filters["safe_url"] = _safe_url
    env.filters["value"] = _value
    env.filters["word"] = state_word
    return env


@lru_cache(maxsize=64)
def _asset(name: str) -> str:
    """``/static/NAME?v=HASH``: a new file is a new URL (no stale script after an upgrade)."""
    path = STATIC / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"
    return f"/static/{quote(name)}?v={digest}"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    context.setdefault("me", principal)
    context.setdefault("csrf", getattr(request.state, "csrf", "") if principal is not None else "")
    html = _environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    if _is_htmx(request):
        html = f'<p class="badge bad" role="alert">✗ {escape(message)}</p>'
        return HTMLResponse(html, status_code=status, headers=NO_STORE)
    return render(request, "error.html", status=status, status_code=status, message=message)


# -- formatting -----------------------------------------------------------------------------
def fmt_duration(value: timedelta | float | None) -> str:
    """``2d 3h``, ``1h 30m``, ``45s``: the two largest units (a person reads it at a glance)."""
    if value is None:
        return "-"
    seconds = round(value.total_seconds() if isinstance(value, timedelta) else value)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + " ".join(parts[:2])


def tminus(moment: datetime, launch: datetime) -> str:
    """A moment on the T-minus timeline: ``T-30m``, ``T-0``, ``T+1h 30m``."""
    offset = moment - launch
    if abs(offset) < timedelta(seconds=1):
        return "T-0"
    return ("T+" if offset > timedelta(0) else "T-") + fmt_duration(abs(offset))


def _pct(weight: float | None) -> str:
    return "-" if weight is None else f"{weight:g}%"


def _value(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:.4g}"


def _clean(value: Any) -> str:
    """Free text from the log (reasons, check summaries): secrets masked once more."""
    from golive.report.text import one_line

    return one_line(value, limit=300)


def _safe_url(value: Any) -> str | None:
    """A link only for http(s) URLs (never ``javascript:``), with any secret in it masked."""
    text = _clean(value)
    try:
        scheme = urlsplit(text).scheme
    except ValueError:  # e.g. "https://[REDACTED]@host": not a URL any more
        return None
    return text if scheme in ("http", "https") and " " not in text else None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _when(value: datetime | None, zone: tzinfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%a %d %b %Y %H:%M:%S %Z")


# -- actions: what a button does ------------------------------------------------------------
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


def _api(release_id: str, *parts: str) -> str:
    return "/api/v1/releases/" + quote(release_id, safe="") + "".join("/" + p for p in parts)


STATE_WORDS: dict[str, tuple[str, str]] = {
    # rollout outcomes and trigger states -> (icon and word, style)
    "running": ("▶ running", "info"),
    "paused": ("‖ paused", "warn"),
    "completed": ("✓ completed", "ok"),
    "rolled_back": ("↩ rolled back", "bad"),
    "aborted": ("⊘ aborted", "bad"),
    "not started": ("○ not started", "neutral"),
    "ok": ("✓ ok", "ok"),
    "breach": ("⚠ breach", "bad"),
    "error": ("✗ error", "warn"),
    "inconclusive": ("? inconclusive", "warn"),
    "fired": ("⚡ fired", "bad"),
    "pending": ("○ pending", "neutral"),
    # items
    "done": ("✓ done", "ok"),
    "started": ("▶ started", "info"),
    "failed": ("✗ failed", "bad"),
    "skipped": ("↷ skipped", "neutral"),
    # check results
    "passed": ("✓ passed", "ok"),
    # decisions
    "GO": ("✓ GO", "ok"),
    "NO-GO": ("✗ NO-GO", "bad"),
}


def state_word(value: str | None) -> tuple[str, str]:
    return STATE_WORDS.get(value or "", (f"• {value or 'unknown'}", "neutral"))


# -- the release, as the pages show it ------------------------------------------------------
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
        self.releases: ReleaseService = ReleaseService(ctx.store, ctx.config, clock=ctx.clock.now)
        self.rollouts: RolloutService = RolloutService(ctx.store, ctx.config, ctx.clock)
        self.row, self.state = self.releases.load(release_id)
        self.seq: int = self.state.seq
        self.now: datetime = ctx.clock.now()
        self.zone = _zone(self.row.launch_tz)
        self.launch: datetime = self.row.launch_at

    # formatting with the release's time zone
    def when(self, value: datetime | None) -> str:
        return _when(value, self.zone)

    def t(self, value: datetime) -> str:
        return tminus(value, self.launch)

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

        return status_view(self.releases.status(self.id))

    @cached_property
    def decision(self) -> dict[str, Any]:
        from golive.release.views import decision_view

        return decision_view(self.releases.decide(self.id, actor=self.me))

    @property
    def decision_word(self) -> tuple[str, str]:
        return state_word(self.decision["decision"])

    @cached_property
    def allowed(self) -> Allowed:
        from golive.rollout.allowed import allowed_actions

        return allowed_actions(self.rollouts, self.id, self.me)

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        from golive.release.views import items_view

        return items_view(self.state)

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
            elif self.now > end:
                word = ("⚠ overdue", "bad")
            elif start <= self.now <= end:
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
                    _api(self.id, "waivers"),
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
                        _api(self.id, "signoffs"),
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
                        _api(self.id, "signoffs", "revoke"),
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
                    _api(self.id, "decision"),
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
                _api(self.id, "decision"),
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
            out.append(Action("checks", "Run checks", _api(self.id, "checks"), {}, icon="⟳"))
        return out

    # the rollout
    @cached_property
    def rollout_state(self) -> RolloutState:
        return self.rollouts.controller(self.id).state()

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
            component["plan"] = " → ".join(_pct(s["weight"]) for s in steps)
        for trigger in view["triggers"]:
            trigger["state_word"] = state_word(trigger["state"])
            trigger["detection"] = fmt_duration(trigger["worst_case_detection_s"])
        view["actions"] = self._rollout_actions(state, {a: confirmation(state, a) for a in _CONFIRMED})
        return view

    def _rollout_actions(self, state: RolloutState, confirm: dict[str, str]) -> list[Action]:
        may = self.allowed.rollout
        out: list[Action] = []

        def add(action: str, label: str, **options: Any) -> None:
            if may.get(action):
                body = options.pop("body", {})
                out.append(
                    Action(f"rollout.{action}", label, _api(self.id, "rollout", action), body, **options)
                )

        if state.guard is None:
            if self.state.runbook.rollout_guard is not None:
                blocker = self.releases.rollout_blocker(self.row, self.state)
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
                (
                    state.components.get(c.name) is not None
                    and state.components[c.name].index + 1 >= len(c.steps)
                )
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
            for intent in self.rollouts.waiting_for_a_person(state):
                for ran in (True, False):
                    out.append(
                        Action(
                            "rollout.resolve",
                            f"{intent.step}: it {'ran' if ran else 'did not run'}",
                            _api(self.id, "rollout", "resolve"),
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

    # the log
    @cached_property
    def events(self) -> dict[str, Any]:
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
        data = event.data
        kind = event.type

        def text(key: str) -> str:
            return _clean(data.get(key, ""))

        def item() -> str:
            found = self.items_by_id.get(str(data.get("item", "")))
            return f"“{_clean(found['text'])}”" if found else text("item")

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
            "check.recorded": lambda: (
                f"check {text('name')} of {item()}: {text('status')} ({text('summary')})"
            ),
            "item.commented": lambda: f"commented: {text('text')}",
            "evidence.attached": lambda: f"attached evidence to {item()}",
            "signoff.given": lambda: f"signed off as {text('role')}",
            "signoff.revoked": lambda: f"revoked the sign-off as {text('role')}{why}",
            "waiver.granted": lambda: f"waived {self._target(str(data.get('target', '')))}{why}",
            "decision.recorded": lambda: f"recorded {text('decision')}",
            "rollout.started": lambda: "started the rollout",
            "rollout.step.intent": lambda: f"setting {text('component')} to {_pct(data.get('weight'))}",
            "rollout.step.done": lambda: (
                f"{text('component')} at {_pct(data.get('weight'))}"
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

    def _target(self, target: str) -> str:
        found = self.items_by_id.get(target)
        return f"the gate “{_clean(found['text'])}”" if found else _clean(target)

    @cached_property
    def audit(self) -> dict[str, Any]:
        result = self.releases.audit(self.id)
        if result.findings:
            word = (f"✗ {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}", "bad")
        elif result.hashes_checked:
            word = ("✓ intact", "ok")
        else:
            word = ("✓ consistent (keyed hashes not checked: GOLIVE_AUDIT_KEY is not set)", "warn")
        return {
            "state": word,
            "events": result.events,
            "mode": result.mode_name,
            "findings": [_clean(f) for f in result.findings],
            "notes": [_clean(n) for n in result.notes],
        }

    # the runbook
    @cached_property
    def runbook_html(self) -> Markup:
        _title, source, _model = self.store.get_snapshot(self.state.snapshot or self.row.snapshot)
        return render_runbook(source, self.items, {w["target"]: w["by"] for w in self.status["waivers"]})


_CONFIRMED = ("abort", "stop", "pause", "promote", "resume")


# -- the runbook as HTML ------------------------------------------------------------------------
_TASK = re.compile(r"^\[[ xX]\]\s+")


def render_runbook(source: str, items: list[dict[str, Any]], waivers: dict[str, str] | None = None) -> Markup:
    """The runbook's Markdown as HTML (raw HTML in it is shown as text, never run),
    each item with its status and check results beside it (matched by line), and
    ``waivers`` (gate -> who waived it) beside the gates waived."""
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    from golive.runbook.text import repair_text

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    tokens = md.parse(repair_text(source))  # mojibake repaired as the runbook reader does; same lines
    by_line = {i["line"]: i for i in items}
    for index, token in enumerate(tokens):
        if token.type == "list_item_open" and token.map and token.map[0] + 1 in by_line:
            item = by_line[token.map[0] + 1]
            word, style = state_word(item["status"])
            token.attrSet("id", f"line-{item['line']}")
            token.attrSet("class", f"rb-item st-{item['status']}")
            inline = next((t for t in tokens[index + 1 :] if t.type == "inline"), None)
            if inline is None or inline.children is None:
                continue
            first = inline.children[0] if inline.children else None
            if first is not None and first.type == "text":
                first.content = _TASK.sub("", first.content)
            by = f" by {item['by']}" if item["by"] else ""
            badge = f'<span class="badge {style}">{escape(word)}{escape(by)}</span> '
            if item["id"] in (waivers or {}):
                badge += f'<span class="badge warn">⚑ waived by {escape((waivers or {})[item["id"]])}</span> '
            inline.children.insert(0, _html(Token, badge))
            checks = "".join(
                f' <span class="badge small {state_word(c["status"])[1]}"'
                f' title="{escape(_clean(c["summary"]))}">'
                f"{escape(state_word(c['status'])[0])}: {escape(c['name'])}</span>"
                for c in item["checks"]
            )
            if checks:
                inline.children.append(_html(Token, f'<span class="rb-checks">{checks}</span>'))
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "link_open":
                    child.attrSet("rel", "noopener noreferrer")
    return Markup(md.renderer.render(tokens, md.options, {}))  # noqa: S704 - built from escaped parts


def _html(token_class: Any, content: str) -> Any:
    token = token_class("html_inline", "", 0)
    token.content = content
    return token


# -- the pages ------------------------------------------------------------------------------
def _login_form(
    request: Request, *, error: str = "", name: str = "", status: int = 200, next_path: str | None = None
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status=status,
        me=None,
        csrf="",
        error=error,
        name=name,
        form_token=token,
        next=_safe_next(next_path if next_path is not None else request.query_params.get("next")),
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.golive.secure,
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/login")
def login_page(request: Request, _: Public) -> HTMLResponse:
    return _login_form(request)


@router.post("/login")
def login(
    request: Request,
    _: Public,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in with the form: the same login and session as ``POST /api/v1/session``.
    The form carries a token matching a cookie set with it (no sign-in from another site)."""
    ctx = request.app.state.golive
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not csrf or not expected or not hmac.compare_digest(csrf, expected):
        return _login_form(
            request, error="The sign-in form expired: please sign in again.", name=name, status=400
        )
    if not name.strip() or not password:
        return _login_form(request, error="Enter your user name and password.", name=name, status=400)
    client = request.client.host if request.client else "unknown"
    try:
        principal = ctx.accounts.login(name.strip(), password, client=client)
    except AuthError as exc:
        return _login_form(request, error=exc.message, name=name, status=401, next_path=next)
    session_id, _csrf = ctx.accounts.open_session(principal)
    response = RedirectResponse(_safe_next(next), status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE, session_id, httponly=True, samesite="lax", secure=ctx.secure, path="/", max_age=SESSION_AGE
    )
    response.delete_cookie(CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _: FormReader) -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        request.app.state.golive.accounts.close_session(cookie)
    response = RedirectResponse("/login", status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def releases(request: Request, principal: Reader) -> HTMLResponse:
    from golive.release.service import ReleaseService
    from golive.release.views import release_view
    from golive.rollout.service import RolloutService

    ctx = request.app.state.golive
    svc = ReleaseService(ctx.store, ctx.config, clock=ctx.clock.now)
    rollouts = RolloutService(ctx.store, ctx.config, ctx.clock)
    now = ctx.clock.now()
    rows = []
    for row in reversed(ctx.store.list_releases()):
        decision = svc.decide(row.id, actor=principal)
        outcome = rollouts.controller(row.id).state().outcome
        rows.append(
            {
                "id": row.id,
                "url": "/releases/" + quote(row.id, safe=""),
                "service": row.service,
                "version": row.version,
                "env": row.env,
                "launch": _when(row.launch_at, _zone(row.launch_tz)),
                "t": tminus(now, row.launch_at),
                "decision": state_word(decision.decision),
                "recorded": decision.recorded,
                "rollout": state_word(outcome),
                "release": release_view(row),
            }
        )
    return render(request, "releases.html", rows=rows)


def _page(request: Request, release_id: str, principal: Principal) -> ReleasePage:
    if len(release_id) > 100:
        raise NotFoundError(f"no release {release_id[:40]!r}")
    return ReleasePage(request, release_id, principal)


@router.get("/releases/{release_id}")
def release(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return render(request, "release.html", page=_page(request, release_id, principal), live="release")


@router.get("/releases/{release_id}/board")
def board(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return render(request, "board.html", page=_page(request, release_id, principal), live="board")


@router.get("/releases/{release_id}/runbook")
def runbook(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return render(request, "runbook.html", page=_page(request, release_id, principal), live="runbook")


@router.get("/releases/{release_id}/fragment/{name}")
def fragment(release_id: str, name: str, request: Request, principal: Reader) -> HTMLResponse:
    template = FRAGMENTS.get(name)
    if template is None:
        raise NotFoundError(f"no fragment {name[:40]!r}")
    return render(request, template, page=_page(request, release_id, principal))


@router.get("/releases/{release_id}/report")
def report(release_id: str, request: Request, _: Reader) -> HTMLResponse:
    """The release's report: the self-contained HTML ``golive report`` writes (no script at all)."""
    from golive.report import build_report
    from golive.report.chart import render_chart
    from golive.report.html import render_html

    built = build_report(request.app.state.golive.store, release_id[:100])
    html = render_html(built, chart_png=render_chart(built))
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP, **NO_STORE})
