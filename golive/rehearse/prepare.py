"""Reading and checking a rehearsal's input, writing nothing: :func:`prepare`.

Bad input (a missing runbook or overlay, a bad ``--fault``, ``--speed`` or
``--launch``, a runbook without a rollout guard, an ``--out`` directory that is
not empty) raises InputError naming the option or the file, before anything is
started or written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from golive.config import Config
from golive.demo_target.faults import FaultSpec
from golive.errors import InputError
from golive.rehearse.plan import Script, build_script
from golive.rollout.spec import RolloutGuard
from golive.runbook.model import Runbook

__all__ = ["DEFAULT_SPEED", "MAX_SPEED", "Prepared", "prepare"]

DEFAULT_SPEED = 600.0
MAX_SPEED = 36_000.0


@dataclass
class Prepared:
    """Everything a rehearsal needs, read and checked; nothing written yet."""

    runbook_path: Path
    overlay: Path | None
    runbook: Runbook
    guard: RolloutGuard
    faults: list[FaultSpec]
    speed: float
    launch: datetime
    launch_note: str | None
    tz: str
    config: Config
    script: Script
    out_dir: Path


def prepare(
    runbook: str | Path,
    *,
    overlay: str | Path | None = None,
    speed: float = DEFAULT_SPEED,
    faults: list[str] | tuple[str, ...] = (),
    out_dir: str | Path | None = None,
    launch: datetime | None = None,
    now: datetime | None = None,
) -> Prepared:
    """Read and check a rehearsal's input; InputError (naming the option or file) on bad input."""
    from golive.config import load_config
    from golive.rehearse.launch import choose_launch, default_launch
    from golive.rehearse.overlays import find_overlay
    from golive.runbook.loader import load_runbook

    if not isinstance(speed, int | float) or not math.isfinite(speed) or not 0 < speed <= MAX_SPEED:
        raise InputError(
            f"expected a number above 0 and at most {MAX_SPEED:g}, got {speed!r}", location="--speed"
        )
    specs: list[FaultSpec] = []
    for text in faults:
        try:
            specs.append(FaultSpec.parse(text))
        except InputError as exc:
            raise InputError(str(exc), location="--fault") from None
    path = Path(runbook)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", location=str(path))
    found = Path(overlay) if overlay is not None else find_overlay(path)
    if found is not None and not found.is_file():
        raise InputError("overlay file not found", location=str(found))
    loaded = load_runbook(path, overlay=found)
    if loaded.rollout_guard is None:
        hint = "give --overlay FILE with a rollout_guard" if found is None else f"{found} has none"
        raise InputError(f"the runbook declares no rollout_guard to rehearse ({hint})", location=str(path))
    try:
        guard = RolloutGuard.model_validate(loaded.rollout_guard)
    except ValueError as exc:
        lines = str(exc).splitlines()
        raise InputError(
            " ".join(lines[1:3]).strip() or "invalid rollout_guard", location=str(found or path)
        ) from None
    base = load_config()
    config = Config(policy=base.policy, quorum=dict(base.quorum))
    requested = launch or default_launch(now)
    tz = str(getattr(requested.tzinfo, "key", "UTC"))
    when, note = choose_launch(loaded, config, requested, tz)
    script = build_script(loaded, when, tz, guard, config)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = Path(out_dir) if out_dir is not None else Path("rehearsals") / f"{path.stem}-{stamp}"
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError("exists and is not an empty directory", location=f"--out {target}")
    return Prepared(
        runbook_path=path,
        overlay=found,
        runbook=loaded,
        guard=guard,
        faults=specs,
        speed=float(speed),
        launch=when,
        launch_note=note,
        tz=tz,
        config=config,
        script=script,
        out_dir=target.resolve(),
    )
