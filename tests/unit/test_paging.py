"""Keyset pages ordered by (created_at, id): the next token points at the last row shown, never past it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from auralinkd.errors import InvalidArgument
from auralinkd.paging import decode_time_id, encode_cursor, page_of

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def test_a_full_page_carries_the_position_of_its_last_row() -> None:
    rows = [{"created_at": NOW - timedelta(minutes=i), "id": uuid.uuid4()} for i in range(4)]  # size + 1
    shown, token = page_of(rows, 3)
    assert shown == rows[:3]
    assert decode_time_id(token) == (rows[2]["created_at"], rows[2]["id"])
    assert page_of(rows[:3], 3) == (rows[:3], "")  # no extra row: the last page


def test_tokens_this_server_did_not_issue_are_invalid() -> None:
    assert decode_time_id("") is None
    for token in ("not-base64!", encode_cursor({"t": "yesterday", "i": "x"}), encode_cursor({"n": "name"})):
        with pytest.raises(InvalidArgument, match="page_token"):
            decode_time_id(token)
