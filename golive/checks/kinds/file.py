"""file: a file exists, is fresh enough and big enough.

    checks:
      - {kind: file, path: "/backups/db-{version}.dump", max_age: 2h, min_size: 10MB}

``path`` is resolved against the runbook's folder; ``{version}``, ``{env}``, …
are replaced by the release's values (verbatim: no shell is involved).

Observes ``exists``, ``is_file``, ``size`` (bytes; also as ``size_bytes``, the
name to use in conditions, where ``size`` is CEL's ``size()`` function), ``age``
(time since the last modification, whole seconds) and ``modified`` (ISO 8601,
UTC).

Default conditions, built from the spec: ``exists`` when the check states no
``expect``, plus ``age <= <max_age>`` when ``max_age`` is given and
``size_bytes >= <min_size>`` when ``min_size`` is given (these two are added to
stated conditions too: a field that is written down is always checked). A
failing one renders with the observed value: ``age (3h) <= 2h``.

A missing file is a *failed* check, not an error: only ``exists`` and
``is_file`` (both false) are observed, conditions that need more (``age``,
``size_bytes``) make the check fail with "no such file", and ``!exists`` passes.

Sizes are bytes or a number with a unit: ``KB``/``MB``/``GB``/``TB`` (and
``K``/``M``/``G``/``T``) are powers of 1000, ``KiB``/``MiB``/``GiB``/``TiB``
(and ``Ki``/``Mi``/``Gi``/``Ti``) powers of 1024.
"""

from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from golive.checks.conditions import compile_condition, evaluate
from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec
from golive.durations import format_duration
from golive.runbook.model import Offset

__all__ = ["KIND", "FileKind", "FileSpec", "Size", "format_size", "interpolate", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}
_BINARY = {"ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


def parse_size(value: object) -> int:
    """Bytes from ``1048576``, ``"10MB"``, ``"1.5 GiB"``, ``"512k"``, ``"100 B"``."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as 1048576, '10MB' or '1MiB', not a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    if isinstance(value, float) and value >= 0 and value.is_integer():
        return int(value)
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            unit = (match.group(2) or "").lower()
            factor = _BINARY.get(unit) or _UNITS[unit]
            return int(float(match.group(1)) * factor)
    raise ValueError(f"expected a size such as 1048576, '10MB' or '1MiB', got {value!r}")


def format_size(size: int) -> str:
    """``10485760`` -> ``10 MiB``; exact byte counts below 1 KiB."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024:
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}".replace(".0 ", " ")
        amount /= 1024
    return f"{amount:.1f} TiB".replace(".0 ", " ")


Size = Annotated[int, BeforeValidator(parse_size)]
"""A byte count, written ``1048576``, ``10MB`` or ``1MiB``."""

_PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")
REQUIRED_VALUES = frozenset({"version", "env", "weight", "component"})
"""Placeholders a runbook may use that must have a value when the check runs."""


def interpolate(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` by ``values[name]`` verbatim (for argv items and paths,
    where no shell reads the result). ``{name}`` without a value is kept as
    written (``awk '{print}'``), except the release's own names
    (:data:`REQUIRED_VALUES`), which raise MeasurementError."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return str(values[name])
        if name in REQUIRED_VALUES:
            raise MeasurementError(f"no value for {{{name}}} (it is set by a release)")
        return match.group(0)

    return _PLACEHOLDER.sub(replace, text)


class FileSpec(KindSpec):
    kind: Literal["file"]
    path: str = Field(min_length=1)
    max_age: Offset | None = None
    min_size: Size | None = None

    @model_validator(mode="after")
    def _default_conditions(self) -> FileSpec:
        expect = list(self.expect) or ["exists"]
        if self.max_age is not None:
            if self.max_age <= timedelta(0):
                raise ValueError("max_age must be positive")
            expect.append(f"age <= {format_duration(self.max_age)}")
        if self.min_size is not None:
            expect.append(f"size_bytes >= {self.min_size}")
        self.expect = list(dict.fromkeys(expect))
        return self


class FileKind(CheckKind):
    name: ClassVar[str] = "file"
    spec: ClassVar[type[KindSpec]] = FileSpec
    observes: ClassVar[frozenset[str]] = frozenset(
        {"exists", "is_file", "size", "size_bytes", "age", "modified"}
    )
    default_expect: ClassVar[tuple[str, ...]] = ("exists",)
    """Only a fallback: :class:`FileSpec` builds its conditions itself (see the module)."""

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, FileSpec)
        return spec.name or f"file {spec.path}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, FileSpec)
        path = ctx.resolve_path(interpolate(spec.path, ctx.values))
        try:
            info = path.stat()
        except FileNotFoundError:
            return _missing(spec, str(path))
        except NotADirectoryError:
            return _missing(spec, str(path))
        except OSError as exc:
            raise MeasurementError(f"cannot read {path}: {exc.strerror or exc}") from None
        modified = datetime.fromtimestamp(info.st_mtime, UTC)
        age = timedelta(seconds=int((ctx.now() - modified).total_seconds()))
        is_file = stat.S_ISREG(info.st_mode)
        values: dict[str, Any] = {
            "exists": True,
            "is_file": is_file,
            "size": info.st_size,
            "size_bytes": info.st_size,
            "age": age,
            "modified": modified.isoformat(timespec="seconds"),
        }
        what = "file" if is_file else "directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        evidence = (
            f"{path}: {what}, {format_size(info.st_size)} ({info.st_size} bytes), "
            f"modified {values['modified']} ({format_duration(age)} ago)"
        )
        return Observation(values=values, evidence=evidence)


def _missing(spec: FileSpec, path: str) -> Observation:
    values: dict[str, Any] = {"exists": False, "is_file": False}
    evidence = f"{path}: no such file"
    # conditions that need a size or an age cannot hold for a file that is not
    # there: the check fails (it is not an error); ``!exists`` passes
    for expression in spec.expect:
        outcome = evaluate(compile_condition(expression), values)
        if outcome.passed is None:
            return Observation(
                values=values, evidence=evidence, status="failed", message=f"no such file: {path}"
            )
    return Observation(values=values, evidence=evidence)


KIND = FileKind()
