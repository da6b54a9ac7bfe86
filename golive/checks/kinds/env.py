"""env: configuration variables are set, non-empty and real (not a placeholder).

    checks:
      - {kind: env, names: [STRIPE_SECRET_KEY], pattern: "^sk_live_"}
      - {kind: env, names: [DATABASE_URL, SENTRY_DSN]}

Values are never printed or stored: observations and evidence name variables
only, and every value is registered as a secret with the check context's
redactor, so it is masked wherever else it shows up (``secret: false`` skips
that for harmless settings such as ``APP_ENV``; their values are still not shown).

``pattern`` is a regular expression each set, non-empty value must contain a
match of (``re.search``: anchor it with ``^``/``$`` to match the whole value).
A value is a placeholder when it matches one of the built-in patterns
(``sk_your_key``, ``whsec_your_secret``, ``your-domain``, ``changeme``,
``<token>``, ``xxx``, ``TODO``, ``example.com``, ``[...]``) or of
``placeholders`` (extra regexes; ``default_placeholders: false`` drops the
built-in ones).

Observes ``present`` (all set), ``non_empty`` (all set and non-empty),
``not_placeholder``, ``matches`` (all set values match ``pattern``; true without
one), the name lists ``missing``, ``empty``, ``placeholder``, ``mismatched``,
and ``ok`` (all four). Default condition: ``ok``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from golive.checks.context import CheckContext
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

__all__ = ["DEFAULT_PLACEHOLDERS", "KIND", "EnvKind", "EnvSpec"]

DEFAULT_PLACEHOLDERS = (
    r"(?i)(?:^|[^a-z0-9])your[_-]",  # sk_your_key, whsec_your_secret, your-domain, your_api_key
    r"(?i)change[_-]?me|replace[_-]?me",
    r"<[^<>]+>",  # <token>, https://<host>/
    r"(?:^|[^A-Za-z0-9])(?:x{3,}|X{3,})(?:$|[^A-Za-z0-9])",  # xxx, sk_live_xxxxxxxx
    r"\b(?:TODO|TBD|FIXME)\b",
    r"(?i)\bexample\.(?:com|org|net)\b",
    r"\[\s*(?:\.\.\.|…)\s*\]",  # [...]
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value


class EnvSpec(KindSpec):
    kind: Literal["env"]
    names: list[str] = Field(min_length=1)
    pattern: str | None = None
    placeholders: list[str] = Field(default_factory=list)
    default_placeholders: bool = True
    secret: bool = True

    @field_validator("names")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return list(dict.fromkeys(names))

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else _valid_regex(value)

    @field_validator("placeholders")
    @classmethod
    def _placeholders(cls, values: list[str]) -> list[str]:
        return [_valid_regex(v) for v in values]


class EnvKind(CheckKind):
    name: ClassVar[str] = "env"
    spec: ClassVar[type[KindSpec]] = EnvSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {
            "present",
            "non_empty",
            "not_placeholder",
            "matches",
            "missing",
            "empty",
            "placeholder",
            "mismatched",
            "ok",
        }
    )
    default_expect: ClassVar[tuple[str, ...]] = ("ok",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, EnvSpec)
        return spec.name or "env " + ", ".join(spec.names)

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, EnvSpec)
        sources = [*(DEFAULT_PLACEHOLDERS if spec.default_placeholders else ()), *spec.placeholders]
        placeholders = [re.compile(p) for p in sources]
        pattern = re.compile(spec.pattern) if spec.pattern is not None else None
        missing: list[str] = []
        empty: list[str] = []
        placeholder: list[str] = []
        mismatched: list[str] = []
        states: list[str] = []
        for name in spec.names:
            value = ctx.env.get(name)
            if value is None:
                missing.append(name)
                states.append(f"{name}: missing")
                continue
            if spec.secret:
                ctx.redact.add_secret(value)
                ctx.redact.add_secret(value.strip())
            if not value.strip():
                empty.append(name)
                states.append(f"{name}: empty")
                continue
            notes: list[str] = []
            if any(p.search(value) for p in placeholders):
                placeholder.append(name)
                notes.append("looks like a placeholder")
            if pattern is not None and not pattern.search(value):
                mismatched.append(name)
                notes.append("does not match the pattern")
            states.append(f"{name}: set" + (f", {', '.join(notes)}" if notes else ""))
        values: dict[str, Any] = {
            "present": not missing,
            "non_empty": not missing and not empty,
            "not_placeholder": not placeholder,
            "matches": not mismatched,
            "missing": missing,
            "empty": empty,
            "placeholder": placeholder,
            "mismatched": mismatched,
        }
        values["ok"] = bool(
            values["present"] and values["non_empty"] and values["not_placeholder"] and values["matches"]
        )
        if pattern is not None:
            states.append(f"pattern: {spec.pattern}")
        # names and states only: no value reaches the evidence
        return Observation(values=values, evidence="\n".join(states))


KIND = EnvKind()
