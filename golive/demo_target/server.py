"""Run the demo target until SIGINT or SIGTERM: ``golive demo-target``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import TextIO

from aiohttp import web

from golive.demo_target.app import make_app
from golive.demo_target.state import DemoConfig
from golive.errors import InputError

__all__ = ["listening_line", "serve"]


def listening_line(host: str, port: int, config: DemoConfig) -> str:
    """The one line printed once the target accepts connections (tests read the port from it)."""
    shown = f"[{host}]" if ":" in host else host
    return (
        f"demo-target listening on http://{shown}:{port} "
        f"(stable {config.stable_version}, canary {config.canary_version})"
    )


def serve(
    host: str = "127.0.0.1", port: int = 0, *, config: DemoConfig | None = None, out: TextIO | None = None
) -> None:
    """Serve the demo target on ``host:port`` (0: a free port) until SIGINT or SIGTERM.

    Prints :func:`listening_line` to ``out`` (stdout) and flushes it once the port
    is open. Returns normally on a signal (so the process exits 0). Raises
    InputError when the port cannot be opened or the ledger cannot be written.
    """
    asyncio.run(_serve(host, port, config or DemoConfig(), out or sys.stdout))


async def _serve(host: str, port: int, config: DemoConfig, out: TextIO) -> None:
    app = make_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise InputError(f"cannot listen on {host}:{port}: {reason}", location="port") from None
        bound = runner.addresses[0][1] if runner.addresses else port
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl-C still works
                loop.add_signal_handler(sig, stop.set)
        try:
            print(listening_line(host, int(bound), config), file=out, flush=True)
            await stop.wait()
        finally:
            for sig in signals:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(sig)
    finally:
        await runner.cleanup()
