"""The REST API under ``/api/v1``: parse, call the service layer as the
authenticated person, answer JSON. No rule lives here: each route names its
action (:class:`~golive.web.security.Require`) and the services decide the rest.

Actions with a side effect take an ``Idempotency-Key``; release actions take
``expect_seq`` (the ``seq`` of the state the person decided on): when the
release moved on since, the answer is 409 ``stale`` and nothing is written.

One module per concern, each with its own router, all included here (in this
order, which is the order routes are matched in):

- :mod:`~golive.web.api.session`: health, signing in and out, ``/me``;
- :mod:`~golive.web.api.runbooks`: a runbook linted or read;
- :mod:`~golive.web.api.releases`: a release and every action on it;
- :mod:`~golive.web.api.rollout`: its rollout;
- :mod:`~golive.web.api.records`: its audit, report and events;
- :mod:`~golive.web.api.people`: users and tokens;
- :mod:`~golive.web.api.common`: what they share.
"""

from __future__ import annotations

from fastapi import APIRouter

from golive.web.api import people, records, releases, rollout, runbooks, session
from golive.web.api.common import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=ERRORS)
for _part in (session, runbooks, releases, rollout, records, people):
    router.include_router(_part.router)
