"""The release page's audit panel: the page does not wait for the whole record to
be checked (the panel loads after it), and the panel checks the record again
every AUDIT_EVERY seconds even when no event was added, so an edit of a stored
row shows on a screen that is left open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from golive.auth.accounts import Accounts
from golive.clock import ManualClock
from golive.config import Config
from golive.store.events import EventStore
from golive.web.pages.release_page import AUDIT_EVERY
from tests.conftest import seed_path
from tests.web.conftest import serve

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, ManualClock, Path, str]]:
    db = tmp_path / "golive.db"
    clock = ManualClock(START)
    store = EventStore.open(str(db), clock=clock)
    accounts = Accounts(store.engine, clock)
    accounts.add_user("vic", "viewer", actor="setup", password="correct horse battery staple")
    accounts.add_user("olga", "operator", actor="setup", password="correct horse battery staple")
    token = accounts.create_token("vic", actor="setup").secret
    operator = accounts.create_token("olga", actor="setup").secret
    try:
        for url in serve(store, Config(), clock):
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {operator}"}) as api:
                started = api.post(
                    "/api/v1/releases",
                    json={
                        "runbook": {"content": seed_path("002").read_text(encoding="utf-8")},
                        "service": "web",
                        "version": "1.0",
                        "env": "production",
                        "launch": "2026-12-01 09:00 UTC",
                    },
                )
                assert started.status_code == 201, started.text
            yield url, started.json()["id"], clock, db, token
    finally:
        store.close()


def test_the_page_does_not_wait_for_the_audit_and_the_panel_rechecks(
    server: tuple[str, str, ManualClock, Path, str],
) -> None:
    url, rid, clock, db, token = server  # vic, a viewer
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as web:
        page = web.get(f"/releases/{rid}")
        assert page.status_code == 200
        assert 'id="f-audit"' in page.text and "Checking the record…" in page.text
        assert "events checked" not in page.text  # the page carries no audit result of its own
        assert 'hx-trigger="load, golive-refresh"' in page.text

        panel = web.get(f"/releases/{rid}/fragment/audit").text
        assert "✓ intact" in panel and "1 event checked at Tue 24 Nov 2026 10:00:00 UTC" in panel

        with sqlite3.connect(db) as conn:  # an edit behind golive's back: the head does not move
            conn.execute("update events set actor = 'mallory' where release_id = ? and seq = 1", (rid,))
        clock.advance(timedelta(seconds=AUDIT_EVERY - 1))
        assert "✓ intact" in web.get(f"/releases/{rid}/fragment/audit").text  # checked 29 s ago
        clock.advance(timedelta(seconds=1))
        panel = web.get(f"/releases/{rid}/fragment/audit").text
        assert "✗ 2 findings" in panel and "event 1 was edited" in panel, panel
        assert "checked at Tue 24 Nov 2026 10:00:30 UTC" in panel
