"""Exceptions of the identity domain; the API layer maps each to a 422 problem-details answer.

Names follow the house style (``NotFound``, ``Conflict``, ``Invalid...``), not ruff's N818.
"""

from __future__ import annotations


class IdentityDomainError(Exception):
    """Base of every exception the identity domain raises."""


class InvalidInput(IdentityDomainError):
    """A value broke a validation rule; ``field`` and ``rule`` say which and why."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message} ({rule})")
        self.field = field
        self.rule = rule
        self.message = message


class InvalidIdentifier(InvalidInput):
    """An identifier (ID card, phone, e-mail, ...) failed its format or check-digit rule."""


class InvalidAttribute(InvalidInput):
    """A non-identifier attribute (birth date, gender, kind, ...) is malformed."""


class InvalidModel(IdentityDomainError):
    """A stored match model could not be read back (wrong fields, levels or probabilities)."""
