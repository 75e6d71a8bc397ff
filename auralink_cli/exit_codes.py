"""The one table from gRPC status code to `auralink` exit code, so scripts can branch on failures.

Codes are part of the CLI's contract; never renumber one. `status` adds 7 and 8 for a reachable
daemon that is degraded or not ready.
"""

from __future__ import annotations

OK = 0
UNEXPECTED = 1  # a bug somewhere: INTERNAL, UNKNOWN, DATA_LOSS, or an unexpected client error
USAGE = 2  # bad command line (Click's default) or INVALID_ARGUMENT / OUT_OF_RANGE
UNREACHABLE = 3  # the daemon cannot be reached: UNAVAILABLE, connection refused, socket missing
AUTH = 4  # UNAUTHENTICATED or PERMISSION_DENIED
NOT_FOUND = 5
CONFLICT = 6  # ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION
DEGRADED = 7  # `status` only: serving, with a fallback in use
NOT_READY = 8  # `status` only: STARTING, NOT_SERVING or STOPPING
RESOURCE_EXHAUSTED = 9
DEADLINE_EXCEEDED = 10
PROVIDER_FAILED = 11  # the daemon answered: every upstream provider failed (UNAVAILABLE, reason PROVIDER_FAILED)
RUN_FAILED = 12  # `runs start --watch`, `runs watch`: the run ended FAILED or CANCELLED
RUN_WAITING = 13  # ... the run waits for input (`auralink runs resume`)

# Keyed by the name of grpc.StatusCode so that importing this module does not import grpc.
GRPC_EXIT_CODES: dict[str, int] = {
    "OK": OK,
    "CANCELLED": UNEXPECTED,
    "UNKNOWN": UNEXPECTED,
    "INTERNAL": UNEXPECTED,
    "DATA_LOSS": UNEXPECTED,
    "UNIMPLEMENTED": UNEXPECTED,
    "INVALID_ARGUMENT": USAGE,
    "OUT_OF_RANGE": USAGE,
    "UNAVAILABLE": UNREACHABLE,
    "UNAUTHENTICATED": AUTH,
    "PERMISSION_DENIED": AUTH,
    "NOT_FOUND": NOT_FOUND,
    "ALREADY_EXISTS": CONFLICT,
    "ABORTED": CONFLICT,
    "FAILED_PRECONDITION": CONFLICT,
    "RESOURCE_EXHAUSTED": RESOURCE_EXHAUSTED,
    "DEADLINE_EXCEEDED": DEADLINE_EXCEEDED,
}


# The status name a CLI-side failure (no call made) reports under `-o json`.
CODE_NAMES: dict[int, str] = {
    UNEXPECTED: "UNKNOWN",
    USAGE: "INVALID_ARGUMENT",
    UNREACHABLE: "UNAVAILABLE",
    AUTH: "UNAUTHENTICATED",
    NOT_FOUND: "NOT_FOUND",
    CONFLICT: "FAILED_PRECONDITION",
    DEGRADED: "DEGRADED",
    NOT_READY: "NOT_READY",
    RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
    DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    PROVIDER_FAILED: "UNAVAILABLE",
}


def exit_code_for(status_name: str) -> int:
    """Exit code for a gRPC status code name ("NOT_FOUND"); unknown names are unexpected errors."""
    return GRPC_EXIT_CODES.get(status_name, UNEXPECTED)


class CliError(Exception):
    """A failure to report as one `error: <message>` line on stderr (a JSON object under `-o json`),
    exiting with `exit_code`. `code` is the gRPC status name when a call failed."""

    def __init__(
        self,
        exit_code: int,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        violations: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message
        self.code = code or CODE_NAMES.get(exit_code, "UNKNOWN")
        self.request_id = request_id
        self.violations = violations or []

    def as_dict(self) -> dict[str, object]:
        """The `-o json` shape of an error (pinned by tests)."""
        return {
            "error": {
                "code": self.code,
                "exit_code": self.exit_code,
                "message": self.message,
                "request_id": self.request_id,
                "field_violations": [{"field": f, "description": d} for f, d in self.violations],
            }
        }
