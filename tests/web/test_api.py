"""The REST API through the real server (the ``web`` fixture: uvicorn on
127.0.0.1 over a fresh SQLite database): authentication, the dashboard
session and its CSRF token, security headers, a release from start to a
recorded GO, Idempotency-Key, ``expect_seq``, the event stream, errors,
people and tokens, and the report.

Each test starts the releases it needs: the server and its database are shared
by the whole module.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import PASSWORD, Web, start_release

API = "/api/v1"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
"""A time in UTC as the API writes it: ISO 8601 with a ``T`` (pydantic writes ``Z``,
FastAPI's jsonable_encoder ``+00:00``), never str()'s "2026-12-04 02:21:17+00:00"."""


# -- helpers -----------------------------------------------------------------------------
def _call(web: Web, method: str, path: str, user: str | None = None, **kwargs: Any) -> httpx.Response:
    with web.client(user) as client:
        answer = client.request(method, path, **kwargs)
    assert answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
    assert "Traceback" not in answer.text
    return answer


def _get(web: Web, path: str, user: str | None = "vic", **kwargs: Any) -> httpx.Response:
    return _call(web, "GET", f"{API}{path}", user, **kwargs)


def _post(web: Web, path: str, user: str | None, body: Any = None, **kwargs: Any) -> httpx.Response:
    return _call(web, "POST", f"{API}{path}", user, json=body, **kwargs)


def _error(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


def _events(web: Web, release: str) -> list[dict[str, Any]]:
    answer = _get(web, f"/releases/{release}/events")
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()
    return events


def _types(web: Web, release: str) -> list[str]:
    return [e["type"] for e in _events(web, release)]


def _seq(web: Web, release: str) -> int:
    return int(_get(web, f"/releases/{release}/status").json()["seq"])


def _login(web: Web, name: str = "olga", password: str = PASSWORD) -> httpx.Response:
    return _post(web, "/session", None, {"name": name, "password": password})


def _session(web: Web, name: str = "olga") -> tuple[str, str]:
    """A signed-in session of ``name``: (the cookie's value, its CSRF token)."""
    answer = _login(web, name)
    assert answer.status_code == 200, answer.text
    return answer.cookies["golive_session"], str(answer.json()["csrf"])


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


# -- authentication ---------------------------------------------------------------------
def test_no_credentials_answer_401_json_with_www_authenticate(web: Web) -> None:
    answer = _get(web, "/releases", user=None)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"].startswith("application/json")
    error = _error(answer)
    assert error["code"] == "unauthenticated"
    assert "Authorization" in error["message"]


def test_a_valid_token_is_accepted(web: Web) -> None:
    answer = _get(web, "/me", user="olga")
    assert answer.status_code == 200
    me = answer.json()
    assert (me["name"], me["role"], me["via"]) == ("olga", "operator", "token")
    assert web.tokens["olga"].startswith(f"glv_{me['token']}_")
    # its use is recorded (by a worker thread: the event loop that authenticates never writes)
    fresh = web.accounts.create_token("olga", actor="setup")
    assert fresh.row.last_used_at is None
    with web.client() as client:
        assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {fresh.secret}"}).status_code == 200
    [row] = [t for t in web.accounts.list_tokens(actor="setup", user="olga") if t.id == fresh.row.id]
    assert row.last_used_at is not None


@pytest.mark.parametrize("name", ["token", "access_token", "api_key", "ACCESS_TOKEN"])
def test_a_token_in_the_query_string_is_refused_even_with_a_valid_header(web: Web, name: str) -> None:
    secret = web.tokens["ana"]
    answer = _get(web, "/me", user="ana", params={name: secret})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    error = _error(answer)
    assert error["code"] == "unauthenticated"
    assert "never in the URL" in error["message"]
    assert secret not in answer.text


@pytest.mark.parametrize(
    "header",
    [
        "Basic YW5hOnB3",
        "Bearer",
        "Bearer glv_abc",
        "Token glv_abc_def",
        "Bearer glv_",
        "Bearer glv_nosuchtoken_secret",
        "Bearer not-a-golive-token",
    ],
)
def test_a_malformed_authorization_header_is_401(web: Web, header: str) -> None:
    answer = _get(web, "/me", user=None, headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert _error(answer)["code"] == "unauthenticated"


def test_a_tampered_token_is_401(web: Web) -> None:
    secret = web.tokens["vic"]
    answer = _get(web, "/me", user=None, headers={"Authorization": f"Bearer {secret[:-2]}xx"})
    assert answer.status_code == 401
    assert _error(answer)["message"] == "unknown API token"


@pytest.mark.parametrize(("which", "words"), [("expired", "expired at"), ("revoked", "is revoked")])
def test_expired_and_revoked_tokens_are_401(web: Web, which: str, words: str) -> None:
    secret = web.expired if which == "expired" else web.revoked
    answer = _get(web, "/me", user=None, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert words in _error(answer)["message"]


def test_unauthenticated_comes_before_body_validation(web: Web) -> None:
    """Nobody learns what a route expects before saying who they are."""
    release = start_release(web)
    answer = _post(web, f"/releases/{release}/comments", None, {"nonsense": True})
    assert answer.status_code == 401
    assert _error(answer)["code"] == "unauthenticated"


def test_unauthenticated_comes_before_the_idempotency_key_check(web: Web) -> None:
    release = start_release(web)
    bad_key = {"Idempotency-Key": "k" * 201}
    answer = _post(web, f"/releases/{release}/comments", None, {"text": "x"}, headers=bad_key)
    assert answer.status_code == 401, answer.text
    before = len(_events(web, release))
    signed = _post(web, f"/releases/{release}/comments", "olga", {"text": "x"}, headers=bad_key)
    assert signed.status_code == 422, signed.text
    assert _error(signed) | {"message": ""} == {
        "code": "bad_input",
        "message": "",
        "field": "Idempotency-Key",
    }
    assert len(_events(web, release)) == before  # nothing written


# -- the dashboard session --------------------------------------------------------------
def test_login_sets_an_httponly_samesite_lax_cookie_and_answers_csrf(web: Web) -> None:
    answer = _login(web)
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "olga"
    assert body["role"] == "operator"
    assert len(body["csrf"]) >= 32
    cookies = [c for c in answer.headers.get_list("set-cookie") if c.startswith("golive_session=")]
    assert len(cookies) == 1
    value, *attributes = [part.strip() for part in cookies[0].split(";")]
    assert len(value.removeprefix("golive_session=")) >= 32
    flags = {name.lower(): value for name, _, value in (a.partition("=") for a in attributes)}
    assert "httponly" in flags
    assert flags["samesite"].lower() == "lax"
    assert flags["path"] == "/"
    assert "secure" not in flags  # not secure mode: plain HTTP on 127.0.0.1
    assert int(flags["max-age"]) == 12 * 3600
    assert body["csrf"] not in cookies[0]


def test_a_session_reads_and_writes_only_with_its_csrf_token(web: Web) -> None:
    release = start_release(web)
    cookie, csrf = _session(web, "olga")
    jar = {"Cookie": f"golive_session={cookie}"}

    me = _get(web, "/me", user=None, headers=jar)
    assert me.status_code == 200
    assert me.json()["name"] == "olga"
    assert me.json()["via"] == "session"

    before = _events(web, release)
    for headers in (jar, jar | {"X-CSRF-Token": "wrong" + csrf[5:]}, jar | {"X-CSRF-Token": ""}):
        refused = _post(web, f"/releases/{release}/comments", None, {"text": "no csrf"}, headers=headers)
        assert refused.status_code == 403
        assert _error(refused)["code"] == "csrf"
    assert _events(web, release) == before  # nothing written

    done = _post(
        web,
        f"/releases/{release}/comments",
        None,
        {"text": "with csrf"},
        headers=jar | {"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200, done.text
    after = _events(web, release)
    assert len(after) == len(before) + 1
    assert after[-1]["type"] == "item.commented"
    assert after[-1]["actor"] == "olga"
    assert after[-1]["data"]["text"] == "with csrf"


def test_logout_needs_csrf_and_ends_the_session(web: Web) -> None:
    cookie, csrf = _session(web, "olga")
    jar = {"Cookie": f"golive_session={cookie}"}
    refused = _call(web, "DELETE", f"{API}/session", None, headers=jar)
    assert refused.status_code == 403
    assert _error(refused)["code"] == "csrf"
    assert _get(web, "/me", user=None, headers=jar).status_code == 200  # still signed in

    out = _call(web, "DELETE", f"{API}/session", None, headers=jar | {"X-CSRF-Token": csrf})
    assert out.status_code == 200
    assert out.json() == {"signed_out": True}
    assert any(
        c.startswith("golive_session=") and "max-age=0" in c.lower()
        for c in out.headers.get_list("set-cookie")
    )
    gone = _get(web, "/me", user=None, headers=jar)
    assert gone.status_code == 401
    assert _error(gone)["code"] == "unauthenticated"


def test_wrong_password_and_unknown_user_get_the_same_401(web: Web) -> None:
    wrong = _login(web, "olga", "not the password at all")
    unknown = _login(web, f"nobody-{uuid.uuid4().hex[:8]}", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert _error(wrong) == _error(unknown)
    assert _error(wrong)["code"] == "unauthenticated"
    assert "golive_session" not in wrong.headers.get("set-cookie", "")
    assert _login(web, "olga").status_code == 200  # one failure locks nobody out


# -- security headers -------------------------------------------------------------------
def _assert_security_headers(answer: httpx.Response) -> dict[str, list[str]]:
    csp = _csp(answer.headers["content-security-policy"])
    script = csp.get("script-src", csp.get("default-src", []))
    assert script, csp
    assert "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script
    assert csp["frame-ancestors"] == ["'none'"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"]
    assert "strict-transport-security" not in answer.headers  # not secure mode
    return csp


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/releases", "/api/v1/nope"])
def test_security_headers_on_the_api(web: Web, path: str) -> None:
    answer = _call(web, "GET", path, "vic")
    csp = _assert_security_headers(answer)
    assert csp["script-src"] == ["'self'"]
    assert answer.headers["cache-control"] == "no-store"


def test_security_headers_on_static_files(web: Web) -> None:
    answer = _call(web, "GET", "/static/vendor/htmx.min.js", None)
    assert answer.status_code == 200
    assert "javascript" in answer.headers["content-type"]
    _assert_security_headers(answer)


# -- a release from start to GO -----------------------------------------------------------
def test_the_full_flow_from_start_to_a_recorded_go(web: Web) -> None:
    release = start_release(web, user="olga")

    decision = _get(web, f"/releases/{release}/decision").json()
    assert decision["decision"] == "NO-GO"
    assert decision["recorded"] is None
    needed = {role for role, count in decision["signoffs"].items() if count["have"] < count["need"]}
    assert needed  # seed 002 asks for sign-offs

    # not yet: GO needs every sign-off (and the gates), and writes nothing when refused
    early = _post(web, f"/releases/{release}/decision", "ana", {"go": True})
    assert early.status_code == 409
    assert "cannot record GO" in _error(early)["message"]

    for role in sorted(needed):
        answer = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": role, "note": "looks good"})
        assert answer.status_code == 200, answer.text
    decision = _get(web, f"/releases/{release}/decision").json()
    assert all(c["have"] >= c["need"] for c in decision["signoffs"].values()), decision

    gates = _get(web, f"/releases/{release}").json()["gates"]
    open_gates = [g["item"] for g in gates if g["holds"] is not True]
    assert open_gates  # seed 002 has a gate nobody ticked
    for gate in open_gates:
        answer = _post(
            web, f"/releases/{release}/waivers", "ana", {"target": gate, "reason": "reviewed offline"}
        )
        assert answer.status_code == 200, answer.text
        assert gate in [w["target"] for w in answer.json()["waivers"]]

    assert _get(web, f"/releases/{release}/decision").json()["decision"] == "GO"
    recorded = _post(web, f"/releases/{release}/decision", "ana", {"go": True})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["decision"] == "GO"
    assert recorded.json()["recorded"] == "current"
    assert _get(web, f"/releases/{release}/status").json()["decision"]["recorded"] == "current"

    actors: dict[str, set[str]] = {}
    for event in _events(web, release):
        actors.setdefault(event["type"], set()).add(event["actor"])
    assert actors["release.started"] == {"olga"}
    assert actors["signoff.given"] == {"quinn"}
    assert actors["waiver.granted"] == {"ana"}
    assert actors["decision.recorded"] == {"ana"}
    assert _types(web, release).count("signoff.given") == len(needed)
    assert _types(web, release).count("decision.recorded") == 1


def test_an_item_whose_id_has_a_slash_can_be_worked(web: Web) -> None:
    """Item ids are "section/slug": the item route takes the slash (it did not:
    every item action answered 404)."""
    release = start_release(web)
    items = _get(web, f"/releases/{release}/items").json()
    item = next(i["id"] for i in items if i["gate"] is None)
    assert "/" in item
    answer = _post(web, f"/releases/{release}/items/{item}/start", "olga", {})
    assert answer.status_code == 200, answer.text
    event = _events(web, release)[-1]
    assert (event["type"], event["actor"], event["data"]["item"]) == ("item.started", "olga", item)
    state = next(i for i in _get(web, f"/releases/{release}/items").json() if i["id"] == item)
    assert state["status"] == "started"


# -- Idempotency-Key ------------------------------------------------------------------------
def test_the_same_key_acts_once_and_replays_the_answer(web: Web) -> None:
    release = start_release(web)
    key = {"Idempotency-Key": f"signoff-{uuid.uuid4()}"}
    first = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "QA Lead"}, headers=key)
    assert first.status_code == 200, first.text
    assert "idempotency-replayed" not in first.headers

    again = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "QA Lead"}, headers=key)
    assert again.status_code == 200
    assert again.headers["idempotency-replayed"] == "true"
    assert again.content == first.content
    assert _types(web, release).count("signoff.given") == 1

    # without the key the same request is a new one, and refused: already signed off
    fresh = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "QA Lead"})
    assert fresh.status_code == 409
    assert _types(web, release).count("signoff.given") == 1


def test_the_same_key_with_another_body_is_refused(web: Web) -> None:
    release = start_release(web)
    key = {"Idempotency-Key": f"signoff-{uuid.uuid4()}"}
    assert (
        _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "QA Lead"}, headers=key).status_code
        == 200
    )
    other = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "Operations"}, headers=key)
    assert other.status_code == 422
    error = _error(other)
    assert error["code"] == "idempotency_key_reused"
    assert error["field"] == "Idempotency-Key"
    signed = [e["data"]["role"] for e in _events(web, release) if e["type"] == "signoff.given"]
    assert signed == ["QA Lead"]


