"""http: an HTTP(S) endpoint answers as it should.

    checks:
      - kind: http
        url: https://api.example.com/health?build={version}
        headers: {Authorization: "Bearer ${API_TOKEN}"}
        expect_version: "{version}"
        expect: ['status == 200', 'json.status == "healthy"', "latency < 300ms"]

Fields: ``url`` (http or https with a host; checked when the runbook is
loaded), ``method`` (GET), ``headers``, ``body`` (text) or ``json`` (any value,
sent as JSON), ``expect_version``, ``follow_redirects`` (true), ``verify_tls``
(true). ``{version}``, ``{env}``, … are filled in from the release's values: in
the URL URL-quoted, in headers, body, JSON strings and ``expect_version`` as they
are.

Observes ``status`` (int), ``ok`` (2xx or 3xx), ``latency`` (duration, request
sent to body read), ``latency_ms``, ``headers`` (lower-case names; several
values joined with ", "), ``body`` (the first 64 KiB, decoded, undecodable bytes
replaced), ``json`` (the parsed body, null when it is not JSON), ``url`` (after
redirects), ``version`` and ``expected_version``.

``version`` is the top-level ``version`` field of a JSON object body when it has
one, otherwise the ``X-Version`` response header, otherwise null. With
``expect_version`` the check also requires ``version == expected_version`` (added
to ``expect``, or to the default ``status >= 200 && status < 400``).

Connection refused, an unknown host and a TLS failure are errors (could not
measure), never a failed check. Secrets in request headers (Authorization,
Cookie, names like ``X-Api-Key``) and cookies the server sets are registered with
the redactor and masked in evidence and in ``headers``.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, field_validator, model_validator

from golive.checks.errors import MeasurementError
from golive.checks.redact import MASK, is_secret_name
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

if TYPE_CHECKING:
    import aiohttp

    from golive.checks.context import CheckContext
    from golive.checks.redact import Redactor

__all__ = ["KIND", "HttpKind", "HttpSpec"]

DEFAULT_EXPECT = ("status >= 200 && status < 400",)
VERSION_CONDITION = "version == expected_version"
READ_LIMIT = 1024 * 1024
"""At most this much of a body is read (and parsed as JSON)."""
BODY_LIMIT = 64 * 1024
"""``body`` holds the first 64 KiB."""
EVIDENCE_BODY = 1500
"""Characters of the body shown in evidence."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_METHOD = re.compile(r"^[A-Z][A-Z-]*$")
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "set-cookie2",
        "x-api-key",
        "x-auth-token",
    }
)


class HttpSpec(KindSpec):
    kind: Literal["http"]
    url: str = Field(min_length=1)
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    json_body: Any = Field(default=None, alias="json")
    expect_version: str | None = None
    follow_redirects: bool = True
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        value = value.strip()
        # placeholders are filled in at run time; check the shape around them
        probe = _PLACEHOLDER.sub("x", value)
        problem = None
        try:
            parts = urlsplit(probe)
            if parts.scheme.lower() not in ("http", "https"):
                problem = "the scheme must be http or https"
            elif not parts.hostname:
                problem = "no host"
            elif any(ch.isspace() for ch in probe):
                problem = "it contains whitespace"
            elif "{" not in urlsplit(value).netloc:
                _ = parts.port  # raises ValueError for a port that is not a number in range
        except ValueError as exc:
            problem = str(exc)
        if problem:
            raise ValueError(f"malformed URL {value!r}: {problem}")
        return value

    @field_validator("method")
    @classmethod
    def _valid_method(cls, value: str) -> str:
        method = value.strip().upper()
        if not _METHOD.match(method):
            raise ValueError(f"invalid HTTP method {value!r}")
        return method

    @model_validator(mode="after")
    def _body_and_version(self) -> HttpSpec:
        if self.body is not None and "json_body" in self.model_fields_set:
            raise ValueError("give either 'body' or 'json', not both")
        if self.expect_version is not None and VERSION_CONDITION not in self.expect:
            self.expect = [*(self.expect or DEFAULT_EXPECT), VERSION_CONDITION]
        return self


