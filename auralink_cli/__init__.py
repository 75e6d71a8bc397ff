"""`auralink`: the command-line client of AuraLink Core. It talks to auralinkd over gRPC only.

`__version__` is resolved lazily so that `auralink --help` does not pay for importlib.metadata.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from auralink_cli.version import client_version

        return client_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
