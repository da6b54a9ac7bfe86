"""Rules that compile operational facts: env, metric, log and file checks.

Each rule is documented with the phrase it reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from golive.runbook.model import CodeBlock, Item, Threshold
from golive.suggest.engine import Draft, Miss, Subject, SuggestContext, SuggestRule, registry
from golive.suggest.promql import HIGHER_IS_BETTER, HIGHER_IS_WORSE, MEASURABLE, query_for
from golive.suggest.shell import block_lines, segments

__all__ = ["RULES"]

RULES: list[SuggestRule] = []
rule = registry(RULES)

# ---- env

_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)=")
_ENV_WORD = re.compile(
    r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b(?=\s+(?:is\s+|are\s+)?(?:correctly\s+|properly\s+)?"
    r"(?:set|configured|defined|present|exported)\b)"
)
_ENV_PHRASE = re.compile(r"\b(?:environment|env)\s+var(?:iable)?s?\b", re.I)
_ENV_VERB = re.compile(r"\b(?:set|configured|validated|confirmed|verified|present|defined|correct)\b", re.I)


def _env_names(item: Item | None, text: str, inline: list[Any], blocks: list[CodeBlock]) -> list[str]:
    names: list[str] = []
    for code in inline:
        if code.kind == "env":
            names.append(code.code.split("=", 1)[0].strip())
    names.extend(m.group(1) for m in _ENV_WORD.finditer(text))
    for block in blocks:
        if block.runnable:
            names.extend(m.group(1) for line in block_lines(block) if (m := _EXPORT.match(line.text)))
    return list(dict.fromkeys(n for n in names if n))


@rule(
    "env",
    "'`DATABASE_URL` set', 'Check `REVENUECAT_WEBHOOK_SECRET` is correctly set', `export NAME=...` lines "
    "in the item's code blocks, 'Environment variables properly configured' (names from its sub-items)",
)
def env_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    names = _env_names(subject.item, subject.text, subject.inline, subject.blocks)
    sentence, line = subject.text, subject.line
    if subject.item is None:
        exports = [ln for b in subject.runnable_blocks() for ln in block_lines(b) if _EXPORT.match(ln.text)]
        if not exports:
            return
        sentence, line = "; ".join(ln.text for ln in exports), exports[0].line
    notes: list[str] = []
    asks_for_all = bool(_ENV_PHRASE.search(subject.text) and _ENV_VERB.search(subject.text))
    if not names and asks_for_all and subject.item is not None:
        for child in list(subject.item.walk())[1:]:
            names.extend(_env_names(child, child.text, child.inline_code, child.code_blocks))
        names = list(dict.fromkeys(names))
        if names:
            notes.append("the variables its sub-items name")
    if not names:
        if asks_for_all:
            yield Miss(reason="names no variables: list them in an env check's 'names'")
        return
    values = dict(
        (c.code.split("=", 1)[0].strip(), c.code.split("=", 1)[1].strip())
        for c in subject.inline
        if c.kind == "env" and "=" in c.code
    )
    plain = [n for n in names if n not in values]
    if plain:
        check: dict[str, Any] = {"kind": "env", "names": plain, "timeout": ctx.timeout_for("env")}
        summary = f"env {', '.join(plain)} set, non-empty and not a placeholder"
        yield Draft(check=check, sentence=sentence, line=line, summary=summary, notes=notes)
    for name, value in values.items():
        check = {
            "kind": "env",
            "names": [name],
            "pattern": f"^{re.escape(value)}$",
            "timeout": ctx.timeout_for("env"),
        }
        summary = f"env {name} is {value!r}"
        yield Draft(check=check, sentence=sentence, line=line, summary=summary, notes=notes)


# ---- metric (thresholds)

_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!="}
_TIME_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _trouble(subject: Subject, threshold: Threshold) -> bool:
    """Does the sentence state the bad condition ("Error rate > 5%", "Cache hit
    rate < 50%")? Read from the metric's direction: nobody asks for an error rate
    above 5%. For a metric without a known direction, a rollback criterion does."""
    if threshold.metric in HIGHER_IS_WORSE:
        return threshold.op in (">", ">=")
    if threshold.metric in HIGHER_IS_BETTER:
        return threshold.op in ("<", "<=")
    return subject.item is not None and subject.item.context == "criterion"


def _number(value: float) -> str:
    return f"{round(value, 10):g}"


def _value(threshold: Threshold, unit: str) -> float | None:
    """The threshold in the query's unit, or None when the units do not fit."""
    if unit == "ratio":
        if threshold.unit == "%" or (threshold.unit is None and threshold.value > 1):
            return threshold.value / 100
        return threshold.value if threshold.unit is None else None
    if unit == "seconds":
        factor = _TIME_UNITS.get(threshold.unit or "")
        return None if factor is None else threshold.value * factor
    return None


def _latency_literal(threshold: Threshold) -> str | None:
    if threshold.unit in ("ms", "s", "m", "h"):
        return f"{threshold.value:g}{threshold.unit}"
    return None


@rule(
    "threshold",
    "'Error rate < 1%', 'Error rate > 5% of total requests', 'p95 < 200ms', 'Cache hit rate > 50%', "
    "'Response times > 5x normal baseline': a Prometheus query (see golive.suggest.promql) and the "
    "healthy side of the number; latency on an item that also names a URL joins that http check",
)
def threshold_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if subject.item is None:
        return
    for threshold in subject.item.thresholds:
        metric = threshold.metric
        if metric not in MEASURABLE or metric == "tls_days_remaining":
            continue
        trouble = _trouble(subject, threshold)
        op = _FLIP[threshold.op] if trouble else threshold.op
        http = next((d for d in found if d.check.get("kind") == "http"), None)
        if http is not None and metric in ("health_check_failing", "downtime"):
            continue
        literal = _latency_literal(threshold)
        if http is not None and metric == "latency" and literal and threshold.relative_to is None:
            http.check["expect"].append(f"latency {op} {literal}")
            http.summary += f" and latency {op} {literal}"
            continue
        compiled = query_for(metric, threshold.percentile)
        if compiled is None:
            yield Miss(reason=f"no query template for {metric}: write its query by hand")
            continue
        query, template = compiled
        url, url_note = ctx.prometheus()
        check: dict[str, Any] = {"kind": "metric", "source": "prometheus", "url": url, "query": query}
        notes = ["query template: match the metric names to your instrumentation"]
        notes.extend([url_note] if url_note else [])
        if threshold.relative_to == "baseline":
            check["baseline"] = {"offset": "1d"}
            expect = f"ratio {op} {_number(threshold.value)}"
            notes.append("baseline: the same query one day earlier")
        elif template.unit == "up":
            expect = "value == 1"
        else:
            value = _value(threshold, template.unit)
            if value is None:
                yield Miss(
                    reason=f"{threshold.text!r}: unit {threshold.unit or 'none'} does not fit {metric}"
                )
                continue
            expect = f"value {op} {_number(value)}"
        check["expect"] = [expect]
        check["timeout"] = ctx.timeout_for("metric")
        if trouble:
            notes.append(
                f"the sentence states the bad condition ({threshold.expression}); "
                "the check expects the healthy side"
            )
        if threshold.for_duration is not None or threshold.sustained:
            notes.append(
                "the runbook's time window belongs to a rollback trigger; this check reads the value now"
            )
        summary = (
            f"metric {metric}{' ' + threshold.percentile if threshold.percentile else ''}; expect {expect}"
        )
        yield Draft(check=check, sentence=subject.text, line=subject.line, summary=summary, notes=notes)


# ---- log markers

_QUOTED = re.compile(r"[\"“]([^\"”]{3,})[\"”]")
_LOGS_SHOW = re.compile(r"\blogs?\b[^.]*\bshows?\b", re.I)
_LOGS_SHOW_WHAT = re.compile(r"\blogs?\s+shows?\s+(.+)$", re.I)
_LOG_COMMAND = re.compile(
    r"\b(?:docker(?:-compose|\s+compose)?|kubectl|journalctl|heroku|flyctl|fly)\b.*\blogs?\b"
)
_STOP = {"the", "a", "an", "of", "for", "on", "in", "to", "is", "are", "and", "show", "shows"}


def _clean_marker(text: str) -> str:
    marker = text.strip().strip('"“”').strip()
    marker = re.sub(r"^[^\w(\[]+", "", marker)
    marker = re.sub(r"(?:\.\.\.|…)$", "", marker).rstrip()
    return marker


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in _STOP}


