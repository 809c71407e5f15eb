"""Domain errors: what a service refuses, carrying the HTTP status the API answers with.

Services raise them; the API's single handler and the command line render them. ``code``
is a stable machine-readable name, the message a sentence for a person.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel


class DomainError(Exception):
    """A request the domain refuses; ``status_code`` and ``code`` say how to answer it."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(DomainError):
    """No credentials, or credentials that identify no one (unknown or revoked token)."""

    status_code = 401
    code = "unauthorized"


class NotFound(DomainError):
    """No such object, or none the caller may see (outside its scope answers the same)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The object changed under the caller, or its state does not allow the change."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    """The caller's role may not do this."""

    status_code = 403
    code = "forbidden"


class InvalidInput(DomainError):
    """An argument is missing or out of range; the message names it."""

    status_code = 422
    code = "invalid_input"


class TooLarge(DomainError):
    """A request body over the configured limit."""

    status_code = 413
    code = "too_large"


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a sentence for a person, and structured ``details``
    (for a validation error, each offending field)."""

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """The one shape of every error the API answers with."""

    error: ErrorDetail
