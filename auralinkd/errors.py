"""Domain errors: the only exceptions services raise on purpose.

Domains know nothing of gRPC; `auralinkd.api.errors` maps each class to a status code in one table.
Messages are for humans and must never carry secrets, SQL or stack traces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field and why, sent to clients as google.rpc.BadRequest."""

    field: str
    description: str


class AuralinkError(Exception):
    """Base of every deliberate domain error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the caller sent something wrong ------------------------------------------------------------


class InvalidArgument(AuralinkError):
    """The request is malformed or a value is out of range."""

    def __init__(self, message: str, violations: list[FieldViolation] | None = None) -> None:
        super().__init__(message)
        self.violations: list[FieldViolation] = violations or []

    @classmethod
    def for_field(cls, name: str, description: str) -> InvalidArgument:
        return cls(f"{name}: {description}", [FieldViolation(name, description)])


class NotFound(AuralinkError):
    """The named resource does not exist (or is invisible to the caller)."""


class AlreadyExists(AuralinkError):
    """A resource with the same identity already exists."""


class FailedPrecondition(AuralinkError):
    """The system is not in a state where this operation can run."""


class Aborted(AuralinkError):
    """A concurrency conflict, such as a stale etag; the caller may retry after re-reading."""


class OutOfRange(AuralinkError):
    """A value is valid in type but past the end of what exists (a cursor, a sequence number)."""


# -- who is calling ----------------------------------------------------------------------------


class Unauthenticated(AuralinkError):
    """No credentials, or credentials that are expired, forged or revoked."""


class PermissionDenied(AuralinkError):
    """The caller is known but lacks the permission the operation needs."""


# -- the system ---------------------------------------------------------------------------------


class ResourceExhausted(AuralinkError):
    """A quota, budget or rate limit is used up."""


class Unavailable(AuralinkError):
    """A dependency (database, provider) cannot be reached right now; retrying later may work."""


class ProviderFailed(Unavailable):
    """Every upstream provider (LLM, embeddings) the daemon called failed; the daemon itself is fine.

    Travels as UNAVAILABLE with google.rpc.ErrorInfo reason PROVIDER_FAILED, so a client can tell it
    from an unreachable daemon.
    """

    reason = "PROVIDER_FAILED"


class DeadlineExceeded(AuralinkError):
    """The caller's deadline passed before the work finished."""
