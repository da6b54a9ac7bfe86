"""The ``golive`` command line.

Thin on purpose: each command parses its input, calls the library, and renders
the result. Only click is imported at start-up; everything heavy is imported
inside the command that needs it, so ``golive --help`` stays fast.

Exit codes everywhere: 0 ok, 1 findings or failures, 2 bad input (one line on
stderr naming the file:line or the field), 70 an internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from golive.runbook.model import Runbook

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"golive: error: {message}", err=True)
    raise SystemExit(code)


def _overlay_option(func: F) -> F:
    return click.option(
        "--overlay",
        type=click.Path(dir_okay=False),
        default=None,
        help="Overlay file (YAML) that attaches checks, gates and ids to items without editing the runbook.",
    )(func)


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout for machines.")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="golive", prog_name="golive")
def cli() -> None:
    """golive runs software go-lives from the Markdown runbooks teams already write.

    It reads a runbook as it is (phases, checklists, commands, gates, sign-offs,
    rollout plan, rollback criteria, contacts) and tells you what it found and
    what makes it unsafe to run.
    """


def _register_release_commands() -> None:
    from golive.cli import (
        audit_cmds,
        auth_cmds,
        client_cmds,
        rehearse_cmds,
        release_cmds,
        report_cmds,
        rollout_cmds,
    )

    release_cmds.register(cli)
    auth_cmds.register(cli)
    client_cmds.register(cli)
    audit_cmds.register(cli)
    rollout_cmds.register(cli)
    rehearse_cmds.register(cli)
    report_cmds.register(cli)


_register_release_commands()


def _explain(runbook: Runbook, where: str, as_json: bool) -> None:
    from golive.errors import InputError
    from golive.runbook.explain import explain_line

    file, _, number = where.rpartition(":")
    if not number.strip().isdigit() or int(number) < 1:
        raise InputError(f"expected a line number such as 42 or FILE:42, got {where!r}", location="--explain")
    explanation = explain_line(runbook, int(number), file or None)
    if as_json:
        click.echo(explanation.model_dump_json(indent=2))
        return
    from golive.cli.render import console, render_explanation

    render_explanation(explanation, console())


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@_overlay_option
@_json_option
@click.option(
    "--summary", is_flag=True, help="Only the overview: phases, gates, sign-offs, criteria, contacts."
)
@click.option(
    "--explain",
    "explain",
    metavar="[FILE:]LINE",
    help="Say why golive read the heading or item at LINE as it did: each rule that fired and how to "
    "override it (FILE: a linked file of the runbook).",
)
def show(path: str, overlay: str | None, as_json: bool, summary: bool, explain: str | None) -> None:
    """Print the runbook at PATH as a readable tree (or as JSON with --json).

    PATH is a Markdown runbook (linked Markdown files beside it are followed) or
    a native golive YAML runbook (.yaml/.yml).
    """
    from golive.runbook.loader import load_runbook

    runbook = load_runbook(path, overlay=overlay)
    if explain is not None:
        _explain(runbook, explain, as_json)
        return
    if as_json:
        click.echo(runbook.model_dump_json(indent=2))
        return
    from golive.cli.render import console, render_runbook

    render_runbook(runbook, console(), summary=summary)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@_overlay_option
@_json_option
@click.option(
    "--launch",
    metavar="WHEN",
    default=None,
    help='Planned launch time, e.g. "2026-12-01 09:00" or "2026-12-01 09:00 Europe/London"; '
    "checks it against the runbook's own rules (no Friday launches, ...).",
)
def lint(path: str, overlay: str | None, as_json: bool, launch: str | None) -> None:
    """Report what makes the runbook at PATH unsafe to run, with file:line.

    Exit 1 when any finding is an error, 0 otherwise.
    """
    from golive.lint import lint_path
    from golive.timeparse import parse_launch

    when = parse_launch(launch) if launch else None
    _runbook, findings = lint_path(path, overlay=overlay, launch=when)
    errors = sum(1 for f in findings if f.severity == "error")
    if as_json:
        import json

        click.echo(json.dumps([f.model_dump(mode="json") for f in findings], indent=2))
    else:
        from golive.cli.render import console, render_findings

        render_findings(findings, console())
    raise SystemExit(EXIT_FINDINGS if errors else EXIT_OK)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@_overlay_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "yaml", "json"]),
    default="markdown",
    show_default=True,
    help="Output format: Markdown, golive's native YAML, or JSON.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout."
)
def export(path: str, overlay: str | None, fmt: str, output: str | None) -> None:
    """Write the runbook at PATH as Markdown, native YAML or JSON.

    Markdown output imports back to the same runbook; machine data (ids, checks,
    gates set by hand) is kept as invisible <!-- golive: ... --> annotations.
    """
    from golive.runbook.loader import load_runbook

    runbook = load_runbook(path, overlay=overlay)
    if fmt == "markdown":
        from golive.runbook.export import to_markdown

        text = to_markdown(runbook)
    elif fmt == "yaml":
        from golive.runbook.native import dump_native

        text = dump_native(runbook)
    else:
        text = runbook.model_dump_json(indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror or exc.__class__.__name__}")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@_overlay_option
@_json_option
@click.option(
    "--section", "sections", multiple=True, metavar="ID|TITLE", help="Only checks under this section."
)
@click.option(
    "--item", "items", multiple=True, metavar="ID", help="Only the checks of this item (repeatable)."
)
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Only checks of this kind (repeatable).")
@click.option("--concurrency", type=int, default=20, show_default=True, help="Checks run at once, at most.")
@click.option(
    "--set",
    "values",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for {NAME} in checks, e.g. version=2.1.0.",
)
def check(
    path: str,
    overlay: str | None,
    as_json: bool,
    sections: tuple[str, ...],
    items: tuple[str, ...],
    kinds: tuple[str, ...],
    concurrency: int,
    values: tuple[str, ...],
) -> None:
    """Run the runbook's automated checks and show each result.

    Checks run concurrently, each with its timeout and retries. Exit 0 when all
    passed (manual checks are skipped), 1 when any failed or could not measure.
    """
    from golive.checks.service import check_runbook
    from golive.cli.context import command_clock
    from golive.cli.render import CheckProgress, console, render_check_results

    pairs: dict[str, str] = {}
    for entry in values:
        name, sep, value = entry.partition("=")
        if not sep or not name.strip():
            _fail(f"--set: expected NAME=VALUE, got {entry!r}")
        pairs[name.strip()] = value
    out = console()
    progress = CheckProgress(out, enabled=not as_json and sys.stderr.isatty())
    with progress:
        run = check_runbook(
            path,
            overlay=overlay,
            sections=sections,
            items=items,
            kinds=kinds,
            concurrency=concurrency,
            values=pairs,
            on_selected=progress.selected,
            on_result=progress.done,
            now=command_clock().now,
        )
    if as_json:
        import json

        payload = {
            "runbook": run.runbook.title,
            "counts": run.counts(),
            "results": [r.model_dump(mode="json") for r in run.results],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        render_check_results(run, out)
    raise SystemExit(EXIT_OK if run.ok else EXIT_FINDINGS)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of golive's native YAML runbook format."""
    import json

    from golive.runbook.native import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


