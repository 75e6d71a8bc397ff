"""Rate limit for audit rows of refused attempts.

A refusal changes nothing, so a client hammering a forbidden method would otherwise turn each
attempt into a chained audit row (a write, under the chain lock) and flood the log. Identical
refusals (same user, action and reason) are written once per window, and each user gets a budget
of refusal rows per window. Nothing is lost silently: the next row written for that refusal or
that user carries how many attempts were folded into it (`repeats_suppressed`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    started: float
    written: int = 0
    suppressed: int = 0


class DeniedThrottle:
    def __init__(
        self,
        window_s: float = 60.0,
        rows_per_user: int = 20,
        max_tracked: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_s = window_s
        self._rows_per_user = rows_per_user
        self._max_tracked = max_tracked
        self._clock = clock
        self._refusals: OrderedDict[tuple[str, str, str], _Window] = OrderedDict()
        self._users: OrderedDict[str, _Window] = OrderedDict()

    def admit(self, user_id: str, action: str, reason: str) -> int | None:
        """None: fold this attempt into a later row. Otherwise write a row carrying this many folded attempts."""
        now = self._clock()
        key = (user_id, action, reason)
        refusal = self._refusals.get(key)
        if refusal is not None and now - refusal.started < self._window_s:
            refusal.suppressed += 1
            return None
        user = self._fresh(self._users, user_id, now)
        if user.written >= self._rows_per_user:
            user.suppressed += 1
            return None
        carried = user.suppressed + (refusal.suppressed if refusal is not None else 0)
        user.written += 1
        user.suppressed = 0
        self._refusals[key] = _Window(started=now)
        self._refusals.move_to_end(key)
        self._trim(self._refusals)
        return carried

    def _fresh(self, table: OrderedDict[str, _Window], user_id: str, now: float) -> _Window:
        window = table.get(user_id)
        if window is None:
            window = table[user_id] = _Window(started=now)
        elif now - window.started >= self._window_s:
            window.started, window.written = now, 0  # suppressed attempts carry over to the next row
        table.move_to_end(user_id)
        self._trim(table)
        return window

    def _trim(self, table: OrderedDict) -> None:  # type: ignore[type-arg]
        while len(table) > self._max_tracked:
            table.popitem(last=False)
