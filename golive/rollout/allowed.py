"""What a person may do on a release now: the actions the dashboard offers them.

Nothing here is a rule of its own: each answer asks the function that decides
the action (:func:`golive.auth.principal.permit` for the site role, then the
release and rollout services' own checks), so a button is shown exactly when
the action would be accepted by its role checks. The action itself still
decides again when it is taken (the state may have moved on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from golive.auth.principal import Actor, permit
from golive.errors import ActionError
from golive.release.decide import required_signoffs
from golive.release.service import APPROVER
from golive.rollout.service import RolloutService

__all__ = ["Allowed", "allowed_actions"]

ROLLOUT_ACTIONS = ("start", "promote", "pause", "resume", "abort", "stop", "resolve")


@dataclass
class Allowed:
    items: bool = False
    checks: bool = False
    comment: bool = False
    signoff_roles: list[str] = field(default_factory=list)
    """The sign-offs this person may give now."""
    revoke_roles: list[str] = field(default_factory=list)
    waive: bool = False
    decide: bool = False
    rollout: dict[str, bool] = field(default_factory=dict)

    def may(self, action: str) -> bool:
        if action.startswith("rollout."):
            return self.rollout.get(action.removeprefix("rollout."), False)
        if action == "signoff":
            return bool(self.signoff_roles)
        if action == "revoke":
            return bool(self.revoke_roles)
        return bool(getattr(self, action, False))


def _site(actor: Actor, action: str) -> bool:
    try:
        permit(actor, action)
    except ActionError:
        return False
    return True


def allowed_actions(service: RolloutService, release_id: str, actor: Actor) -> Allowed:
    releases = service.releases
    release, state = releases.load(release_id)
    name = actor if isinstance(actor, str) else actor.name
    allowed = Allowed(
        items=_site(actor, "item"),
        checks=_site(actor, "checks"),
        comment=_site(actor, "comment"),
    )
    if _site(actor, "signoff"):
        for role in required_signoffs(state, releases.in_force(state)):
            try:
                releases.signoff_role(release, state, role, name)
            except ActionError:
                continue
            allowed.signoff_roles.append(role)
    if _site(actor, "revoke"):
        allowed.revoke_roles = releases.revocable(state, name)
    approver = APPROVER in state.roles_of(name)
    allowed.waive = approver and _site(actor, "waive")
    allowed.decide = approver and _site(actor, "decide")
    for action in ROLLOUT_ACTIONS:
        try:
            service.authorize(release_id, action, actor)
        except ActionError:
            allowed.rollout[action] = False
        else:
            allowed.rollout[action] = True
    return allowed
