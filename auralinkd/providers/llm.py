"""litellm, imported lazily and once (it takes seconds), with the local price map, no telemetry and no
per-call bookkeeping that only litellm's own callbacks read.

Two more per-call costs are cut (bench/llm_gateway.py measures what each saves):
- OpenAI-wire calls go through litellm's own HTTP handler instead of the openai SDK it otherwise wraps
  (litellm's EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER switch; an operator can set it to False);
- `acompletion` builds each request in a worker thread (`run_in_executor`), a thread hop per call that
  costs most on a busy machine. Inside `inline_request_building()` that step runs on the event loop
  instead; the gateway opts in only for providers whose request building does no I/O.
OpenAI-wire calls, unary or streamed, skip `acompletion` altogether for litellm's provider layer
(openai_wire.py); these settings serve every other provider.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
                os.environ.setdefault("EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER", "True")
                import litellm

                litellm.telemetry = False
                litellm.suppress_debug_info = True
                litellm.drop_params = True  # a provider that lacks a parameter ignores it
                litellm.turn_off_message_logging = True  # prompts never reach litellm's loggers
                quiet_per_call_logging()
                skip_callback_bookkeeping(litellm)
                build_requests_inline(litellm)
                _module = litellm
    return _module


_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")


def quiet_per_call_logging() -> None:
    """litellm logs every call at INFO; the daemon logs its own calls. Its warnings and errors still show,
    and a daemon run at DEBUG keeps all of litellm's lines."""
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        return
    for name in _LITELLM_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


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


# -- request building on the event loop ------------------------------------------------------------

_INLINE = contextvars.ContextVar("auralink_litellm_inline", default=False)


@contextmanager
def inline_request_building() -> Iterator[None]:
    """litellm calls made inside run their (I/O-free) request building on the event loop, not in a thread."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


class _InlineLoop:
    """The running loop, except that run_in_executor(None, f) runs f now and returns its settled future."""

    __slots__ = ("_loop",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        if executor is not None or not _INLINE.get():
            return self._loop.run_in_executor(executor, func, *args)
        future = self._loop.create_future()
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller, as the executor would
            future.set_exception(exc)
        return future


class _AsyncioForLitellm(types.ModuleType):
    """`asyncio` as litellm.main sees it: the same module, with get_event_loop() giving the inline loop
    while `inline_request_building()` is active."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    def get_event_loop() -> Any:
        loop = asyncio.get_event_loop()
        return _InlineLoop(loop) if _INLINE.get() else loop


def build_requests_inline(litellm: Any) -> bool:
    """Gives litellm.main the asyncio view above; False (and litellm's own behaviour) where it has none."""
    main = getattr(litellm, "main", None)
    if main is None or not hasattr(main, "asyncio"):
        log.warning("litellm.main has no asyncio attribute: requests are built in a worker thread")
        return False
    if not isinstance(main.asyncio, _AsyncioForLitellm):
        main.asyncio = _AsyncioForLitellm("asyncio")
    return True
