"""command: run a program and look at its exit code and output.

    checks:
      - {kind: command, argv: [pg_isready, -h, db.internal], timeout: 5s}
      - {kind: command, run: "curl -fsS https://api/version | grep -q {version}"}

Either ``argv`` (a list, run directly, no shell) or ``run`` (the runbook's own
shell line, run with ``/bin/sh -c``).

Values golive interpolates (``{version}``, ``{env}``, ``{weight}``,
``{component}``, any name in the release's values) go into ``argv`` items
verbatim: no shell reads them. In a ``run`` line they never become shell text:
``{version}`` is replaced by a quoted expansion of ``$GOLIVE_VERSION``, which is
set in the command's environment, so a value such as ``1.0; rm -rf /`` or
``$(reboot)`` is data in every quoting context (unquoted, inside ``"…"``, inside
``'…'``, in a here-document). ``shlex.quote`` alone would not do: its output is
safe only outside quotes. ``${name}`` is the shell's own, and ``\\{version}``
keeps the braces.

The environment is controlled: only ``pass_env`` (default ``PATH``, ``HOME``,
``LANG``, ``LC_ALL``, ``TZ``) is copied from golive's environment, plus
``secret_env`` (names whose values are registered as secrets and redacted from
all output) and ``env`` (extra variables; ``${NAME}`` in a value is golive's
``NAME``). Secrets reach the command through its environment, never argv.

Output is decoded as UTF-8 (invalid bytes become U+FFFD), redacted as it
streams, and capped at ``max_output`` per stream (characters, which is bytes
for ASCII; default 64 KiB): the head and the tail are kept around a
``[N bytes cut]`` marker, and the rest is read and dropped so the command never
blocks on a full pipe.

The command runs in its own process group. When the check times out (or is
cancelled) the whole group gets SIGTERM, then SIGKILL 2 seconds later,
grandchildren included. When the command exits but processes it left behind
keep its output open for 1 second more, they are stopped the same way
(processes that closed the output are left alone).

Observes ``exit_code``, ``stdout``, ``stderr``, ``output`` (stdout then
stderr) and ``duration`` (also as ``elapsed``: a condition cannot name
``duration``, which CEL reads as its ``duration()`` function, so write
``elapsed < 30s``). Default condition: ``exit_code == 0``. A program that does
not exist is an ``error`` ("command not found: X").
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import os
import re
import shlex
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.kinds.file import REQUIRED_VALUES, Size, interpolate
from golive.checks.redact import Redactor, StreamRedactor, is_secret_name
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec
from golive.durations import format_duration

__all__ = [
    "DEFAULT_MAX_OUTPUT",
    "DEFAULT_PASS_ENV",
    "DRAIN_GRACE",
    "KILL_GRACE",
    "KIND",
    "CommandKind",
    "CommandSpec",
    "ProcessResult",
    "ProcessSpec",
    "build_env",
    "interpolate_shell",
    "join_output",
    "resolve_cwd",
    "run_process",
]

DEFAULT_PASS_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
DEFAULT_MAX_OUTPUT = 64 * 1024
KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL to the command's process group."""
DRAIN_GRACE = 1.0
"""Seconds the output may stay open after the command exited."""
_CLOSE_WAIT = 2.0
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ProcessSpec(KindSpec):
    """The fields of a check that runs a program (command, and log's ``command`` source)."""

    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    pass_env: list[str] = Field(default_factory=lambda: list(DEFAULT_PASS_ENV))
    secret_env: list[str] = Field(default_factory=list)

    @field_validator("pass_env", "secret_env")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return names

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        for name, value in env.items():
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if "\0" in value:
                raise ValueError(f"the value of {name} contains a NUL byte")
        return env


class CommandSpec(ProcessSpec):
    kind: Literal["command"]
    argv: list[str] | None = None
    run: str | None = None
    max_output: Size = DEFAULT_MAX_OUTPUT

    @model_validator(mode="after")
    def _one_command(self) -> CommandSpec:
        if (self.argv is None) == (self.run is None):
            raise ValueError("give either 'argv' (a list, run without a shell) or 'run' (a shell line)")
        if self.argv is not None and (not self.argv or not self.argv[0]):
            raise ValueError("argv must name a program")
        if self.run is not None and not self.run.strip():
            raise ValueError("run must not be empty")
        if self.max_output < 1:
            raise ValueError("max_output must be at least 1 byte")
        return self


# --- interpolation and environment ------------------------------------------


