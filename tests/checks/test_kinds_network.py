"""The network check kinds (http, tls, dns) against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from golive.checks import CheckContext, CheckResult, prepare_check, run_checks
from golive.checks.errors import CheckSpecError
from golive.checks.kinds.tls import _hostname_match

SOURCE = "runbook.md:12"
NOW = dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- helpers


def run_one(spec: dict[str, Any], ctx: CheckContext | None = None) -> CheckResult:
    prepared = prepare_check(spec, source=SOURCE)
    context = ctx if ctx is not None else CheckContext(env={})
    return asyncio.run(run_checks([prepared], context))[0]


async def check(spec: dict[str, Any], ctx: CheckContext | None = None) -> CheckResult:
    prepared = prepare_check(spec, source=SOURCE)
    context = ctx if ctx is not None else CheckContext(env={})
    return (await run_checks([prepared], context))[0]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve(app: web.Application, ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in this event loop; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.SockSite(runner, sock, ssl_context=ssl_context)
    await site.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()
        sock.close()


def app_with(**routes: Callable[[web.Request], Any]) -> web.Application:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", "/" + path.replace("__", "/"), handler)
    return app


# ---------------------------------------------------------------- http


async def healthy(request: web.Request) -> web.Response:
    return web.json_response({"status": "healthy", "version": "1.4.2"})


async def broken(request: web.Request) -> web.Response:
    return web.json_response({"status": "down"}, status=500)


def test_http_passes_on_healthy_json() -> None:
    async def scenario() -> None:
        async with serve(app_with(health=healthy)) as base:
            result = await check(
                {
                    "kind": "http",
                    "url": f"{base}/health",
                    "expect": ["status == 200", 'json.status == "healthy"'],
                }
            )
        assert result.status == "passed", result.summary
        assert result.observed["status"] == 200
        assert result.observed["ok"] is True
        assert result.observed["json"] == {"status": "healthy", "version": "1.4.2"}
        assert result.observed["version"] == "1.4.2"
        assert result.observed["headers"]["content-type"].startswith("application/json")
        assert 0 < result.observed["latency_ms"] < 5000
        assert result.observed["latency"] == pytest.approx(result.observed["latency_ms"] / 1000, abs=1e-3)
        assert [c.rendered for c in result.conditions] == [
            "status (200) == 200",
            'json.status ("healthy") == "healthy"',
        ]
        assert result.evidence.startswith(f"> GET {base}/health")
        assert "< 200 OK" in result.evidence and '"healthy"' in result.evidence

    asyncio.run(scenario())


def test_http_failure_renders_observed_status() -> None:
    async def scenario() -> None:
        async with serve(app_with(health=broken)) as base:
            explicit = await check({"kind": "http", "url": f"{base}/health", "expect": "status == 200"})
            default = await check({"kind": "http", "url": f"{base}/health"})
        assert explicit.status == "failed"
        assert explicit.conditions[0].rendered == "status (500) == 200"
        assert explicit.summary == "status (500) == 200"
        assert explicit.observed["ok"] is False
        assert default.status == "failed"
        assert default.conditions[0].rendered == "status (500) >= 200 && status (500) < 400"

    asyncio.run(scenario())


def test_http_hanging_endpoint_times_out() -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def scenario() -> float:
        async with serve(app_with(slow=hang)) as base:
            start = time.perf_counter()
            result = await check({"kind": "http", "url": f"{base}/slow", "timeout": 0.3})
            elapsed = time.perf_counter() - start
            release.set()
        assert result.status == "error"
        assert result.message is not None and "timed out" in result.message
        assert "300ms" in result.message
        return elapsed

    elapsed = asyncio.run(scenario())
    assert 0.3 <= elapsed < 2.0


def test_http_connection_refused_is_an_error() -> None:
    port = free_port()
    result = run_one({"kind": "http", "url": f"http://127.0.0.1:{port}/health"})
    assert result.status == "error"
    assert result.message is not None
    assert f"cannot connect to 127.0.0.1:{port}" in result.message
    assert "refused" in result.message
    assert "\n" not in result.message


def test_http_unknown_host_is_an_error() -> None:
    result = run_one({"kind": "http", "url": "http://does-not-exist.invalid/health"})
    assert result.status == "error"
    assert result.message is not None
    assert "does-not-exist.invalid" in result.message and "\n" not in result.message


def test_http_retries_with_backoff_until_it_passes() -> None:
    hits: list[float] = []

    async def flaky(request: web.Request) -> web.Response:
        hits.append(time.perf_counter())
        return web.Response(status=503 if len(hits) <= 2 else 200, text="ok")

    async def scenario() -> CheckResult:
        async with serve(app_with(flaky=flaky)) as base:
            return await check(
                {
                    "kind": "http",
                    "url": f"{base}/flaky",
                    "expect": "status == 200",
                    "retries": 3,
                    "backoff": "50ms",
                }
            )

    result = asyncio.run(scenario())
    assert result.status == "passed", result.summary
    assert result.attempts == 3
    assert len(hits) == 3
    # backoff doubles: 50 ms, then 100 ms
    assert hits[1] - hits[0] >= 0.045
    assert hits[2] - hits[1] >= 0.095


def test_http_retries_exhausted_keeps_the_last_failure() -> None:
    async def scenario() -> CheckResult:
        async with serve(app_with(health=broken)) as base:
            return await check(
                {
                    "kind": "http",
                    "url": f"{base}/health",
                    "expect": "status == 200",
                    "retries": 1,
                    "backoff": "1ms",
                }
            )

    result = asyncio.run(scenario())
    assert result.status == "failed"
    assert result.attempts == 2


TOKEN = "s3cr3t-T0ken-4b9f2"
COOKIE = "c00kie-v4lue-77e1"


def test_http_redacts_authorization_and_cookies() -> None:
    async def echo(request: web.Request) -> web.Response:
        response = web.json_response(
            {"you_sent": request.headers.get("Authorization", ""), "session": COOKIE}
        )
        response.headers["Set-Cookie"] = f"session={COOKIE}; Path=/; HttpOnly"
        return response

    async def scenario() -> tuple[CheckResult, CheckContext]:
        ctx = CheckContext(env={})
        async with serve(app_with(echo=echo)) as base:
            result = await check(
                {"kind": "http", "url": f"{base}/echo", "headers": {"Authorization": f"Bearer {TOKEN}"}}, ctx
            )
        return result, ctx

    result, ctx = asyncio.run(scenario())
    assert result.status == "passed"
    everything = result.model_dump_json()
    assert TOKEN not in everything
    assert COOKIE not in everything
    assert "> Authorization: [REDACTED]" in result.evidence
    assert "< set-cookie: [REDACTED]" in result.evidence
    assert result.observed["headers"]["set-cookie"] == "[REDACTED]"
    # registered with the run's redactor: masked wherever else they would appear
    assert TOKEN not in ctx.redact.redact(f"log line with {TOKEN} inside")
    assert COOKIE not in ctx.redact.redact(f"cookie value {COOKIE}")


def test_http_interpolates_values_into_the_url() -> None:
    seen: list[str] = []

    async def release(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.Response(text="ok", headers={"X-Version": request.match_info["version"]})

    async def scenario() -> tuple[CheckResult, CheckResult]:
        app = web.Application()
        app.router.add_get("/releases/{version}/status", release)
        ctx_values = {"version": "1.2.3 beta", "env": "prod&eu"}
        async with serve(app) as base:
            url = f"{base}/releases/{{version}}/status?env={{env}}"
            good = await check(
                {"kind": "http", "url": url, "expect_version": "{version}"},
                CheckContext(env={}, values=ctx_values),
            )
            bad = await check(
                {"kind": "http", "url": url, "expect_version": "2.0.0"},
                CheckContext(env={}, values=ctx_values),
            )
        return good, bad

    good, bad = asyncio.run(scenario())
    assert seen[0] == "/releases/1.2.3%20beta/status?env=prod%26eu"
    assert good.status == "passed", good.summary
    assert good.observed["version"] == "1.2.3 beta"
    assert good.observed["expected_version"] == "1.2.3 beta"
    assert bad.status == "failed"
    assert bad.summary == 'version ("1.2.3 beta") == expected_version ("2.0.0")'


def test_http_unknown_placeholder_is_an_error() -> None:
    result = run_one(
        {"kind": "http", "url": "http://127.0.0.1:1/{nope}"}, CheckContext(env={}, values={"env": "x"})
    )
    assert result.status == "error"
    assert result.message == "no value for {nope} in the URL (values: env)"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/file", "scheme must be http or https"),
        ("example.com/health", "scheme must be http or https"),
        ("http:///health", "no host"),
        ("http://example.com:99999/", "Port out of range"),
        ("https://exa mple.com/", "whitespace"),
    ],
)
def test_http_malformed_url_is_rejected_at_load(url: str, problem: str) -> None:
    with pytest.raises(CheckSpecError) as info:
        prepare_check({"kind": "http", "url": url}, source=SOURCE)
    text = str(info.value)
    assert SOURCE in text
    assert "malformed URL" in text and problem in text


def test_http_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="either 'body' or 'json'"):
        prepare_check({"kind": "http", "url": "http://h/", "body": "x", "json": {}}, source=SOURCE)
    with pytest.raises(CheckSpecError, match="invalid HTTP method"):
        prepare_check({"kind": "http", "url": "http://h/", "method": "GE T"}, source=SOURCE)
    with pytest.raises(CheckSpecError, match="unknown field 'uri'"):
        prepare_check({"kind": "http", "url": "http://h/", "uri": "x"}, source=SOURCE)
    with pytest.raises(CheckSpecError, match="does not observe"):
        prepare_check({"kind": "http", "url": "http://h/", "expect": "stauts == 200"}, source=SOURCE)
    prepared = prepare_check({"kind": "http", "url": "http://h/{env}/", "method": "post"}, source=SOURCE)
    assert prepared.name == "POST http://h/{env}/"
    assert [c.expression for c in prepared.conditions] == ["status >= 200 && status < 400"]


def test_http_sends_method_and_json_body() -> None:
    received: list[tuple[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        received.append((request.method, await request.json()))
        return web.json_response({"ok": True}, status=201)

    async def scenario() -> CheckResult:
        async with serve(app_with(items=echo)) as base:
            return await check(
                {
                    "kind": "http",
                    "url": f"{base}/items",
                    "method": "POST",
                    "json": {"release": "{version}", "n": 1},
                    "expect": "status == 201",
                },
                CheckContext(env={}, values={"version": "9.9"}),
            )

    result = asyncio.run(scenario())
    assert result.status == "passed", result.summary
    assert received == [("POST", {"release": "9.9", "n": 1})]


def test_http_redirects_followed_or_not() -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/health")

    async def scenario() -> tuple[CheckResult, CheckResult]:
        async with serve(app_with(old=moved, health=healthy)) as base:
            followed = await check({"kind": "http", "url": f"{base}/old", "expect": "status == 200"})
            kept = await check(
                {"kind": "http", "url": f"{base}/old", "follow_redirects": False, "expect": "status == 302"}
            )
        return followed, kept

    followed, kept = asyncio.run(scenario())
    assert followed.status == "passed" and followed.observed["url"].endswith("/health")
    assert "redirected: 302" in followed.evidence
    assert kept.status == "passed" and kept.observed["headers"]["location"] == "/health"


def test_http_large_body_is_cut() -> None:
    big = "x" * (200 * 1024)

    async def large(request: web.Request) -> web.Response:
        return web.Response(text=big)

    async def scenario() -> CheckResult:
        async with serve(app_with(big=large)) as base:
            return await check({"kind": "http", "url": f"{base}/big"})

    result = asyncio.run(scenario())
    assert result.status == "passed"
    assert len(result.observed["body"]) == 64 * 1024
    assert result.observed["json"] is None
    assert len(result.evidence) < 5000


def test_http_untrusted_tls_is_an_error_unless_verification_is_off(tmp_path: Path) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)

    async def scenario() -> tuple[CheckResult, CheckResult]:
        async with serve(app_with(health=healthy), ssl_context=server) as base:
            strict = await check({"kind": "http", "url": f"{base}/health"})
            lax = await check({"kind": "http", "url": f"{base}/health", "verify_tls": False})
        return strict, lax

    strict, lax = asyncio.run(scenario())
    assert strict.status == "error"
    assert strict.message is not None and "certificate" in strict.message
    assert lax.status == "passed"


# ---------------------------------------------------------------- tls


@asynccontextmanager
async def tls_server(context: ssl.SSLContext) -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()
        with suppress(OSError, ssl.SSLError):
            await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


def server_context(ca: trustme.CA, *names: str, **dates: dt.datetime) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **dates).configure_cert(context)  # type: ignore[arg-type]
    return context


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_dir(tmp_path: Path, ca: trustme.CA) -> Path:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return tmp_path


def tls_check(context: ssl.SSLContext, ca_dir: Path | None, **fields: Any) -> CheckResult:
    async def scenario() -> CheckResult:
        async with tls_server(context) as port:
            spec: dict[str, Any] = {
                "kind": "tls",
                "host": "127.0.0.1",
                "port": port,
                "server_name": "localhost",
            }
            if ca_dir is not None:
                spec["ca_file"] = "ca.pem"
            spec.update(fields)
            return await check(spec, CheckContext(env={}, base_dir=ca_dir or Path.cwd()))

    return asyncio.run(scenario())


def test_tls_valid_certificate(ca: trustme.CA, ca_dir: Path) -> None:
    context = server_context(ca, "localhost", not_after=NOW + dt.timedelta(days=90))
    result = tls_check(context, ca_dir)
    assert result.status == "passed", result.summary
    observed = result.observed
    assert observed["days_left"] in (89, 90)
    assert observed["chain_valid"] is True
    assert observed["hostname_match"] is True
    assert observed["self_signed"] is False
    assert observed["valid"] is True
    assert observed["verify_error"] == ""
    assert observed["expires"].startswith((NOW + dt.timedelta(days=90)).date().isoformat())
    assert "trustme" in observed["issuer"]
    assert result.conditions[0].rendered == f"valid (true) && days_left ({observed['days_left']}) >= 14"
    assert "chain: trusted" in result.evidence


def test_tls_expiring_soon_fails_the_default(ca: trustme.CA, ca_dir: Path) -> None:
    context = server_context(ca, "localhost", not_after=NOW + dt.timedelta(days=5, hours=1))
    result = tls_check(context, ca_dir)
    assert result.status == "failed"
    assert result.observed["valid"] is True
    assert result.observed["days_left"] == 5
    assert result.summary == "valid (true) && days_left (5) >= 14"


def test_tls_expired_certificate_fails_with_negative_days(ca: trustme.CA, ca_dir: Path) -> None:
    context = server_context(
        ca,
        "localhost",
        not_before=NOW - dt.timedelta(days=100),
        not_after=NOW - dt.timedelta(days=2, hours=1),
    )
    result = tls_check(context, ca_dir)
    assert result.status == "failed"
    assert result.observed["days_left"] < 0
    assert result.observed["days_left"] == -3
    assert result.observed["valid"] is False
    assert result.observed["chain_valid"] is True  # trusted issuer; the dates are what is wrong
    assert result.observed["hostname_match"] is True


def test_tls_not_yet_valid_certificate_fails(ca: trustme.CA, ca_dir: Path) -> None:
    context = server_context(
        ca, "localhost", not_before=NOW + dt.timedelta(days=3), not_after=NOW + dt.timedelta(days=400)
    )
    result = tls_check(context, ca_dir)
    assert result.status == "failed"
    assert result.observed["valid"] is False
    assert result.observed["days_left"] >= 399
    assert result.observed["not_before"] > NOW.isoformat()


def test_tls_wrong_host_fails(ca: trustme.CA, ca_dir: Path) -> None:
    context = server_context(ca, "other.example.com", not_after=NOW + dt.timedelta(days=90))
    result = tls_check(context, ca_dir)
    assert result.status == "failed"
    assert result.observed["hostname_match"] is False
    assert result.observed["chain_valid"] is True
    assert result.observed["valid"] is False
    assert "localhost is not among the certificate's names" in result.evidence


def test_tls_self_signed_certificate(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    result = tls_check(context, None)
    assert result.status == "failed"
    assert result.observed["self_signed"] is True
    assert result.observed["chain_valid"] is False
    assert "self" in result.observed["verify_error"] and "signed" in result.observed["verify_error"]
    assert result.observed["hostname_match"] is True
    assert result.observed["valid"] is False


def test_tls_unknown_issuer_without_ca_file(ca: trustme.CA) -> None:
    context = server_context(ca, "localhost", not_after=NOW + dt.timedelta(days=90))
    result = tls_check(context, None)
    assert result.status == "failed"
    assert result.observed["chain_valid"] is False
    assert result.observed["self_signed"] is False
    assert "issuer" in result.observed["verify_error"]


def test_tls_unreachable_is_an_error() -> None:
    port = free_port()
    result = run_one({"kind": "tls", "host": "127.0.0.1", "port": port})
    assert result.status == "error"
    assert result.message == f"cannot connect to 127.0.0.1:{port}: connection refused"


def test_tls_plain_http_server_is_an_error() -> None:
    async def scenario() -> CheckResult:
        async with serve(app_with(health=healthy)) as base:
            port = int(base.rsplit(":", 1)[1])
            return await check({"kind": "tls", "host": "127.0.0.1", "port": port, "timeout": 2})

    result = asyncio.run(scenario())
    assert result.status == "error"
    assert result.message is not None and "TLS handshake with 127.0.0.1" in result.message


def test_tls_missing_ca_file_is_an_error(tmp_path: Path) -> None:
    result = run_one(
        {"kind": "tls", "host": "127.0.0.1", "port": free_port(), "ca_file": "nope.pem"},
        CheckContext(env={}, base_dir=tmp_path),
    )
    assert result.status == "error"
    assert result.message is not None and "cannot use ca_file" in result.message
    assert str(tmp_path / "nope.pem") in result.message


def test_tls_hostname_matching(ca: trustme.CA) -> None:
    from cryptography import x509

    leaf = ca.issue_cert("*.example.com", "api.test", "10.0.0.5")
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    assert _hostname_match(cert, "www.example.com")
    assert _hostname_match(cert, "WWW.Example.COM.")
    assert not _hostname_match(cert, "example.com")
    assert not _hostname_match(cert, "a.b.example.com")
    assert _hostname_match(cert, "api.test")
    assert _hostname_match(cert, "10.0.0.5")
    assert not _hostname_match(cert, "10.0.0.6")


# ---------------------------------------------------------------- dns


def test_dns_localhost_resolves() -> None:
    result = run_one({"kind": "dns", "host": "localhost"})
    assert result.status == "passed", result.summary
    assert result.observed["resolves"] is True
    assert "127.0.0.1" in result.observed["addresses"]
    assert result.conditions[0].rendered == "resolves (true)"


def test_dns_unresolvable_name_fails_not_errors() -> None:
    result = run_one({"kind": "dns", "host": "does-not-exist.invalid"})
    assert result.status == "failed"
    assert result.observed["resolves"] is False
    assert result.observed["addresses"] == []
    assert "does not resolve" in result.evidence


def test_dns_expected_addresses() -> None:
    good = run_one({"kind": "dns", "name": "localhost", "record": "a", "expect_addresses": ["127.0.0.1"]})
    bad = run_one({"kind": "dns", "host": "localhost", "record": "A", "expect_addresses": ["10.0.0.1"]})
    assert good.status == "passed", good.summary
    assert good.observed["addresses"] == ["127.0.0.1"]
    assert bad.status == "failed"
    assert bad.observed["unexpected_addresses"] == ["127.0.0.1"]
    assert bad.observed["missing_addresses"] == ["10.0.0.1"]
    assert "unexpected_addresses" in bad.summary


def test_dns_spec_validation() -> None:
    with pytest.raises(CheckSpecError, match="is not an IP address"):
        prepare_check({"kind": "dns", "host": "localhost", "expect_addresses": ["nope"]}, source=SOURCE)
    with pytest.raises(CheckSpecError, match="missing required field 'host'"):
        prepare_check({"kind": "dns", "name": "API resolves"}, source=SOURCE)
    with pytest.raises(CheckSpecError, match="record"):
        prepare_check({"kind": "dns", "host": "localhost", "record": "MX"}, source=SOURCE)
    prepared = prepare_check(
        {"kind": "dns", "name": "API resolves", "host": "api.example.com"}, source=SOURCE
    )
    assert prepared.name == "API resolves"
