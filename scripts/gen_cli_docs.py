"""Regenerate docs/cli.md (from --help) and docs/checks.md (from the check kinds);
``--check``: exit 1 when either is stale."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "cli.md"
CHECKS = ROOT / "docs" / "checks.md"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from golive.checks.reference import render_check_reference
    from golive.cli.reference import render_reference

    stale = 0
    for target, text in ((TARGET, render_reference()), (CHECKS, render_check_reference())):
        if "--check" in argv:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                stale_name = target.relative_to(ROOT)
                print(f"{stale_name} is stale: run python scripts/gen_cli_docs.py", file=sys.stderr)
                stale = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    return stale


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
