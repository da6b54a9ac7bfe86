"""Check kinds plug in through one small interface, built-ins exactly like
third-party ones (entry point group ``golive.check_kinds``)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

from golive.checks.spec import KindSpec

if TYPE_CHECKING:
    from golive.checks.context import CheckContext
    from golive.checks.result import Observation

__all__ = ["BUILTIN_KINDS", "CheckKind", "all_kinds", "get_kind", "register"]

BUILTIN_KINDS = ("http", "command", "tls", "dns", "tcp", "env", "file", "sql", "metric", "log", "manual")


class CheckKind:
    """One kind of machine verification.

    Subclasses set ``name``, ``spec`` (a :class:`KindSpec` subclass), the names
    conditions may use (``observes``), the conditions used when a check states
    none (``default_expect``), and implement :meth:`observe`, which measures and
    returns an Observation, or raises MeasurementError when it cannot measure.
    It must never raise for a verification that merely fails.
    """

    name: ClassVar[str]
    spec: ClassVar[type[KindSpec]]
    observes: ClassVar[frozenset[str]]
    default_expect: ClassVar[tuple[str, ...]] = ()

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        raise NotImplementedError

    def describe(self, spec: KindSpec) -> str:
        """A short human description of what this check looks at."""
        return spec.name or self.name


_REGISTRY: dict[str, CheckKind] = {}
_LOADED = False


def register(kind: CheckKind) -> CheckKind:
    _REGISTRY[kind.name] = kind
    return kind


def _load() -> None:
    global _LOADED  # noqa: PLW0603 - the registry is process-wide by design
    if _LOADED:
        return
    _LOADED = True
    for name in BUILTIN_KINDS:
        try:
            module = importlib.import_module(f"golive.checks.kinds.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"golive.checks.kinds.{name}":
                continue  # not built yet
            raise
        register(module.KIND)
    from importlib.metadata import entry_points

    for entry in entry_points(group="golive.check_kinds"):
        register(entry.load())


def get_kind(name: str) -> CheckKind | None:
    _load()
    return _REGISTRY.get(name)


def all_kinds() -> dict[str, CheckKind]:
    _load()
    return dict(_REGISTRY)
