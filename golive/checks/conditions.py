"""Conditions: one small, safe expression language for every check kind.

Conditions are CEL (Common Expression Language, the language Kubernetes and
Envoy use for policies) evaluated by cel-python: no ``eval``, no side effects,
no loops. golive adds one convenience: duration literals. ``latency < 200ms``,
``age < 2h``, ``days_left >= 60`` (a number) and ``expires_in > 30d`` (days are
turned into hours, which CEL's ``duration()`` understands).

A comparison of the wrong types is an error, never a silent false or zero:
``status == "200"`` against an integer status gives the ``error`` status with
CEL's "no such overload" message.

A rendered outcome shows the observed values: ``status (503) == 200``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from golive.checks.errors import ConditionError
from golive.checks.result import ConditionOutcome
from golive.durations import format_duration

__all__ = ["Condition", "compile_condition", "evaluate", "render_value", "to_cel"]

_DURATION_LITERAL = re.compile(r"(?<![\w.\"'])(\d+(?:\.\d+)?)(ms|us|ns|s|m|h|d)\b")
_IDENT_PATH = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
_KEYWORDS = {"true", "false", "null", "in"}


def _outside_strings(text: str) -> list[tuple[bool, str]]:
    """Split an expression into (is_code, text) runs, strings kept verbatim."""
    parts: list[tuple[bool, str]] = []
    buf: list[str] = []
    quote: str | None = None
    escaped = False
    for ch in text:
        if quote is not None:
            buf.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                parts.append((False, "".join(buf)))
                buf = []
                quote = None
            continue
        if ch in "\"'":
            if buf:
                parts.append((True, "".join(buf)))
            buf = [ch]
            quote = ch
            continue
        buf.append(ch)
    if buf:
        parts.append((quote is None, "".join(buf)))
    return parts


def _desugar(text: str) -> str:
    def duration(match: re.Match[str]) -> str:
        number, unit = match.group(1), match.group(2)
        if unit == "d":
            return f'duration("{float(number) * 24:g}h")'
        return f'duration("{number}{unit}")'

    return "".join(
        _DURATION_LITERAL.sub(duration, chunk) if code else chunk for code, chunk in _outside_strings(text)
    )


def _identifiers(text: str) -> list[str]:
    """Value paths a condition reads: ``json.status``; for a method call
    (``stdout.contains("x")``) its receiver (``stdout``)."""
    names: list[str] = []
    for code, chunk in _outside_strings(text):
        if not code:
            continue
        for match in _IDENT_PATH.finditer(chunk):
            path = match.group(1)
            end = match.end()
            called = end < len(chunk) and chunk[end] == "("
            if called:
                if "." not in path:
                    continue  # a function: size(x), duration("5m"), has(...)
                path = path.rsplit(".", 1)[0]  # a method: its receiver is the value
            if path.split(".")[0] in _KEYWORDS or re.fullmatch(r"\d.*", path):
                continue
            names.append(path)
    return names


@dataclass
class Condition:
    """A compiled condition. ``roots`` are the top-level names it reads."""

    expression: str
    program: Any
    names: list[str] = field(default_factory=list)
    roots: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def _environment() -> Any:
    import celpy

    _load_cached_parser()
    return celpy.Environment()


def _cache_dir() -> Path | None:
    """golive's private cache directory (``$XDG_CACHE_HOME/golive``), or None
    when it cannot be made private to this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "golive"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None  # a cache others can write to could hand us a poisoned pickle
    return directory


def _load_cached_parser() -> None:
    """celpy builds its LALR parser from its grammar on first use, ~0.2-0.6 s in
    every golive process that compiles a condition. Build it once with the same
    options and let Lark keep the analysis in golive's private cache, keyed by
    the grammar and the versions of Lark and celpy (a stale file is never read)."""
    try:
        import hashlib
        import re as regex
        from importlib.metadata import version

        import celpy
        import lark
        from celpy.celparser import CELParser

        if CELParser.CEL_PARSER is not None:
            return
        directory = _cache_dir()
        if directory is None:
            return
        grammar = (Path(celpy.__file__).parent / "cel.lark").read_text()
        key = hashlib.sha256(f"{grammar}|{lark.__version__}|{version('cel-python')}".encode()).hexdigest()[
            :20
        ]
        CELParser.CEL_PARSER = lark.Lark(
            grammar,
            parser="lalr",
            start="expr",
            debug=True,
            g_regex_flags=regex.M,
            lexer_callbacks={"IDENT": CELParser.ambiguous_literals},
            propagate_positions=True,
            maybe_placeholders=False,
            priority="invert",
            tree_class=lark.Tree,
            cache=str(directory / f"cel-parser-{key}.lark"),
        )
    except Exception:  # any trouble: celpy builds its own parser as before
        return


def compile_condition(
    expression: str, *, known: set[str] | None = None, location: str | None = None
) -> Condition:
    """Compile a condition; bad syntax or an unknown name raises ConditionError.

    ``known`` are the names the check kind observes; a condition naming
    anything else (``stauts == 200``) is rejected when the runbook is loaded.
    Compiled conditions are cached: a thousand checks with the same condition
    compile it once.
    """
    try:
        return _compile(expression.strip(), frozenset(known) if known is not None else None)
    except ConditionError as exc:
        raise ConditionError(exc.message, location=location) from None


