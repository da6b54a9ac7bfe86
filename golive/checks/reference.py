"""docs/checks.md, generated from the check kinds themselves (their module
docs, observed names and default conditions), so it cannot drift."""

from __future__ import annotations

import inspect

from golive.checks.registry import BUILTIN_KINDS, get_kind

__all__ = ["render_check_reference"]

INTRO = """\
# Checks and conditions

Generated from the check kinds by `python scripts/gen_cli_docs.py`; a test checks it is current.

A check is a machine verification attached to a runbook item, in the Markdown
(`<!-- golive: {checks: [...]} -->`) or in an overlay (see [runbooks.md](runbooks.md)).
`golive check RUNBOOK` runs every check concurrently (`--concurrency`, default 20), each with its
`timeout` (default 10s) and `retries` (default 0, waiting `backoff` doubled each time); `golive
suggest RUNBOOK` proposes checks from the items' own words.

Every check has these fields: `kind`, `name`, `expect` (a list of conditions that must all hold;
`condition` for one), `timeout`, `retries`, `backoff`. Unknown fields, unknown kinds, malformed URLs
and conditions that don't parse or name something the kind doesn't observe are errors when the
runbook is loaded, naming the file and line of the definition.

## Results

A check never raises for a failed verification. Its result has a `status`:

- `passed`: every condition held;
- `failed`: a condition did not hold (the result shows it with the observed values: `status (503) == 200`);
- `error`: golive could not measure (host unreachable, timeout, no data, NaN, a type error in a
  condition). An error is never a pass;
- `skipped`: not run (a manual check nobody has attested yet).

Evidence (a truncated response, command output) is kept with secrets redacted: values of
secret-looking environment variables, Authorization and cookie headers, passwords in URLs, tokens
and keys matching known patterns, also when a secret is split across output chunks.

## Conditions

Conditions are [CEL](https://github.com/google/cel-spec), evaluated by cel-python: a small, safe
expression language (no side effects, no loops) with `&&`, `||`, `!`, comparisons, `in`, `has()`,
`size()`, string functions and field access (`json.status`). golive adds duration literals:
`latency < 200ms`, `age < 2h`, `expires_in > 30d` (days are turned into hours).

A comparison of the wrong types is an error, never a silent false: `status == "200"` against an
integer status gives `error` with "type error: == is not defined for int and string". CEL does
not compare integers and decimals with `==`: write `value == 1.0` for a metric (metric values are
decimals); `<`, `>`, `<=`, `>=` work across both.

## Kinds
"""


def render_check_reference() -> str:
    parts = [INTRO]
    for name in BUILTIN_KINDS:
        kind = get_kind(name)
        if kind is None:
            continue
        module = inspect.getmodule(type(kind))
        doc = inspect.cleandoc(module.__doc__ or "") if module is not None else ""
        parts.append(f"### `{name}`\n")
        parts.append(doc + "\n")
        parts.append(f"Observes: {', '.join(f'`{n}`' for n in sorted(kind.observes))}.\n")
        default = " and ".join(f"`{c}`" for c in kind.default_expect) or "none (give `expect`)"
        parts.append(f"Default condition: {default}.\n")
    return "\n".join(parts).rstrip() + "\n"
