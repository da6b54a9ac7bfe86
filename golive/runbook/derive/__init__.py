"""What a runbook's structure means: schedules, owners, durations, optional items,
thresholds, gates, sign-offs, roles, contacts, escalation, rollout plans and the
document's own policies.

Runs after import, link merging and overlays, so annotations and overlays can
override every rule here (their values are applied last).

:func:`derive` runs the rules in order; each kind of meaning has its module:
:mod:`~golive.runbook.derive.sections` (metadata, schedules, owners, optional
items, thresholds), :mod:`~golive.runbook.derive.overrides` (annotations and
overlay data), :mod:`~golive.runbook.derive.gates`,
:mod:`~golive.runbook.derive.people` (sign-offs, contacts, escalation, roles),
:mod:`~golive.runbook.derive.criteria`, :mod:`~golive.runbook.derive.rollout`
and :mod:`~golive.runbook.derive.policies`.
"""

from __future__ import annotations

from typing import Any

from golive.runbook.derive.criteria import derive_criteria
from golive.runbook.derive.gates import derive_gates
from golive.runbook.derive.overrides import apply_annotation_pass, apply_annotations
from golive.runbook.derive.people import classify_table, derive_contacts, derive_roles, derive_sign_offs
from golive.runbook.derive.policies import derive_policies
from golive.runbook.derive.rollout import derive_rollout
from golive.runbook.derive.sections import derive_metadata, derive_sections, fill_phase_windows
from golive.runbook.model import Runbook

__all__ = ["apply_annotations", "derive"]


def derive(
    runbook: Runbook,
    *,
    annotations: dict[int, tuple[Any, dict[str, Any], str]],
    metadata_fields: list[tuple[str, str, int, int]],
    front_matter: dict[str, Any],
) -> Runbook:
    """Fill in everything the structure implies; mutate and return ``runbook``.

    ``metadata_fields`` are (key, value, line, section level) of the bold
    ``**Key**: value`` paragraphs.
    """
    derive_metadata(runbook, metadata_fields, front_matter)
    apply_annotation_pass(annotations, before_gates=True)  # owners and phases set by hand are inherited
    for section in runbook.sections:
        derive_sections(
            section, parents=[], day=None, parent_start=None, owner=None, context="normal", optional=False
        )
    fill_phase_windows(runbook.sections)
    apply_annotation_pass(annotations, before_gates=True)
    derive_gates(runbook.sections, runbook.gate_rules)
    apply_annotation_pass(annotations, before_gates=False)
    for section in runbook.walk_sections():
        for table in section.tables:
            classify_table(table, section.title)
    runbook.sign_offs = derive_sign_offs(runbook, annotations)
    runbook.contacts, runbook.escalation = derive_contacts(runbook)
    runbook.rollback_criteria, runbook.success_metrics = derive_criteria(runbook)
    runbook.rollout = derive_rollout(runbook)
    runbook.policies = derive_policies(runbook)
    runbook.roles = derive_roles(runbook)
    return runbook
