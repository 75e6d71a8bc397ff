"""Refusal audit rows are rate limited, and every folded attempt is counted on a later row."""

from __future__ import annotations

from auralinkd.audit.throttle import DeniedThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_identical_refusals_write_once_per_window_and_the_next_row_counts_the_rest() -> None:
    clock = Clock()
    throttle = DeniedThrottle(window_s=60, rows_per_user=20, clock=clock)
    assert throttle.admit("u1", "UserService/CreateUser", "needs users:create") == 0
    assert [throttle.admit("u1", "UserService/CreateUser", "needs users:create") for _ in range(5)] == [None] * 5
    clock.now = 59.9
    assert throttle.admit("u1", "UserService/CreateUser", "needs users:create") is None
    clock.now = 60.0
    assert throttle.admit("u1", "UserService/CreateUser", "needs users:create") == 6
    assert throttle.admit("u1", "UserService/CreateUser", "needs users:create") is None


def test_different_refusals_and_different_users_are_each_written() -> None:
    throttle = DeniedThrottle(window_s=60, rows_per_user=20, clock=Clock())
    assert throttle.admit("u1", "RoleService/CreateRole", "needs memories:write") == 0
    assert throttle.admit("u1", "RoleService/CreateRole", "needs audit:read") == 0
    assert throttle.admit("u1", "RoleService/AssignRole", "needs memories:write") == 0
    assert throttle.admit("u2", "RoleService/CreateRole", "needs memories:write") == 0


def test_a_user_varying_the_refusal_hits_a_row_budget_and_the_overflow_is_counted() -> None:
    clock = Clock()
    throttle = DeniedThrottle(window_s=60, rows_per_user=3, clock=clock)
    written = [throttle.admit("u1", f"Service/M{i}", "no") for i in range(10)]
    assert written == [0, 0, 0] + [None] * 7
    assert throttle.admit("u2", "Service/M0", "no") == 0  # another user's budget is separate
    clock.now = 61
    assert throttle.admit("u1", "Service/M99", "no") == 7


def test_tracking_stays_bounded() -> None:
    throttle = DeniedThrottle(window_s=60, rows_per_user=10**9, max_tracked=100, clock=Clock())
    for i in range(1000):
        throttle.admit(f"u{i}", "Service/M", str(i))
    assert len(throttle._refusals) == 100 and len(throttle._users) == 100
