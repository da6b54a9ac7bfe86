"""tcp: a port is open; observes ``open`` and ``connect_time``.

checks: [{kind: tcp, host: 127.0.0.1, port: 5432, expect: ["open", "connect_time < 100ms"]}]
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field

from golive.checks.context import CheckContext
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

__all__ = ["KIND", "TcpKind", "TcpSpec"]


class TcpSpec(KindSpec):
    kind: Literal["tcp"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)


class TcpKind(CheckKind):
    name: ClassVar[str] = "tcp"
    spec: ClassVar[type[KindSpec]] = TcpSpec
    observes: ClassVar[frozenset[str]] = frozenset({"open", "connect_time", "error"})
    default_expect: ClassVar[tuple[str, ...]] = ("open",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, TcpSpec)
        return spec.name or f"tcp {spec.host}:{spec.port}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, TcpSpec)
        start = time.perf_counter()
        try:
            _reader, writer = await asyncio.open_connection(spec.host, spec.port)
        except OSError as exc:
            # a closed port is a fact about the target, not a failure to measure
            reason = exc.strerror or exc.__class__.__name__
            return Observation(
                values={"open": False, "connect_time": timedelta(0), "error": reason},
                evidence=f"connect to {spec.host}:{spec.port} failed: {reason}",
            )
        elapsed = timedelta(seconds=time.perf_counter() - start)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return Observation(
            values={"open": True, "connect_time": elapsed, "error": ""},
            evidence=f"connected to {spec.host}:{spec.port} in {elapsed.total_seconds() * 1000:.1f} ms",
        )


KIND = TcpKind()