@cli.command()
@click.option(
    "--runbook",
    "runbook_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Runbook to demonstrate on (default: the bundled Fynlo POS runbook, seed 002, with its overlay).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory for both releases' event stores and reports (default: ./demo-output/<UTC time>/).",
)
@click.option(
    "--prometheus/--no-prometheus",
    default=None,
    help="Triggers query a private Prometheus scraping the stand-in "
    "(default: when the prometheus binary is installed).",
)
def demo(runbook_path: str | None, out_dir: str | None, prometheus: bool | None) -> None:
    """Run the go-live demo: two whole releases of a real runbook, in about a minute.

    golive reads the runbook, then runs a release against a stand-in service it
    starts, on a compressed clock: checks, sign-offs by demo users, the GO,
    a 10% → 50% → 100% rollout watched by the runbook's own rollback criteria,
    hypercare. Then a second release whose canary fails from 50%: golive rolls
    back by itself. Both post-deployment reports are written. Exit 0 when the
    first release completed and the second rolled back.
    """
    from golive.cli.context import command_clock
    from golive.demo import run_demo

    raise SystemExit(
        run_demo(runbook_path, out_dir=out_dir, prometheus=prometheus, now=command_clock().now())
    )


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--base-url", metavar="URL", help="Base URL for paths given without a host (GET /api/x).")
@click.option("--host", metavar="HOST", help="Host for tls/dns checks (default: first https URL seen).")
@click.option("--prometheus-url", metavar="URL", help="Prometheus for metric checks ($PROMETHEUS_URL).")
@click.option("--timeout", metavar="DURATION", help="Timeout of each check (default 10s, commands 10m).")
@_json_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the overlay to this file.")
def suggest(
    path: str,
    base_url: str | None,
    host: str | None,
    prometheus_url: str | None,
    timeout: str | None,
    as_json: bool,
    output: str | None,
) -> None:
    """Propose checks for the items of the runbook at PATH that have none, from their own words.

    Prints an overlay (YAML) to review: above each entry, the sentence it came from
    (file:line) and what the check does. The runbook is never edited. The share of
    machine-verifiable items compiled goes to stderr (or into --json).
    """
    from golive.runbook.loader import load_runbook
    from golive.suggest import render_overlay
    from golive.suggest import suggest as propose

    report = propose(
        load_runbook(path), base_url=base_url, host=host, prometheus_url=prometheus_url, timeout=timeout
    )
    text = render_overlay(report)
    if output is not None:
        from pathlib import Path

        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc.__class__.__name__}")
    if as_json:
        import json

        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    if output is None:
        click.echo(text, nl=False)
    click.echo(f"golive suggest: {report.summary()}", err=True)