@lru_cache(maxsize=1024)
def _compile(text: str, known: frozenset[str] | None) -> Condition:
    from celpy.celparser import CELParseError

    location = None
    if not text:
        raise ConditionError("empty condition", location=location)
    try:
        ast = _environment().compile(_desugar(text))
        program = _environment().program(ast)
    except CELParseError as exc:
        lines = str(exc).splitlines()
        caret = next((ln.index("^") + 1 for ln in lines if ln.strip() == "^"), None)
        where = f" at column {caret}" if caret else ""
        raise ConditionError(f"condition {text!r} does not parse{where}", location=location) from None
    except Exception as exc:  # cel-python raises several types for bad programs
        raise ConditionError(f"condition {text!r} is invalid: {exc}", location=location) from None
    names = _identifiers(text)
    if known is not None:
        for name in names:
            root = name.split(".")[0]
            if root not in known:
                choices = ", ".join(sorted(known))
                raise ConditionError(
                    f"condition {text!r} uses {root!r}, which this check does not observe "
                    f"(it observes: {choices})",
                    location=location,
                )
    return Condition(
        expression=text, program=program, names=names, roots=frozenset(n.split(".")[0] for n in names)
    )


def to_cel(value: Any) -> Any:
    """A Python value as a CEL value."""
    from celpy import celtypes

    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, timedelta):
        return celtypes.DurationType(seconds=int(value.total_seconds()), nanos=value.microseconds * 1000)
    if isinstance(value, datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, dict):
        return celtypes.MapType({celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, bytes):
        return celtypes.BytesType(value)
    return celtypes.StringType(str(value))


def render_value(value: Any) -> str:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, str):
        short = value if len(value) <= 60 else value[:57] + "..."
        return f'"{short}"'
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)


_MISSING = object()
_OPS = {
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_in": "in",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
}


def _lookup(values: dict[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _render(condition: Condition, values: dict[str, Any]) -> str:
    out: list[str] = []
    for code, chunk in _outside_strings(condition.expression):
        if not code:
            out.append(chunk)
            continue

        def annotate(match: re.Match[str]) -> str:
            path = match.group(1)
            end = match.end()
            called = end < len(chunk) and chunk[end] == "("  # noqa: B023
            if path.split(".")[0] in _KEYWORDS or (called and "." not in path):
                return path
            if called:
                receiver, method = path.rsplit(".", 1)
                value = _lookup(values, receiver)
                return path if value is _MISSING else f"{receiver} ({render_value(value)}).{method}"
            value = _lookup(values, path)
            if value is _MISSING:
                return path
            return f"{path} ({render_value(value)})"

        out.append(_IDENT_PATH.sub(annotate, chunk))
    return "".join(out)


def _memo_key(value: Any) -> Any:
    if isinstance(value, dict):
        return ("d", tuple(sorted((str(k), _memo_key(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("l", tuple(_memo_key(v) for v in value))
    if isinstance(value, int | float | str | bool | type(None)):
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))


_MEMO: dict[tuple[Any, ...], ConditionOutcome] = {}
_MEMO_LIMIT = 4096


def evaluate(condition: Condition, values: dict[str, Any]) -> ConditionOutcome:
    """Evaluate against observed values. Never raises: a type error or a missing
    value is an outcome with ``passed=None`` and ``error`` set.

    Only the values the condition names are given to CEL, and since CEL is pure
    (no side effects, no clock), an outcome is reused for the same condition and
    the same values: a fleet of health checks answering 200 evaluates once.
    """
    used = {k: v for k, v in values.items() if k in condition.roots}
    key: tuple[Any, ...] | None = (condition.expression, _memo_key(used))
    try:
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _MEMO:
        return _MEMO[key]
    outcome = _evaluate(condition, used)
    if key is not None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = outcome
    return outcome


def _evaluate(condition: Condition, values: dict[str, Any]) -> ConditionOutcome:
    from celpy import celtypes

    rendered = _render(condition, values)
    activation = {k: to_cel(v) for k, v in values.items()}
    try:
        result = condition.program.evaluate(activation)
    except Exception as exc:  # cel-python signals type errors as exceptions
        return ConditionOutcome(
            expression=condition.expression, passed=None, rendered=rendered, error=_cel_error(exc)
        )
    if isinstance(result, celtypes.BoolType | bool):
        return ConditionOutcome(expression=condition.expression, passed=bool(result), rendered=rendered)
    return ConditionOutcome(
        expression=condition.expression,
        passed=None,
        rendered=rendered,
        error=_cel_error(result)
        if isinstance(result, Exception)
        else f"condition gave {result!r}, not true or false",
    )


def _cel_error(exc: Any) -> str:
    text = str(exc)
    match = re.search(r"overload for Token\('RULE', '(\w+)'\) applied to '\((.*?)\)'", text)
    if match:
        types = [t.replace("Type", "").lower() for t in re.findall(r"celtypes\.(\w+)'", match.group(2))]
        op = _OPS.get(match.group(1), match.group(1))
        return f"type error: {op} is not defined for {' and '.join(types) or 'these types'}"
    match = re.search(r"no such member in mapping: '([^']+)'", text)
    if match:
        return f"no value for {match.group(1)!r}"
    match = re.search(r"undeclared reference to '([^']+)'", text)
    if match:
        return f"no value for {match.group(1)!r}"
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
