"""Errors raised by services when an office rule forbids what was asked."""

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    """A rule of the office said no. `message` is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def as_validation_error(self) -> ValidationError:
        if self.field:
            return ValidationError({self.field: [self.message]})
        return ValidationError(self.message)


class ChangedMeanwhile(ApplicationError):
    """The record was changed by someone else since the caller read it; nothing was saved."""
