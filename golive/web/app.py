"""The web application: ``create_app(store, config, clock)``.

- ``/api/v1/...``: the REST API (:mod:`golive.web.api`), OpenAPI at ``/openapi.json``;
- ``/``: the dashboard (:mod:`golive.web.pages`), static files under ``/static``;
- with ``supervise``, the controllers of active rollouts run in the same process
  (:class:`golive.rollout.supervisor.Supervisor`) for as long as the app lives.

Every answer carries the security headers: a CSP without inline script, nosniff,
frame-ancestors 'none', a Referrer-Policy, and HSTS when served over HTTPS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from golive.auth.accounts import Accounts
from golive.clock import Clock
from golive.config import Config
from golive.store.events import EventStore
from golive.web import errors

__all__ = ["WebContext", "create_app"]

STATIC = Path(__file__).resolve().parent.parent / "data" / "web" / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@dataclass
class WebContext:
    store: EventStore
    config: Config
    clock: Clock
    accounts: Accounts
    secure: bool = False
    """Cookies are Secure and HSTS is sent: the server is behind HTTPS."""
    poll: float = 0.5
    """Seconds between looks at the log for an event stream with nothing new."""


def create_app(
    store: EventStore,
    config: Config,
    clock: Clock,
    *,
    secure: bool = False,
    poll: float = 0.5,
    supervise: bool = False,
    speed: float = 1.0,
    report: Callable[[str], None] | None = None,
) -> FastAPI:
    context = WebContext(store, config, clock, Accounts(store.engine, clock), secure=secure, poll=poll)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not supervise:
            yield
            return
        from golive.rollout.service import RolloutService
        from golive.rollout.supervisor import Supervisor

        stop = asyncio.Event()
        supervisor = Supervisor(RolloutService(store, config, clock), speed=speed, report=report)
        task = asyncio.create_task(supervisor.run(stop))
        try:
            yield
        finally:
            stop.set()
            await task

    app = FastAPI(
        title="golive",
        version=_version(),
        description="golive runs software go-lives from the Markdown runbooks teams already write.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.golive = context
    errors.install(app)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    from golive.web import pages
    from golive.web.api import router

    app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("golive")
    except PackageNotFoundError:
        return "0"


def run_app(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