@cli.command("demo-target")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it local).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8077,
    show_default=True,
    help="Port to listen on; 0 picks a free one (the first line printed names it).",
)
@click.option(
    "--rps",
    type=click.FloatRange(0, 100_000),
    default=50.0,
    show_default=True,
    help="Synthetic requests per second, split by the canary weight (0: none).",
)
@click.option("--seed", type=int, default=None, help="Seed for the random draws (versions, faults, latency).")
@click.option("--stable-version", default="1.0.0", show_default=True, help="Build of the stable version.")
@click.option("--canary-version", default="1.1.0", show_default=True, help="Build of the canary version.")
@click.option(
    "--weight",
    type=click.FloatRange(0, 100),
    default=0,
    show_default=True,
    help="Canary weight at start (percent of traffic).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append every admin call to this file as one JSON line (flushed and fsync'd).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="A fault set at start, [VERSION:]KIND=VALUE[@WEIGHT][+AFTER], e.g. error_rate=0.06@50, "
    "latency_ms=2000@10, health=down@100, payment_failure=0.03@50+30s (repeatable).",
)
def demo_target(
    host: str,
    port: int,
    rps: float,
    seed: int | None,
    stable_version: str,
    canary_version: str,
    weight: float,
    ledger: str | None,
    faults: tuple[str, ...],
) -> None:
    """Run a stand-in service to rehearse go-lives against, until Ctrl-C or SIGTERM.

    Two versions (stable and canary) split traffic by a canary weight; health
    endpoints like the seeds' (/api/health, /api/v1/health, /api/v1/health/detailed);
    Prometheus metrics on /metrics; synthetic traffic; and an admin API for
    actuators and fault injection (/admin/weight, /admin/faults, /admin/rollback,
    /admin/kill-switch, /admin/state, /admin/calls). Faults: error_rate (500s),
    latency_ms, health=down (503 on health endpoints), payment_failure (402).
    """
    from pathlib import Path

    from golive.demo_target import DemoConfig, FaultSpec, serve
    from golive.errors import InputError

    specs = []
    for text in faults:
        try:
            specs.append(FaultSpec.parse(text))
        except InputError as exc:
            _fail(f"--fault: {exc}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"golive: warning: the admin API has no authentication and listens on {host}", err=True)
    config = DemoConfig(
        stable_version=stable_version,
        canary_version=canary_version,
        rps=rps,
        seed=seed,
        ledger=Path(ledger) if ledger else None,
        faults=tuple(specs),
        weight=int(weight) if float(weight).is_integer() else weight,
    )
    try:
        serve(host, port, config=config)
    except InputError as exc:
        _fail(f"--{(exc.location or 'port').replace('_', '-')}: {exc.message}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: renders every error once, as one line."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=args, prog_name="golive", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        _fail("aborted", 130)
    except click.UsageError as exc:
        hint = " (see golive --help)" if exc.ctx is None else f" (see {exc.ctx.command_path} --help)"
        _fail(exc.format_message() + hint)
    except click.ClickException as exc:
        _fail(exc.format_message())
    except BrokenPipeError:
        # the reader went away (golive show ... | head); not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_OK) from None
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except SystemExit:
        raise
    except Exception as exc:
        from golive.errors import GoliveError

        if isinstance(exc, GoliveError):
            _fail(str(exc), exc.exit_code)
        if os.environ.get("GOLIVE_DEBUG"):
            raise
        _fail(
            f"internal error: {exc.__class__.__name__}: {exc} (set GOLIVE_DEBUG=1 to see the traceback)",
            EXIT_INTERNAL,
        )
    raise SystemExit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
