"""dns: a name resolves (to the addresses it should).

    checks:
      - {kind: dns, host: api.example.com}
      - {kind: dns, host: api.example.com, record: A, expect_addresses: [203.0.113.10, 203.0.113.11]}

Fields: ``host`` (the name to resolve; a check that gives only ``name`` and a
``name`` that looks like a host name resolves that name), ``record`` (``A`` or
``AAAA``; both when not given), ``expect_addresses``.

Resolution goes through the system resolver (``getaddrinfo``: /etc/hosts, then
DNS), as the service's clients would. Observes ``resolves`` (bool),
``addresses`` (sorted, de-duplicated), ``unexpected_addresses`` (resolved but
not in ``expect_addresses``) and ``missing_addresses`` (expected but not
resolved). With ``expect_addresses`` the check also requires
``unexpected_addresses == []``: the name points only at the expected addresses
(a resolver may return fewer of them; add ``missing_addresses == []`` to demand
all).

A name that does not exist is a failed check (``resolves`` false); a resolver
that cannot answer (temporary failure) is an error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

__all__ = ["KIND", "DnsKind", "DnsSpec"]

DEFAULT_EXPECT = ("resolves",)
ADDRESSES_CONDITION = "unexpected_addresses == []"
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)
_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_NOT_FOUND.add(getattr(socket, "EAI_ADDRFAMILY", socket.EAI_NONAME))
_FAMILIES = {None: socket.AF_UNSPEC, "A": socket.AF_INET, "AAAA": socket.AF_INET6}


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOSTNAME.match(value))
    return True


class DnsSpec(KindSpec):
    kind: Literal["dns"]
    host: str
    record: Literal["A", "AAAA"] | None = None
    expect_addresses: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_as_host(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and "host" not in data
            and isinstance(data.get("name"), str)
            and _is_host(data["name"].strip())
        ):
            data = {**data, "host": data["name"].strip()}
        return data

    @field_validator("host")
    @classmethod
    def _valid_host(cls, value: str) -> str:
        value = value.strip()
        if not _is_host(value):
            raise ValueError(f"{value!r} is not a host name")
        return value

    @field_validator("record", mode="before")
    @classmethod
    def _upper_record(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("expect_addresses")
    @classmethod
    def _valid_addresses(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = []
        for text in value:
            try:
                out.append(str(ipaddress.ip_address(text.strip())))
            except ValueError:
                raise ValueError(f"{text!r} is not an IP address") from None
        return out

    @model_validator(mode="after")
    def _addresses_condition(self) -> DnsSpec:
        if self.expect_addresses is not None and ADDRESSES_CONDITION not in self.expect:
            self.expect = [*(self.expect or DEFAULT_EXPECT), ADDRESSES_CONDITION]
        return self


class DnsKind(CheckKind):
    name: ClassVar[str] = "dns"
    spec: ClassVar[type[KindSpec]] = DnsSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {"resolves", "addresses", "unexpected_addresses", "missing_addresses"}
    )
    default_expect: ClassVar[tuple[str, ...]] = DEFAULT_EXPECT

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, DnsSpec)
        if spec.name and spec.name != spec.host:
            return spec.name
        return f"dns {spec.host}" + (f" {spec.record}" if spec.record else "")

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, DnsSpec)
        loop = asyncio.get_running_loop()
        what = f"{spec.host} ({spec.record or 'A+AAAA'})"
        try:
            infos = await loop.getaddrinfo(
                spec.host, None, family=_FAMILIES[spec.record], type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            if exc.errno not in _NOT_FOUND:
                raise MeasurementError(f"cannot resolve {what}: {exc.strerror or exc}") from None
            reason = exc.strerror or str(exc)
            addresses: list[str] = []
        else:
            reason = ""
            addresses = sorted(
                {str(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos},
                key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)),
            )
        expected = spec.expect_addresses or []
        unexpected = [a for a in addresses if a not in expected] if spec.expect_addresses is not None else []
        missing = [a for a in expected if a not in addresses]
        if addresses:
            evidence = f"{what} resolves to {', '.join(addresses)}"
        else:
            evidence = f"{what} does not resolve: {reason or 'no addresses'}"
        if spec.expect_addresses is not None:
            evidence += f"\nexpected: {', '.join(expected) or '(none)'}"
        return Observation(
            values={
                "resolves": bool(addresses),
                "addresses": addresses,
                "unexpected_addresses": unexpected,
                "missing_addresses": missing,
            },
            evidence=evidence,
        )


KIND = DnsKind()
