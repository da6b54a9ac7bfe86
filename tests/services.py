"""Real components for tests: a private PostgreSQL and a private Prometheus.

Load with ``pytest_plugins = ["tests.services"]``. Every fixture here is
session-scoped and starts its own instance on 127.0.0.1, a free port and a
fresh temporary directory, and stops it (and removes the directory) at the end
of the session. Under pytest-xdist each worker is its own session, so each
worker gets its own instances; nothing is shared between workers.

Components come from ``scripts/setup-system.sh`` (Debian's ``postgresql`` and
``prometheus`` packages). :func:`require` implements the project rule: with
``CI=true`` a missing component fails the test; otherwise the test is skipped
with a reason that says how to install it.

- ``postgres_url``: ``postgresql+psycopg://golive:<password>@127.0.0.1:<port>/golive``,
  a role with a password (scram-sha-256, so a wrong password is refused) that
  owns the database. ``postgres_server`` has the details (superuser URL over
  trust auth, port, data directory).
- ``prometheus_url``: the base URL of a Prometheus that scrapes
  ``prometheus_exporter`` every second; the exporter's gauges and counters are
  the test's to set (:class:`Exporter`). ``prometheus_server`` has
  :meth:`PrometheusServer.wait_for` to poll for data with a bounded wait.
- :func:`start_prometheus_for` (``"127.0.0.1:PORT"`` or a list of them): a
  private Prometheus scraping those targets (the demo-target, say) every second,
  as a :class:`ScrapingPrometheus` that a test can ``stop()`` and ``start()``
  again (same port, same data) to play an outage, and ``close()`` at the end.
  Call :func:`require` first in a test; benchmarks use it outside pytest.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "Exporter",
    "PostgresServer",
    "PrometheusServer",
    "ScrapeTarget",
    "ScrapingPrometheus",
    "free_port",
    "postgres_server",
    "postgres_url",
    "prometheus_exporter",
    "prometheus_server",
    "prometheus_url",
    "require",
    "start_prometheus_for",
]

SETUP_HINT = "run scripts/setup-system.sh (as root) to install it"
PG_PASSWORD = "pg-Test-pw-6c1f"
PG_USER = "golive"
PG_DATABASE = "golive"


# -- availability ---------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if (p / "bin" / "initdb").is_file() and p.name.isdigit()),
            key=lambda p: int(p.name),
        )
        if versions:
            return versions[-1] / "bin"
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _prometheus_binary() -> Path | None:
    path = Path("/usr/bin/prometheus")
    if path.is_file():
        return path
    found = shutil.which("prometheus")
    return Path(found) if found else None


_FINDERS: dict[str, Callable[[], Path | None]] = {
    "postgresql": postgres_bindir,
    "prometheus": _prometheus_binary,
}


def require(component: str) -> Path:
    """The component's location (PostgreSQL: its bin directory; Prometheus: the
    binary). When it is missing: fail under ``CI=true``, skip otherwise."""
    finder = _FINDERS.get(component)
    if finder is None:
        raise ValueError(f"unknown component {component!r} (known: {', '.join(sorted(_FINDERS))})")
    found = finder()
    if found is not None:
        return found
    message = f"{component} is not installed; {SETUP_HINT}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            tail = ""
            if log is not None and log.exists():
                tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"timed out after {timeout:g}s waiting for {what}{tail}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


# -- PostgreSQL -----------------------------------------------------------------------------


@dataclass
class PostgresServer:
    bindir: Path
    directory: Path
    port: int
    run_as: str | None
    """The system user that owns the cluster (``postgres`` when the tests run as root)."""
    started_in: float = 0.0

    @property
    def datadir(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        """The test role's URL (password auth)."""
        return f"postgresql+psycopg://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{PG_DATABASE}"

    @property
    def admin_url(self) -> str:
        """The superuser's URL (trust auth on loopback)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{PG_DATABASE}"

    def url_with(
        self, *, user: str = PG_USER, password: str | None = PG_PASSWORD, database: str = PG_DATABASE
    ) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False, cwd=self.directory
        )

    def psql(self, sql: str) -> str:
        """Run SQL as the superuser through psql (over the private socket directory)."""
        done = self.run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.directory),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            PG_DATABASE,
            "-c",
            sql,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout


_HBA = """\
# golive test cluster: the superuser by trust, every other role by password
local   all   all                        trust
host    all   postgres   127.0.0.1/32    trust
host    all   all        127.0.0.1/32    scram-sha-256
"""


def start_postgres(bindir: Path) -> PostgresServer:
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(
                "running as root, but there is no 'postgres' system user to run initdb as", pytrace=False
            )
        run_as = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="golive-pg-"))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bindir=bindir, directory=directory, port=0, run_as=run_as)
    started = time.perf_counter()
    done = server.run(
        str(bindir / "initdb"),
        "-D",
        str(server.datadir),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
    )
    if done.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
    hba = server.datadir / "pg_hba.conf"
    hba.write_text(_HBA)
    log = directory / "postgres.log"
    for _attempt in range(5):
        server.port = free_port()
        options = " ".join(
            [
                f"-p {server.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={directory}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=16MB",
                "-c max_connections=40",
                "-c password_encryption=scram-sha-256",
            ]
        )
        done = server.run(
            str(bindir / "pg_ctl"),
            "start",
            "-D",
            str(server.datadir),
            "-l",
            str(log),
            "-w",
            "-t",
            "30",
            "-o",
            options,
        )
        if done.returncode == 0:
            break
        text = log.read_text(errors="replace") if log.exists() else done.stderr
        if "could not bind" not in text and "already in use" not in text:
            shutil.rmtree(directory, ignore_errors=True)
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{text[-2000:]}")
    else:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError("pg_ctl start: no free port after 5 attempts")
    try:
        # the database is created over the socket by the superuser; the test role owns it
        done = server.run(
            str(bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(directory),
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'",
            "-c",
            f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}",
        )
        if done.returncode != 0:
            raise RuntimeError(f"creating the test database failed: {done.stderr.strip()}")
    except BaseException:
        stop_postgres(server)
        raise
    server.started_in = time.perf_counter() - started
    return server


def stop_postgres(server: PostgresServer) -> None:
    try:
        server.run(
            str(server.bindir / "pg_ctl"), "stop", "-D", str(server.datadir), "-m", "fast", "-w", "-t", "30"
        )
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL for this session (this xdist worker)."""
    bindir = require("postgresql")
    server = start_postgres(bindir)
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A SQLAlchemy URL of a database the test role owns (password auth)."""
    return postgres_server.url


# -- Prometheus -----------------------------------------------------------------------------


@dataclass
class Exporter:
    """A prometheus_client exporter on 127.0.0.1 with its own registry.

    ``gauge``/``counter`` create a metric on first use and return the same one
    afterwards, so tests pick unique names and set values as they like.
    """

    port: int = 0
    registry: Any = None
    _metrics: dict[str, Any] = field(default_factory=dict)
    _server: Any = None
    _thread: Any = None

    def start(self) -> None:
        from prometheus_client import CollectorRegistry, start_http_server

        self.registry = CollectorRegistry(auto_describe=True)
        self._server, self._thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.port = int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def gauge(self, name: str, documentation: str = "test gauge", labels: tuple[str, ...] = ()) -> Any:
        from prometheus_client import Gauge

        if name not in self._metrics:
            self._metrics[name] = Gauge(name, documentation, labelnames=labels, registry=self.registry)
        return self._metrics[name]

    def counter(self, name: str, documentation: str = "test counter", labels: tuple[str, ...] = ()) -> Any:
        from prometheus_client import Counter

        if name not in self._metrics:
            self._metrics[name] = Counter(name, documentation, labelnames=labels, registry=self.registry)
        return self._metrics[name]


@dataclass(frozen=True)
class ScrapeTarget:
    """``host:port`` addresses serving ``/metrics`` for a Prometheus to scrape
    (``target`` is the first). A target may start listening after Prometheus:
    it is scraped from the next second on."""

    targets: tuple[str, ...]

    @property
    def target(self) -> str:
        return self.targets[0]


def _get_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class PrometheusServer:
    binary: Path
    directory: Path
    port: int
    exporter: Exporter | ScrapeTarget
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector of ``promql`` now (empty when there is no data)."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        data = _get_json(url)
        result = data["data"]["result"]
        if data["data"]["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return list(result)

    def wait_for(
        self, promql: str, predicate: Callable[[float], bool] = lambda _v: True, timeout: float = 10.0
    ) -> float:
        """Poll until ``promql`` has a first value that satisfies ``predicate``;
        returns it. A bounded wait (default 10 s), never a fixed sleep."""
        seen: list[float] = []

        def ready() -> bool:
            series = self.query(promql)
            if not series:
                return False
            value = float(series[0]["value"][1])
            seen.append(value)
            return predicate(value)

        _wait(ready, timeout, f"Prometheus data for {promql!r} (last seen: {seen[-1:] or 'nothing'})")
        return seen[-1]

    def wait_for_scrape(self, after: float | None = None, timeout: float = 10.0) -> float:
        """Wait until Prometheus has scraped the exporter at a time later than
        ``after`` (default: now), so a value set before ``after`` is stored.
        Returns that scrape's timestamp."""
        since = time.time() if after is None else after
        promql = f'timestamp(up{{instance="{self.exporter.target}"}})'
        return self.wait_for(promql, lambda ts: ts > since, timeout=timeout)


