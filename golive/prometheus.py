"""A private Prometheus for the demo: Debian's ``prometheus`` binary, started on
127.0.0.1 with its data in a temporary directory, scraping the given targets
every second, and stopped again (its directory removed) when the ``with`` block
ends.

It is the real server a team's triggers query in production; the demo uses it
where the binary is installed (``scripts/setup-system.sh`` installs it) and
falls back to the stand-in's own metrics over HTTP where it is not.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PrometheusError", "binary", "running_prometheus"]

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: golive-demo
    static_configs:
      - targets: {targets}
"""


class PrometheusError(RuntimeError):
    """Prometheus could not be started (the message says why, with its log's tail)."""


@dataclass(frozen=True)
class Prometheus:
    url: str
    port: int
    directory: Path


def binary() -> Path | None:
    """The installed ``prometheus`` binary, or None."""
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").is_file() else None
    )
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _targets_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/targets?state=active", timeout=2) as response:  # noqa: S310 - http://127.0.0.1 only
            data = json.loads(response.read())
    except (OSError, ValueError):
        return False
    targets = data.get("data", {}).get("activeTargets", [])
    return bool(targets) and all(t.get("health") == "up" for t in targets)


@contextlib.contextmanager
def running_prometheus(targets: Sequence[str], *, timeout: float = 30.0) -> Iterator[Prometheus]:
    """Start Prometheus scraping ``targets`` (``host:port``) every second; yield
    once every target is up (Prometheus hands new targets to its scrapers after
    ~5 s). Stopped and removed afterwards, whatever happens."""
    found = binary()
    if found is None:
        raise PrometheusError("prometheus is not installed (scripts/setup-system.sh installs it)")
    directory = Path(tempfile.mkdtemp(prefix="golive-prometheus-"))
    (directory / "prometheus.yml").write_text(CONFIG.format(targets=json.dumps(list(targets))))
    log = directory / "prometheus.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(found),
                    f"--config.file={directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=1h",
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=directory,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while not _targets_up(url):
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-500:].strip()
                raise PrometheusError(f"prometheus exited with {process.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise PrometheusError(f"prometheus did not scrape {', '.join(targets)} within {timeout:g}s")
            time.sleep(0.2)
        yield Prometheus(url=url, port=port, directory=directory)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(directory, ignore_errors=True)
