"""What a check kind may use: the environment, the redactor, an HTTP session,
the runbook's folder, attestations. Tests and rehearsals swap these; the code
path stays the same."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golive.checks.redact import Redactor

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Attestation", "CheckContext"]


def _system_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Attestation:
    """A person's word for a manual check."""

    by: str
    role: str | None = None
    note: str = ""


@dataclass
class CheckContext:
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    redactor: Redactor | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    concurrency: int = 20
    attestations: dict[str, Attestation] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    """Values golive interpolates into commands and URLs: {version}, {env}, ..."""
    now: Callable[[], datetime] = field(default_factory=lambda: _system_now)
    """The command's clock: when a check ran, a certificate's days left, a file's age."""
    _session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        if self.redactor is None:
            self.redactor = Redactor.from_environment(self.env)

    @property
    def redact(self) -> Redactor:
        assert self.redactor is not None
        return self.redactor

    async def http(self) -> aiohttp.ClientSession:
        """One shared aiohttp session (its connection pool bounded by concurrency)."""
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=max(self.concurrency, 1), limit_per_host=0, ttl_dns_cache=60
            )
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False, auto_decompress=True)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def resolve_path(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def extra(self) -> dict[str, Any]:
        return {}
