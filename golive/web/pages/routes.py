"""The dashboard's routes: signing in and out, the releases, a release's pages and
their live fragments, the report. Every page route answers HTML, also for its errors
(:class:`PageRoute`)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from golive.auth.principal import Principal
from golive.errors import AuthError, GoliveError, NotFoundError
from golive.web.errors import status_of
from golive.web.pages.release_page import ReleasePage
from golive.web.pages.render import (
    NO_STORE,
    error_page,
    fmt_when,
    is_htmx,
    render,
    render_page,
    rendered_page,
    state_word,
    tminus,
    zone_named,
)
from golive.web.security import COOKIE, CSRF_COOKIE, PUBLIC, Require

__all__ = ["FRAGMENTS", "FormRequire", "PageRoute", "router"]

SESSION_AGE = 12 * 3600  # as the API's session cookie
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
                return error_page(request, status_of(exc), exc.message)

        return page


router = APIRouter(include_in_schema=False, route_class=PageRoute)


class FormRequire(Require):
    """``Require`` for an HTML form post: the form's ``csrf`` field is the CSRF token
    (``authenticate`` reads it from ``request.state.form_csrf``)."""

    async def __call__(self, request: Request) -> Principal | None:
        form = await request.form()
        value = form.get("csrf")
        request.state.form_csrf = value if isinstance(value, str) else None
        return await super().__call__(request)


Reader = Annotated[Principal, Depends(Require("read"))]
Public = Annotated[Any, Depends(Require(PUBLIC))]
FormReader = Annotated[Principal, Depends(FormRequire("read"))]


def _to_login(request: Request) -> Response:
    """To the sign-in form, and back to the page afterwards (a fragment: its page)."""
    target = "/login"
    path = request.url.path.split("/fragment/")[0]
    if request.method == "GET" and path not in ("/", "/login"):
        target += "?next=" + quote(path, safe="/")
    if is_htmx(request):
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
                "launch": fmt_when(row.launch_at, zone_named(row.launch_tz)),
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


async def _answer(
    request: Request, template: str, release_id: str, principal: Principal, **context: Any
) -> HTMLResponse:
    """The page from the event loop when it is already made for this head and second;
    else made in a worker thread (a fold, a render)."""
    from anyio.to_thread import run_sync

    if len(release_id) > 100:
        raise NotFoundError(f"no release {release_id[:40]!r}")
    made = rendered_page(request, template, release_id, principal, **context)
    if made is not None:
        return made
    return await run_sync(
        lambda: render_page(request, template, _page(request, release_id, principal), **context)
    )


@router.get("/releases/{release_id}")
async def release(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return await _answer(request, "release.html", release_id, principal, live="release")


@router.get("/releases/{release_id}/board")
async def board(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return await _answer(request, "board.html", release_id, principal, live="board")


@router.get("/releases/{release_id}/runbook")
async def runbook(release_id: str, request: Request, principal: Reader) -> HTMLResponse:
    return await _answer(request, "runbook.html", release_id, principal, live="runbook")


@router.get("/releases/{release_id}/fragment/{name}")
async def fragment(release_id: str, name: str, request: Request, principal: Reader) -> HTMLResponse:
    template = FRAGMENTS.get(name)
    if template is None:
        raise NotFoundError(f"no fragment {name[:40]!r}")
    return await _answer(request, template, release_id, principal)


@router.get("/releases/{release_id}/report")
def report(release_id: str, request: Request, _: Reader) -> HTMLResponse:
    """The release's report: the self-contained HTML ``golive report`` writes (no script at all)."""
    from golive.report import build_report
    from golive.report.chart import render_chart
    from golive.report.html import render_html

    built = build_report(request.app.state.golive.store, release_id[:100])
    html = render_html(built, chart_png=render_chart(built))
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP, **NO_STORE})
