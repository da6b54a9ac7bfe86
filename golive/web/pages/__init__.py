"""The dashboard's pages (server-rendered with Jinja2, htmx for the live parts).

- ``/login`` (public) and ``/logout``: the session cookie, as ``POST /api/v1/session`` sets it;
- ``/``: the releases; ``/releases/{id}``: one release (phases on the T-minus timeline,
  gates, sign-offs, the decision with every reason, the rollout with its triggers'
  charts, the event timeline, the audit); ``/releases/{id}/board``: the war-room
  board; ``/releases/{id}/runbook``: the runbook as rendered Markdown with each
  item's status; ``/releases/{id}/report``: the report;
- ``/releases/{id}/fragment/{name}``: one live part of a page, which ``golive.js``
  asks htmx to fetch again when the release's event stream says it changed.

Pages only read. Every action is a call of the JSON API from ``golive.js`` with the
session's CSRF token (``<meta name="csrf-token">``), and the buttons shown are the
actions :func:`~golive.rollout.allowed.allowed_actions` says the person may take.
A request without a session is sent to ``/login``; the page's other errors are an
HTML page with the API's message. Templates autoescape; runbook Markdown is
rendered with HTML turned off, so its text can never inject markup.

The modules:

- :mod:`~golive.web.pages.routes`: the routes (each a ``PageRoute``), signing in and out;
- :mod:`~golive.web.pages.release_page`: ``ReleasePage``, a release as the pages show it;
- :mod:`~golive.web.pages.actions`: the buttons, and what each posts to the API;
- :mod:`~golive.web.pages.events`: a release's events in words;
- :mod:`~golive.web.pages.runbook_page`: the runbook as HTML;
- :mod:`~golive.web.pages.render`: the templates and how values are written in them.
"""

from __future__ import annotations

from golive.web.pages.routes import FRAGMENTS, router
from golive.web.pages.runbook_page import render_runbook

__all__ = ["FRAGMENTS", "render_runbook", "router"]
