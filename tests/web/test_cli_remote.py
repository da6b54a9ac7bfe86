"""The CLI through ``golive serve``: the same release, decide, sign-off, rollout,
audit and report commands, run once on the machine's database (``--as``) and
once through a real ``golive serve`` subprocess with each person's API token
(``GOLIVE_SERVER`` + ``GOLIVE_TOKEN``), print the same lines and exit with the
same codes. Release ids, hashes and times are the only differences allowed."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.rollout_fixtures import Target
from tests.test_release_cli import RUNBOOK

NOW = "2026-11-24 10:00 Europe/London"
PASSWORD = "correct horse battery staple"
# site roles high enough that only the release's own rules refuse, as on the machine; vic is
# a viewer, for the refusals only a server makes
PEOPLE = {"rm": "approver", "alice": "admin", "quinn": "approver", "dana": "approver", "eve": "approver"}
PEOPLE_ON_THE_SERVER = {**PEOPLE, "vic": "viewer"}

Run = Callable[..., subprocess.CompletedProcess[str]]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOLIVE_")}
    env.update({"GOLIVE_HOME": str(tmp), "GOLIVE_NOW": NOW, **extra})
    return env


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A real ``golive serve`` on a free port, its users and their tokens."""
    home = tmp_path / "server"
    home.mkdir()
    env = _env(home, GOLIVE_DATABASE_URL=str(home / "golive.db"), GOLIVE_ACTOR="setup")
    tokens = {}
    for name, role in PEOPLE_ON_THE_SERVER.items():
        added = _cli(env, "user", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        made = _cli(env, "token", "create", "--user", name, "--json")
        assert made.returncode == 0, made.stderr
        tokens[name] = json.loads(made.stdout)["token"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "golive", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "golive serve did not start"
        time.sleep(0.1)
    try:
        yield url, tokens
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stderr is not None:
            process.stderr.close()


def _normal(text: str, ids: list[str]) -> str:
    for number, rid in enumerate(ids):
        text = text.replace(rid, f"<release{number}>")
    text = re.sub(r"\b[0-9a-f]{64}\b", "<hash>", text)
    text = re.sub(r"\b\d+:<hash>", "<seq>:<hash>", text)
    # the server runs the rollout's controller (set-weight steps are events); the machine does not
    text = re.sub(r"\b\d+ events\b", "<n> events", text)
    # a moment a command read its clock at (the server's runs on while the test does)
    return re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\.\d+(\+00:00|Z)?", "<time>", text)


def _scenario(run: Run, tmp: Path, base: str) -> list[tuple[str, int, str, str]]:
    """The steps: (name, exit code, stdout, stderr) of each, in order."""
    runbook = tmp / "runbook.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    guard = tmp / "guard.yaml"
    guard.write_text(
        yaml.safe_dump(
            {
                "rollout_guard": {
                    "interval": "10s",
                    "components": [
                        {
                            "name": "web",
                            "steps": [
                                {"weight": 10, "bake": "1h"},
                                {"weight": 50, "bake": "1h"},
                                {"weight": 100},
                            ],
                            "set_weight": {
                                "kind": "webhook",
                                "url": f"{base}/weight",
                                "json": {"w": "{weight}"},
                            },
                            "rollback": {"kind": "webhook", "url": f"{base}/rollback"},
                        }
                    ],
                    "triggers": [],
                    "health": False,
                    "rollback_procedure": [],
                }
            }
        ),
        encoding="utf-8",
    )
    steps: list[tuple[str, int, str, str]] = []
    ids: list[str] = []

    def step(name: str, person: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        result = run(person, *args)
        steps.append((name, result.returncode, result.stdout, result.stderr))
        return result

    started = step(
        "start",
        "rm",
        "release",
        "start",
        str(runbook),
        "--service",
        "checkout",
        "--version",
        "2.1.0",
        "--env",
        "production",
        "--launch",
        "2026-12-01 09:00 Europe/London",
        "--json",
    )
    assert started.returncode == 0, started.stderr
    rid = json.loads(started.stdout)["id"]
    ids.append(rid)
    for role, person in (("approver", "alice"), ("QA Lead", "quinn"), ("DevOps Lead", "dana")):
        step(f"assign {role}", "rm", "release", "assign", rid, role, person)
    step("status", None, "status", rid, "--json")
    step("item unknown", "dana", "release", "item", "done", rid, "no/such-item")
    step("item not the owner's", "quinn", "release", "item", "done", rid, "t-1-week-prepare/notify-the-team")
    step("item done", "dana", "release", "item", "done", rid, "t-1-week-prepare/notify-the-team")
    step("item again", "dana", "release", "item", "done", rid, "t-1-week-prepare/notify-the-team")
    step("comment", "dana", "release", "comment", rid, "smoke tests green")
    step("signoff not held", "dana", "release", "signoff", rid, "--role", "QA Lead")
    step("signoff", "quinn", "release", "signoff", rid, "--role", "QA Lead")
    step("signoff twice", "quinn", "release", "signoff", rid, "--role", "QA Lead")
    step("decide", None, "decide", rid)
    step("decide json", None, "decide", rid, "--json")
    step("record GO refused", "alice", "decide", rid, "--record", "--go")
    step(
        "waive by a non-approver",
        "dana",
        "release",
        "waive",
        rid,
        "t-1-week-prepare/load-test-passed",
        "--reason",
        "x",
    )
    status = json.loads(run(None, "status", rid, "--json").stdout)
    assert status["decision"]["decision"] == "NO-GO"
    step("record NO-GO", "alice", "decide", rid, "--record")
    step("rollout without GO", "rm", "rollout", "start", rid, "--guard", str(guard))
    step("rollout start", "rm", "rollout", "start", rid, "--guard", str(guard), "--without-go", "drill")
    step("rollout pause by someone without a role", "eve", "rollout", "pause", rid, "--reason", "look")
    step("rollout pause", "dana", "rollout", "pause", rid, "--reason", "look")
    step("rollout resume", "rm", "rollout", "resume", rid, "--reason", "fine")
    step("rollout stop", "dana", "rollout", "stop", rid, "--reason", "pager went off")
    step("rollout abort", "rm", "rollout", "abort", rid, "--reason", "roll back")
    step("audit verify", None, "audit", "verify", rid)
    step("audit head", None, "audit", "head", rid)
    step("unknown release", None, "decide", "no-such-release")
    report = step("report", None, "report", rid, "--out", str(tmp / "report"))
    assert report.returncode == 0, report.stderr
    here = str(tmp)
    return [
        (name, code, _normal(out.replace(here, "<dir>"), ids), _normal(err.replace(here, "<dir>"), ids))
        for name, code, out, err in steps
    ]


def test_the_cli_through_a_server_prints_what_it_prints_on_the_machine(
    tmp_path: Path, server: tuple[str, dict[str, str]], target: tuple[Target, str]
) -> None:
    _state, base = target
    url, tokens = server

    local = tmp_path / "local"
    local.mkdir()
    local_env = _env(local, GOLIVE_DATABASE_URL=str(local / "golive.db"))

    def on_machine(person: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        return _cli(local_env, *args, *(["--as", person] if person else []))

    remote = tmp_path / "remote"
    remote.mkdir()

    def through_server(person: str | None, *args: str) -> subprocess.CompletedProcess[str]:
        token = tokens[person or "vic"]  # a viewer reads
        return _cli(_env(remote, GOLIVE_SERVER=url, GOLIVE_TOKEN=token), *args)

    mine = _scenario(on_machine, local, base)
    theirs = _scenario(through_server, remote, base)
    assert [s[0] for s in theirs] == [s[0] for s in mine]
    for (name, code, out, err), (_n, code2, out2, err2) in zip(mine, theirs, strict=True):
        assert (name, code2) == (name, code), (name, out2, err2)
        assert (name, out2) == (name, out)
        assert (name, err2) == (name, err)
    refusals = [s for s in mine if s[1] == 2]
    assert len(refusals) >= 8  # the scenario does exercise the refusals

    # the paths printed are compared above; the reports written have the same sections (their
    # subsections may differ: the server's controller ran the rollout's steps, the machine's did not)
    def headings(folder: Path) -> list[str]:
        [report] = folder.glob("*-report.md")
        return [line for line in report.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]

    assert headings(remote / "report")[1:] == headings(local / "report")[1:]
    assert len(headings(local / "report")) >= 5


def test_as_is_refused_through_a_server(tmp_path: Path, server: tuple[str, dict[str, str]]) -> None:
    url, tokens = server
    env = _env(tmp_path, GOLIVE_SERVER=url, GOLIVE_TOKEN=tokens["quinn"])
    refused = _cli(env, "release", "signoff", "some-release", "--role", "QA Lead", "--as", "rm")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "golive: error: --as: --as is refused through a server: you act as the token's user (quinn)"
    )
    bad = _cli(_env(tmp_path, GOLIVE_SERVER=url, GOLIVE_TOKEN="glv_nope_nope"), "status", "x")
    assert bad.returncode == 2 and bad.stderr.strip() == "golive: error: unknown API token"
    viewer = _env(tmp_path, GOLIVE_SERVER=url, GOLIVE_TOKEN=tokens["vic"])
    paused = _cli(viewer, "rollout", "pause", "some-release", "--reason", "look")
    assert paused.returncode == 2
    assert paused.stderr.strip() == "golive: error: vic is viewer; rollout.pause needs operator or above"
    no_db = _cli(env, "status", "x", "--db", str(tmp_path / "g.db"))
    assert no_db.returncode == 2 and "--db" in no_db.stderr


def test_login_keeps_a_token_and_logout_revokes_it(
    tmp_path: Path, server: tuple[str, dict[str, str]]
) -> None:
    url, _tokens = server
    env = _env(tmp_path)
    wrong = _cli(env, "login", url, "--user", "quinn", "--password-stdin", stdin="nope\n")
    assert (
        wrong.returncode == 2
        and wrong.stderr.strip() == "golive: error: password: wrong user name or password"
    )
    signed = _cli(env, "login", url, "--user", "quinn", "--password-stdin", stdin=PASSWORD + "\n")
    assert signed.returncode == 0, signed.stderr
    assert f"signed in to {url} as quinn (approver)" in signed.stdout
    saved = tmp_path / "client.json"
    assert saved.stat().st_mode & 0o077 == 0
    token = json.loads(saved.read_text())["token"]
    listed = _cli(env, "release", "list")
    assert listed.returncode == 0, listed.stderr
    out = _cli(env, "logout")
    assert out.returncode == 0 and "signed out" in out.stdout and not saved.exists()
    gone = httpx.get(url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401 and "revoked" in gone.json()["error"]["message"]
