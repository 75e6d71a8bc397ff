"""litellm, imported lazily and once (it takes seconds), with the local price map, no telemetry and no
per-call bookkeeping that only litellm's own callbacks read."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_module: Any = None
# Success-side hooks litellm runs after every call. Both feed callbacks (loggers, spend trackers): the
# metadata hook prices the response again from the cost map, the logging hook queues a task that builds a
# standard logging payload with deep copies. The daemon registers no callback and prices calls itself
# (catalog.model_info, once per resolved target); together they were most of litellm's added latency.
_SKIPPED_HOOKS = ("dispatch_success_logging", "update_response_metadata")
_CALLBACK_LISTS = ("callbacks", "success_callback", "_async_success_callback")


def litellm_module() -> Any:
    """The configured litellm module; the first call imports it (call it off the event loop)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                # Nothing may be fetched at run time: the price map ships inside the package.
                os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import litellm

                litellm.telemetry = False
                litellm.suppress_debug_info = True
                litellm.drop_params = True  # a provider that lacks a parameter ignores it
                litellm.turn_off_message_logging = True  # prompts never reach litellm's loggers
                skip_callback_bookkeeping(litellm)
                _module = litellm
    return _module


def loaded() -> bool:
    return _module is not None


def callbacks_registered(litellm: Any) -> bool:
    return any(getattr(litellm, name, None) for name in _CALLBACK_LISTS)


def skip_callback_bookkeeping(litellm: Any) -> list[str]:
    """Wraps litellm's success hooks so they run only while a callback is registered; returns the hooks
    wrapped. A litellm without them (another version) keeps its own behaviour: slower, never wrong."""
    utils = litellm.utils
    wrapped = []
    for name in _SKIPPED_HOOKS:
        try:
            original = getattr(utils, name)
        except AttributeError:
            log.warning("litellm has no %s: its per-call bookkeeping stays on", name)
            continue
        if getattr(original, "_auralink_skips", False):
            wrapped.append(name)
            continue
        setattr(utils, name, _only_with_callbacks(litellm, original))
        wrapped.append(name)
    return wrapped


def _only_with_callbacks(litellm: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    def hook(*args: Any, **kwargs: Any) -> Any:
        if callbacks_registered(litellm):
            return original(*args, **kwargs)
        return None

    hook._auralink_skips = True  # type: ignore[attr-defined]
    hook.__wrapped__ = original  # type: ignore[attr-defined]
    return hook
