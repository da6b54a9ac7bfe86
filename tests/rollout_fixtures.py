"""Fixtures of the rollout controller tests (a plugin of tests/conftest.py, so that
several test files share them): a stand-in HTTP service on 127.0.0.1 that serves
an error rate as JSON and records the actuator calls it receives, and a release
in a fresh SQLite event store on a manual clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from golive.clock import ManualClock
from golive.config import Config
from golive.release.service import ReleaseService
from golive.store.events import EventStore
from golive.timeparse import parse_launch

LAUNCH = parse_launch("2026-12-01 09:00 Europe/London")


@dataclass
class Target:
    """A stand-in service: its error rate, its health, and the actuator calls it received."""

    error_rate: float = 0.0
    down: bool = False
    """The metric source answers 503 (the service's /health still answers)."""
    health_down: bool = False
    """The service's /health answers 503: a total outage."""
    calls: list[tuple[str, Any]] = field(default_factory=list)
    weight: float = 0.0


@pytest.fixture
def target() -> Iterator[tuple[Target, str]]:
    state = Target()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if "health" in self.path:  # the service's own health endpoints
                code = 503 if state.health_down else 200
                self._reply(code, {"status": "unhealthy" if state.health_down else "healthy"})
            elif state.down:
                self._reply(503, {"error": "metrics unavailable"})
            else:
                self._reply(200, {"error_rate": state.error_rate, "weight": state.weight})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            state.calls.append((self.path, body))
            if self.path == "/weight":
                state.weight = body["weight"]
            self._reply(200, {"ok": True})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def release(tmp_path: Path) -> Iterator[tuple[EventStore, str, ManualClock]]:
    store = EventStore.open(str(tmp_path / "g.db"))
    clock = ManualClock(LAUNCH)
    runbook = tmp_path / "rb.md"
    runbook.write_text("# Go-live\n\n## T-0: Launch\n\n- [ ] Roll out\n", encoding="utf-8")
    svc = ReleaseService(store, Config(), clock=clock)
    rid = svc.start(runbook, service="shop", version="2.0.0", env="prod", launch=LAUNCH, tz="UTC", actor="rm")
    yield store, rid, clock
    store.close()
