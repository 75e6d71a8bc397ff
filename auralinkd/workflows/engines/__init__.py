"""The engines behind the run API, one module each, loaded on first use.

An engine validates a definition without its framework (create must stay cheap and must not load
it), then runs it: `start` from the inputs, `resume` after an interrupt or a crash (from the engine's
last checkpoint), and `cancel` is the caller cancelling the task that runs `start`/`resume`. LangGraph
keeps its checkpoints in its own PostgresSaver; the other engines keep theirs through
`RunContext.checkpoint` (our database, under the run owner's tenant), written as each step finishes.
Framework imports live only inside the engine's module, inside the functions that need them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.errors import InvalidArgument

ENGINES = ("langgraph", "crewai", "autogen", "prefect")
# Engines with a module here (all of them); another would be refused on create with what is missing.
AVAILABLE = ENGINES

# emit(kind, step, data): a persisted event (the run's next seq) published on the bus.
Emit = Callable[[str, str, dict[str, Any]], Awaitable[None]]
# live(kind, step, data): a bus-only event (LLM tokens): watchers see it, nothing is stored.
Live = Callable[[str, str, dict[str, Any]], Awaitable[None]]


@dataclass
class Services:
    """What an engine's steps use: our gateway and memory, never a framework's own clients."""

    completions: Any  # auralinkd.providers.completions.CompletionService
    memory: Any  # auralinkd.memory.service.MemoryService
    checkpoints: Any  # engine-specific checkpoint store (LangGraph: a PostgresSaver), or None
    mcp: Any = None  # auralinkd.mcp.service.MCPService: tool steps
    llm_timeout_s: float = 120.0


class Checkpoint(Protocol):
    """A run's engine checkpoints: JSON values under keys the engine names, stored under the run owner's
    tenant and kept until the run is deleted (another replica that adopts the run reads them)."""

    async def put(self, key: str, value: Any) -> None: ...

    async def get(self, key: str) -> Any: ...

    async def all(self, prefix: str = "") -> dict[str, Any]: ...


@dataclass
class RunContext:
    run_id: UUID
    caller: Caller  # the run's owner: budgets, usage and memory scope are theirs
    definition: dict[str, Any]
    inputs: dict[str, str]
    services: Services
    emit: Emit
    live: Live
    checkpoint: Checkpoint
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How a start or resume ended: COMPLETED with an output, or waiting for input with a prompt."""

    output: dict[str, Any] | None = None
    waiting_prompt: str | None = None
    waiting_step: str = ""


class Engine(Protocol):
    name: str

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        """The normalised definition, or InvalidArgument naming the path (`nodes[2].agent`)."""
        ...

    async def start(self, run: RunContext) -> Outcome: ...

    async def resume(self, run: RunContext, answer: str | None) -> Outcome:
        """After an interrupt (`answer` given) or a crash (None: continue from the last checkpoint)."""
        ...


_loaded: dict[str, Engine] = {}
_data_dir: list[Path] = []


def configure(data_dir: Path) -> None:
    """The daemon's data dir, given at start: a framework that keeps files of its own keeps them under it."""
    _data_dir[:] = [Path(data_dir).resolve()]


def data_dir() -> Path:
    """The daemon's data dir (absolute); without `configure`, the environment's."""
    return _data_dir[0] if _data_dir else Path(os.environ.get("AURALINK_DATA_DIR", ".data")).resolve()


def engine(name: str) -> Engine:
    """The engine called `name`, its module imported on first use."""
    if name not in ENGINES:
        raise InvalidArgument.for_field("engine", f"must be one of {', '.join(ENGINES)}, got {name!r}")
    if name not in AVAILABLE:
        raise InvalidArgument.for_field(
            "engine", f"the {name} engine is not available in this build yet (available: {', '.join(AVAILABLE)})"
        )
    if name not in _loaded:
        module = importlib.import_module(f"auralinkd.workflows.engines.{name}")
        _loaded[name] = module.ENGINE
    return _loaded[name]
