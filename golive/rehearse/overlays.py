"""Finding a runbook's rehearsal overlay, and what its top comment says it catches.

The bundled overlays live in ``golive/data/overlays/<runbook file stem>.yaml``
(``002_7cbc8d121bf5dabd.yaml`` for ``seeds/002_7cbc8d121bf5dabd.txt``), so a
seed found anywhere (the bundled copy or ``shared/seeds``) finds its overlay.
Each overlay's first comment lines name the faults it is meant for::

    # catches: error_rate=0.06@50 (Error rate > 5% of total requests)
    # under: error_rate=0.04@50 (4% stays under the 5% line: completes)
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["OVERLAY_DIR", "fault_notes", "find_overlay"]

OVERLAY_DIR = Path(__file__).resolve().parents[1] / "data" / "overlays"
_NOTE = re.compile(r"^#\s*(catches|under)\s*:\s*(\S+)", re.IGNORECASE)


def find_overlay(runbook: str | Path) -> Path | None:
    """The bundled overlay for the runbook file, by its stem; None when there is none."""
    candidate = OVERLAY_DIR / f"{Path(runbook).stem}.yaml"
    return candidate if candidate.is_file() else None


def fault_notes(overlay: str | Path) -> dict[str, list[str]]:
    """``{"catches": [...], "under": [...]}``: the fault specs named in the overlay's
    comment lines (the first word after ``# catches:`` / ``# under:``)."""
    notes: dict[str, list[str]] = {"catches": [], "under": []}
    for line in Path(overlay).read_text(encoding="utf-8").splitlines():
        match = _NOTE.match(line.strip())
        if match:
            notes[match.group(1).lower()].append(match.group(2).rstrip(",;"))
    return notes
