"""The acting person and the one table of what each site role may do.

Site roles, each including the ones before it:

- ``viewer``: reads everything (releases, runbooks, status, events, audit, reports);
- ``operator``: does the work: starts releases, works items, runs checks, starts,
  promotes, pauses, resumes and aborts rollouts, hits the emergency stop;
- ``approver``: gives approvals: signs off, revokes, waives, records decisions,
  resolves open intents, upgrades and reconfigures releases, assigns roles;
- ``admin``: manages people and every API token.

The site role is a ceiling. Inside it, the release's own roles decide (only a
QA Lead signs off as QA Lead; only the release's ``approver`` records a
decision): those rules live in the release and rollout services, which call
:func:`permit` first. A person working on the machine itself with the CLI
(``Principal.local``) has no ceiling: whoever can open the database file could
write it anyway, so only the release's roles apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from golive.errors import ForbiddenError, InputError

__all__ = ["ACTIONS", "SITE_ROLES", "Actor", "Principal", "at_least", "permit", "site_role"]

SITE_ROLES = ("viewer", "operator", "approver", "admin")

ACTIONS: dict[str, str] = {
    # reading
    "read": "viewer",
    # the work
    "runbook.lint": "viewer",
    "release.start": "operator",
    "item": "operator",
    "comment": "operator",
    "attach": "operator",
    "checks": "operator",
    "rollout.start": "operator",
    "rollout.promote": "operator",
    "rollout.pause": "operator",
    "rollout.resume": "operator",
    "rollout.abort": "operator",
    "rollout.stop": "operator",
    # approvals
    "signoff": "approver",
    "revoke": "approver",
    "waive": "approver",
    "decide": "approver",
    "assign": "approver",
    "upgrade": "approver",
    "reconfigure": "approver",
    "rollout.resolve": "approver",
    # people and tokens
    "user.manage": "admin",
    "token.manage": "admin",
}
"""Action -> the least site role that may take it. Every route of the API names
one of these; a test fails on a route that names none."""


@dataclass(frozen=True)
class Principal:
    """An authenticated person: ``via`` is ``local`` (the CLI on this machine),
    ``session`` (the dashboard) or ``token`` (an API token, ``token_id``)."""

    name: str
    role: str
    via: str = "local"
    token_id: str | None = None

    @classmethod
    def local(cls, name: str) -> Principal:
        return cls(name=name, role="admin", via="local")

    @property
    def is_local(self) -> bool:
        return self.via == "local"


Actor = str | Principal
"""What a service action takes: a Principal, or a plain name (the CLI on this machine)."""


def site_role(role: str, *, field: str = "--role") -> str:
    """``role`` checked against the site roles (InputError naming ``field``)."""
    value = role.strip().lower()
    if value not in SITE_ROLES:
        raise InputError(f"unknown role {role!r} (roles: {', '.join(SITE_ROLES)})", location=field)
    return value


def at_least(role: str, needed: str) -> bool:
    return SITE_ROLES.index(role) >= SITE_ROLES.index(needed)


def permit(actor: Actor, action: str) -> str:
    """The acting person's name, once their site role allows ``action``; else
    ForbiddenError (nothing is written). A plain name is a local principal."""
    needed = ACTIONS[action]
    if isinstance(actor, str):
        return actor
    if actor.is_local or at_least(actor.role, needed):
        return actor.name
    raise ForbiddenError(
        f"{actor.name} is {_article(actor.role)} {actor.role}; {action} needs {needed} or above"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
