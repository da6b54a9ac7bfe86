"""A stand-in service to rehearse go-lives against: ``golive demo-target``.

A local HTTP app with the seeds' health endpoints, two versions (stable and
canary) split by a canary weight that an actuator sets over HTTP, fault
injection over HTTP, synthetic traffic, Prometheus metrics shaped for runbook
rollback criteria, and ``GET /metrics/window?seconds=S``: the last S real seconds
of traffic per version as JSON, for triggers that cannot wait for a scrape. See
:mod:`golive.demo_target.app` for the routes, :mod:`golive.demo_target.metrics`
for the metrics and queries, :mod:`golive.demo_target.window` for the window's
contract, and :mod:`golive.demo_target.faults` for the faults and the ``--fault``
syntax.

Only the names below are public; import the heavy parts (aiohttp,
prometheus-client) lazily through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from golive.demo_target.faults import FAULT_KINDS, FaultSpec

if TYPE_CHECKING:
    from golive.demo_target.app import make_app
    from golive.demo_target.server import listening_line, serve
    from golive.demo_target.state import DemoConfig

__all__ = ["FAULT_KINDS", "DemoConfig", "FaultSpec", "listening_line", "make_app", "serve"]

_LAZY = {
    "DemoConfig": "golive.demo_target.state",
    "make_app": "golive.demo_target.app",
    "serve": "golive.demo_target.server",
    "listening_line": "golive.demo_target.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
