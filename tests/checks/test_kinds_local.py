"""The local check kinds (command, env, file, log, manual) with real
subprocesses and real files, and the redactor they stream output through."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest

from golive.checks import Attestation, CheckContext, CheckResult, prepare_check, run_check
from golive.checks.errors import CheckSpecError
from golive.checks.kinds.command import KILL_GRACE, interpolate_shell
from golive.checks.kinds.file import format_size, parse_size
from golive.checks.redact import HOLDBACK, MASK, Redactor

PY = sys.executable


def make_ctx(
    tmp_path: Path,
    env: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    attestations: dict[str, Attestation] | None = None,
) -> CheckContext:
    return CheckContext(
        env={"PATH": os.environ["PATH"], **(env or {})},
        base_dir=tmp_path,
        values=values or {},
        attestations=attestations or {},
    )


def run(raw: dict[str, Any], ctx: CheckContext) -> CheckResult:
    check = prepare_check(raw, source="test:1")
    return asyncio.run(run_check(check, ctx))


def py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether ``pid`` has died. A zombie counts as dead: in this container
    PID 1 reaps orphans only now and then, and a zombie runs nothing and holds
    no pipe. Waits up to ``timeout`` seconds for ProcessLookupError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def read_pid(path: Path, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().strip())
        time.sleep(0.02)
    raise AssertionError(f"no pid written to {path}")


# --- command -------------------------------------------------------------------


def test_command_exit_codes(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    ok = run({"kind": "command", "argv": py("print('fine')")}, ctx)
    assert ok.status == "passed"
    assert ok.observed["exit_code"] == 0
    assert ok.observed["stdout"] == "fine\n"
    assert ok.conditions[0].rendered == "exit_code (0) == 0"

    bad = run({"kind": "command", "argv": py("import sys; print('oops', file=sys.stderr); sys.exit(3)")}, ctx)
    assert bad.status == "failed"
    assert bad.observed["exit_code"] == 3
    assert bad.observed["stderr"] == "oops\n"
    assert bad.observed["output"] == "oops\n"
    assert bad.conditions[0].rendered == "exit_code (3) == 0"
    assert "exit 3" in bad.evidence
    assert isinstance(bad.observed["duration"], float)


def test_command_custom_conditions(tmp_path: Path) -> None:
    result = run(
        {
            "kind": "command",
            "argv": py("import sys; print('ready 42'); sys.exit(1)"),
            "expect": ["exit_code == 1", "stdout == 'ready 42\\n'", "elapsed < 30s"],
        },
        make_ctx(tmp_path),
    )
    assert result.status == "passed", result.conditions


def test_run_is_a_shell_line_argv_is_not(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    shell = run(
        {"kind": "command", "run": "echo abc | tr a-c x-z; exit 4", "expect": ["exit_code == 4"]}, ctx
    )
    assert shell.status == "passed"
    assert shell.observed["stdout"] == "xyz\n"
    literal = run({"kind": "command", "argv": ["echo", "abc | tr a-c x-z; exit 4", "$HOME"]}, ctx)
    assert literal.status == "passed"
    assert literal.observed["stdout"] == "abc | tr a-c x-z; exit 4 $HOME\n"


def test_argv_or_run_exactly_one(tmp_path: Path) -> None:
    with pytest.raises(CheckSpecError, match="either 'argv'"):
        prepare_check({"kind": "command", "argv": ["true"], "run": "true"}, source="t")
    with pytest.raises(CheckSpecError, match="either 'argv'"):
        prepare_check({"kind": "command"}, source="t")
    with pytest.raises(CheckSpecError, match="argv"):
        prepare_check({"kind": "command", "argv": "ls -l"}, source="t")
    with pytest.raises(CheckSpecError, match="not an environment variable name"):
        prepare_check({"kind": "command", "argv": ["true"], "pass_env": ["A=B"]}, source="t")


def test_missing_executable_is_an_error(tmp_path: Path) -> None:
    result = run({"kind": "command", "argv": ["definitely-not-a-program-7f3a"]}, make_ctx(tmp_path))
    assert result.status == "error"
    assert result.message == "command not found: definitely-not-a-program-7f3a"
    missing_cwd = run({"kind": "command", "argv": ["true"], "cwd": "no/such/dir"}, make_ctx(tmp_path))
    assert missing_cwd.status == "error"
    assert "cwd is not a directory" in (missing_cwd.message or "")


def test_cwd_is_resolved_against_the_runbook_folder(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    result = run({"kind": "command", "argv": ["pwd"], "cwd": "app"}, make_ctx(tmp_path))
    assert result.observed["stdout"].strip() == str((tmp_path / "app").resolve())


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    started = time.monotonic()
    result = run(
        {"kind": "command", "run": f"sleep 30 & echo $! > {pidfile}; sleep 30", "timeout": "1s"},
        make_ctx(tmp_path),
    )
    elapsed = time.monotonic() - started
    assert result.status == "error"
    assert result.message == "timed out after 1s"
    assert elapsed < 1 + KILL_GRACE + 3
    assert gone(read_pid(pidfile))


def test_timeout_kills_a_grandchild_that_ignores_sigterm(tmp_path: Path) -> None:
    pidfile = tmp_path / "stubborn.pid"
    grandchild = f"""
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open({str(pidfile)!r}, "w").write(str(os.getpid()))
        print("grandchild up", flush=True)
        time.sleep(60)
    """
    child = f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", {textwrap.dedent(grandchild)!r}])  # inherits stdout
        subprocess.run(["sleep", "60"])
    """
    started = time.monotonic()
    result = run({"kind": "command", "argv": py(child), "timeout": "1s"}, make_ctx(tmp_path))
    elapsed = time.monotonic() - started
    assert result.status == "error"
    assert result.message == "timed out after 1s"
    assert elapsed < 1 + KILL_GRACE + 3
    assert gone(read_pid(pidfile))