def test_keys_are_per_user(web: Web) -> None:
    release = start_release(web)
    key = {"Idempotency-Key": f"comment-{uuid.uuid4()}"}
    by_olga = _post(web, f"/releases/{release}/comments", "olga", {"text": "same words"}, headers=key)
    by_quinn = _post(web, f"/releases/{release}/comments", "quinn", {"text": "same words"}, headers=key)
    assert by_olga.status_code == by_quinn.status_code == 200
    assert "idempotency-replayed" not in by_quinn.headers
    comments = [e for e in _events(web, release) if e["type"] == "item.commented"]
    assert [c["actor"] for c in comments] == ["olga", "quinn"]
    replay = _post(web, f"/releases/{release}/comments", "olga", {"text": "same words"}, headers=key)
    assert replay.headers["idempotency-replayed"] == "true"
    assert replay.content == by_olga.content
    assert len([e for e in _events(web, release) if e["type"] == "item.commented"]) == 2


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_an_invalid_idempotency_key_is_422(web: Web, key: str) -> None:
    release = start_release(web)
    before = _events(web, release)
    answer = _post(
        web, f"/releases/{release}/comments", "olga", {"text": "x"}, headers={"Idempotency-Key": key}
    )
    assert answer.status_code == 422
    assert _error(answer)["field"] == "Idempotency-Key"
    assert _events(web, release) == before


