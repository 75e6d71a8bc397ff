"""The offline model's converted weights are cached in the data dir, and the cached model is the same model."""

from __future__ import annotations

import time
from pathlib import Path

from auralinkd.providers import weights_cache
from auralinkd.providers.local import LocalModel, resolve_source

PROMPT = [{"role": "user", "content": "Name three colours."}]


def _wait_for_entry(entry: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not weights_cache.complete(entry):
        assert time.monotonic() < deadline, f"no cache entry at {entry}"
        time.sleep(0.2)
    assert not list(entry.parent.glob(".partial-*"))  # the temporary folder went with the rename


async def test_a_second_load_reads_the_cached_weights_and_generates_the_same_text(tmp_path: Path) -> None:
    first = LocalModel(None, threads=1, cache_dir=tmp_path)
    converted = await first.complete(PROMPT, 12, None)
    assert first.loaded_from == "gguf"
    source = resolve_source(None)
    entry = tmp_path / weights_cache.entry_name(source.directory / str(source.gguf_file))
    _wait_for_entry(entry)

    second = LocalModel(None, threads=1, cache_dir=tmp_path)
    cached = await second.complete(PROMPT, 12, None)
    assert second.loaded_from == "cache"
    assert cached.text == converted.text and cached.completion_tokens == converted.completion_tokens
    state, again = first._model.state_dict(), second._model.state_dict()
    assert state.keys() == again.keys() and all(state[k].equal(again[k]) for k in state)


def test_an_entry_is_named_by_the_file_and_the_library_versions(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights one")
    one = weights_cache.entry_name(model)
    model.write_bytes(b"weights two")
    assert weights_cache.entry_name(model) != one
    assert not weights_cache.complete(tmp_path / one)  # an entry without its files is never used