def test_background_process_holding_the_output_is_stopped(tmp_path: Path) -> None:
    pidfile = tmp_path / "bg.pid"
    started = time.monotonic()
    result = run({"kind": "command", "run": f"sleep 30 & echo $! > {pidfile}; echo done"}, make_ctx(tmp_path))
    assert time.monotonic() - started < 10
    assert result.status == "passed"
    assert result.observed["stdout"] == "done\n"
    assert "left behind" in result.evidence
    assert gone(read_pid(pidfile))


def test_cancellation_stops_the_group_and_reaps(tmp_path: Path) -> None:
    from golive.checks.kinds.command import KIND, CommandSpec

    pidfile = tmp_path / "c.pid"
    spec = CommandSpec.model_validate({"kind": "command", "run": f"sleep 30 & echo $! > {pidfile}; wait"})
    ctx = make_ctx(tmp_path)

    async def scenario() -> None:
        task = asyncio.ensure_future(KIND.observe(spec, ctx))
        for _ in range(250):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert gone(read_pid(pidfile))


def test_without_pidfd_the_exit_is_polled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import golive.checks.kinds.command as command

    def no_pidfd(pid: int) -> int:
        raise OSError("pidfd_open not supported")

    monkeypatch.setattr(command.os, "pidfd_open", no_pidfd, raising=False)
    ok = run({"kind": "command", "argv": py("print('polled')")}, make_ctx(tmp_path))
    assert ok.status == "passed"
    assert ok.observed["stdout"] == "polled\n"
    pidfile = tmp_path / "p.pid"
    slow = run(
        {"kind": "command", "run": f"sleep 30 & echo $! > {pidfile}; sleep 30", "timeout": "1s"},
        make_ctx(tmp_path),
    )
    assert slow.status == "error"
    assert gone(read_pid(pidfile))


