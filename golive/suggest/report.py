"""What ``golive suggest`` found: proposals, items it could not compile, and the share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Proposal", "SuggestReport", "Unresolved"]


class Proposal(BaseModel):
    """A proposed check for one item, with the words it came from."""

    item: str | None = Field(description="the item's id; None when the words sit in a section with no item")
    section: str
    file: str | None
    line: int
    item_line: int | None = Field(default=None, description="the item's own line")
    sentence: str
    rule: str
    summary: str
    check: dict[str, Any]
    notes: list[str] = Field(default_factory=list)


class Unresolved(BaseModel):
    """An item a rule recognised but could not compile, and why."""

    item: str
    file: str | None
    line: int
    sentence: str
    rule: str
    reason: str


class SuggestReport(BaseModel):
    """Proposals for one runbook and how much of it they cover.

    ``machine_verifiable`` counts the items a rule recognises (whether or not it
    could compile them) plus the items that state a threshold on a known metric,
    a URL or an environment variable name; ``compiled`` counts those with at
    least one valid proposal; ``share`` is compiled / machine_verifiable.
    """

    runbook: str
    file: str | None
    items: int
    with_checks: int
    machine_verifiable: int
    compiled: int
    proposals: list[Proposal] = Field(default_factory=list)
    unresolved: list[Unresolved] = Field(default_factory=list)
    placeholders: list[str] = Field(default_factory=list)

    @property
    def share(self) -> float | None:
        if not self.machine_verifiable:
            return None
        return self.compiled / self.machine_verifiable

    def summary(self) -> str:
        name = self.file or self.runbook
        share = "n/a" if self.share is None else f"{self.share:.0%}"
        return (
            f"{name}: {self.compiled} of {self.machine_verifiable} machine-verifiable items "
            f"compiled ({share}); "
            f"{self.items} items, {self.with_checks} already with checks"
        )

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["share"] = None if self.share is None else round(self.share, 4)
        return data
