"""The dashboard's templates (Jinja2, autoescaped) and how values are written in them:
durations, T-minus times, percentages, times in a release's zone, state words."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "NO_STORE",
    "STATE_WORDS",
    "clean_text",
    "error_page",
    "fmt_duration",
    "fmt_pct",
    "fmt_when",
    "is_htmx",
    "render",
    "render_page",
    "state_word",
    "tminus",
    "zone_named",
]

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "web"
TEMPLATES = DATA / "templates"
STATIC = DATA / "static"
NO_STORE = {"Cache-Control": "no-store"}


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


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
    env.filters["pct"] = fmt_pct
    env.filters["clean"] = clean_text
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


_CSRF_SLOT = "csrf-" + secrets.token_hex(16)  # per process: no runbook text can hold it


def _page_keys(template: str, release_id: str, head: int, me: Any, now: Any, context: dict[str, Any]) -> Any:
    family = ("html", template, release_id, head, me.name, me.role, tuple(sorted(context.items())))
    return (*family, int(now.timestamp())), family


def _with_csrf(request: Request, parts: list[bytes]) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    csrf = getattr(request.state, "csrf", "") if principal is not None else ""
    return HTMLResponse(csrf.encode("ascii").join(parts), headers=NO_STORE)


def render_page(request: Request, template: str, page: Any, **context: Any) -> HTMLResponse:
    """A release's page or fragment, rendered once per release head, second and person
    (fifty screens showing one release render it once a second at most); the
    session's CSRF token goes in afterwards."""
    principal = getattr(request.state, "principal", None)
    key, family = _page_keys(template, page.id, page.head, page.me, page.now, context)

    def make() -> list[bytes]:
        html = (
            _environment().get_template(template).render(me=principal, csrf=_CSRF_SLOT, page=page, **context)
        )
        return [part.encode("utf-8") for part in html.split(_CSRF_SLOT)]

    # kept encoded, in parts around the CSRF slot: a request joins bytes, it never encodes the page
    parts: list[bytes] = request.app.state.golive.views.get(key, make, family=family)
    return _with_csrf(request, parts)


def rendered_page(
    request: Request, template: str, release_id: str, principal: Any, **context: Any
) -> HTMLResponse | None:
    """The page as :func:`render_page` already made it for this head, second and
    person, or None: what a server's event loop answers without a worker thread
    (reading the release's head is one indexed read)."""
    from golive.web.cache import MISSING

    ctx = request.app.state.golive
    head = ctx.store.get_release(release_id).head_seq
    key, family = _page_keys(template, release_id, head, principal, ctx.clock.now(), context)
    parts = ctx.views.peek(key, family=family)
    return None if parts is MISSING else _with_csrf(request, parts)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    if is_htmx(request):
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


def fmt_pct(weight: float | None) -> str:
    return "-" if weight is None else f"{weight:g}%"


def _value(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:.4g}"


def clean_text(value: Any) -> str:
    """Free text from the log (reasons, check summaries): secrets masked once more."""
    from golive.report.text import one_line

    return one_line(value, limit=300)


def _safe_url(value: Any) -> str | None:
    """A link only for http(s) URLs (never ``javascript:``), with any secret in it masked."""
    text = clean_text(value)
    try:
        scheme = urlsplit(text).scheme
    except ValueError:  # e.g. "https://[REDACTED]@host": not a URL any more
        return None
    return text if scheme in ("http", "https") and " " not in text else None


def zone_named(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def fmt_when(value: datetime | None, zone: tzinfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(zone).strftime("%a %d %b %Y %H:%M:%S %Z")


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
