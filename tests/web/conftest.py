"""A real golive web server for the API and dashboard tests: uvicorn serving
``create_app`` on 127.0.0.1 and a free port, in a thread of the test process,
over a fresh SQLite database, with one user per site role and their tokens.

- ``web`` (module scope): the running server (:class:`Web`): its URL, store,
  accounts, users and their passwords and tokens, and expired and revoked tokens.
- :func:`start_release` starts a release of seed 002 through the API.
- The configuration maps the runbook's roles onto the users: ``ana`` (admin)
  is the release's approver, ``quinn`` (approver) holds every sign-off role the
  seed asks for, ``olga`` (operator) works items, ``vic`` is a viewer.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from golive.auth.accounts import Accounts
from golive.clock import Clock, ManualClock, SystemClock
from golive.config import Config
from golive.store.events import EventStore
from tests.conftest import seed_path

# one Chromium per worker: fixtures defined once, here (two session fixtures of the same name
# in two modules would start two Playwrights, and the second refuses to run beside the first)
from tests.web.browser import browser, page  # noqa: F401

PASSWORD = "correct horse battery staple"
USERS = {"ana": "admin", "quinn": "approver", "olga": "operator", "vic": "viewer"}
SEED = "002"


@dataclass
class Web:
    url: str
    store: EventStore
    accounts: Accounts
    config: Config
    tokens: dict[str, str] = field(default_factory=dict)
    """User name -> an API token of that user (with the user's role)."""
    expired: str = ""
    revoked: str = ""

    def client(self, user: str | None = None, **headers: str) -> httpx.Client:
        """An HTTP client; with ``user``, sending that user's token."""
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def as_user(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def _people(path: Path) -> dict[str, list[str]]:
    from golive.release.decide import required_signoffs
    from golive.release.state import ReleaseState
    from golive.runbook.loader import load_runbook

    runbook = load_runbook(path)
    roles = list(required_signoffs(ReleaseState(release_id="x", runbook=runbook), Config()))
    people: dict[str, list[str]] = {role: ["quinn"] for role in roles}
    people["approver"] = ["ana"]
    return people


def serve(store: EventStore, config: Config, clock: Clock | None = None, **options: Any) -> Iterator[str]:
    """Serve ``create_app`` with uvicorn in a thread (on the real clock unless
    ``clock`` is given); yields the base URL."""
    import uvicorn

    from golive.web.app import create_app

    app = create_app(store, config, clock or SystemClock(), poll=0.05, **options)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the golive web server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    directory = tmp_path_factory.mktemp("web")
    store = EventStore.open(str(directory / "golive.db"))
    config = Config(people=_people(seed_path(SEED)))
    accounts = Accounts(store.engine, SystemClock())
    for name, role in USERS.items():
        accounts.add_user(name, role, actor="setup", password=PASSWORD)
    web = Web(url="", store=store, accounts=accounts, config=config)
    for name in USERS:
        web.tokens[name] = accounts.create_token(name, actor="setup").secret
    past = Accounts(store.engine, ManualClock(datetime.now(UTC) - timedelta(days=3)))
    web.expired = past.create_token("ana", actor="setup", expires=timedelta(days=1)).secret
    revoked = accounts.create_token("ana", actor="setup")
    accounts.revoke_token(revoked.row.id, actor="setup")
    web.revoked = revoked.secret
    for url in serve(store, config, supervise=True, speed=50.0):
        web.url = url
        yield web
    store.close()


def start_release(web: Web, *, launch: str | None = None, user: str = "olga") -> str:
    """A release of seed 002 started through the API; its id."""
    when = launch or (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d 09:00 UTC")
    with web.client(user) as client:
        answer = client.post(
            "/api/v1/releases",
            json={
                "runbook": {"filename": "runbook.md", "content": seed_path(SEED).read_text(encoding="utf-8")},
                "service": "web",
                "version": "1.0",
                "env": "production",
                "launch": when,
            },
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])
