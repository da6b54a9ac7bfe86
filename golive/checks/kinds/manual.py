"""manual: a person attests what a machine cannot verify.

    checks:
      - {kind: manual, role: "QA lead", instructions: "Smoke-test checkout on a real phone"}

The check's attestation is looked up in the context's ``attestations`` under
``attestation_key``. golive's release layer sets that key (the item's id
within the release) when it runs a release's checks; a runbook does not write
it. Without a key or without an attestation the check is ``skipped`` ("needs
attestation by <role>"), which is what ``golive check`` shows for manual checks.

With an attestation: when ``role`` is unset, or the attester's role is
``role`` (compared without case and surrounding space), ``attested`` is true
and the check passes with the evidence "attested by <who> (<role>)"; a
different role fails the check.

Observes ``attested`` (bool), ``by`` and ``role`` (the attester's). Default
condition: ``attested``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from golive.checks.context import CheckContext
from golive.checks.registry import CheckKind
from golive.checks.result import Observation
from golive.checks.spec import KindSpec

__all__ = ["KIND", "ManualKind", "ManualSpec"]


def _norm(role: str) -> str:
    return " ".join(role.split()).casefold()


class ManualSpec(KindSpec):
    kind: Literal["manual"]
    role: str | None = None
    instructions: str = ""
    attestation_key: str | None = None
    """Set by golive's release layer, not by the runbook: where to find this
    check's attestation in :attr:`CheckContext.attestations`."""


class ManualKind(CheckKind):
    name: ClassVar[str] = "manual"
    spec: ClassVar[type[KindSpec]] = ManualSpec
    observes: ClassVar[frozenset[str]] = frozenset({"attested", "by", "role"})
    default_expect: ClassVar[tuple[str, ...]] = ("attested",)

    def describe(self, spec: KindSpec) -> str:
        assert isinstance(spec, ManualSpec)
        if spec.name:
            return spec.name
        text = " ".join(spec.instructions.split())
        if text:
            return f"manual: {text if len(text) <= 70 else text[:67] + '...'}"
        return f"manual ({spec.role})" if spec.role else "manual"

    async def observe(self, spec: KindSpec, ctx: CheckContext) -> Observation:
        assert isinstance(spec, ManualSpec)
        who = spec.role or "a person"
        attestation = ctx.attestations.get(spec.attestation_key) if spec.attestation_key else None
        if attestation is None:
            evidence = spec.instructions.strip()
            return Observation(
                values={"attested": False, "by": "", "role": ""},
                evidence=evidence,
                status="skipped",
                message=f"needs attestation by {who}",
            )
        role = attestation.role or ""
        by = f"attested by {attestation.by}" + (f" ({role})" if role else "")
        note = f"\nnote: {attestation.note}" if attestation.note else ""
        values: dict[str, Any] = {"by": attestation.by, "role": role}
        if spec.role is not None and _norm(role) != _norm(spec.role):
            values["attested"] = False
            needed = f"needs role {spec.role!r}"
            return Observation(
                values=values,
                evidence=f"{by}; this check {needed}{note}",
                status="failed",
                message=f"{by}, but this check {needed}",
            )
        values["attested"] = True
        return Observation(values=values, evidence=by + note)


KIND = ManualKind()
