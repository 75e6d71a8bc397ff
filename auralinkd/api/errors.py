"""The one table from domain errors to gRPC status codes, and the rich status they travel in."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from auralinkd import errors

STATUS_FOR_ERROR: dict[type[errors.AuralinkError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Aborted: grpc.StatusCode.ABORTED,
    errors.OutOfRange: grpc.StatusCode.OUT_OF_RANGE,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.ProviderFailed: grpc.StatusCode.UNAVAILABLE,  # with ErrorInfo reason PROVIDER_FAILED
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
}

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_DOMAIN = "auralink.v1"


def status_code_for(error: errors.AuralinkError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        code = STATUS_FOR_ERROR.get(cls)
        if code is not None:
            return code
    return grpc.StatusCode.INTERNAL


def trailing_details(
    error: errors.AuralinkError, code: grpc.StatusCode, message: str | None = None
) -> tuple[tuple[str, bytes], ...]:
    """google.rpc.Status with BadRequest field violations, for clients that read rich errors.

    `message` is the status message as sent (it must match the one inside the rich status)."""
    reason = getattr(error, "reason", "")
    if reason:  # google.rpc.ErrorInfo: which failure of several sharing one status code
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN))
        with_info = status_pb2.Status(code=code.value[0], message=message or error.message, details=[info])
        return ((STATUS_DETAILS_KEY, with_info.SerializeToString()),)
    if not isinstance(error, errors.InvalidArgument) or not error.violations:
        return ()
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=error.message, details=[detail])
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)
