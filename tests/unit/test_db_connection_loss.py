"""Which database errors mean "the connection is gone" (UNAVAILABLE) and which are the query's own (#22.1)."""

from __future__ import annotations

import asyncpg
import pytest

from auralinkd.db.database import is_connection_loss


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed"),
        asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_connection_loss_is_recognised(error: BaseException) -> None:
    assert is_connection_loss(error)


def test_loss_is_recognised_through_the_exception_chain_and_groups() -> None:
    try:
        try:
            raise asyncpg.AdminShutdownError("terminating connection")
        except asyncpg.AdminShutdownError:
            raise RuntimeError("while rolling back") from None  # __context__ still holds the loss
    except RuntimeError as wrapped:
        assert is_connection_loss(wrapped)
    assert is_connection_loss(ExceptionGroup("calls", [ValueError("x"), BrokenPipeError()]))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
        ValueError("bad input"),
    ],
)
def test_errors_of_the_query_itself_are_not_connection_loss(error: BaseException) -> None:
    assert not is_connection_loss(error)
