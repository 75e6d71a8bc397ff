"""Registering a litellm callback in a test, and taking it away again completely.

litellm copies `litellm.callbacks` into its internal success and failure lists on the next call, so
setting `litellm.callbacks = []` afterwards leaves the callback registered for every later test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LISTS = (
    "callbacks",
    "input_callback",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


@contextmanager
def registered_callback(litellm: Any, callback: Any) -> Iterator[None]:
    saved = {name: list(getattr(litellm, name)) for name in _LISTS}
    litellm.callbacks = [callback]
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(litellm, name, value)