def test_100mb_of_output_is_capped_head_and_tail(tmp_path: Path) -> None:
    code = """
        import sys
        out = sys.stdout.buffer
        out.write(b"HEAD-START\\n")
        chunk = b"0123456789abcdef" * 65536
        for _ in range(100):
            out.write(chunk)
        out.write(b"\\nTAIL-END\\n")
    """
    total = 11 + 100 * 16 * 65536 + 10
    tracemalloc.start()
    try:
        result = run({"kind": "command", "argv": py(code), "timeout": "300s"}, make_ctx(tmp_path))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "passed", result.message
    stdout = result.observed["stdout"]
    assert stdout.startswith("HEAD-START\n0123456789abcdef")
    assert stdout.endswith("0123456789abcdef\nTAIL-END\n")
    assert f"[{total - 64 * 1024} bytes cut]" in stdout
    assert len(stdout) < 64 * 1024 + 100
    assert f"{total} bytes of stdout" in result.evidence
    assert peak < 30 * 1024 * 1024, f"peak Python memory {peak} bytes"


def test_max_output_small(tmp_path: Path) -> None:
    result = run(
        {"kind": "command", "argv": py("print('A' * 50 + 'B' * 50, end='')"), "max_output": 20},
        make_ctx(tmp_path),
    )
    assert result.observed["stdout"] == "A" * 10 + "\n… [80 bytes cut] …\n" + "B" * 10


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    code = r"import sys; sys.stdout.buffer.write(b'ok \xff\xfe bad \xc3'); sys.stderr.buffer.write(b'\x80\n')"
    result = run({"kind": "command", "argv": py(code)}, make_ctx(tmp_path))
    assert result.status == "passed"
    assert result.observed["stdout"] == "ok \ufffd\ufffd bad \ufffd"
    assert result.observed["stderr"] == "\ufffd\n"
    result.model_dump_json()


def test_secret_env_reaches_the_command_and_is_redacted(tmp_path: Path) -> None:
    secret = "hunter2-" + uuid.uuid4().hex
    ctx = make_ctx(tmp_path, env={"PAYLOAD": secret})  # a name that does not look secret
    result = run(
        {
            "kind": "command",
            "argv": py("import os; print('value:', os.environ['PAYLOAD'])"),
            "secret_env": ["PAYLOAD"],
        },
        ctx,
    )
    assert result.status == "passed"
    assert result.observed["stdout"] == f"value: {MASK}\n"
    dumped = result.model_dump_json()
    assert secret not in dumped
    assert MASK in result.evidence


def test_secret_env_not_set_is_an_error(tmp_path: Path) -> None:
    result = run({"kind": "command", "argv": ["true"], "secret_env": ["NOPE_TOKEN"]}, make_ctx(tmp_path))
    assert result.status == "error"
    assert result.message == "secret_env: NOPE_TOKEN is not set"