def _marker_groups(ctx: SuggestContext) -> list[tuple[str, list[str]]]:
    """(heading comment, markers) groups from every code block: a comment line
    followed by quoted lines, as in a 'Backend Logs - Key Markers' block."""
    groups: list[tuple[str, list[str]]] = []
    for block in ctx.runbook.all_code_blocks():
        heading: str | None = None
        markers: list[str] = []
        for line in [*block_lines(block), None]:
            body = None if line is None else line.text.lstrip("#").strip()
            if line is not None and body and _QUOTED.fullmatch(body):
                markers.append(_clean_marker(body))
                continue
            if heading is not None and markers:
                groups.append((heading, markers))
            heading, markers = (body if line is not None and line.comment else None), []
    return groups


def _log_source(ctx: SuggestContext) -> tuple[dict[str, Any], str]:
    for block in ctx.runbook.all_code_blocks():
        if not block.runnable:
            continue
        for line in block_lines(block):
            if line.comment or not _LOG_COMMAND.search(line.text):
                continue
            argv = segments(line.text)[0] if segments(line.text) else []
            if "logs" not in argv:
                continue
            at = argv.index("logs")
            argv = argv[: at + 1] + [w for w in argv[at + 1 :] if w not in ("-f", "--follow")]
            return {"command": argv}, f"logs read with the runbook's own command (line {line.line})"
    return {"path": "{log_path}"}, "replace {log_path} with the service's log file (or give 'command')"