def interpolate_shell(line: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Prepare a runbook shell line: each ``{name}`` with a value becomes an
    expansion of ``$GOLIVE_<NAME>``, quoted for where it stands; returns the
    line and the variables to add to the environment.

    The quoting context is found by a small scan (quotes and backslashes). Where
    the scan cannot know (inside ``$( … )`` within double quotes, a
    here-document), a wrong guess changes how the value is split, never
    whether it runs: a parameter expansion is not parsed as shell code again.
    """
    out: list[str] = []
    env: dict[str, str] = {}
    state = "plain"
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "{" and not (i > 0 and line[i - 1] == "$"):
            match = _PLACEHOLDER.match(line, i)
            if match is not None:
                name = match.group(1)
                if name in values:
                    var = f"GOLIVE_{name.upper()}"
                    env[var] = str(values[name])
                    if state == "double":
                        out.append(f"${{{var}}}")
                    elif state == "single":
                        out.append(f"'\"${{{var}}}\"'")
                    else:
                        out.append(f'"${{{var}}}"')
                    i = match.end()
                    continue
                if name in REQUIRED_VALUES:
                    raise MeasurementError(f"no value for {{{name}}} (it is set by a release)")
        if state == "single":
            if ch == "'":
                state = "plain"
        elif ch == "\\":
            out.append(line[i : i + 2])
            i += 2
            continue
        elif state == "double":
            if ch == '"':
                state = "plain"
        elif ch == "'":
            state = "single"
        elif ch == '"':
            state = "double"
        out.append(ch)
        i += 1
    return "".join(out), env


def build_env(spec: ProcessSpec, ctx: CheckContext) -> dict[str, str]:
    """The command's environment: ``pass_env``, ``secret_env`` (registered as
    secrets), then ``env`` with ``${NAME}`` taken from golive's environment and
    ``{version}``-style values put in verbatim."""
    env = {name: ctx.env[name] for name in spec.pass_env if name in ctx.env}
    for name in spec.secret_env:
        value = ctx.env.get(name)
        if value is None:
            raise MeasurementError(f"secret_env: {name} is not set")
        ctx.redact.add_secret(value)
        env[name] = value
    secret_names = set(spec.secret_env)
    for key, raw in spec.env.items():
        secret = is_secret_name(key)
        text = interpolate(raw, ctx.values)

        def expand(match: re.Match[str], key: str = key) -> str:
            nonlocal secret
            name = match.group(1)
            if name not in ctx.env:
                raise MeasurementError(f"env {key}: ${{{name}}} is not set")
            if name in secret_names or is_secret_name(name):
                secret = True
                ctx.redact.add_secret(ctx.env[name])
            return ctx.env[name]

        value = _ENV_REF.sub(expand, text)
        if secret:
            ctx.redact.add_secret(value)
        env[key] = value
    return env


def resolve_cwd(cwd: str | None, ctx: CheckContext) -> Path | None:
    if cwd is None:
        return None
    path = ctx.resolve_path(interpolate(cwd, ctx.values))
    if not path.is_dir():
        raise MeasurementError(f"cwd is not a directory: {path}")
    return path


# --- running a process --------------------------------------------------------


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


class _Capture:
    """Keeps the head and the tail of a text stream, counting what falls between."""

    def __init__(self, limit: int, *, keep_head: bool) -> None:
        self.head_limit = limit // 2 if keep_head else 0
        self.tail_limit = limit - self.head_limit
        self._head: list[str] = []
        self._head_len = 0
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self.cut = 0

    def add(self, text: str) -> None:
        if not text:
            return
        room = self.head_limit - self._head_len
        if room > 0:
            part = text[:room]
            self._head.append(part)
            self._head_len += len(part)
            text = text[room:]
            if not text:
                return
        if len(text) >= self.tail_limit:
            self.cut += sum(_utf8_len(old) for old in self._tail)
            drop = len(text) - self.tail_limit
            self.cut += _utf8_len(text[:drop])
            self._tail.clear()
            self._tail.append(text[drop:])
            self._tail_len = self.tail_limit
            return
        self._tail.append(text)
        self._tail_len += len(text)
        while self._tail and self._tail_len - len(self._tail[0]) >= self.tail_limit:
            old = self._tail.popleft()
            self._tail_len -= len(old)
            self.cut += _utf8_len(old)

    def text(self) -> str:
        tail = "".join(self._tail)
        cut = self.cut
        if len(tail) > self.tail_limit:
            drop = len(tail) - self.tail_limit
            cut += _utf8_len(tail[:drop])
            tail = tail[drop:]
        head = "".join(self._head)
        if not cut:
            return head + tail
        return f"{head}\n… [{cut} bytes cut] …\n{tail}"


class _Stream:
    """One output pipe: bytes -> UTF-8 text -> redacted -> capped."""

    def __init__(self, redactor: Redactor, limit: int, *, keep_head: bool) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._redact: StreamRedactor = redactor.stream()
        self.capture = _Capture(limit, keep_head=keep_head)
        self.size = 0
        self._done = False

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        text = self._decoder.decode(data)
        if text:
            self.capture.add(self._redact.feed(text))

    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        self.capture.add(self._redact.feed(self._decoder.decode(b"", final=True)))
        self.capture.add(self._redact.flush())


class _Pipe(asyncio.Protocol):
    """Reads one output pipe into a :class:`_Stream`."""

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream
        self.closed = asyncio.Event()
        self.transport: asyncio.ReadTransport | None = None

    def data_received(self, data: bytes) -> None:
        self.stream.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream.finish()
        self.closed.set()


def _same(pipe: _Pipe) -> _Pipe:
    return pipe


class _Reaper:
    """Sets ``exited`` once the process has ended and is reaped: woken by a
    pidfd where the system has them, else by polling."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.exited = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._fd: int | None = None
        self._task: asyncio.Task[None] | None = None
        try:
            self._fd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            self._task = self._loop.create_task(self._poll())
        else:
            self._loop.add_reader(self._fd, self._check)
            self._check()

    def _check(self) -> None:
        if self.proc.poll() is not None:
            self.exited.set()
            self.close()

    async def _poll(self) -> None:
        while self.proc.poll() is None:
            await asyncio.sleep(0.02)
        self.exited.set()

    def close(self) -> None:
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._task is not None and not self._task.done():
            self._task.cancel()


