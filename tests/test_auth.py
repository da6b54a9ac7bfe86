"""People, API tokens, sessions and site roles (golive.auth), on a real SQLite
database, and the ``golive user`` / ``golive token`` commands through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest

from golive.auth.accounts import Accounts
from golive.auth.principal import ACTIONS, SITE_ROLES, Principal, permit
from golive.clock import ManualClock
from golive.errors import ActionError, AuthError, ForbiddenError, InputError, NotFoundError
from golive.store.events import EventStore
from tests.conftest import ROOT

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NOW = "2026-11-24 10:00 Europe/London"  # T0, for the CLI (GOLIVE_NOW)
PASSWORD = "correct horse battery"
OTHER = "staple paper clip 42"


# -- helpers -----------------------------------------------------------------------
def golive(tmp: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI on ``tmp``'s database, acting as the local person ``root``, its clock at T0."""
    env = {
        **os.environ,
        "GOLIVE_DATABASE_URL": str(tmp / "g.db"),
        "GOLIVE_HOME": str(tmp),
        "GOLIVE_ACTOR": "root",
        "GOLIVE_NOW": NOW,
    }
    env.pop("GOLIVE_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "golive", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        input=stdin,
        timeout=120,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a failed command (exit 2), with nothing on stdout."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("golive: error: "), lines[0]
    return lines[0]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def users_json(tmp: Path) -> list[dict[str, object]]:
    data = json.loads(ok(golive(tmp, "user", "list", "--json")))
    assert isinstance(data, list)
    return data


def table(db: Path, name: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(f"select * from {name}"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    opened = EventStore.open(str(tmp_path / "g.db"))
    yield opened
    opened.close()


@pytest.fixture
def accounts(store: EventStore, clock: ManualClock) -> Accounts:
    return Accounts(store.engine, clock)


@pytest.fixture
def people(accounts: Accounts) -> Accounts:
    """ana (admin, password), bo (operator, password), cy (approver, tokens only)."""
    accounts.add_user("ana", "admin", actor="root", password=PASSWORD)
    accounts.add_user("bo", "operator", actor="root", password=OTHER)
    accounts.add_user("cy", "approver", actor="root")
    return accounts


# -- bootstrap ---------------------------------------------------------------------
def test_the_first_admin_is_added_on_the_machine_and_signs_in(tmp_path: Path, clock: ManualClock) -> None:
    assert users_json(tmp_path) == []  # no default account

    added = golive(
        tmp_path, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert ok(added).strip() == "added user ana (admin)"

    [ana] = users_json(tmp_path)
    assert ana["name"] == "ana" and ana["role"] == "admin" and ana["created_by"] == "root"
    assert ana["has_password"] is True and ana["disabled"] is False
    assert str(ana["created_at"]).startswith("2026-11-24T10:00")  # the command's clock (GOLIVE_NOW)
    text = ok(golive(tmp_path, "user", "list"))
    assert "ana" in text and "admin" in text and "password" in text and "by root" in text

    store = EventStore.open(str(tmp_path / "g.db"))
    try:
        accounts = Accounts(store.engine, clock)
        # the trailing newline of stdin is not part of the password
        assert accounts.login("ana", PASSWORD) == Principal(name="ana", role="admin", via="session")
        with pytest.raises(AuthError) as wrong_password:
            accounts.login("ana", PASSWORD + "\n")
        with pytest.raises(AuthError) as unknown_name:
            accounts.login("anna", PASSWORD)
        assert str(wrong_password.value) == str(unknown_name.value)
        assert "wrong user name or password" in str(unknown_name.value)
    finally:
        store.close()


def test_a_short_password_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = golive(tmp_path, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin="elevenchars\n")
    line = one_line(bad)
    assert "password" in line and "at least 12 characters" in line
    assert bad.stdout == ""
    assert users_json(tmp_path) == []
    # twelve characters are enough
    ok(golive(tmp_path, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin="twelve chars\n"))
    assert [u["name"] for u in users_json(tmp_path)] == ["ana"]


def test_user_add_refuses_a_duplicate_a_bad_role_and_a_bad_name(tmp_path: Path) -> None:
    ok(golive(tmp_path, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"))
    again = golive(tmp_path, "user", "add", "ana", "--role", "viewer")
    assert "user ana already exists" in one_line(again)
    assert "--role" in one_line(golive(tmp_path, "user", "add", "bo", "--role", "boss"))
    assert "NAME" in one_line(golive(tmp_path, "user", "add", "b o", "--role", "viewer"))
    [ana] = users_json(tmp_path)
    assert ana["role"] == "admin" and ana["has_password"] is True  # the duplicate changed nothing


def test_a_person_added_without_a_password_cannot_log_in(people: Accounts) -> None:
    assert people.get_user("cy").has_password is False
    with pytest.raises(AuthError, match="wrong user name or password"):
        people.login("cy", "")
    with pytest.raises(AuthError, match="wrong user name or password"):
        people.login("cy", PASSWORD)


def test_the_cli_manages_people(tmp_path: Path, clock: ManualClock) -> None:
    ok(golive(tmp_path, "user", "add", "bo", "--role", "operator", "--password-stdin", stdin=OTHER + "\n"))
    assert ok(golive(tmp_path, "user", "role", "bo", "approver")).strip() == "bo is now approver"
    assert "--password-stdin" in one_line(golive(tmp_path, "user", "passwd", "bo"))
    ok(golive(tmp_path, "user", "passwd", "bo", "--password-stdin", stdin=PASSWORD + "\n"))
    ok(golive(tmp_path, "user", "disable", "bo"))
    assert users_json(tmp_path)[0]["disabled"] is True
    store = EventStore.open(str(tmp_path / "g.db"))
    try:
        accounts = Accounts(store.engine, clock)
        with pytest.raises(AuthError, match="bo is disabled"):
            accounts.login("bo", PASSWORD)
        ok(golive(tmp_path, "user", "enable", "bo"))
        assert accounts.login("bo", PASSWORD).role == "approver"
        with pytest.raises(AuthError, match="wrong user name or password"):
            accounts.login("bo", OTHER)  # the old password no longer works
    finally:
        store.close()
    assert "no user 'zed'" in one_line(golive(tmp_path, "user", "role", "zed", "viewer"))
    assert "--role" in one_line(golive(tmp_path, "user", "role", "bo", "root"))


# -- lock-out ----------------------------------------------------------------------
def test_five_failures_lock_that_client_only_until_the_lock_expires(
    people: Accounts, clock: ManualClock
) -> None:
    for _ in range(5):
        with pytest.raises(AuthError, match="wrong user name or password"):
            people.login("ana", "not the password", client="10.0.0.9")
    with pytest.raises(AuthError, match="too many failed logins: try again in 31 s"):
        people.login("ana", PASSWORD, client="10.0.0.9")  # even the right password
    # the lock holds only where the guesses come from, and only for that name
    assert people.login("ana", PASSWORD, client="10.0.0.1").name == "ana"
    assert people.login("bo", OTHER, client="10.0.0.9").name == "bo"

    clock.advance(timedelta(seconds=29))
    with pytest.raises(AuthError, match="too many failed logins"):
        people.login("ana", PASSWORD, client="10.0.0.9")
    clock.advance(timedelta(seconds=2))  # past the first lock (30 s): one more failure doubles it
    with pytest.raises(AuthError, match="wrong user name or password"):
        people.login("ana", "still not it", client="10.0.0.9")
    with pytest.raises(AuthError, match="try again in 61 s"):
        people.login("ana", PASSWORD, client="10.0.0.9")

    clock.advance(timedelta(minutes=15, seconds=1))  # every lock expires, at most 15 minutes
    assert people.login("ana", PASSWORD, client="10.0.0.9").name == "ana"
    # a successful login resets the count: the next failure does not lock
    with pytest.raises(AuthError, match="wrong user name or password"):
        people.login("ana", "nope", client="10.0.0.9")
    assert people.login("ana", PASSWORD, client="10.0.0.9").name == "ana"


def test_an_unknown_name_is_locked_like_a_known_one(people: Accounts) -> None:
    for name in ("ana", "nobody"):
        for _ in range(5):
            with pytest.raises(AuthError, match="wrong user name or password"):
                people.login(name, "guess", client="10.0.0.9")
        with pytest.raises(AuthError, match="too many failed logins: try again in 31 s"):
            people.login(name, "guess", client="10.0.0.9")


def test_the_lock_is_never_longer_than_fifteen_minutes(people: Accounts, clock: ManualClock) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            people.login("ana", "guess", client="10.0.0.9")
    for _ in range(12):  # each failure after a lock expires doubles the next lock
        clock.advance(timedelta(minutes=15, seconds=1))
        with pytest.raises(AuthError, match="wrong user name or password"):
            people.login("ana", "guess", client="10.0.0.9")
    with pytest.raises(AuthError, match="try again in 901 s"):
        people.login("ana", PASSWORD, client="10.0.0.9")


def test_failures_at_the_same_time_all_count(people: Accounts) -> None:
    attempts = 8
    start = threading.Barrier(attempts)
    answers: list[str] = []

    def guess() -> None:
        start.wait()
        try:
            people.login("ana", "guess", client="10.0.0.9")
        except AuthError as exc:
            answers.append(exc.message)

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == attempts
    with people.engine.connect() as conn:
        (failures,) = conn.exec_driver_sql(
            "select failures from login_throttle where user_name = 'ana' and client = '10.0.0.9'"
        ).one()
    assert failures == attempts
    with pytest.raises(AuthError, match="too many failed logins"):
        people.login("ana", PASSWORD, client="10.0.0.9")


def test_user_unlock_lifts_the_lock_from_every_client(tmp_path: Path, clock: ManualClock) -> None:
    ok(golive(tmp_path, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"))
    store = EventStore.open(str(tmp_path / "g.db"))
    try:
        accounts = Accounts(store.engine, clock)
        for client in ("10.0.0.9", "10.0.0.10"):
            for _ in range(5):
                with pytest.raises(AuthError):
                    accounts.login("ana", "guess", client=client)
            with pytest.raises(AuthError, match="too many failed logins"):
                accounts.login("ana", PASSWORD, client=client)
        assert len(table(tmp_path / "g.db", "login_throttle")) == 2
        assert ok(golive(tmp_path, "user", "unlock", "ana")).strip() == "unlocked user ana"
        assert table(tmp_path / "g.db", "login_throttle") == []
        for client in ("10.0.0.9", "10.0.0.10"):  # same clock: only the unlock lifted it
            assert accounts.login("ana", PASSWORD, client=client).name == "ana"
    finally:
        store.close()
    assert "no user 'zed'" in one_line(golive(tmp_path, "user", "unlock", "zed"))


# -- API tokens --------------------------------------------------------------------
def test_a_token_authenticates_as_its_person_with_its_role(people: Accounts, clock: ManualClock) -> None:
    new = people.create_token("bo", actor="root", label="ci")
    assert new.secret.startswith(f"glv_{new.row.id}_")
    assert new.row.role == "operator" and new.row.label == "ci"
    assert new.row.expires_at == T0 + timedelta(days=30) and new.row.state(T0) == "active"
    assert people.authenticate_token(new.secret) == Principal(
        name="bo", role="operator", via="token", token_id=new.row.id
    )
    clock.advance(timedelta(minutes=5))
    people.authenticate_token(new.secret)
    [row] = people.list_tokens(actor="root", user="bo")
    assert row.last_used_at == T0 + timedelta(minutes=5)
    # a server's event loop writes nothing: the token waits in touch_due for a thread
    clock.advance(timedelta(minutes=5))
    assert people.authenticate_token(new.secret, touch=False).name == "bo"
    assert people.list_tokens(actor="root", user="bo")[0].last_used_at == T0 + timedelta(minutes=5)
    assert people.touch_due == {new.row.id}
    people.touch_token(new.row.id)
    assert people.list_tokens(actor="root", user="bo")[0].last_used_at == T0 + timedelta(minutes=10)
    assert people.touch_due == set()

    viewer = people.create_token("bo", actor="root", role="viewer")
    assert people.authenticate_token(viewer.secret).role == "viewer"

    with pytest.raises(AuthError, match="not a golive API token"):
        people.authenticate_token("Bearer nonsense")
    with pytest.raises(AuthError, match="unknown API token"):
        people.authenticate_token(new.secret[:-4] + "AAAA")
    with pytest.raises(AuthError, match="unknown API token"):
        people.authenticate_token(f"glv_000000000000_{new.secret.removeprefix('glv_').partition('_')[2]}")


def test_a_token_role_is_at_most_the_creators_and_the_persons(people: Accounts) -> None:
    with pytest.raises(ActionError, match="at most the role operator"):
        people.create_token("bo", actor="root", role="approver")  # above bo's own role
    # cy (approver) signed in at an operator's level may make tokens for herself, up to operator
    signed_in = Principal(name="cy", role="operator", via="session")
    with pytest.raises(ActionError, match="at most the role operator"):
        people.create_token("cy", actor=signed_in, role="approver")
    assert people.create_token("cy", actor=signed_in).row.role == "operator"
    # and never for someone else
    with pytest.raises(ForbiddenError, match=r"token\.manage needs admin"):
        people.create_token("bo", actor=signed_in, role="viewer")
    # a token never mints tokens: a stolen one would outlive its own revocation
    through_token = Principal(name="cy", role="approver", via="token", token_id="x")
    with pytest.raises(ForbiddenError, match="signed-in session"):
        people.create_token("cy", actor=through_token, role="viewer")
    assert {t.user for t in people.list_tokens(actor="root")} == {"cy"}


def test_expired_and_revoked_tokens_stop_working(people: Accounts, clock: ManualClock) -> None:
    short = people.create_token("bo", actor="root", expires=timedelta(hours=1))
    kept = people.create_token("bo", actor="root")
    clock.advance(timedelta(minutes=59))
    assert people.authenticate_token(short.secret).name == "bo"
    clock.advance(timedelta(minutes=1))
    with pytest.raises(AuthError, match="expired"):
        people.authenticate_token(short.secret)

    revoked = people.revoke_token(kept.row.id, actor="root")
    assert revoked.state(clock.now()) == "revoked"
    with pytest.raises(AuthError, match="revoked"):
        people.authenticate_token(kept.secret)
    with pytest.raises(ActionError, match="already revoked"):
        people.revoke_token(kept.row.id, actor="root")
    states = {t.id: t.state(clock.now()) for t in people.list_tokens(actor="root")}
    assert states == {short.row.id: "expired", kept.row.id: "revoked"}

    for life in (timedelta(seconds=30), timedelta(days=367), timedelta(days=-1)):
        with pytest.raises(InputError, match="between 1 minute and 366 days"):
            people.create_token("bo", actor="root", expires=life)


def test_a_demoted_persons_token_acts_with_the_lower_role(people: Accounts) -> None:
    new = people.create_token("bo", actor="root")
    people.set_role("bo", "viewer", actor="root")
    assert people.authenticate_token(new.secret).role == "viewer"
    with pytest.raises(ForbiddenError):
        permit(people.authenticate_token(new.secret), "item")
    people.set_role("bo", "admin", actor="root")  # promoting the person does not raise the token
    assert people.authenticate_token(new.secret).role == "operator"


def test_a_disabled_persons_token_and_sessions_stop_working(people: Accounts) -> None:
    new = people.create_token("bo", actor="root")
    cookie, _csrf = people.open_session(people.login("bo", OTHER))
    people.disable("bo", actor="root")
    with pytest.raises(AuthError, match="bo is disabled"):
        people.authenticate_token(new.secret)
    with pytest.raises(AuthError, match="not signed in"):
        people.session(cookie)
    with pytest.raises(ActionError, match="bo is disabled"):
        people.create_token("bo", actor="root")
    people.disable("bo", actor="root", disabled=False)
    assert people.authenticate_token(new.secret).name == "bo"
    with pytest.raises(AuthError, match="not signed in"):
        people.session(cookie)  # the session ended for good
    # a person may not disable themselves through the web
    with pytest.raises(ActionError, match="may not disable yourself"):
        people.disable("ana", actor=Principal(name="ana", role="admin", via="session"))


def test_only_the_sha256_of_a_token_is_stored(tmp_path: Path, people: Accounts) -> None:
    new = people.create_token("bo", actor="root", label="deploys")
    secret = new.secret.removeprefix("glv_").partition("_")[2]  # the id is hex; the secret may hold "_"
    rows = table(tmp_path / "g.db", "api_tokens")
    assert len(rows) == 1
    values = [str(v) for v in rows[0]]
    assert hashlib.sha256(secret.encode()).hexdigest() in values
    assert not any(secret in v or new.secret in v for v in values)
    for path in tmp_path.glob("g.db*"):  # the database file and its WAL
        assert secret.encode() not in path.read_bytes(), path


def test_token_commands_show_the_secret_once(tmp_path: Path, clock: ManualClock) -> None:
    ok(golive(tmp_path, "user", "add", "bo", "--role", "operator"))
    created = ok(golive(tmp_path, "token", "create", "--user", "bo", "--expires", "2d", "--label", "ci"))
    secret, notice, details = created.splitlines()
    assert secret.startswith("glv_") and "will not be shown again" in notice
    token_id = secret.split("_")[1]
    assert f"id {token_id}" in details and "role operator" in details
    assert "expires 2026-11-26T10:00" in details

    as_json = json.loads(
        ok(golive(tmp_path, "token", "create", "--user", "bo", "--role", "viewer", "--json"))
    )
    assert as_json["token"].startswith(f"glv_{as_json['id']}_") and as_json["role"] == "viewer"

    store = EventStore.open(str(tmp_path / "g.db"))
    try:
        accounts = Accounts(store.engine, clock)
        assert accounts.authenticate_token(secret).name == "bo"
        assert accounts.authenticate_token(as_json["token"]).role == "viewer"
    finally:
        store.close()

    listed = ok(golive(tmp_path, "token", "list"))
    listed_json = ok(golive(tmp_path, "token", "list", "--user", "bo", "--json"))
    for output in (listed, listed_json):
        for whole in (secret, as_json["token"]):
            assert whole.removeprefix("glv_").partition("_")[2] not in output
    assert token_id in listed and "active" in listed and "'ci'" in listed
    rows = json.loads(listed_json)
    assert {r["id"] for r in rows} == {token_id, as_json["id"]}
    assert {r["state"] for r in rows} == {"active"} and "token" not in rows[0]
    assert json.loads(ok(golive(tmp_path, "token", "list", "--user", "nobody", "--json"))) == []

    assert ok(golive(tmp_path, "token", "revoke", token_id)).strip() == f"revoked token {token_id} of bo"
    states = {r["id"]: r["state"] for r in json.loads(ok(golive(tmp_path, "token", "list", "--json")))}
    assert states == {token_id: "revoked", as_json["id"]: "active"}


def test_token_command_errors_are_one_line(tmp_path: Path) -> None:
    ok(golive(tmp_path, "user", "add", "bo", "--role", "operator"))
    assert "no token 'nosuch'" in one_line(golive(tmp_path, "token", "revoke", "nosuch"))
    assert "--expires" in one_line(golive(tmp_path, "token", "create", "--user", "bo", "--expires", "soon"))
    assert "--expires" in one_line(golive(tmp_path, "token", "create", "--user", "bo", "--expires", "400d"))
    too_high = golive(tmp_path, "token", "create", "--user", "bo", "--role", "admin")
    assert "at most the role operator" in one_line(too_high)
    assert "no user 'zed'" in one_line(golive(tmp_path, "token", "create", "--user", "zed"))
    assert table(tmp_path / "g.db", "api_tokens") == []


# -- site roles --------------------------------------------------------------------
def test_permit_applies_the_site_role_ceiling() -> None:
    viewer = Principal(name="vi", role="viewer", via="token", token_id="t1")
    with pytest.raises(ForbiddenError, match="vi is a viewer; signoff needs approver or above"):
        permit(viewer, "signoff")
    assert permit(viewer, "read") == "vi"

    operator = Principal(name="op", role="operator", via="session")
    assert permit(operator, "item") == "op"
    with pytest.raises(ForbiddenError, match="op is an operator; decide needs approver"):
        permit(operator, "decide")

    for action in ACTIONS:  # on the machine there is no ceiling
        assert permit("ana", action) == "ana"
        assert permit(Principal.local("ana"), action) == "ana"
        assert permit(Principal(name="vi", role="viewer", via="local"), action) == "vi"
        assert permit(Principal(name="ad", role="admin", via="token"), action) == "ad"
    assert set(ACTIONS.values()) <= set(SITE_ROLES)


def test_the_accounts_refuse_people_below_admin(people: Accounts) -> None:
    approver = Principal(name="cy", role="approver", via="session")
    with pytest.raises(ForbiddenError):
        people.list_users(actor=approver)
    with pytest.raises(ForbiddenError):
        people.add_user("dee", "admin", actor=approver, password=PASSWORD)
    with pytest.raises(ForbiddenError):
        people.set_role("cy", "admin", actor=approver)
    # another person's token is as if it did not exist (its id is not confirmed)
    with pytest.raises(NotFoundError):
        people.revoke_token(people.create_token("bo", actor="root").row.id, actor=approver)
    with pytest.raises(NotFoundError):
        people.get_user("dee")
    assert people.get_user("cy").role == "approver"
    admin = Principal(name="ana", role="admin", via="token", token_id="t")
    assert people.add_user("dee", "viewer", actor=admin).created_by == "ana"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthError("API token abc is revoked"), "unauthenticated"),
        (ForbiddenError("vi is a viewer"), "forbidden"),
    ],
)
def test_the_cli_renders_auth_errors_as_one_line(
    error: Exception, code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from golive.cli.main import cli, main

    @click.command("raise-it")
    def raise_it() -> None:
        raise error

    monkeypatch.setitem(cli.commands, "raise-it", raise_it)
    with pytest.raises(SystemExit) as exited:
        main(["raise-it"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"golive: error: {error}\n"
    assert getattr(error, "code", None) == code


# -- sessions ----------------------------------------------------------------------
def test_a_session_holds_its_person_and_csrf_until_closed(
    tmp_path: Path, people: Accounts, clock: ManualClock
) -> None:
    ana = people.login("ana", PASSWORD)
    cookie, csrf = people.open_session(ana)
    assert people.session(cookie) == (Principal(name="ana", role="admin", via="session"), csrf)
    [row] = table(tmp_path / "g.db", "web_sessions")
    assert hashlib.sha256(cookie.encode()).hexdigest() in row and cookie not in row

    other, _ = people.open_session(ana)
    people.close_session(cookie)
    with pytest.raises(AuthError, match="not signed in"):
        people.session(cookie)
    assert people.session(other)[0].name == "ana"  # closing one session leaves the others
    with pytest.raises(AuthError, match="not signed in"):
        people.session("made-up")

    with pytest.raises(ActionError, match="last admin"):
        people.set_role("ana", "approver", actor="root")
    people.add_user("root2", "admin", actor="root")
    people.set_role("ana", "approver", actor="root")
    assert people.session(other)[0].role == "approver"  # the role now, not at sign-in
    clock.advance(timedelta(hours=12))
    with pytest.raises(AuthError, match="not signed in"):
        people.session(other)


def test_a_new_password_ends_the_sessions(people: Accounts) -> None:
    first, _ = people.open_session(people.login("bo", OTHER))
    second, _ = people.open_session(people.login("bo", OTHER))
    kept, _ = people.open_session(people.login("ana", PASSWORD))
    people.set_password("bo", PASSWORD, actor="root")
    for cookie in (first, second):
        with pytest.raises(AuthError, match="not signed in"):
            people.session(cookie)
    assert people.session(kept)[0].name == "ana"
    with pytest.raises(AuthError, match="wrong user name or password"):
        people.login("bo", OTHER)
    assert people.login("bo", PASSWORD).name == "bo"
    with pytest.raises(InputError, match="at least 12 characters"):
        people.set_password("bo", "short", actor="root")
