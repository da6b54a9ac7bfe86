"""log: markers that must (or must not) appear in a log.

    checks:
      - {kind: log, path: /var/log/app/app.log, contains: ["Server started"],
         absent: ["Webhook signature verification failed"]}
      - {kind: log, command: [kubectl, logs, deploy/api, --since=10m], absent: ["panic:"]}

The source is a file (``path``; only its last ``tail_bytes`` are read, default
1 MiB) or a program's output (``command``: an argv list, run without a shell
exactly like the command kind, with its ``cwd``/``env``/``pass_env``/
``secret_env`` fields; stdout and stderr are searched, the last
``tail_bytes`` of each kept). A program that exits non-zero, or a file that is
not there, is an ``error``: the log could not be read.

Markers are plain text, or regular expressions with ``regex: true``
(``re.search``, multi-line: ``^``/``$`` match at line ends). They are searched
in the redacted text, so a marker can never be used to probe a secret.

Observes ``found`` and ``missing`` (markers of ``contains``), ``unexpected``
(markers of ``absent`` that appear) and ``ok`` (nothing missing, nothing
unexpected). Default condition: ``ok``. Evidence: the matching lines
(redacted, at most 5 per marker, each cut at 300 characters).
"""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from golive.checks.context import CheckContext
from golive.checks.errors import MeasurementError
from golive.checks.kinds.command import ProcessSpec, build_env, join_output, resolve_cwd, run_process
from golive.checks.kinds.file import Size, format_size, interpolate
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

__all__ = ["DEFAULT_TAIL_BYTES", "KIND", "LINES_PER_MARKER", "LINE_LIMIT", "LogKind", "LogSpec"]

DEFAULT_TAIL_BYTES = 1024 * 1024
LINES_PER_MARKER = 5
LINE_LIMIT = 300


class LogSpec(ProcessSpec):
    kind: Literal["log"]
    path: str | None = None
    command: list[str] | None = None
    contains: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)
    regex: bool = False
    tail_bytes: Size = DEFAULT_TAIL_BYTES

    @model_validator(mode="after")
    def _check(self) -> LogSpec:
        if (self.path is None) == (self.command is None):
            raise ValueError("give either 'path' (a log file) or 'command' (an argv list)")
        if self.command is not None and (not self.command or not self.command[0]):
            raise ValueError("command must name a program")
        if not self.contains and not self.absent:
            raise ValueError("give markers in 'contains' or 'absent'")
        if any(not marker for marker in [*self.contains, *self.absent]):
            raise ValueError("a marker must not be empty")
        if self.tail_bytes < 1:
            raise ValueError("tail_bytes must be at least 1 byte")
        if self.regex:
            for marker in [*self.contains, *self.absent]:
                try:
                    re.compile(marker)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression {marker!r}: {exc}") from None
        return self


def _read_tail(path: Path, limit: int) -> tuple[str, int, int]:
    """The last ``limit`` bytes of ``path`` as text; with bytes read and file size."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(size - limit, 0))
        data = handle.read(limit)
    return data.decode("utf-8", errors="replace"), len(data), size


class _Marker:
    def __init__(self, text: str, *, regex: bool) -> None:
        self.text = text
        self._pattern = re.compile(text, re.MULTILINE) if regex else None

    def in_text(self, text: str) -> bool:
        return bool(self._pattern.search(text)) if self._pattern is not None else self.text in text

    def lines(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            if self.in_text(line):
                out.append(line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 3] + "...")
                if len(out) >= LINES_PER_MARKER:
                    break
        return out


class LogKind(CheckKind):
    name: ClassVar[str] = "log"
    spec: ClassVar[type[KindSpec]] = LogSpec
    observes: ClassVar[frozenset[str]] = frozenset({"found", "missing", "unexpected", "ok"})
    default_expect: ClassVar[tuple[str, ...]] = ("ok",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, LogSpec)
        if spec.name:
            return spec.name
        source = spec.path if spec.path is not None else shlex.join(spec.command or [])
        return f"log {source if len(source) <= 70 else source[:67] + '...'}"

    async def _text(self, spec: LogSpec, ctx: CheckContext) -> tuple[str, str]:
        if spec.path is not None:
            path = ctx.resolve_path(interpolate(spec.path, ctx.values))
            try:
                text, read, size = await asyncio.to_thread(_read_tail, path, spec.tail_bytes)
            except FileNotFoundError:
                raise MeasurementError(f"no such file: {path}") from None
            except OSError as exc:
                raise MeasurementError(f"cannot read {path}: {exc.strerror or exc}") from None
            where = f"{path} (last {format_size(read)} of {format_size(size)})" if read < size else str(path)
            return ctx.redact.redact(text), where
        assert spec.command is not None
        argv = [interpolate(item, ctx.values) for item in spec.command]
        env = build_env(spec, ctx)
        result = await run_process(
            argv,
            env=env,
            cwd=resolve_cwd(spec.cwd, ctx),
            redactor=ctx.redact,
            max_output=spec.tail_bytes,
            keep_head=False,
        )
        if result.exit_code != 0:
            last = next((ln for ln in reversed(result.stderr.splitlines()) if ln.strip()), "")
            reason = f"exit {result.exit_code}" if result.exit_code >= 0 else f"signal {-result.exit_code}"
            raise MeasurementError(f"log command failed ({reason})" + (f": {last[:200]}" if last else ""))
        return join_output(result.stdout, result.stderr), f"$ {shlex.join(argv)}"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, LogSpec)
        text, where = await self._text(spec, ctx)
        lines = text.splitlines()
        found: list[str] = []
        missing: list[str] = []
        unexpected: list[str] = []
        evidence = [f"source: {where}"]
        for marker in (_Marker(m, regex=spec.regex) for m in spec.contains):
            if marker.in_text(text):
                found.append(marker.text)
                evidence.append(f"found {marker.text!r}:")
                evidence += [f"  {line}" for line in marker.lines(lines)]
            else:
                missing.append(marker.text)
                evidence.append(f"missing {marker.text!r}")
        for marker in (_Marker(m, regex=spec.regex) for m in spec.absent):
            if marker.in_text(text):
                unexpected.append(marker.text)
                evidence.append(f"unexpected {marker.text!r}:")
                evidence += [f"  {line}" for line in marker.lines(lines)]
            else:
                evidence.append(f"absent as expected: {marker.text!r}")
        values: dict[str, Any] = {
            "found": found,
            "missing": missing,
            "unexpected": unexpected,
            "ok": not missing and not unexpected,
        }
        return Observation(values=values, evidence=ctx.redact.redact("\n".join(evidence)))


KIND = LogKind()