def _fill(text: str, values: dict[str, str], *, quoted: bool) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            if quoted:
                known = ", ".join(sorted(values)) or "none"
                raise MeasurementError(f"no value for {{{key}}} in the URL (values: {known})")
            return match.group(0)
        value = str(values[key])
        return quote(value, safe="") if quoted else value

    return _PLACEHOLDER.sub(one, text) if "{" in text else text


def _fill_json(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _fill(value, values, quoted=False)
    if isinstance(value, dict):
        return {k: _fill_json(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_json(v, values) for v in value]
    return value


def _register_secret(redactor: Redactor, name: str, value: str) -> None:
    """Remember a header's secret value (and its parts) so it is masked everywhere."""
    redactor.add_secret(value)
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization"):
        _scheme, _, credentials = value.partition(" ")
        redactor.add_secret(credentials.strip())
    elif lower in ("cookie", "set-cookie", "set-cookie2"):
        pairs = value.split(";") if lower == "cookie" else value.split(";", 1)[:1]
        for pair in pairs:
            _key, _, cookie = pair.partition("=")
            redactor.add_secret(cookie.strip().strip('"'))


def _is_secret_header(name: str) -> bool:
    return name.lower() in _SECRET_HEADERS or is_secret_name(name)


def _decode(data: bytes, charset: str | None) -> str:
    encoding = "utf-8"
    if charset:
        with contextlib.suppress(LookupError):
            encoding = codecs.lookup(charset).name
    return data.decode(encoding, errors="replace")


async def _read(response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
    """At most READ_LIMIT bytes of the body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    while size < READ_LIMIT:
        chunk = await response.content.read(READ_LIMIT - size)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), not response.content.at_eof()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _os_reason(error: OSError) -> str:
    if error.errno:
        return os.strerror(error.errno).lower()
    return (error.strerror or str(error) or error.__class__.__name__).lower()


def _failure(exc: Exception, url: str) -> MeasurementError:
    """A one-line reason for a request that got no HTTP response."""
    import aiohttp

    reason: str
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert_error = exc.certificate_error
        detail = getattr(cert_error, "verify_message", None) or str(cert_error)
        reason = f"TLS certificate of {exc.host}:{exc.port} not accepted: {detail}"
    elif isinstance(exc, aiohttp.ClientSSLError):
        reason = (
            f"TLS handshake with {exc.host}:{exc.port} failed: {getattr(exc.os_error, 'reason', None) or exc}"
        )
    elif isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = f"cannot resolve host {exc.host}: {exc.os_error.strerror or exc.os_error}"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        reason = f"cannot connect to {exc.host}:{exc.port}: {_os_reason(exc.os_error)}"
    elif isinstance(exc, aiohttp.TooManyRedirects):
        reason = f"too many redirects from {url}"
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        reason = f"{url}: the server closed the connection without a response"
    elif isinstance(exc, aiohttp.ClientResponseError):
        reason = f"{url}: bad HTTP response: {exc.message}"
    elif isinstance(exc, aiohttp.ClientPayloadError):
        reason = f"{url}: the response body broke off: {exc}"
    elif isinstance(exc, aiohttp.InvalidURL):
        reason = f"invalid URL {url}"
    else:
        reason = f"{url}: {exc.__class__.__name__}: {exc}" if str(exc) else f"{url}: {exc.__class__.__name__}"
    return MeasurementError(_one_line(reason))


class HttpKind(CheckKind):
    name: ClassVar[str] = "http"
    spec: ClassVar[type[KindSpec]] = HttpSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {
            "status",
            "ok",
            "latency",
            "latency_ms",
            "headers",
            "body",
            "json",
            "url",
            "version",
            "expected_version",
        }
    )
    default_expect: ClassVar[tuple[str, ...]] = DEFAULT_EXPECT

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, HttpSpec)
        return spec.name or f"{spec.method} {spec.url}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, HttpSpec)
        import aiohttp

        values = ctx.values
        url = _fill(spec.url, values, quoted=True)
        headers = {k: _fill(v, values, quoted=False) for k, v in spec.headers.items()}
        redactor = ctx.redact
        for key, value in headers.items():
            if _is_secret_header(key):
                _register_secret(redactor, key, value)
        kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": spec.follow_redirects}
        if not spec.verify_tls:
            kwargs["ssl"] = False
        if spec.body is not None:
            kwargs["data"] = _fill(spec.body, values, quoted=False)
        elif "json_body" in spec.model_fields_set:
            kwargs["json"] = _fill_json(spec.json_body, values)

        session = await ctx.http()
        start = time.perf_counter()
        try:
            async with session.request(spec.method, url, **kwargs) as response:
                data, truncated = await _read(response)
                elapsed = time.perf_counter() - start
                status = response.status
                reason = response.reason or ""
                final_url = str(response.url)
                charset = response.charset
                raw_headers = response.headers
                history = [(r.status, str(r.url)) for r in response.history]
        except aiohttp.ClientError as exc:
            raise _failure(exc, url) from None

        observed_headers: dict[str, str] = {}
        for key, value in raw_headers.items():
            name = key.lower()
            shown = value
            if name in _SECRET_HEADERS:
                _register_secret(redactor, name, value)
                shown = MASK
            observed_headers[name] = (
                f"{observed_headers[name]}, {shown}" if name in observed_headers else shown
            )

        text = _decode(data, charset)
        parsed: Any = None
        if not truncated and data:
            stripped = text.lstrip()
            if stripped[:1] in ("{", "[") or "json" in observed_headers.get("content-type", ""):
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = None
        body = text if len(data) <= BODY_LIMIT else _decode(data[:BODY_LIMIT], charset)

        version: str | None = None
        if isinstance(parsed, dict) and parsed.get("version") is not None:
            version = str(parsed["version"])
        elif "x-version" in observed_headers:
            version = observed_headers["x-version"]
        expected = (
            _fill(spec.expect_version, values, quoted=False) if spec.expect_version is not None else None
        )

        latency = timedelta(seconds=elapsed)
        evidence = _evidence(
            spec.method, url, headers, history, status, reason, elapsed, observed_headers, text
        )
        if truncated:
            evidence += f"\n… [body longer than {READ_LIMIT} bytes; read the first {READ_LIMIT}]"
        return Observation(
            values={
                "status": status,
                "ok": 200 <= status < 400,
                "latency": latency,
                "latency_ms": round(elapsed * 1000, 3),
                "headers": observed_headers,
                "body": body,
                "json": parsed,
                "url": final_url,
                "version": version,
                "expected_version": expected,
            },
            evidence=evidence,
        )


def _evidence(
    method: str,
    url: str,
    request_headers: dict[str, str],
    history: list[tuple[int, str]],
    status: int,
    reason: str,
    elapsed: float,
    response_headers: dict[str, str],
    text: str,
) -> str:
    lines = [f"> {method} {url}"]
    lines.extend(f"> {k}: {MASK if _is_secret_header(k) else v}" for k, v in request_headers.items())
    lines.extend(f"  redirected: {code} {where}" for code, where in history)
    lines.append(f"< {status} {reason} ({elapsed * 1000:.1f} ms)".replace("  (", " ("))
    lines.extend(f"< {k}: {v}" for k, v in response_headers.items())
    if text:
        shown = text[:EVIDENCE_BODY]
        lines.append("")
        lines.append(shown)
        if len(text) > EVIDENCE_BODY:
            lines.append(f"… [{len(text) - EVIDENCE_BODY} more characters]")
    return "\n".join(lines)


KIND = HttpKind()
