"""`python -m bench [AREA] [ARGS...]`: run one benchmark area, or every area when none is given.

An area is any `bench/<area>.py` module with a `main(argv) -> int` function; ARGS (e.g. `--quick`) go to each.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path

_NOT_AREAS = {"common"}


def candidates() -> list[str]:
    """Names of the modules in bench/ that could be areas (not packages, not private, not helpers)."""
    infos = pkgutil.iter_modules([str(Path(__file__).parent)])
    return sorted(i.name for i in infos if not i.ispkg and not i.name.startswith("_") and i.name not in _NOT_AREAS)


def load(name: str) -> Callable[[list[str]], int] | None:
    entry = getattr(importlib.import_module(f"bench.{name}"), "main", None)
    return entry if callable(entry) else None


def discover() -> dict[str, Callable[[list[str]], int]]:
    """Every `bench/<area>.py` that defines `main(argv)`, by area name."""
    areas = {name: load(name) for name in candidates()}
    return {name: entry for name, entry in areas.items() if entry is not None}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench [AREA] [--quick] [...]\nareas: {', '.join(discover()) or '(none)'}")
        return 0
    if argv and not argv[0].startswith("-"):
        # One area: import only its module, so another area's heavy or broken imports cannot stop it.
        area, rest = argv[0], argv[1:]
        entry = load(area) if area in candidates() else None
        if entry is None:
            print(f"bench: no area {area!r}; areas: {', '.join(candidates()) or '(none)'}", file=sys.stderr)
            return 2
        return entry(rest)
    areas = discover()
    worst = 0
    for area, entry in areas.items():
        print(f"== {area} ==", flush=True)
        worst = max(worst, entry(list(argv)))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
