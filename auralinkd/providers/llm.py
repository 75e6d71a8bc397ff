"""litellm, imported lazily and once (it takes seconds), with the local price map and no telemetry."""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_module: Any = None


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
                _module = litellm
    return _module


def loaded() -> bool:
    return _module is not None
