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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from golive.auth.accounts import Accounts
from golive.clock import Clock
from golive.config import Config
from golive.store.events import EventStore
from golive.web import errors
from golive.web.cache import ViewCache

if TYPE_CHECKING:
    from golive.release.service import Loaded, ReleaseService
    from golive.web.live import Feeds

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
    views: ViewCache = field(default_factory=ViewCache)
    """Answers shared by everyone asking at the same head and second."""

    _feeds: Feeds | None = field(default=None, init=False, repr=False)

    def feeds(self) -> Feeds:
        """The live event feeds of this process (made in the server's event loop)."""
        if self._feeds is None:
            from golive.web.live import Feeds

            self._feeds = Feeds(self.store, self.views, self.poll)
        return self._feeds

    def loaded(self, releases: ReleaseService, release_id: str, head: int) -> Loaded:
        """The release at ``head``, loaded (folded) once for every page and answer that
        reads it: each second's status and decision are computed from it, read only."""
        value: Loaded = self.views.get(("load", release_id, head), lambda: releases.load(release_id))
        return value


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

    app.add_middleware(SecurityHeaders, secure=secure)

    from golive.web import pages
    from golive.web.api import router

    app.include_router(router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


class SecurityHeaders:
    """Adds the security headers to every answer (plain ASGI: no per-request task)."""

    def __init__(self, app: Any, *, secure: bool) -> None:
        self.app = app
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if secure:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.headers = headers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                if api and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                headers.extend(self.headers)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("golive")
    except PackageNotFoundError:
        return "0"


def run_app(app: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