@dataclass
class ProcessResult:
    exit_code: int
    stdout: str
    stderr: str
    duration: timedelta
    stdout_bytes: int
    stderr_bytes: int
    stopped_leftovers: bool = False
    """Processes the command left behind held its output open and were stopped."""


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies waiting for their
    parent to reap them do not count; on Linux they are told apart in /proc)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        # after "(comm)": state, ppid, pgrp
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


async def _wait(event: asyncio.Event, timeout: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def _wait_pipes(pipes: list[_Pipe], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for pipe in pipes:
        if not await _wait(pipe.closed, max(deadline - loop.time(), 0)):
            return False
    return True


async def _stop_group(pgid: int, reaper: _Reaper, grace: float) -> None:
    """SIGTERM to the group; SIGKILL after ``grace`` seconds if any of it still runs."""
    _signal_group(pgid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while loop.time() < deadline:
        if reaper.exited.is_set() and not _group_alive(pgid):
            return
        await asyncio.sleep(0.02)
    _signal_group(pgid, signal.SIGKILL)
    await _wait(reaper.exited, _CLOSE_WAIT)  # SIGKILL cannot be ignored


def _release(proc: subprocess.Popen[bytes], pipes: list[_Pipe], reaper: _Reaper) -> None:
    """Close our ends of the pipes and make sure the process is reaped."""
    for pipe in pipes:
        if pipe.transport is not None:
            pipe.transport.close()
    for file in (proc.stdout, proc.stderr):
        if file is not None:
            file.close()  # also when its transport was never made; closing twice is harmless
    if proc.returncode is None and proc.poll() is None:
        # only after a second cancellation cut the stop short
        _signal_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=_CLOSE_WAIT)
    reaper.close()


async def run_process(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None,
    redactor: Redactor,
    max_output: int = DEFAULT_MAX_OUTPUT,
    keep_head: bool = True,
    grace: float = KILL_GRACE,
) -> ProcessResult:
    """Run ``argv`` (no shell) in its own process group and collect its output,
    redacted and capped (``keep_head=False`` keeps only the tail).

    Cancelling the caller (a check's timeout) stops the whole group: SIGTERM,
    SIGKILL after ``grace`` seconds; the process is reaped and the pipes are
    closed before the cancellation goes on. Raises MeasurementError when the
    program cannot be started.

    The process is started with :class:`subprocess.Popen` (which asyncio's own
    subprocess support calls synchronously too) and its pipes are read through
    the event loop; that keeps every step that can be cancelled in this
    function's hands (asyncio's ``subprocess_exec``, cancelled while it connects
    the pipes, kills only the leader and then waits on pipes a grandchild holds).
    """
    loop = asyncio.get_running_loop()
    streams = {
        1: _Stream(redactor, max_output, keep_head=keep_head),
        2: _Stream(redactor, max_output, keep_head=keep_head),
    }
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            bufsize=0,
        )
    except FileNotFoundError:
        raise MeasurementError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise MeasurementError(f"cannot run {argv[0]}: permission denied") from None
    except OSError as exc:
        raise MeasurementError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    pgid = proc.pid
    reaper = _Reaper(proc)
    pipes: list[_Pipe] = []
    finished = False
    leftovers = False
    duration = timedelta(0)
    try:
        for fd, file in ((1, proc.stdout), (2, proc.stderr)):
            pipe = _Pipe(streams[fd])
            pipes.append(pipe)
            pipe.transport, _ = await loop.connect_read_pipe(functools.partial(_same, pipe), file)
        await reaper.exited.wait()
        duration = timedelta(seconds=time.perf_counter() - start)
        if not await _wait_pipes(pipes, DRAIN_GRACE):
            leftovers = True
            await _stop_group(pgid, reaper, grace)
            await _wait_pipes(pipes, _CLOSE_WAIT)
        finished = True
    finally:
        try:
            if not finished:
                await _stop_group(pgid, reaper, grace)
        finally:
            _release(proc, pipes, reaper)
    await asyncio.sleep(0)  # let closed transports finish
    for stream in streams.values():
        stream.finish()
    code = proc.returncode
    return ProcessResult(
        exit_code=code if code is not None else -1,
        stdout=streams[1].capture.text(),
        stderr=streams[2].capture.text(),
        duration=duration,
        stdout_bytes=streams[1].size,
        stderr_bytes=streams[2].size,
        stopped_leftovers=leftovers,
    )


def join_output(stdout: str, stderr: str) -> str:
    """stdout then stderr, a newline between them when stdout lacks one."""
    if stdout and stderr and not stdout.endswith("\n"):
        return f"{stdout}\n{stderr}"
    return stdout + stderr


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


# --- the kind -----------------------------------------------------------------


class CommandKind(CheckKind):
    name: ClassVar[str] = "command"
    spec: ClassVar[type[KindSpec]] = CommandSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {"exit_code", "stdout", "stderr", "output", "duration", "elapsed"}
    )
    default_expect: ClassVar[tuple[str, ...]] = ("exit_code == 0",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, CommandSpec)
        if spec.name:
            return spec.name
        text = shlex.join(spec.argv) if spec.argv is not None else (spec.run or "")
        text = " ".join(Redactor().redact(text).split())
        return f"command: {text if len(text) <= 80 else text[:77] + '...'}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, CommandSpec)
        env = build_env(spec, ctx)
        if spec.argv is not None:
            argv = [interpolate(item, ctx.values) for item in spec.argv]
            shown = shlex.join(argv)
        else:
            assert spec.run is not None
            line, extra = interpolate_shell(spec.run, ctx.values)
            env.update(extra)
            argv = ["/bin/sh", "-c", line]
            shown = spec.run
            if extra:
                shown += "   # " + " ".join(f"{k}={shlex.quote(v)}" for k, v in extra.items())
        cwd = resolve_cwd(spec.cwd, ctx)
        result = await run_process(
            argv, env=env, cwd=cwd, redactor=ctx.redact, max_output=spec.max_output, keep_head=True
        )
        values: dict[str, Any] = {
            "exit_code": result.exit_code,
            "stdout": result.stdout,
            "stderr": result.stderr,
            "output": join_output(result.stdout, result.stderr),
            "duration": result.duration,
            "elapsed": result.duration,
        }
        lines = [
            f"$ {shown}",
            f"{_exit_text(result.exit_code)} after {format_duration(result.duration)}"
            f" ({result.stdout_bytes} bytes of stdout, {result.stderr_bytes} bytes of stderr)",
        ]
        if result.stopped_leftovers:
            lines.append("processes it left behind kept its output open; they were stopped")
        if result.stdout:
            lines += ["--- stdout", result.stdout.rstrip("\n")]
        if result.stderr:
            lines += ["--- stderr", result.stderr.rstrip("\n")]
        return Observation(values=values, evidence=ctx.redact.redact("\n".join(lines)))


KIND = CommandKind()
