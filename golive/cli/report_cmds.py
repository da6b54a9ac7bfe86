"""``golive report``: the post-deployment report of a release."""

from __future__ import annotations

import click

__all__ = ["register"]


@click.command("report")
@click.argument("release_id", metavar="RELEASE")
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Directory to write the report into (created if missing).",
)
@click.option(
    "--db", default=None, metavar="URL", help="Database URL or SQLite path (default: GOLIVE_DATABASE_URL)."
)
def report(release_id: str, out_dir: str, db: str | None) -> None:
    """Write RELEASE's post-deployment report from its event log, and print the paths.

    Four files named after the release: the report as Markdown (the runbook's own
    template: version, who deployed, duration, status, uptime and error rate, user
    impact, issues, rollbacks, lessons, action items) and as one self-contained HTML
    file, with the timeline, gates and their evidence, sign-offs, the decision, each
    trigger's evaluations; the rollout chart (PNG; none without a rollout); and the
    runbook written back with each item's record (who, when, check results).
    What the log does not know is written as "not measured".
    """
    from pathlib import Path

    from golive.cli.context import release_service
    from golive.report import write_report

    service = release_service(db, read_only=True)
    try:
        # every stored fact checked, by the machine or by the server that holds them
        files = write_report(service.store, release_id, Path(out_dir), audit=service.audit(release_id))
    finally:
        service.store.close()
    for path in (files.markdown, files.html, files.runbook, files.chart):
        if path is not None:
            click.echo(str(path))


def register(cli: click.Group) -> None:
    cli.add_command(report)