def test_token_creation_is_never_replayed(web: Web) -> None:
    """A replay would show the secret a second time: each call makes a new token."""
    key = {"Idempotency-Key": f"token-{uuid.uuid4()}"}
    first = _post(web, "/tokens", "ana", {"label": "replay?"}, headers=key)
    second = _post(web, "/tokens", "ana", {"label": "replay?"}, headers=key)
    assert first.status_code == second.status_code == 201
    assert "idempotency-replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["token"] != second.json()["token"]


def test_actions_answer_times_as_reads_do(web: Web) -> None:
    """An action's answer (through the idempotency layer) writes times in ISO 8601
    as a read does (it wrote str(datetime): "2026-12-04 02:21:17.69+00:00"), and
    the same token's times the same way in POST and GET /tokens."""
    release = start_release(web)
    read = _get(web, f"/releases/{release}/status").json()
    acted = _post(web, f"/releases/{release}/comments", "olga", {"text": "times"}).json()
    for answer in (read, acted):
        assert ISO_UTC.match(answer["now"]), answer["now"]
        assert ISO_UTC.match(answer["launch"]), answer["launch"]
    made = _post(web, "/tokens", "ana", {}).json()
    listed = next(t for t in _get(web, "/tokens", user="ana").json() if t["id"] == made["id"])
    for name in ("created_at", "expires_at"):
        assert ISO_UTC.match(made[name]), made[name]
        assert made[name] == listed[name]


