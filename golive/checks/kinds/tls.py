"""tls: a server's certificate is trusted, names the host and is not about to expire.

    checks:
      - kind: tls
        host: api.example.com
        expect: ["valid", "days_left >= 30"]
      - {kind: tls, host: 10.0.0.5, port: 8443, server_name: internal.example.com, ca_file: certs/ca.pem}

Fields: ``host``, ``port`` (443), ``server_name`` (SNI and the name the
certificate must carry; default ``host``), ``ca_file`` (an extra trust anchor
besides the system's, relative to the runbook's folder).

Observes ``days_left`` (whole days until notAfter, rounded down: negative once
expired), ``expires`` and ``not_before`` (ISO 8601, UTC), ``issuer`` and
``subject`` (RFC 4514), ``hostname_match`` (a subjectAltName DNS name, with a
leftmost-label wildcard, or IP address matches ``server_name``; the common name
is not used, as browsers do), ``chain_valid`` (the chain the server sent leads to
a trusted anchor; dates are left to ``valid`` and ``days_left``),
``self_signed``, ``verify_error`` (OpenSSL's reason when the chain is not valid,
else "") and ``valid`` (``chain_valid && hostname_match`` and now within the
validity period).

An expired, not-yet-valid, self-signed or wrongly named certificate is a failed
check with these facts: golive reads the certificate over a handshake that does
not verify when the verifying one is refused. A host that does not answer or
does not speak TLS is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import os
import ssl
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from golive.checks.errors import MeasurementError
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

    from golive.checks.context import CheckContext

__all__ = ["KIND", "TlsKind", "TlsSpec"]

_NO_CHECK_TIME = 0x200000
"""OpenSSL's X509_V_FLAG_NO_CHECK_TIME: the chain is judged apart from the dates."""
_SHUTDOWN_TIMEOUT = 2.0


class TlsSpec(KindSpec):
    kind: Literal["tls"]
    host: str = Field(min_length=1)
    port: int = Field(default=443, ge=1, le=65535)
    server_name: str | None = None
    ca_file: str | None = None


@lru_cache(maxsize=32)
def _verifying_context(ca_file: str | None, _mtime: float) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False  # judged separately: hostname_match
    context.verify_flags |= _NO_CHECK_TIME  # judged separately: days_left, valid
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context


def _reading_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _handshake(host: str, port: int, context: ssl.SSLContext, server_name: str) -> bytes:
    """Connect, complete a TLS handshake and return the peer's certificate (DER)."""
    _reader, writer = await asyncio.open_connection(
        host,
        port,
        ssl=context,
        server_hostname=server_name,
        ssl_shutdown_timeout=_SHUTDOWN_TIMEOUT,
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    if not der:
        raise MeasurementError(f"{host}:{port} sent no certificate")
    return bytes(der)


def _hostname_match(cert: Certificate, server_name: str) -> bool:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    wanted = server_name.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(wanted.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return address in san.get_values_for_type(x509.IPAddress)
    try:
        wanted = wanted.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    for name in san.get_values_for_type(x509.DNSName):
        pattern = name.rstrip(".").lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "*" not in pattern[2:]:
            label, _, rest = wanted.partition(".")
            if label and rest and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def _self_signed(cert: Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # InvalidSignature, ValueError, TypeError: not self-signed
        return False
    return True


class TlsKind(CheckKind):
    name: ClassVar[str] = "tls"
    spec: ClassVar[type[KindSpec]] = TlsSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {
            "days_left",
            "expires",
            "not_before",
            "issuer",
            "subject",
            "hostname_match",
            "chain_valid",
            "self_signed",
            "verify_error",
            "valid",
        }
    )
    default_expect: ClassVar[tuple[str, ...]] = ("valid && days_left >= 14",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, TlsSpec)
        return spec.name or f"tls {spec.host}:{spec.port}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, TlsSpec)
        from cryptography import x509

        server_name = spec.server_name or spec.host
        where = f"{spec.host}:{spec.port}"
        ca_file: str | None = None
        if spec.ca_file:
            path = ctx.resolve_path(spec.ca_file)
            try:
                mtime = path.stat().st_mtime
                verifying = _verifying_context(str(path), mtime)
            except (OSError, ssl.SSLError) as exc:
                raise MeasurementError(f"cannot use ca_file {path}: {_reason(exc)}") from None
            ca_file = str(path)
        else:
            verifying = _verifying_context(None, 0.0)

        verify_error = ""
        try:
            der = await _handshake(spec.host, spec.port, verifying, server_name)
        except ssl.SSLCertVerificationError as exc:
            verify_error = exc.verify_message or _reason(exc)
            try:
                der = await _handshake(spec.host, spec.port, _reading_context(), server_name)
            except (OSError, ssl.SSLError) as again:
                raise MeasurementError(f"TLS handshake with {where} failed: {_reason(again)}") from None
        except ssl.SSLError as exc:
            raise MeasurementError(f"TLS handshake with {where} failed: {_reason(exc)}") from None
        except OSError as exc:
            raise MeasurementError(f"cannot connect to {where}: {_reason(exc)}") from None

        cert = x509.load_der_x509_certificate(der)
        now = ctx.now()
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
        days_left = math.floor((not_after - now).total_seconds() / 86400)
        in_period = not_before <= now <= not_after
        chain_valid = not verify_error
        hostname_match = _hostname_match(cert, server_name)
        self_signed = _self_signed(cert)
        values: dict[str, Any] = {
            "days_left": days_left,
            "expires": not_after.isoformat(),
            "not_before": not_before.isoformat(),
            "issuer": cert.issuer.rfc4514_string(),
            "subject": cert.subject.rfc4514_string(),
            "hostname_match": hostname_match,
            "chain_valid": chain_valid,
            "self_signed": self_signed,
            "verify_error": verify_error,
            "valid": chain_valid and hostname_match and in_period,
        }
        evidence = [
            f"TLS {where} (server name {server_name})",
            f"subject: {values['subject']}",
            f"issuer: {values['issuer']}",
            f"names: {', '.join(_names(cert)) or '(no subjectAltName)'}",
            f"valid from {values['not_before']} to {values['expires']} ({days_left} days left)",
            f"chain: {'trusted' if chain_valid else 'NOT trusted: ' + verify_error}"
            + (f" (with ca_file {ca_file})" if ca_file else ""),
        ]
        if not hostname_match:
            evidence.append(f"hostname: {server_name} is not among the certificate's names")
        if self_signed:
            evidence.append("self-signed")
        return Observation(values=values, evidence="\n".join(evidence))


def _names(cert: Certificate) -> list[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        *san.get_values_for_type(x509.DNSName),
        *(str(a) for a in san.get_values_for_type(x509.IPAddress)),
    ]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        text = exc.reason or exc.strerror or str(exc)
        return str(text).replace("_", " ").lower()
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    return " ".join(str(exc).split()) or exc.__class__.__name__


KIND = TlsKind()
