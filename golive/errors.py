"""The one error hierarchy of golive.

Errors are raised below the edges and rendered once at each edge: the CLI prints
one line and exits with :attr:`GoliveError.exit_code`; the API (later) answers
JSON with :attr:`GoliveError.code`. Nothing below the edge prints or exits.

A failed verification is never an error: checks return result values.
"""

from __future__ import annotations

__all__ = [
    "ActionError",
    "AuthError",
    "ForbiddenError",
    "GoliveError",
    "InputError",
    "NotFoundError",
    "OverlayError",
    "RunbookFormatError",
    "TamperedError",
]


class GoliveError(Exception):
    """Base class of every error golive raises on purpose."""

    code = "golive_error"
    exit_code = 2

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location:
            return f"{self.location}: {self.message}"
        return self.message


class InputError(GoliveError):
    """Bad input from the user: a missing file, an invalid format, a bad option.

    ``location`` names the file (and line and column where known) or the field.
    """

    code = "bad_input"


class RunbookFormatError(InputError):
    """A runbook file that cannot be read as a runbook (native YAML, annotations)."""

    code = "invalid_runbook"


class OverlayError(InputError):
    """An overlay file that is invalid or that does not match the runbook."""

    code = "invalid_overlay"


class NotFoundError(InputError):
    """A named thing (file, item, section) that does not exist."""

    code = "not_found"


class ActionError(InputError):
    """An action that is not allowed now (wrong role, wrong state, duplicate)."""

    code = "not_allowed"


class TamperedError(GoliveError):
    """A stored fact a command needs does not match its record: the database was
    edited behind golive's back. The command refuses to act on it."""

    code = "tampered"
    exit_code = 1


class AuthError(GoliveError):
    """No valid credentials: a missing, expired or revoked token or session, a
    wrong password, a locked account. The API answers 401."""

    code = "unauthenticated"
    exit_code = 2


class ForbiddenError(ActionError):
    """Authenticated, but the site role does not allow the action. The API answers 403."""

    code = "forbidden"
