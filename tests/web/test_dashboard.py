"""The dashboard in a real Chromium against a real server (``web``: uvicorn with the
rollout controllers running inside it on a 50x compressed clock).

- signing in (and out) with the form, and every page's CSP with no inline script;
- each site role sees only the buttons of the actions it may take;
- the go-live: quinn signs off through the page, ana waives the gate and records
  GO through the page, a rollout started through the API advances on the page
  with no reload, the emergency stop's dialog says what it will do, and the
  rollout shows paused;
- the board and the runbook view, and runbook HTML shown as text, never run.

Screenshots go to test-artifacts/ (login, release, board, runbook).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from golive.web.app import CSP
from tests.web.browser import screenshot
from tests.web.conftest import PASSWORD, Web, start_release

ROLES = ["Deployment Lead", "QA Lead", "Operations", "Product Owner"]
GATE = "Code review completed and approved"
WAIT = 15_000  # ms: the longest any expectation waits (the rollout's first bake is ~5 s)


# -- helpers --------------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def assert_no_inline_code(html: str) -> None:
    """No inline script, no inline style, no event-handler attribute: what the CSP forbids."""
    parser = _Tags()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts, "the page loads no script at all"
    assert all((attrs.get("src") or "").startswith("/static/") for attrs in scripts), scripts
    assert parser.script_text == [], f"inline script: {parser.script_text[:1]}"
    assert not [tag for tag, _ in parser.tags if tag == "style"], "inline <style>"
    inline = [
        (tag, name)
        for tag, attrs in parser.tags
        for name in attrs
        if name == "style" or name.startswith("on")
    ]
    assert inline == [], f"inline style or handler attributes: {inline[:5]}"


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


@contextmanager
def session_client(web: Web, user: str) -> Iterator[httpx.Client]:
    """A client signed in through the login form (the session cookie, as a browser has it)."""
    with httpx.Client(base_url=web.url, follow_redirects=False, timeout=30) as client:
        token = form_token(client.get("/login").text)
        answer = client.post("/login", data={"name": user, "password": PASSWORD, "csrf": token})
        assert answer.status_code == 303, answer.text
        yield client


def sign_in(tab: Page, web: Web, user: str, path: str = "/") -> None:
    tab.goto(f"{web.url}/login?next={path}")
    tab.get_by_label("User name").fill(user)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.locator(".whoami strong")).to_have_text(user)


def watch(tab: Page) -> list[str]:
    """JavaScript errors and CSP violations of the page, as they happen."""
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


@contextmanager
def signed_in(browser: Browser, web: Web, user: str, path: str = "/") -> Iterator[tuple[Page, list[str]]]:
    """A page of ``user`` in a fresh browser context (no cookie shared with another user)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        errors = watch(tab)
        sign_in(tab, web, user, path)
        yield tab, errors
    finally:
        context.close()


def release_page(tab: Page, web: Web, rid: str) -> None:
    tab.goto(f"{web.url}/releases/{rid}")
    expect(tab.locator("#live")).to_have_text("● live", timeout=WAIT)  # the event stream is open