def test_secret_split_across_writes_is_redacted(tmp_path: Path) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex
    code = """
        import os, sys, time
        value = os.environ["PAYLOAD"]
        half = len(value) // 2
        sys.stdout.write("x" * 70000 + " before " + value[:half])
        sys.stdout.flush()
        time.sleep(0.3)
        sys.stdout.write(value[half:] + " after\\n")
        sys.stdout.write("sk_live_" + os.environ["PART_ONE"])
        sys.stdout.flush()
        time.sleep(0.3)
        sys.stdout.write(os.environ["PART_TWO"] + " end\\n")
    """
    result = run(
        {
            "kind": "command",
            "argv": py(code),
            "secret_env": ["PAYLOAD"],
            "env": {
                "PART_ONE": "4eC39HqLyjWDar",
                "PART_TWO": "jtT1zdp7dc",
            },  # a Stripe-like key in two writes
            "max_output": 1000,
        },
        make_ctx(tmp_path, env={"PAYLOAD": secret}),
    )
    stdout = result.observed["stdout"]
    assert f"before {MASK} after" in stdout
    assert f"{MASK} end" in stdout
    dumped = result.model_dump_json()
    for leaked in (
        secret,
        secret[: len(secret) // 2],
        secret[len(secret) // 2 :],
        "4eC39HqLyjWDar",
        "jtT1zdp7dc",
    ):
        assert leaked not in dumped


def test_controlled_environment(tmp_path: Path) -> None:
    env = {"LEAKY_VAR": "do-not-pass", "USER_NAME": "ada", "HOME": "/home/ada"}
    result = run(
        {
            "kind": "command",
            "argv": py("import os, json; print(json.dumps(dict(os.environ), sort_keys=True))"),
            "env": {"GREETING": "hi ${USER_NAME} v{version}"},
        },
        make_ctx(tmp_path, env=env, values={"version": "2.1"}),
    )
    seen = json.loads(result.observed["stdout"])
    assert "LEAKY_VAR" not in seen
    assert "USER_NAME" not in seen
    assert seen["GREETING"] == "hi ada v2.1"
    assert seen["HOME"] == "/home/ada"
    assert seen["PATH"] == os.environ["PATH"]

    unset = run({"kind": "command", "argv": ["true"], "env": {"X": "${NOT_THERE}"}}, make_ctx(tmp_path))
    assert unset.status == "error"
    assert unset.message == "env X: ${NOT_THERE} is not set"


def test_env_values_referencing_secrets_are_redacted(tmp_path: Path) -> None:
    token = "tkn-" + uuid.uuid4().hex
    result = run(
        {
            "kind": "command",
            "argv": py("import os; print(os.environ['AUTH_HEADER_VALUE'])"),
            "env": {"AUTH_HEADER_VALUE": "Token ${SERVICE_TOKEN}"},
        },
        make_ctx(tmp_path, env={"SERVICE_TOKEN": token}),
    )
    assert token not in result.model_dump_json()


@pytest.mark.parametrize(
    "line",
    [
        "echo {version}",
        'echo "v={version}"',
        "echo 'v={version}'",
        'echo "$(echo {version})"',
        "cat <<EOF\n{version}\nEOF",
        "echo x{version}y",
    ],
)
def test_version_is_never_shell_code(tmp_path: Path, line: str) -> None:
    marker = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    for value in (f"1.0; touch {marker}", f"$(touch {marker})", f"`touch {marker}`", f"'; touch {marker}; '"):
        result = run({"kind": "command", "run": line}, make_ctx(tmp_path, values={"version": value}))
        assert result.status == "passed", (line, value, result.observed)
        assert not marker.exists(), (line, value)
        assert "touch" in result.observed["stdout"]


def test_version_values_in_run_lines(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, values={"version": "1.2.3", "env": "prod"})
    result = run(
        {"kind": "command", "run": "echo {version} \"at {env}\" 'x{version}x' ${PATH:+path} \\{version}"},
        ctx,
    )
    assert result.observed["stdout"] == "1.2.3 at prod x1.2.3x path {version}\n"
    awk = run({"kind": "command", "run": "echo a b | awk '{print $2}'"}, ctx)
    assert awk.observed["stdout"] == "b\n"
    missing = run({"kind": "command", "run": "echo {version}"}, make_ctx(tmp_path))
    assert missing.status == "error"
    assert "no value for {version}" in (missing.message or "")


def test_interpolate_shell_contexts() -> None:
    line, env = interpolate_shell("a {version} \"b {version}\" 'c {version}' ${version}", {"version": "9"})
    assert line == 'a "${GOLIVE_VERSION}" "b ${GOLIVE_VERSION}" \'c \'"${GOLIVE_VERSION}"\'\' ${version}'
    assert env == {"GOLIVE_VERSION": "9"}


def test_argv_values_are_verbatim(tmp_path: Path) -> None:
    value = "1.0; touch /tmp/never-$(id)"
    result = run(
        {"kind": "command", "argv": ["echo", "v={version}"]}, make_ctx(tmp_path, values={"version": value})
    )
    assert result.observed["stdout"] == f"v={value}\n"


# --- env ---------------------------------------------------------------------------


def assert_no_values(result: CheckResult, *values: str) -> None:
    dumped = result.model_dump_json()
    for value in values:
        assert value not in dumped
        assert value not in result.evidence


def test_env_present(tmp_path: Path) -> None:
    key = "sk_live_" + uuid.uuid4().hex
    ctx = make_ctx(tmp_path, env={"STRIPE_KEY": key, "DB_URL": "postgres://db.internal:5432/app"})
    result = run(
        {"kind": "env", "names": ["STRIPE_KEY", "DB_URL"], "pattern": "^(sk_live_|postgres://)"}, ctx
    )
    assert result.status == "passed", result.evidence
    assert result.observed["ok"] is True
    assert result.observed["missing"] == []
    assert "STRIPE_KEY: set" in result.evidence
    assert_no_values(result, key, "db.internal")
    # every value is now a secret for every later check
    assert ctx.redact.redact(f"echo {key}") == f"echo {MASK}"


def test_env_missing_and_empty(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, env={"EMPTY_ONE": "   "})
    result = run({"kind": "env", "names": ["EMPTY_ONE", "NOT_SET_AT_ALL"]}, ctx)
    assert result.status == "failed"
    assert result.observed["present"] is False
    assert result.observed["non_empty"] is False
    assert result.observed["missing"] == ["NOT_SET_AT_ALL"]
    assert result.observed["empty"] == ["EMPTY_ONE"]
    assert result.conditions[0].rendered == "ok (false)"
    assert "NOT_SET_AT_ALL: missing" in result.evidence
    assert "EMPTY_ONE: empty" in result.evidence

    present_only = run({"kind": "env", "names": ["EMPTY_ONE"], "expect": ["present"]}, ctx)
    assert present_only.status == "passed"


@pytest.mark.parametrize(
    "value",
    [
        "sk_your_key",
        "whsec_your_secret",
        "https://your-domain.com/webhook",
        "your_api_key_here",
        "changeme",
        "<paste token here>",
        "xxx",
        "sk_live_xxxxxxxxxxxx",
        "TODO",
        "https://example.com/hook",
        "[...]",
    ],
)
def test_env_placeholders(tmp_path: Path, value: str) -> None:
    result = run({"kind": "env", "names": ["API_SETTING"]}, make_ctx(tmp_path, env={"API_SETTING": value}))
    assert result.status == "failed"
    assert result.observed["placeholder"] == ["API_SETTING"]
    assert result.observed["not_placeholder"] is False
    assert "API_SETTING: set, looks like a placeholder" in result.evidence
    assert_no_values(result, value)


@pytest.mark.parametrize(
    "value", ["sk_live_51HxAbCdEfGhIjKl", "whsec_9f8a7b6c5d4e3f2a", "postgres://db.internal/app", "prod-eu-1"]
)
def test_env_real_values_are_not_placeholders(tmp_path: Path, value: str) -> None:
    result = run({"kind": "env", "names": ["SETTING_X"]}, make_ctx(tmp_path, env={"SETTING_X": value}))
    assert result.status == "passed", result.evidence


def test_env_extra_placeholders_and_pattern_mismatch(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, env={"STRIPE_KEY": "sk_test_" + "a" * 24, "REGION": "placeholder-region"})
    result = run(
        {"kind": "env", "names": ["STRIPE_KEY"], "pattern": "^sk_live_", "placeholders": ["^dummy$"]},
        ctx,
    )
    assert result.status == "failed"
    assert result.observed["matches"] is False
    assert result.observed["mismatched"] == ["STRIPE_KEY"]
    assert "does not match the pattern" in result.evidence
    assert_no_values(result, "sk_test_" + "a" * 24)

    extra = run({"kind": "env", "names": ["REGION"], "placeholders": ["^placeholder-"], "secret": False}, ctx)
    assert extra.observed["placeholder"] == ["REGION"]
    assert_no_values(extra, "placeholder-region")
    assert ctx.redact.redact("placeholder-region") == "placeholder-region"  # secret: false


def test_env_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="invalid regular expression"):
        prepare_check({"kind": "env", "names": ["A"], "pattern": "("}, source="t")
    with pytest.raises(CheckSpecError, match="names"):
        prepare_check({"kind": "env", "names": []}, source="t")


# --- file --------------------------------------------------------------------------


def test_file_exists(tmp_path: Path) -> None:
    (tmp_path / "backup-1.4.dump").write_bytes(b"x" * 2048)
    ctx = make_ctx(tmp_path, values={"version": "1.4"})
    result = run({"kind": "file", "path": "backup-{version}.dump", "max_age": "2h", "min_size": "1KiB"}, ctx)
    assert result.status == "passed", result.conditions
    assert [c.expression for c in result.conditions] == ["exists", "age <= 2h", "size_bytes >= 1024"]
    assert result.observed["exists"] is True
    assert result.observed["is_file"] is True
    assert result.observed["size"] == 2048
    assert result.observed["modified"].endswith("+00:00")
    assert "2048 bytes" in result.evidence


def test_file_missing_is_failed_not_error(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    plain = run({"kind": "file", "path": "nope.txt"}, ctx)
    assert plain.status == "failed"
    assert plain.observed["exists"] is False
    assert plain.conditions[0].rendered == "exists (false)"

    with_age = run({"kind": "file", "path": "nope.txt", "max_age": "2h"}, ctx)
    assert with_age.status == "failed"
    assert with_age.message == f"no such file: {tmp_path / 'nope.txt'}"

    gone_ok = run({"kind": "file", "path": "maintenance.flag", "expect": ["!exists"]}, ctx)
    assert gone_ok.status == "passed"


def test_file_too_old_and_too_small(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("a,b\n")
    three_hours_ago = time.time() - 3 * 3600
    os.utime(path, (three_hours_ago, three_hours_ago))
    result = run({"kind": "file", "path": str(path), "max_age": "2h", "min_size": "10MB"}, make_ctx(tmp_path))
    assert result.status == "failed"
    rendered = [c.rendered for c in result.conditions]
    assert rendered[0] == "exists (true)"
    assert rendered[1].startswith("age (3h") and rendered[1].endswith(") <= 2h")
    assert rendered[2] == "size_bytes (4) >= 10000000"
    assert result.observed["age"] >= 3 * 3600


def test_size_parsing() -> None:
    assert parse_size(1024) == 1024
    assert parse_size("10MB") == 10_000_000
    assert parse_size("10 MiB") == 10 * 1024 * 1024
    assert parse_size("1.5k") == 1500
    assert parse_size("512 B") == 512
    assert parse_size("2Gi") == 2 * 1024**3
    for bad in ("ten", "-1", True, "5 parsecs"):
        with pytest.raises(ValueError):
            parse_size(bad)
    assert format_size(10 * 1024 * 1024) == "10 MiB"
    assert format_size(100) == "100 B"


# --- log ---------------------------------------------------------------------------


def test_log_file_markers(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "boot\n"
        "INFO Server started on :8080\n"
        "WARN Webhook signature verification failed for evt_1 (Authorization: Bearer abcdefgh12345678)\n"
    )
    ctx = make_ctx(tmp_path)
    good = run({"kind": "log", "path": "app.log", "contains": ["Server started"], "absent": ["panic:"]}, ctx)
    assert good.status == "passed"
    assert good.observed == {"found": ["Server started"], "missing": [], "unexpected": [], "ok": True}
    assert "INFO Server started on :8080" in good.evidence

    bad = run(
        {
            "kind": "log",
            "path": "app.log",
            "contains": ["Server started", "Ready"],
            "absent": ["Webhook signature verification failed"],
        },
        ctx,
    )
    assert bad.status == "failed"
    assert bad.observed["missing"] == ["Ready"]
    assert bad.observed["unexpected"] == ["Webhook signature verification failed"]
    assert "WARN Webhook signature verification failed for evt_1" in bad.evidence
    assert "abcdefgh12345678" not in bad.model_dump_json()


def test_log_regex_and_tail(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_text("EARLY marker\n" + "filler line\n" * 10000 + "request took 1234ms\n")
    ctx = make_ctx(tmp_path)
    result = run(
        {
            "kind": "log",
            "path": str(log),
            "contains": [r"took \d+ms$", "EARLY marker"],
            "regex": True,
            "tail_bytes": "4KiB",
        },
        ctx,
    )
    assert result.observed["found"] == [r"took \d+ms$"]
    assert result.observed["missing"] == ["EARLY marker"]
    assert "last 4 KiB" in result.evidence


def test_log_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run({"kind": "log", "path": "none.log", "contains": ["x"]}, make_ctx(tmp_path))
    assert result.status == "error"
    assert result.message is not None and result.message.startswith("no such file")


def test_log_command_source(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    code = "import sys; print('listening'); print('ERROR panic: boom', file=sys.stderr)"
    result = run({"kind": "log", "command": py(code), "contains": ["listening"], "absent": ["panic:"]}, ctx)
    assert result.status == "failed"
    assert result.observed["found"] == ["listening"]
    assert result.observed["unexpected"] == ["panic:"]
    assert "ERROR panic: boom" in result.evidence

    shell_free = run({"kind": "log", "command": ["echo", "a; echo b"], "contains": ["a; echo b"]}, ctx)
    assert shell_free.status == "passed"

    failing = run(
        {"kind": "log", "command": py("import sys; sys.exit('no such pod')"), "contains": ["x"]}, ctx
    )
    assert failing.status == "error"
    assert failing.message == "log command failed (exit 1): no such pod"


def test_log_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="either 'path'"):
        prepare_check({"kind": "log", "contains": ["x"]}, source="t")
    with pytest.raises(CheckSpecError, match="markers"):
        prepare_check({"kind": "log", "path": "a.log"}, source="t")
    with pytest.raises(CheckSpecError, match="invalid regular expression"):
        prepare_check({"kind": "log", "path": "a.log", "contains": ["("], "regex": True}, source="t")


# --- manual ------------------------------------------------------------------------


def test_manual_without_attestation_is_skipped(tmp_path: Path) -> None:
    raw = {"kind": "manual", "role": "QA lead", "instructions": "Smoke-test checkout on a phone"}
    result = run(raw, make_ctx(tmp_path))
    assert result.status == "skipped"
    assert result.message == "needs attestation by QA lead"
    keyed = run({**raw, "attestation_key": "item-7"}, make_ctx(tmp_path))
    assert keyed.status == "skipped"


def test_manual_with_attestation(tmp_path: Path) -> None:
    raw = {"kind": "manual", "role": "QA lead", "attestation_key": "item-7"}
    ok_ctx = make_ctx(
        tmp_path, attestations={"item-7": Attestation(by="alice", role="qa  Lead", note="iPhone 15")}
    )
    ok = run(raw, ok_ctx)
    assert ok.status == "passed"
    assert ok.evidence.startswith("attested by alice (qa  Lead)")
    assert ok.observed == {"attested": True, "by": "alice", "role": "qa  Lead"}

    wrong = run(raw, make_ctx(tmp_path, attestations={"item-7": Attestation(by="bob", role="developer")}))
    assert wrong.status == "failed"
    assert wrong.observed["attested"] is False
    assert wrong.message == "attested by bob (developer), but this check needs role 'QA lead'"

    anyone = run(
        {"kind": "manual", "attestation_key": "k"},
        make_ctx(tmp_path, attestations={"k": Attestation(by="carol")}),
    )
    assert anyone.status == "passed"
    assert anyone.evidence == "attested by carol"


# --- redact ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: {MASK}"),
        ("proxy-authorization:Bearer abc", f"proxy-authorization:{MASK}"),
        ("curl -H 'x' bearer eyJhbGciOiJIUzI1NiJ9.payload.sig done", f"curl -H 'x' {MASK} done"),
        ("key AKIAIOSFODNN7EXAMPLE here", f"key {MASK} here"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc ok", f"stripe {MASK} ok"),
        ("hook whsec_abcdefgh1234 ok", f"hook {MASK} ok"),
        ("password=hunter22 next", f"password={MASK} next"),
        ("API_KEY: abcd1234", f"API_KEY: {MASK}"),
        ("db postgres://app:pa55w0rd@db.internal:5432/app", f"db postgres://{MASK}@db.internal:5432/app"),
        ("Set-Cookie: session=abc; HttpOnly", f"Set-Cookie: {MASK}"),
        ("nothing to see here", "nothing to see here"),
        ("AUTHORİZATION: dotted capital I", f"AUTHORİZATION: {MASK}"),  # (?i) matches İ to i
    ],
)
def test_redact_patterns(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_redact_registered_secrets() -> None:
    redactor = Redactor(["abc"])  # shorter than 4: ignored
    redactor.add_secret("s3cr3t.value+1")
    assert redactor.redact("abc s3cr3t.value+1 s3cr3tXvalue+1") == f"abc {MASK} s3cr3tXvalue+1"
    # a secret inside a pattern's match: the whole match goes, not just the secret
    overlapping = Redactor(["abcd-sk_live", "hunter2"])
    assert overlapping.redact("k=abcd-sk_live_0123456789AB.") == f"k={MASK}."
    assert overlapping.redact("password=hunter2xyz ok") == f"password={MASK} ok"
    env = Redactor.from_environment({"DB_PASSWORD": "pw-123456", "HOME": "/home/x"})
    assert env.redact("pw-123456 /home/x") == f"{MASK} /home/x"


def stream_all(redactor: Redactor, chunks: list[str]) -> str:
    stream = redactor.stream()
    return "".join(stream.feed(c) for c in chunks) + stream.flush()


def test_stream_short_string_every_split() -> None:
    redactor = Redactor(["tOpS3cret"])
    text = "a tOpS3cret b sk_live_4eC39HqLyjWDarjtT1zdp7dc c"
    expected = redactor.redact(text)
    assert "tOpS3cret" not in expected and "4eC39Hq" not in expected
    for i in range(len(text) + 1):
        assert stream_all(redactor, [text[:i], text[i:]]) == expected, i
        for j in range(i, len(text) + 1, 7):
            assert stream_all(redactor, [text[:i], text[i:j], text[j:]]) == expected, (i, j)


@pytest.mark.parametrize("pad", [HOLDBACK - 40, HOLDBACK, HOLDBACK + 7])
def test_stream_split_at_every_position_around_the_holdback(pad: int) -> None:
    secret = "my-Very-Private-Value-123"
    # "abcd-sk_live" (a secret) overlaps "sk_live_0123456789AB" (a pattern): when
    # the cut falls in the pattern's match after the secret's end, moving it back
    # to the match's start would split the secret (it leaked "abcd-" before the fix)
    redactor = Redactor([secret, "abcd-sk_live"])
    body = (
        f"{secret}\nAuthorization: Bearer zzzzzzzz1111\nabcd-sk_live_0123456789AB\n"
        f"postgres://u:p4ss@h password=letmein99\n{secret}"
    )
    text = "." * pad + body + "," * pad
    expected = redactor.redact(text)
    for leaked in (secret, "zzzzzzzz1111", "0123456789AB", "p4ss", "letmein99", "abcd-"):
        assert leaked not in expected
    for i in range(len(text) + 1):
        out = stream_all(redactor, [text[:i], text[i:]])
        assert out == expected, i


def test_stream_many_small_chunks() -> None:
    secret = "chunky-secret-value"
    redactor = Redactor([secret])
    text = ("line with " + secret + " in it\n") * 200
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    out = stream_all(redactor, chunks)
    assert out == redactor.redact(text)
    assert secret not in out
