"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

A test regenerates it and compares, so the reference cannot drift from the code.
"""

from __future__ import annotations

import click

__all__ = ["render_reference"]

WIDTH = 100


def _walk(command: click.Command, ctx: click.Context, out: list[str]) -> None:
    title = ctx.command_path
    out.append(f"## `{title}`\n")
    out.append("```text")
    out.append(command.get_help(ctx).rstrip())
    out.append("```\n")
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(
                sub, info_name=name, parent=ctx, terminal_width=WIDTH, max_content_width=WIDTH
            )
            _walk(sub, sub_ctx, out)


def render_reference() -> str:
    from golive.cli.main import cli

    ctx = click.Context(
        cli,
        info_name="golive",
        terminal_width=WIDTH,
        max_content_width=WIDTH,
        help_option_names=["-h", "--help"],
    )
    out = [
        "# golive command-line reference",
        "",
        "Generated from `golive --help` by `python scripts/gen_cli_docs.py`; a test checks it is current.",
        "",
        "Exit codes everywhere: 0 ok, 1 findings or failures, 2 bad input (one line on stderr naming the",
        "file:line or the field), 70 an internal error.",
        "",
    ]
    _walk(cli, ctx, out)
    return "\n".join(out).rstrip() + "\n"
