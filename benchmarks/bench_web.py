"""Web latency under load: the release page, the status API and the first event
of the SSE stream, with 50 concurrent clients on a release with 10,000 events,
each beside the same load on a static route in the same run.

The server is a real ``golive serve`` subprocess on 127.0.0.1 over SQLite (the
release made as bench_events.py makes it: seed 004, 10,000 events of the kinds
a real release has). The clients are aiohttp sessions in this process, signed
in with a session cookie (the page) or an API token (the API). Each figure is
the p50 and p95 over every request, beside the static route's, as a ratio.
Goal: p95 under 100 ms on SQLite.

    python benchmarks/bench_web.py [--events N] [--clients N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_events import _status_release  # noqa: E402

from golive.auth.accounts import Accounts  # noqa: E402
from golive.store.events import EventStore  # noqa: E402

GOAL_MS = 100.0
PASSWORD = "bench password 1234"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(
    clients: int, requests: int, one: Callable[[object], Awaitable[float]], make: Callable[[], object]
) -> list[float]:
    sessions = [make() for _ in range(clients)]
    times: list[float] = []

    async def client(session: object) -> None:
        for _ in range(requests):
            times.append(await one(session))

    try:
        await asyncio.gather(*(client(s) for s in sessions))
    finally:
        for session in sessions:
            await session.close()  # type: ignore[attr-defined]
    return times


async def _run(
    url: str, token: str, cookie: str, rid: str, clients: int, requests: int
) -> list[tuple[str, list[float]]]:
    import aiohttp

    api = {"Authorization": f"Bearer {token}"}

    def session(headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> object:
        return aiohttp.ClientSession(
            base_url=url, headers=headers, cookies=cookies, connector=aiohttp.TCPConnector(limit=1)
        )

    def timed(path: str) -> Callable[[object], Awaitable[float]]:
        async def one(s: object) -> float:
            start = time.perf_counter()
            async with s.get(path) as answer:  # type: ignore[attr-defined]
                await answer.read()
                assert answer.status == 200, (path, answer.status)
            return time.perf_counter() - start

        return one

    async def first_event(s: object) -> float:
        start = time.perf_counter()
        async with s.get(f"/api/v1/releases/{rid}/events/stream?after=9990") as answer:  # type: ignore[attr-defined]
            assert answer.status == 200
            async for line in answer.content:
                if line.startswith(b"id:"):
                    return time.perf_counter() - start
        raise AssertionError("the stream ended without an event")

    figures = []
    for name, path_or_fn, headers, cookies in (
        ("static route (baseline)", "/static/vendor/htmx.min.js", None, None),
        ("release page", f"/releases/{rid}", None, {"golive_session": cookie}),
        ("status API", f"/api/v1/releases/{rid}/status", api, None),
        ("SSE first event", first_event, api, None),
    ):
        one = timed(path_or_fn) if isinstance(path_or_fn, str) else path_or_fn
        await _load(2, 2, one, lambda h=headers, c=cookies: session(h, c))  # warm up
        times = await _load(clients, requests, one, lambda h=headers, c=cookies: session(h, c))
        figures.append((name, times))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10, help="requests per client per route")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="golive-bench-web-") as tmp:
        db = str(Path(tmp) / "golive.db")
        rid = _status_release(db, args.events)
        store = EventStore.open(db)
        accounts = Accounts(store.engine)
        accounts.add_user("bench", "admin", actor="bench", password=PASSWORD)
        token = accounts.create_token("bench", actor="bench").secret
        store.close()
        port = _port()
        env = {**os.environ, "GOLIVE_DATABASE_URL": db, "GOLIVE_HOME": tmp}
        server = subprocess.Popen(
            [sys.executable, "-m", "golive", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            import httpx

            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("golive serve did not start")
                time.sleep(0.1)
            signed = httpx.post(url + "/api/v1/session", json={"name": "bench", "password": PASSWORD})
            cookie = signed.cookies["golive_session"]
            figures = asyncio.run(_run(url, token, cookie, rid, args.clients, args.requests))
        finally:
            server.terminate()
            server.wait(20)
    base = figures[0][1]
    base95 = _p(base, 0.95) * 1000
    print(
        f"web latency: {args.clients} concurrent clients x {args.requests} requests, "
        f"release of {args.events} events, SQLite, golive serve on 127.0.0.1"
    )
    print(f"{'route':28} {'p50 ms':>9} {'p95 ms':>9} {'p95 / static':>13}  goal p95 < {GOAL_MS:.0f} ms")
    met = True
    for name, times in figures:
        p50, p95 = statistics.median(times) * 1000, _p(times, 0.95) * 1000
        ok = p95 < GOAL_MS
        if name != figures[0][0]:
            met = met and ok
        mark = "" if name == figures[0][0] else ("✓" if ok else "✗")
        print(f"{name:28} {p50:9.1f} {p95:9.1f} {p95 / base95:12.1f}x  {mark}")
    print("goal met" if met else "goal NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
