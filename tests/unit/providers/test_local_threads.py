"""The local model's default thread count leaves room for the daemon (torch's all-cores default stalls it)."""

from auralinkd.providers.local import LocalModel, default_threads


def test_default_threads_is_half_the_cores_at_least_one_at_most_eight() -> None:
    assert [default_threads(n) for n in (1, 2, 4, 16, 64)] == [1, 1, 2, 8, 8]


def test_a_configured_thread_count_wins() -> None:
    assert LocalModel(None, threads=3).threads == 3
    assert LocalModel(None).threads == default_threads()