_PROMETHEUS_CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: golive-test
    static_configs:
      - targets: ["{target}"]
"""


def _target_up(server: PrometheusServer) -> bool:
    try:
        data = _get_json(f"{server.url}/api/v1/targets?state=active")
    except (OSError, ValueError):
        return False
    targets = data.get("data", {}).get("activeTargets", [])
    return any(t.get("health") == "up" for t in targets)


def _start_prometheus(
    binary: Path, exporter: Exporter | ScrapeTarget, *, wait_up: bool = True
) -> PrometheusServer:
    directory = Path(tempfile.mkdtemp(prefix="golive-prom-"))
    config = directory / "prometheus.yml"
    if isinstance(exporter, ScrapeTarget):
        config.write_text(_PROMETHEUS_CONFIG.replace('["{target}"]', json.dumps(list(exporter.targets))))
    else:
        config.write_text(_PROMETHEUS_CONFIG.format(target=exporter.target))
    server = PrometheusServer(binary=binary, directory=directory, port=0, exporter=exporter)
    started = time.perf_counter()
    try:
        _launch_prometheus(server, wait_up=wait_up)
    except BaseException:
        _stop_prometheus(server)
        raise
    server.started_in = time.perf_counter() - started
    return server


def _launch_prometheus(server: PrometheusServer, port: int | None = None, *, wait_up: bool = True) -> None:
    """Start the server's process with the config and data in its directory, on a
    free port (or on ``port``: a restart), and wait until it scrapes a target up
    (``wait_up``) or at least answers. On failure the process is stopped (the
    directory is kept) and RuntimeError raised."""
    directory = server.directory
    config = directory / "prometheus.yml"
    log = directory / "prometheus.log"
    for _attempt in range(5 if port is None else 1):
        server.port = free_port() if port is None else port
        with log.open("ab") as out:
            server.process = subprocess.Popen(
                [
                    str(server.binary),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{server.port}",
                    "--storage.tsdb.retention.time=1h",
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=directory,
            )

        def ready_or_exited() -> bool:
            assert server.process is not None
            if server.process.poll() is not None:
                return True
            return _target_up(server) if wait_up else _answers(server)

        try:
            _wait(ready_or_exited, 30, "Prometheus to scrape its target", log)
        except BaseException:
            _terminate(server.process)
            raise
        if server.process.poll() is None:
            return
        text = log.read_text(errors="replace")
        if "address already in use" not in text:
            raise RuntimeError(f"prometheus exited with {server.process.returncode}:\n{text[-2000:]}")
    raise RuntimeError(
        "prometheus: no free port after 5 attempts" if port is None else f"prometheus: port {port} is taken"
    )


def _answers(server: PrometheusServer) -> bool:
    try:
        with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _stop_prometheus(server: PrometheusServer) -> None:
    try:
        _terminate(server.process)
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


@dataclass
class ScrapingPrometheus:
    """A private Prometheus scraping its targets every second, which a test can stop
    (an outage: its port refuses connections) and start again on the same port
    with the same data. ``close()`` removes it for good."""

    server: PrometheusServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def running(self) -> bool:
        return self.server.process is not None and self.server.process.poll() is None

    def query(self, promql: str) -> list[dict[str, Any]]:
        return self.server.query(promql)

    def wait_for(
        self, promql: str, predicate: Callable[[float], bool] = lambda _v: True, timeout: float = 10.0
    ) -> float:
        return self.server.wait_for(promql, predicate, timeout)

    def stop(self) -> None:
        """Stop the process (SIGTERM, bounded wait); its port and data stay reserved for ``start()``."""
        _terminate(self.server.process)

    def start(self) -> None:
        """Start it again on the same port and data; returns once it scrapes a target up."""
        if not self.running:
            _launch_prometheus(self.server, port=self.server.port)

    def close(self) -> None:
        _stop_prometheus(self.server)


def start_prometheus_for(
    target: str | Sequence[str], binary: Path | None = None, *, wait_up: bool = True
) -> ScrapingPrometheus:
    """A private Prometheus on 127.0.0.1 scraping ``target`` (``host:port``, or a
    list of them) every second; it returns once a target is up (or, with
    ``wait_up=False``, once Prometheus answers: for targets that start later).
    Prometheus hands its first targets to the scrapers after ~5 s (its discovery
    throttle), so a start takes ~6 s: share one where you can. A missing binary
    is a RuntimeError (tests call :func:`require` first); the caller closes it."""
    found = binary or _prometheus_binary()
    if found is None:
        raise RuntimeError(f"prometheus is not installed; {SETUP_HINT}")
    targets = (target,) if isinstance(target, str) else tuple(target)
    if not targets:
        raise ValueError("no target to scrape")
    return ScrapingPrometheus(_start_prometheus(found, ScrapeTarget(targets), wait_up=wait_up))


@pytest.fixture(scope="session")
def prometheus_exporter() -> Iterator[Exporter]:
    """The exporter the session's Prometheus scrapes; set its metrics in tests."""
    exporter = Exporter()
    exporter.start()
    try:
        yield exporter
    finally:
        exporter.stop()


@pytest.fixture(scope="session")
def prometheus_server(prometheus_exporter: Exporter) -> Iterator[PrometheusServer]:
    """A private Prometheus (1 s scrapes of ``prometheus_exporter``), its target up."""
    binary = require("prometheus")
    server = _start_prometheus(binary, prometheus_exporter)
    try:
        yield server
    finally:
        _stop_prometheus(server)


@pytest.fixture(scope="session")
def prometheus_url(prometheus_server: PrometheusServer) -> str:
    return prometheus_server.url
