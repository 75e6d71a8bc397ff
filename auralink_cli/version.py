"""The client's version: the installed "auralink" distribution's, else "0.0.0".

Kept out of __init__.py so it works even when an old editable install maps auralink_cli as a
namespace package (then __init__.py is not run).
"""

from __future__ import annotations

from functools import cache


@cache
def client_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("auralink")
    except metadata.PackageNotFoundError:
        return "0.0.0"