@pytest.fixture(scope="module")
def metrics() -> Iterator[str]:
    """A metric source for the rollout's triggers: an error rate and a latency that move a little."""
    count = iter(range(1_000_000))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            n = next(count)
            data = json.dumps(
                {"error_rate": 0.002 + 0.001 * (n % 5), "latency_ms": 80 + 7 * (n % 4)}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def guard(metrics: str) -> str:
    """A rollout of component ``web``: 10% for 4 minutes (~5 s at 50x), then 50% until promoted;
    command actuators (``true``), two triggers on the metric source, a 2-step rollback procedure."""
    source = {"source": "http_json", "url": f"{metrics}/metrics.json"}
    return yaml.safe_dump(
        {
            "rollout_guard": {
                "interval": "30s",
                "health": False,
                "hold_points": False,
                "components": [
                    {
                        "name": "web",
                        "steps": [{"weight": 10, "bake": "4m"}, {"weight": 50}, {"weight": 100}],
                        "set_weight": {"kind": "command", "argv": ["true"]},
                        "rollback": {"kind": "command", "argv": ["true"]},
                    }
                ],
                "triggers": [
                    {
                        "name": "error-rate",
                        "text": "Error rate > 5% of total requests",
                        **source,
                        "path": "error_rate",
                        "breach": "value > 0.05",
                    },
                    {
                        "name": "latency",
                        "text": "p95 latency over 500 ms",
                        **source,
                        "path": "latency_ms",
                        "breach": "value > 500",
                        "reaction": "pause",
                    },
                ],
                "rollback_procedure": [
                    {"text": "Deploy the previous build", "action": {"kind": "command", "argv": ["true"]}},
                    {"text": "Purge the CDN cache", "action": {"kind": "command", "argv": ["true"]}},
                ],
            }
        }
    )


# -- signing in, security headers ---------------------------------------------------------------
def test_pages_send_the_csp_and_carry_no_inline_script(web: Web) -> None:
    rid = start_release(web)
    with httpx.Client(base_url=web.url, follow_redirects=False, timeout=30) as anonymous:
        assert anonymous.get("/").headers["location"] == "/login"
        assert anonymous.get(f"/releases/{rid}").headers["location"] == f"/login?next=/releases/{rid}"
        fragment = anonymous.get(f"/releases/{rid}/fragment/rollout", headers={"HX-Request": "true"})
        assert fragment.status_code == 401
        assert fragment.headers["HX-Redirect"] == f"/login?next=/releases/{rid}"
        form = anonymous.get("/login")
        assert form.headers["content-security-policy"] == CSP
        assert_no_inline_code(form.text)
        forged = anonymous.post("/login", data={"name": "quinn", "password": PASSWORD, "csrf": "forged"})
        assert forged.status_code == 400 and "form expired" in forged.text
        assert "golive_session" not in forged.headers.get("set-cookie", "")
        token = form_token(anonymous.get("/login").text)
        wrong = anonymous.post("/login", data={"name": "olga", "password": "not it", "csrf": token})
        assert wrong.status_code == 401 and "wrong user name or password" in wrong.text

    gate = "1-code-quality/code-review-completed-and-approved"
    with web.client("olga") as api:
        for url in ("https://ci.example.com/runs/42", "https://deploy:hunter2-secret@ci.example.com/log"):
            attached = api.post(f"/api/v1/releases/{rid}/evidence", json={"item": gate, "url": url})
            assert attached.status_code == 200, attached.text

    with session_client(web, "quinn") as client:
        cookie = client.cookies["golive_session"]
        gates = client.get(f"/releases/{rid}/fragment/gates").text
        assert '<a href="https://ci.example.com/runs/42"' in gates  # evidence is linked
        assert "hunter2-secret" not in gates and "ci.example.com/log" in gates  # its secret is not
        for path in ("/", f"/releases/{rid}", f"/releases/{rid}/board", f"/releases/{rid}/runbook"):
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
            assert answer.headers["content-security-policy"] == CSP, path
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            assert answer.headers["cache-control"] == "no-store"
            assert_no_inline_code(answer.text)
            for secret in (PASSWORD, cookie, "hunter2-secret", *web.tokens.values()):
                assert secret not in answer.text, f"a secret in {path}"
        for name in (
            "summary",
            "decision",
            "signoffs",
            "gates",
            "phases",
            "items",
            "rollout",
            "events",
            "board",
        ):
            answer = client.get(f"/releases/{rid}/fragment/{name}")
            assert answer.status_code == 200 and 'data-seq="' in answer.text, name
            assert "<script" not in answer.text, name
        assert client.get(f"/releases/{rid}/fragment/nope").status_code == 404
        missing = client.get("/releases/no-such-release")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        report = client.get(f"/releases/{rid}/report")
        assert report.status_code == 200 and rid in report.text and "<script" not in report.text
        assert report.headers["content-security-policy"].startswith("default-src 'none'")
        # signing out takes the form's CSRF token
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
        assert csrf
        assert client.post("/logout").status_code == 403
        assert client.post("/logout", data={"csrf": csrf.group(1)}).headers["location"] == "/login"
    with httpx.Client(base_url=web.url, cookies={"golive_session": cookie}, timeout=30) as ended:
        assert ended.get("/", follow_redirects=False).headers["location"] == "/login"  # the session is closed


def test_runbook_html_is_shown_as_text_never_run(web: Web) -> None:
    runbook = (
        "# Go-live\n\n## T-0: Launch\n\n"
        "- [ ] Roll out <script>alert(1)</script>\n"
        "- [ ] Look at <img src=x onerror=alert(2)> and [the docs](javascript:alert(3))\n"
    )
    with web.client("olga") as api:
        answer = api.post(
            "/api/v1/releases",
            json={
                "runbook": {"filename": "runbook.md", "content": runbook},
                "service": "shop",
                "version": "2.0",
                "env": "staging",
                "launch": "2031-01-06 09:00 UTC",
            },
        )
    assert answer.status_code == 201, answer.text
    rid = answer.json()["id"]
    with session_client(web, "vic") as client:
        html = client.get(f"/releases/{rid}/runbook").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "[the docs](javascript:alert(3))" in html  # not a link: shown as the text it is
    assert_no_inline_code(html)
    parser = _Tags()
    parser.feed(html)
    assert not [a for _tag, a in parser.tags if any("javascript:" in (v or "") for v in a.values())]
    assert not [tag for tag, _ in parser.tags if tag == "img"]
    assert html.count("○ pending") >= 2  # each item's status beside it


def test_sign_in_with_the_form(page: Page, web: Web) -> None:
    rid = start_release(web)
    errors = watch(page)
    page.goto(f"{web.url}/releases/{rid}")
    expect(page).to_have_url(f"{web.url}/login?next=/releases/{rid}")
    expect(page.get_by_role("heading", name="Sign in to golive")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("User name").fill("vic")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("✗ wrong user name or password")
    expect(page.get_by_label("User name")).to_have_value("vic")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{web.url}/releases/{rid}")  # back where they were going
    expect(page.locator(".whoami strong")).to_have_text("vic")
    # the audit panel loads after the page (the page never waits for the whole record)
    expect(page.locator("#f-audit")).to_contain_text("✓ intact")
    expect(page.locator("#f-audit")).to_contain_text("event checked at")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{web.url}/login")
    # the wrong password's answer is a 401, which Chromium logs; nothing else went wrong
    assert [e for e in errors if "status of 401" not in e] == []
    assert len(errors) == 1


# -- who sees which buttons ---------------------------------------------------------------------
def test_each_role_sees_only_the_buttons_it_may_use(browser: Browser, web: Web) -> None:
    rid = start_release(web)  # started by olga
    signoffs = '[data-action="signoff"]'
    with signed_in(browser, web, "vic", f"/releases/{rid}") as (tab, errors):
        expect(tab.locator(".item")).to_have_count(134)  # the items are there, the buttons are not
        expect(tab.locator("main button")).to_have_count(0)
        expect(tab.locator(".badge").first).to_be_visible()
        assert tab.locator("main .badge:empty").count() == 0  # every state has a word, not only a colour
        expect(tab.locator("[data-action], [data-item-op]")).to_have_count(0)
        assert errors == []

    with signed_in(browser, web, "quinn", f"/releases/{rid}") as (tab, errors):
        expect(tab.locator(signoffs)).to_have_count(4)
        for role in ROLES:
            expect(tab.get_by_role("button", name=f"Sign off as {role}")).to_be_visible()
        expect(tab.locator('[data-action="decide"], [data-action="waive"]')).to_have_count(0)
        expect(tab.locator('[data-action^="rollout."]')).to_have_count(0)

    with signed_in(browser, web, "ana", f"/releases/{rid}") as (tab, errors):
        expect(tab.locator('[data-action="decide"]')).to_have_count(1)
        expect(tab.get_by_role("button", name="Waive…")).to_have_count(1)
        expect(tab.locator(signoffs)).to_have_count(0)  # ana holds no sign-off role

    with signed_in(browser, web, "olga", f"/releases/{rid}") as (tab, errors):
        release_page(tab, web, rid)
        expect(tab.locator(signoffs)).to_have_count(0)
        expect(tab.locator('[data-action="decide"], [data-action="waive"]')).to_have_count(0)
        expect(tab.get_by_role("button", name="Run checks")).to_be_visible()
        # olga works the items: done, then skip with the dialog that says what happens
        tab.locator("summary", has_text="1. Code Quality").click()
        first = tab.locator('.item[data-line="12"]')
        second = tab.locator('.item[data-line="13"]')
        first.get_by_role("button", name="Done").focus()
        tab.keyboard.press("Enter")  # the keyboard works every button
        expect(first.locator(".item-state")).to_have_text("✓ done")
        second.get_by_role("button", name="Skip…").click()
        dialog = tab.locator("dialog#confirm")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#confirm-text")).to_have_text(
            "skip “No console.log statements in production code” (line 13): it is no longer due, "
            "its phase counts it as settled, and your reason is recorded"
        )
        dialog.get_by_role("button", name="Skip the item").click()  # no reason yet: refused in the dialog
        expect(dialog.locator("#confirm-error")).to_contain_text("Say why")
        dialog.get_by_label("Reason").fill("no frontend in this release")
        dialog.get_by_role("button", name="Skip the item").click()
        expect(dialog).to_be_hidden()
        expect(second.locator(".item-state")).to_have_text("↷ skipped")
        expect(tab.locator("#f-events")).to_contain_text("skipped “No console.log statements")
        tab.goto(f"{web.url}/releases/{rid}/runbook")
        expect(tab.locator("#line-12")).to_contain_text("✓ done by olga")
        expect(tab.locator("#line-13")).to_contain_text("↷ skipped by olga")
        assert errors == []


# -- the go-live ---------------------------------------------------------------------------------
def test_sign_off_decide_and_watch_the_rollout_live(browser: Browser, web: Web, metrics: str) -> None:
    rid = start_release(web)
    with signed_in(browser, web, "quinn", f"/releases/{rid}") as (tab, errors):
        release_page(tab, web, rid)
        for role in ROLES:
            tab.get_by_role("button", name=f"Sign off as {role}").click()
            expect(tab.locator(f'tr[data-role="{role}"] .given')).to_contain_text("quinn")
            expect(tab.get_by_role("button", name=f"Sign off as {role}")).to_have_count(0)
        reasons = tab.locator("#f-decision .reasons li")
        expect(reasons).to_have_count(1)  # every sign-off given: only the gate is left
        expect(reasons).to_have_text(re.compile(f"gate not done: {GATE}"))
        assert errors == []

    with signed_in(browser, web, "ana", f"/releases/{rid}") as (tab, errors):
        release_page(tab, web, rid)
        expect(tab.locator("#f-decision .decision-word")).to_have_text("✗ NO-GO")
        tab.get_by_role("button", name="Waive…").click()
        dialog = tab.locator("dialog#confirm")
        expect(dialog.locator("#confirm-text")).to_contain_text(f"waive the gate “{GATE}” (line 18)")
        dialog.get_by_label("Reason").fill("reviewed in the change board")
        dialog.get_by_role("button", name="Waive the gate").click()
        expect(dialog).to_be_hidden()
        expect(tab.locator(".gate")).to_contain_text("⚑ waived by ana")
        expect(tab.locator("#f-decision .decision-word")).to_have_text("✓ GO")
        tab.get_by_role("button", name="Record GO").click()
        expect(dialog.locator("#confirm-text")).to_have_text(
            "record GO for web 1.0 in production: the rollout may start, and sign-offs close"
        )
        dialog.get_by_role("button", name="Record GO").click()
        expect(tab.locator("#f-decision .recorded")).to_contain_text("✓ GO by ana")
        expect(tab.locator("#f-decision .recorded")).to_contain_text("current")

        # the rollout, started through the API, advances on the tab: no reload
        tab.evaluate("window.__golive_marker = 'still the same tab'")
        with web.client("ana") as api:
            started = api.post(f"/api/v1/releases/{rid}/rollout/start", json={"guard": guard(metrics)})
        assert started.status_code == 200, started.text
        weight = tab.locator('#f-rollout tr[data-component="web"] .weight')
        expect(weight).to_have_text("10%", timeout=WAIT)
        expect(tab.locator('#f-rollout tr[data-component="web"] .step')).to_have_text("step 1 of 3")
        expect(weight).to_have_text("50%", timeout=WAIT)
        expect(tab.locator('#f-rollout tr[data-component="web"] .step')).to_have_text("step 2 of 3")
        assert tab.evaluate("window.__golive_marker") == "still the same tab"
        expect(tab.locator("#f-rollout .rollout-state")).to_contain_text("▶ running")
        expect(tab.locator('#f-rollout tr[data-trigger="error-rate"]')).to_contain_text("✓ ok")
        expect(tab.locator('#f-rollout tr[data-trigger="error-rate"]')).to_contain_text("value > 0.05")
        expect(tab.locator("#charts figure.chart")).to_have_count(2)
        expect(tab.locator('#charts figure[data-trigger="error-rate"] canvas')).to_have_count(1)
        expect(tab.locator("#f-events")).to_contain_text("web at 50%")
        screenshot(tab, "release")

        # the emergency stop says what it will do, in the tab's own dialog
        tab.get_by_role("button", name="Emergency stop").click()
        expect(dialog).to_be_visible()
        expect(dialog.locator("#confirm-text")).to_have_text(
            "emergency stop: pause every rollout of this release where it is (web at 50%) until resumed"
        )
        dialog.get_by_label("Reason").fill("checkout errors reported by support")
        dialog.get_by_role("button", name="Stop everything now").click()
        expect(dialog).to_be_hidden()
        expect(tab.locator("#f-rollout .rollout-state")).to_contain_text("‖ paused", timeout=WAIT)
        expect(tab.locator("#f-summary")).to_contain_text("‖ paused")
        expect(tab.get_by_role("button", name="Emergency stop")).to_have_count(0)
        expect(tab.get_by_role("button", name="Resume…")).to_be_visible()
        # abort names the rollback it would run; cancelled, nothing happens
        tab.get_by_role("button", name="Abort and roll back…").click()
        expect(dialog.locator("#confirm-text")).to_have_text(
            "roll back web from 50% to 0% and run the 2 steps of the rollback procedure"
        )
        tab.keyboard.press("Escape")  # the keyboard closes the dialog: nothing is done
        expect(dialog).to_be_hidden()
        assert tab.evaluate("window.__golive_marker") == "still the same tab"
        with web.client("vic") as api:
            rollout = api.get(f"/api/v1/releases/{rid}/rollout").json()
        assert rollout["outcome"] == "paused" and rollout["components"][0]["weight"] == 50
        assert errors == []

        # the war-room board, at TV size
        tab.set_viewport_size({"width": 1920, "height": 1080})
        tab.goto(f"{web.url}/releases/{rid}/board")
        expect(tab.locator(".decision-tile .tile-big")).to_have_text("✓ GO")
        expect(tab.locator('.weight-tile[data-component="web"] .weight')).to_have_text("50%")
        expect(tab.locator(".rollout-tile .tile-big")).to_have_text("‖ paused")
        expect(tab.locator('.board-triggers li[data-trigger="latency"]')).to_contain_text("✓ ok")
        expect(tab.locator(".overdue-count")).to_have_text("0")
        expect(tab.locator("#live")).to_have_text("● live", timeout=WAIT)
        screenshot(tab, "board")

        tab.set_viewport_size({"width": 1280, "height": 800})
        tab.goto(f"{web.url}/releases/{rid}/runbook")
        expect(tab.locator("#line-18")).to_contain_text(GATE)
        expect(tab.locator("#line-18")).to_contain_text("⚑ waived by ana")
        expect(tab.locator("article.markdown h1").first).to_be_visible()
        screenshot(tab, "runbook")
        assert errors == []