# -- expect_seq ------------------------------------------------------------------------------
def test_two_people_deciding_on_the_same_state(web: Web) -> None:
    release = start_release(web)
    seq = _seq(web, release)

    first = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "QA Lead", "expect_seq": seq})
    assert first.status_code == 200, first.text
    assert first.json()["seq"] == seq + 1

    before = _events(web, release)
    for user, path, body in [
        ("quinn", "signoffs", {"role": "Operations", "expect_seq": seq}),
        ("ana", "decision", {"go": False, "expect_seq": seq}),
        ("olga", "comments", {"text": "late", "expect_seq": seq}),
    ]:
        late = _post(web, f"/releases/{release}/{path}", user, body)
        assert late.status_code == 409, f"{path}: {late.text}"
        error = _error(late)
        assert error["code"] == "stale"
        assert error["field"] == "expect_seq"
        assert f"at seq {seq + 1}" in error["message"]
    written = [e["type"] for e in _events(web, release)[len(before) :]]
    assert written == []  # nothing at all: the comment's expect_seq counts too (it was ignored)

    now = _seq(web, release)
    again = _post(web, f"/releases/{release}/signoffs", "quinn", {"role": "Operations", "expect_seq": now})
    assert again.status_code == 200, again.text


# -- the event stream -------------------------------------------------------------------------
def _sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Server-Sent Events from a stream's lines: {"id", "event", "data"}, data parsed."""
    event: dict[str, Any] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                event["data"] = json.loads("\n".join(data))
                yield event
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            event[name] = value


