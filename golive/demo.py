"""The go-live demo: golive's main job, end to end, as far as golive goes today.

Today it reads a real runbook (one of the five seeds, bundled), shows what golive
understood of it (phases against T-0, gates, sign-offs, rollback criteria as
thresholds, the rollout, contacts), checks that the Markdown export imports back
to the same runbook, and lints it. Later stages add checks, a release with
sign-offs and a go/no-go decision, and a guarded staged rollout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["bundled_runbook", "run_demo"]


def bundled_runbook() -> Path:
    return Path(str(resources.files("golive") / "data" / "seeds" / "002_7cbc8d121bf5dabd.txt"))


def run_demo(path: str | None = None) -> int:
    """Run the demo; returns the exit code (0 when every stage worked)."""
    from rich.rule import Rule

    from golive.cli.render import console, render_findings, render_runbook
    from golive.lint import lint_path
    from golive.runbook.export import semantic, to_markdown
    from golive.runbook.loader import load_runbook, parse_runbook_text

    out = console()
    runbook_path = Path(path) if path else bundled_runbook()
    out.print(Rule(f"golive demo · {runbook_path.name}"))
    out.print("[bold]1. Read the runbook as the team wrote it[/bold]")
    runbook = load_runbook(runbook_path)
    render_runbook(runbook, out, summary=True)

    out.print(Rule())
    out.print("[bold]2. The Markdown stays the source of truth: export and re-import[/bold]")
    again = parse_runbook_text(to_markdown(runbook), runbook.file and Path(runbook.file).name)
    same = semantic(again) == semantic(runbook)
    out.print(
        "export → import gives the same runbook" if same else "[red]export → import changed the runbook[/red]"
    )

    out.print(Rule())
    out.print("[bold]3. Lint: what makes this runbook unsafe to run[/bold]")
    _, findings = lint_path(runbook_path)
    render_findings(findings, out)
    errors = sum(1 for f in findings if f.severity == "error")
    out.print(Rule())
    out.print(
        f"[bold]Demo finished.[/bold] {len(runbook.task_items())} checklist items, "
        f"{len(runbook.gates())} gates, "
        f"{len(runbook.rollback_criteria)} rollback criteria read; {errors} lint errors to fix before this "
        "runbook can drive a release."
    )
    return 0 if same else 1
