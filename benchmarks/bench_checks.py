"""1,000 http checks of a 50 ms endpoint at concurrency 100, against the ideal.

Goal: golive within 1.3x of the ideal 0.5 s (1,000 x 50 ms / 100). Baselines
measured in the same run: a bare aiohttp loop over the same URLs at the same
concurrency, and a sequential ``curl`` loop over a sample of them, extrapolated
to 1,000. The server runs in its own process (``--serve PORT``) so it does not
share an event loop with the client. Prints figures; asserts nothing.

    python benchmarks/bench_checks.py [--checks 1000] [--concurrency 100] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

DELAY = 0.05


def serve(port: int) -> None:
    """The endpoint: answers after 50 ms."""
    from aiohttp import web

    async def item(request: web.Request) -> web.Response:
        await asyncio.sleep(DELAY)
        return web.json_response({"status": "healthy", "item": request.match_info["n"]})

    app = web.Application()
    app.router.add_get("/item/{n}", item)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the benchmark server did not start on port {port}")


async def bare_aiohttp(urls: list[str], concurrency: int) -> float:
    import aiohttp

    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> int:
            async with gate, session.get(url) as response:
                await response.read()
                return response.status

        start = time.perf_counter()
        statuses = await asyncio.gather(*(one(u) for u in urls))
        elapsed = time.perf_counter() - start
    bad = sum(1 for s in statuses if s != 200)
    if bad:
        print(f"  (bare aiohttp: {bad} responses were not 200)")
    return elapsed


def prepare(urls: list[str]) -> tuple[list[Any], float]:
    from golive.checks import prepare_check

    start = time.perf_counter()
    checks = [prepare_check({"kind": "http", "url": url}, source=f"bench:{i}") for i, url in enumerate(urls)]
    return checks, time.perf_counter() - start


async def golive_run(checks: list[Any], concurrency: int) -> tuple[float, dict[str, int]]:
    from golive.checks import CheckContext, run_checks

    ctx = CheckContext(env={}, concurrency=concurrency)
    start = time.perf_counter()
    results = await run_checks(checks, ctx)
    elapsed = time.perf_counter() - start
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return elapsed, counts


def curl_loop(urls: list[str]) -> float:
    start = time.perf_counter()
    for url in urls:
        subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--curl-sample", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="profile one golive round with cProfile")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0

    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        _wait_for(port)
        return _bench(args, port)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _bench(args: argparse.Namespace, port: int) -> int:
    n, conc = args.checks, args.concurrency
    urls = [f"http://127.0.0.1:{port}/item/{i}" for i in range(n)]
    ideal = n * DELAY / conc
    checks, prep = prepare(urls)

    asyncio.run(bare_aiohttp(urls[: conc * 2], conc))  # warm up server and client
    bare_times, golive_times, bare_cpu, golive_cpu = [], [], [], []
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        cpu = time.process_time()
        bare_times.append(asyncio.run(bare_aiohttp(urls, conc)))
        bare_cpu.append(time.process_time() - cpu)
        cpu = time.process_time()
        elapsed, counts = asyncio.run(golive_run(checks, conc))
        golive_cpu.append(time.process_time() - cpu)
        golive_times.append(elapsed)

    sample = urls[: args.curl_sample]
    curl = curl_loop(sample)
    curl_full = curl / len(sample) * n

    bare, gol = statistics.median(bare_times), statistics.median(golive_times)
    bc, gc = statistics.median(bare_cpu), statistics.median(golive_cpu)
    cel = _condition_cost(checks[0], port)
    ms = DELAY * 1000
    print(f"{n} http checks of a {ms:.0f} ms endpoint, concurrency {conc}, {args.rounds} rounds (median)")
    row(f"ideal ({n} x {ms:.0f} ms / {conc})", f"{ideal:6.3f} s")
    row(
        "bare aiohttp loop (baseline)",
        f"{bare:6.3f} s  {bare / ideal:5.2f}x ideal  rounds {_fmt(bare_times)}",
    )
    row(
        "golive run_checks",
        f"{gol:6.3f} s  {gol / ideal:5.2f}x ideal  rounds {_fmt(golive_times)}  goal <= 1.30x",
    )
    row("golive / bare aiohttp", f"{gol / bare:6.2f}x")
    row("golive results", str(counts))
    row(
        "client CPU (this process)",
        f"bare {bc:.3f} s, golive {gc:.3f} s: +{(gc - bc) / n * 1e6:.0f} us per check",
    )
    row("  of which CEL evaluation", f"{cel * 1e6:.0f} us per check ({cel * n:.3f} s for {n})")
    row(f"golive prepare_check x {n}", f"{prep:6.3f} s (when the runbook is loaded; not part of the run)")
    row(f"sequential curl, {len(sample)} URLs", f"{curl:6.3f} s ({curl / len(sample) * 1000:.1f} ms each)")
    row(f"  extrapolated to {n}", f"{curl_full:6.2f} s  ({curl_full / gol:.0f}x golive)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        elapsed, _ = asyncio.run(golive_run(checks, conc))
        profiler.disable()
        print(f"\ncProfile of one golive round ({elapsed:.3f} s under the profiler), top by own time:")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    return 0


def _condition_cost(check: Any, port: int, repeat: int = 500) -> float:
    """Seconds one evaluation of the check's default conditions takes, on real observed values."""
    from golive.checks import CheckContext
    from golive.checks.conditions import evaluate

    async def observe() -> Any:
        ctx = CheckContext(env={})
        try:
            return await check.kind.observe(check.spec, ctx)
        finally:
            await ctx.close()

    values = asyncio.run(observe()).values
    start = time.perf_counter()
    for _ in range(repeat):
        for condition in check.conditions:
            evaluate(condition, values)
    return (time.perf_counter() - start) / repeat


def row(label: str, text: str) -> None:
    print(f"  {label:<32}: {text}")


def _fmt(times: list[float]) -> str:
    return " ".join(f"{t:.3f}" for t in times)


if __name__ == "__main__":
    raise SystemExit(main())