def _stream(web: Web, release: str, **headers: str | bytes) -> Any:
    client = httpx.Client(base_url=web.url, timeout=httpx.Timeout(10.0))
    all_headers: list[tuple[bytes, bytes]] = [
        (b"Authorization", f"Bearer {web.tokens['vic']}".encode()),
        *((k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()),
    ]
    return client, client.stream("GET", f"{API}/releases/{release}/events/stream", headers=all_headers)


def _busy_release(web: Web) -> str:
    release = start_release(web)
    for n in range(3):
        assert _post(web, f"/releases/{release}/comments", "olga", {"text": f"note {n}"}).status_code == 200
    return release


def _take(events: Iterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [next(events) for _ in range(count)]


def test_the_stream_sends_every_event_from_the_start(web: Web) -> None:
    release = _busy_release(web)
    logged = _events(web, release)
    client, stream = _stream(web, release)
    with client, stream as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["cache-control"] == "no-store"
        got = _take(_sse(answer.iter_lines()), len(logged))
    assert [int(e["id"]) for e in got] == list(range(1, len(logged) + 1))
    assert all(e["event"] == "golive" for e in got)
    assert [e["data"] for e in got] == logged


def test_the_stream_resumes_after_last_event_id(web: Web) -> None:
    release = _busy_release(web)
    logged = _events(web, release)
    client, stream = _stream(web, release, **{"Last-Event-ID": "2"})
    with client, stream as answer:
        assert answer.status_code == 200
        got = _take(_sse(answer.iter_lines()), len(logged) - 2)
    assert [int(e["id"]) for e in got] == list(range(3, len(logged) + 1))
    assert [e["data"] for e in got] == logged[2:]


def test_the_stream_sends_new_events_live(web: Web) -> None:
    release = _busy_release(web)
    logged = _events(web, release)
    client, stream = _stream(web, release, **{"Last-Event-ID": str(len(logged))})
    with client, stream as answer:
        assert answer.status_code == 200
        events = _sse(answer.iter_lines())
        sent = time.monotonic()
        assert _post(web, f"/releases/{release}/comments", "olga", {"text": "live!"}).status_code == 200
        live = next(events)  # a read timeout (10 s) fails the test when nothing comes
        waited = time.monotonic() - sent
    assert int(live["id"]) == len(logged) + 1
    assert live["data"]["type"] == "item.commented"
    assert live["data"]["actor"] == "olga"
    assert live["data"]["data"]["text"] == "live!"
    assert waited < 5


def test_many_streams_on_one_release_share_one_look_at_the_log(tmp_path: Path) -> None:
    """Ten screens on one release: each new event reaches all ten, read from the log
    once (not once per stream), and the head is polled by one feed, not by ten. (A
    server of its own, without the rollout supervisor, which reads the log too.)"""
    from sqlalchemy import event as sa_event

    from golive.auth.accounts import Accounts
    from golive.config import Config
    from golive.release.service import ReleaseService
    from golive.store.events import EventStore
    from tests.conftest import seed_path
    from tests.web.conftest import serve

    store = EventStore.open(str(tmp_path / "golive.db"))
    accounts = Accounts(store.engine)
    accounts.add_user("vic", "viewer", actor="setup", password=PASSWORD)
    token = accounts.create_token("vic", actor="setup").secret
    releases = ReleaseService(store, Config())
    release = releases.start(
        seed_path("002"),
        service="web",
        version="1",
        env="production",
        launch=datetime(2026, 12, 1, 9, tzinfo=UTC),
        tz="UTC",
        actor="olga",
    )
    seen = store.get_release(release).head_seq
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        params = parameters if isinstance(parameters, (tuple, list)) else ()
        if release not in params:
            return
        if "FROM events" in statement and params[-1] >= seen:
            reads.append("new events")  # what a stream reads: the events after what it has
        elif statement.startswith("SELECT releases.id"):
            reads.append("head")

    streams = 10
    ready, first = threading.Barrier(streams + 1), threading.Barrier(streams + 1)
    got: list[list[int]] = [[] for _ in range(streams)]
    try:
        for url in serve(store, Config()):

            def screen(n: int, url: str = url) -> None:
                headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(seen)}
                with (
                    httpx.Client(base_url=url, timeout=10) as client,
                    client.stream(
                        "GET", f"{API}/releases/{release}/events/stream", headers=headers
                    ) as answer,
                ):
                    assert answer.status_code == 200
                    events = _sse(answer.iter_lines())
                    ready.wait(10)
                    got[n].append(int(next(events)["id"]))
                    first.wait(10)
                    got[n].append(int(next(events)["id"]))

            threads = [threading.Thread(target=screen, args=(n,)) for n in range(streams)]
            for t in threads:
                t.start()
            ready.wait(10)
            time.sleep(0.2)  # every stream is waiting on the feed
            sa_event.listen(store.engine, "before_cursor_execute", count)
            started = time.monotonic()
            releases.comment(release, "one", actor="olga")
            first.wait(10)  # all ten have the first event
            releases.comment(release, "two", actor="olga")
            for t in threads:
                t.join(10)
            elapsed = time.monotonic() - started
            sa_event.remove(store.engine, "before_cursor_execute", count)
    finally:
        store.close()
    assert got == [[seen + 1, seen + 2]] * streams
    # once per event for all ten streams (ten streams reading for themselves: 20 reads)
    assert reads.count("new events") == 2, reads
    # the head: one feed's polls (every 0.05 s), plus the comments' own reads
    assert reads.count("head") <= elapsed / 0.05 + 6, (reads.count("head"), elapsed)


def test_the_stream_ignores_a_last_event_id_that_is_no_number(web: Web) -> None:
    """'²' is a digit to str.isdigit() but no int: it answered 500."""
    release = start_release(web)
    for value in (b"\xb2", b"abc", b"-1"):
        client, stream = _stream(web, release, **{"Last-Event-ID": value})
        with client, stream as answer:
            assert answer.status_code == 200
            first = next(_sse(answer.iter_lines()))
        assert first["id"] == "1"


def test_the_stream_of_an_unknown_release_is_404(web: Web) -> None:
    client, stream = _stream(web, "no-such-release")
    with client, stream as answer:
        answer.read()
        assert answer.status_code == 404
        assert _error(answer)["code"] == "not_found"


# -- errors -----------------------------------------------------------------------------------
def test_an_unknown_release_is_404_not_found(web: Web) -> None:
    for path in ("/releases/no-such-release", "/releases/no-such-release/status", "/releases/x/events"):
        answer = _get(web, path)
        assert answer.status_code == 404, path
        error = _error(answer)
        assert error["code"] == "not_found"
        assert "no release" in error["message"]
    acted = _post(web, "/releases/no-such-release/comments", "olga", {"text": "x"})
    assert acted.status_code == 404
    assert _error(acted)["code"] == "not_found"


def test_a_missing_field_is_422_naming_it(web: Web) -> None:
    release = start_release(web)
    for path, body, missing in [
        (f"/releases/{release}/comments", {}, "text"),
        (f"/releases/{release}/signoffs/revoke", {"role": "QA Lead"}, "reason"),
        ("/releases", {"service": "web"}, "runbook"),
        ("/session", {"name": "olga"}, "password"),
    ]:
        answer = _post(web, path, "ana", body)
        assert answer.status_code == 422, path
        error = _error(answer)
        assert error["code"] == "bad_input"
        assert error["field"] == missing, (path, error)


def test_an_extra_field_is_422(web: Web) -> None:
    release = start_release(web)
    before = _events(web, release)
    answer = _post(web, f"/releases/{release}/comments", "olga", {"text": "x", "sneaky": True})
    assert answer.status_code == 422
    assert _error(answer) | {"message": ""} == {"code": "bad_input", "message": "", "field": "sneaky"}
    assert _events(web, release) == before


def test_other_bad_requests_never_answer_a_stack_trace(web: Web) -> None:
    release = start_release(web)
    item = _get(web, f"/releases/{release}/items").json()[0]["id"]
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("POST", f"/releases/{release}/comments", {"content": b"{not json"}, 422),
        ("POST", f"/releases/{release}/comments", {"json": ["a", "list"]}, 422),
        ("POST", f"/releases/{release}/comments", {"json": {"text": 5}}, 422),
        ("POST", f"/releases/{release}/signoffs", {"json": {"role": "QA Lead", "expect_seq": -1}}, 422),
        ("POST", f"/releases/{release}/items/{item}/explode", {"json": {}}, 422),
        ("GET", f"/releases/{release}/events", {"params": {"limit": 0}}, 422),
        ("GET", f"/releases/{release}/events", {"params": {"after": "x"}}, 422),
        ("GET", f"/releases/{release}/audit", {"params": {"head": "not-an-anchor"}}, 422),
        ("POST", "/runbooks/lint", {"json": {"filename": ".", "content": "# x"}}, 422),
        ("POST", "/runbooks/lint", {"json": {"filename": "..", "content": "# x"}}, 422),
        ("POST", "/runbooks/show", {"json": {"filename": "../../etc/passwd", "content": "# x"}}, 422),
        ("GET", "/nope", {}, 404),
    ]
    for method, path, kwargs, status in cases:
        answer = _call(web, method, f"{API}{path}", "ana", **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        assert _error(answer)["code"] in ("bad_input", "not_found"), (method, path, answer.text)


def test_a_wrong_method_is_405_with_allow(web: Web) -> None:
    answer = _call(web, "PUT", f"{API}/releases", "vic")
    assert answer.status_code == 405
    assert _error(answer)["code"] == "method_not_allowed"
    assert "GET" in answer.headers["allow"]


# -- people and tokens -------------------------------------------------------------------------
def test_only_an_admin_lists_people(web: Web) -> None:
    for user in ("vic", "olga", "quinn"):
        refused = _get(web, "/users", user=user)
        assert refused.status_code == 403, user
        assert _error(refused)["code"] == "forbidden"
    listed = _get(web, "/users", user="ana")
    assert listed.status_code == 200
    people = {u["name"]: u["role"] for u in listed.json()}
    assert {
        "ana": "admin",
        "quinn": "approver",
        "olga": "operator",
        "vic": "viewer",
    }.items() <= people.items()
    assert all("password" not in u and "password_hash" not in u for u in listed.json())
    assert "$argon2" not in listed.text


def test_a_new_token_shows_its_secret_once(web: Web) -> None:
    made = _post(web, "/tokens", "ana", {"user": "vic", "label": "ci", "expires": "2h"})
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert secret.startswith(f"glv_{made.json()['id']}_")
    assert made.json()["user"] == "vic"
    assert made.json()["role"] == "viewer"
    assert made.json()["state"] == "active"

    me = _get(web, "/me", user=None, headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json()["name"] == "vic"

    for user in ("ana", "vic"):
        listed = _get(web, "/tokens", user=user)
        assert listed.status_code == 200
        assert made.json()["id"] in [t["id"] for t in listed.json()]
        assert secret not in listed.text
        assert secret.rsplit("_", 1)[-1] not in listed.text
        assert all("token" not in t for t in listed.json())
    mine = _get(web, "/tokens", user="vic").json()
    assert {t["user"] for t in mine} == {"vic"}  # a viewer sees only their own

    revoked = _call(web, "DELETE", f"{API}/tokens/{made.json()['id']}", "vic")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert _get(web, "/me", user=None, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_viewer_cannot_mint_an_admin_token(web: Web) -> None:
    cookie, csrf = _session(web, "vic")
    session = {"Cookie": f"golive_session={cookie}", "X-CSRF-Token": csrf}
    before = [t["id"] for t in _get(web, "/tokens", user="ana").json()]

    for body in ({"role": "admin"}, {"role": "operator"}):
        refused = _post(web, "/tokens", None, body, headers=session)
        assert refused.status_code == 409, refused.text
        error = _error(refused)
        assert error["code"] == "not_allowed"
        assert "at most the role viewer" in error["message"]
    for_other = _post(web, "/tokens", None, {"user": "ana"}, headers=session)
    assert for_other.status_code == 403
    assert _error(for_other)["code"] == "forbidden"

    with_a_token = _post(web, "/tokens", "vic", {"role": "admin"})
    assert with_a_token.status_code == 403  # a token never mints tokens
    assert _error(with_a_token)["code"] == "forbidden"
    assert [t["id"] for t in _get(web, "/tokens", user="ana").json()] == before

    own = _post(web, "/tokens", None, {"label": "mine"}, headers=session)
    assert own.status_code == 201, own.text
    assert own.json()["role"] == "viewer"


def test_another_persons_token_cannot_be_revoked(web: Web) -> None:
    made = _post(web, "/tokens", "ana", {"user": "olga"}).json()
    refused = _call(web, "DELETE", f"{API}/tokens/{made['id']}", "vic")
    assert refused.status_code == 404  # as if it did not exist
    assert _error(refused)["code"] == "not_found"
    works = _get(web, "/me", user=None, headers={"Authorization": f"Bearer {made['token']}"})
    assert works.status_code == 200


# -- the report ---------------------------------------------------------------------------------
def test_the_markdown_report(web: Web) -> None:
    release = start_release(web)
    answer = _get(web, f"/releases/{release}/report.md")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/markdown")
    assert answer.text.startswith("# ")
    assert release in answer.text


def test_the_html_report_allows_no_script(web: Web) -> None:
    release = start_release(web)
    answer = _get(web, f"/releases/{release}/report.html")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert release in answer.text
    csp = _csp(answer.headers["content-security-policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp.get("script-src", ["'none'"]) == ["'none'"]
    assert "<script" not in answer.text.lower()
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
