"""Who is acting: people and their site roles, API tokens, web sessions, and the
one table of which site role may take which action (:mod:`golive.auth.principal`).

The per-release roles of a runbook (QA Lead, approver, …) are decided by the
service layer on top of the site role: a site role is the ceiling of what a
person may do at all; the release's roles say what they may do in it.
"""
