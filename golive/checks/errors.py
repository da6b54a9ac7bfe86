"""Errors of the checks layer (all bad input: they name file:line or the field)."""

from golive.errors import InputError

__all__ = ["CheckSpecError", "ConditionError", "MeasurementError"]


class CheckSpecError(InputError):
    """A check definition that is invalid: unknown kind, unknown field, bad URL."""

    code = "invalid_check"


class ConditionError(CheckSpecError):
    """A condition that does not parse."""

    code = "invalid_condition"


class MeasurementError(Exception):
    """Raised by a check kind when it could not measure (host unreachable,
    timeout, no data). The runner turns it into an ``error`` result; it never
    reaches the user as an exception."""
