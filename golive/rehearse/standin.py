"""The stand-in a rehearsal rolls out to: ``golive demo-target`` in a subprocess.

A subprocess, not a thread: its synthetic traffic (thousands of requests a
second) runs on its own core and interpreter, so it neither slows the
controller nor is slowed by it, and its metric windows stay windows of real
time. It listens on a free port of 127.0.0.1 (the first line it prints names
the port), and is stopped with SIGTERM when the rehearsal ends, whatever the
outcome.
"""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from golive.demo_target.faults import FaultSpec
from golive.errors import GoliveError

__all__ = ["STANDIN_RPS", "StandIn", "StandInError"]

STANDIN_RPS = 4000.0
"""Synthetic requests a second: at 10% the canary still serves hundreds a second,
so a 1% error rate is measured, not guessed, over a window of a few real seconds."""
START_TIMEOUT = 20.0
_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+) ")


class StandInError(GoliveError):
    """The stand-in could not be started or reached."""

    code = "standin_failed"
    exit_code = 70


@dataclass
class StandIn:
    process: subprocess.Popen[str]
    port: int
    faults: list[FaultSpec] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        *,
        faults: list[FaultSpec],
        stable_version: str = "1.0.0",
        canary_version: str = "1.1.0",
        rps: float = STANDIN_RPS,
        seed: int = 7,
    ) -> StandIn:
        """Start ``golive demo-target`` on a free port with ``faults`` set from the start."""
        args = [
            sys.executable,
            "-m",
            "golive",
            "demo-target",
            "--port",
            "0",
            "--rps",
            f"{rps:g}",
            "--seed",
            str(seed),
            "--stable-version",
            stable_version,
            "--canary-version",
            canary_version,
        ]
        for fault in faults:
            args += ["--fault", str(fault)]
        # stderr goes to a file, not a pipe nobody reads (a full pipe would block the stand-in);
        # the child keeps its own descriptor of it after ours is closed
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
            process = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=errors,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            return cls._listening(process, errors, faults)

    @classmethod
    def _listening(cls, process: subprocess.Popen[str], errors: Any, faults: list[FaultSpec]) -> StandIn:
        assert process.stdout is not None
        line = ""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if selector.select(START_TIMEOUT):
                line = process.stdout.readline()
        match = _LISTENING.search(line)
        if match is None:
            _stop(process)
            errors.seek(0)
            err = errors.read().strip().splitlines()
            detail = err[-1] if err else (line.strip() or "no answer")
            raise StandInError(f"the stand-in (golive demo-target) did not start: {detail}")
        return cls(process=process, port=int(match.group(1)), faults=list(faults))

    def call(self, method: str, path: str, body: object = None, timeout: float = 10.0) -> Any:
        """One admin call; the JSON answer. StandInError when it fails."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (127.0.0.1)
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            exc.close()
            raise StandInError(f"stand-in {method} {path}: HTTP {exc.code} {detail}") from None
        except (OSError, ValueError) as exc:
            raise StandInError(f"stand-in {method} {path}: {exc}") from None

    def add_fault(self, fault: FaultSpec) -> None:
        self.call("POST", "/admin/faults", fault.to_request())
        self.faults.append(fault)

    def stop(self) -> None:
        _stop(self.process)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