@rule(
    "log-marker",
    "quoted log markers: 'logs show \"Production configuration validated\"', a bash block under "
    "'# Verify startup logs show:', or 'Server logs show webhook received' matched to a marker group",
)
def log_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    found_markers: list[tuple[list[str], str, int]] = []
    if subject.item is not None and re.search(r"\blogs?\b", subject.text, re.I):
        quoted = [_clean_marker(m.group(0)) for m in _QUOTED.finditer(subject.item.text_raw)]
        if quoted:
            found_markers.append((quoted, subject.text, subject.line))
        else:
            what = _LOGS_SHOW_WHAT.search(subject.text)
            wanted = _words(what.group(1)) if what else set()
            for heading, markers in _marker_groups(ctx) if wanted else []:
                words = _words(heading)
                if words and (words <= wanted or wanted <= words):
                    found_markers.append((markers, subject.text, subject.line))
                    break
            else:
                if wanted:
                    yield Miss(reason="no log line to look for: quote the marker the log should show")
    for block in subject.runnable_blocks():
        lines = block_lines(block)
        for index, intro in enumerate(lines):
            if not (intro.comment and _LOGS_SHOW.search(intro.text)):
                continue
            markers = []
            for following in lines[index + 1 :]:
                body = following.text.lstrip("#").strip()
                if not _QUOTED.fullmatch(body):
                    break
                markers.append(_clean_marker(body))
            if markers:
                found_markers.append((markers, intro.text.lstrip("# "), intro.line))
    for markers, sentence, line in found_markers:
        source, note = _log_source(ctx)
        check: dict[str, Any] = {
            "kind": "log",
            **source,
            "contains": markers,
            "timeout": ctx.timeout_for("log"),
        }
        summary = f"log contains {', '.join(repr(m) for m in markers)}"
        yield Draft(check=check, sentence=sentence, line=line, summary=summary, notes=[note])


# ---- backups

_BACKUP_TEXT = re.compile(
    r"^(?:create |take |run )?(?:a )?(?:full |final |fresh )?back ?up (?:of )?(?:the )?(?:production |prod )?"
    r"(?:database|db|data)\b"
    r"|\b(?:database|db|system|production|pre-launch(?: system)?) backup "
    r"(?:completed|created|taken|done|verified)"
    r"|\bbackup (?:verification )?(?:completed|created|taken)\b"
    r"|^database backup$",
    re.I,
)
_BACKUP_NOT = re.compile(
    r"\b(?:strategy|restor\w*|encryption|monitoring|report|cross-region|systems?\s+\w+ed)\b", re.I
)


@rule(
    "backup",
    "'Backup production database', 'Database backup completed and verified', 'Pre-launch system backup "
    "created': a fresh backup file (file check, max_age 2h)",
    items_only=True,
)
def backup_rule(subject: Subject, ctx: SuggestContext, found: list[Draft]) -> Iterator[Draft | Miss]:
    if subject.item is None or subject.item.context == "contingency":
        return
    if not _BACKUP_TEXT.search(subject.text) or _BACKUP_NOT.search(subject.text):
        return
    notes = ["replace {backup_path} with where the backup is written"]
    for block in subject.runnable_blocks():
        for line in block_lines(block):
            if not line.comment:
                notes.append(f"the runbook backs up with: {line.text}")
                break
    check = {"kind": "file", "path": "{backup_path}", "max_age": "2h", "timeout": ctx.timeout_for("file")}
    summary = "file {backup_path} written in the last 2h"
    yield Draft(check=check, sentence=subject.text, line=subject.line, summary=summary, notes=notes)
