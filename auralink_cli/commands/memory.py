"""`auralink memory …` (MemoryService): store, recall, list, show, delete, link, unlink, related, evolve,
stats, import (JSONL, with a progress bar and per-item outcomes) and export (JSONL that import takes back).

The JSONL parsing and request building are plain functions so unit tests pin them without a daemon.
Calls that embed text (store, recall, import) get at least a 60 s deadline: the daemon loads its
embedding model on first use.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.commands import storage
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.memory import (
    evolve_table,
    import_table,
    memories_table,
    memory_table,
    recall_table,
    related_table,
    stats_table,
    store_table,
)

if TYPE_CHECKING:
    from auralink.v1 import memory_pb2
    from auralink_cli.client import Client
    from auralink_cli.profiles import Settings

memory_app = typer.Typer(
    name="memory", help="Long-term memories: store, recall, evolve, import/export.", no_args_is_help=True
)

EMBED_TIMEOUT_S = 60.0
IMPORT_CHUNK = 64
MODALITIES = ("text", "audio_transcript", "image_caption")
KINDS = ("updates", "extends", "derived_from", "contradicts")
STATES = ("active", "archived", "deleted")
# What an exported line holds; import reads the same keys (id and state are informative only).
EXPORT_KEYS = (
    "id", "content", "metadata", "tags", "importance", "modality", "source", "agent_id", "room_id", "session_id",
    "create_time", "state",
)  # fmt: skip

TagOption = typer.Option("--tag", "-t", help="A tag (repeatable).")
AgentOption = typer.Option("--agent", help="Scope: an agent id.")
RoomOption = typer.Option("--room", help="Scope: a room id.")
SessionOption = typer.Option("--session", help="Scope: a session id.")
UserOption = typer.Option("--user", help="Scope: another user's id (org admins only).")
ModelOption = typer.Option("--model", help="Embedding model (default: the local all-MiniLM-L6-v2).")


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")


# --- request building ------------------------------------------------------------------------


def _call(settings: Settings, use: Callable[[Client], Any]) -> Any:
    return common.connected(settings, use)


def _embed_timeout(settings: Settings) -> float:
    return max(settings.timeout or 0.0, EMBED_TIMEOUT_S)


def parse_metadata(text: str | None, option: str = "--metadata") -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(USAGE, f"{option}: not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CliError(USAGE, f"{option}: must be a JSON object, got {type(value).__name__}")
    return value


def scope(
    user: str | None = None, agent: str | None = None, room: str | None = None, session: str | None = None
) -> memory_pb2.MemoryScope:
    from auralink.v1 import memory_pb2 as pb

    return pb.MemoryScope(user_id=user or "", agent_id=agent or "", room_id=room or "", session_id=session or "")


def modality_value(name: str) -> int:
    from auralink.v1 import memory_pb2 as pb

    name = name.lower()  # the JSON output writes enum names in capitals
    if name not in MODALITIES:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}, got {name!r}")
    return int(pb.MemoryModality.Value(f"MEMORY_MODALITY_{name.upper()}"))


def record_to_input(record: dict[str, Any]) -> memory_pb2.MemoryInput:
    """One JSONL record (the shape `export` writes) as a MemoryInput; ValueError says what is wrong."""
    from google.protobuf.timestamp_pb2 import Timestamp

    from auralink.v1 import memory_pb2 as pb

    content = record.get("content")
    if not isinstance(content, str):
        raise ValueError("content must be a string")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a JSON object")
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags must be a list of strings")
    item = pb.MemoryInput(
        content=content,
        tags=tags,
        modality=modality_value(record.get("modality") or "text"),
        source=str(record.get("source") or ""),
        scope=scope(None, record.get("agent_id"), record.get("room_id"), record.get("session_id")),
    )
    item.metadata.update(metadata)
    importance = record.get("importance")
    if importance is not None:
        if not isinstance(importance, int | float) or isinstance(importance, bool):
            raise ValueError("importance must be a number")
        item.importance = float(importance)
    created = record.get("create_time")
    if created:
        stamp = Timestamp()
        try:
            stamp.FromJsonString(str(created))
        except ValueError:
            raise ValueError(f"create_time is not an RFC 3339 time: {created!r}") from None
        item.create_time.CopyFrom(stamp)
    return item


def parse_jsonl(lines: Iterable[str]) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    """(line number, MemoryInput) for good lines, (line number, why) for malformed ones; blank lines skipped."""
    good: list[tuple[int, Any]] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            bad.append((number, f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            bad.append((number, "expected a JSON object"))
            continue
        try:
            good.append((number, record_to_input(record)))
        except ValueError as exc:
            bad.append((number, str(exc)))
    return good, bad


def export_record(memory: dict[str, Any]) -> dict[str, Any]:
    """A listed memory (message_to_dict shape) as one export line."""
    scope_ = memory.get("scope") or {}
    return {
        "id": memory["id"],
        "content": memory["content"],
        "metadata": memory.get("metadata") or {},
        "tags": memory.get("tags") or [],
        "importance": memory.get("importance", 0.0),
        "modality": (memory.get("modality") or "text").lower(),
        "source": memory.get("source") or "",
        "agent_id": scope_.get("agent_id") or None,
        "room_id": scope_.get("room_id") or None,
        "session_id": scope_.get("session_id") or None,
        "create_time": memory.get("create_time"),
        "state": memory.get("state"),
    }


# --- tables ----------------------------------------------------------------------------------


# --- commands --------------------------------------------------------------------------------


@memory_app.command("store")
def store(
    ctx: typer.Context,
    content: Annotated[str, typer.Argument(help="What to remember.")],
    tag: Annotated[list[str] | None, TagOption] = None,
    metadata: Annotated[str | None, typer.Option("--metadata", help="A JSON object.")] = None,
    importance: Annotated[float | None, typer.Option(help="In [0, 1]; default: estimated.")] = None,
    modality: Annotated[str, typer.Option(help="text, audio_transcript or image_caption.")] = "text",
    source: Annotated[str, typer.Option(help="Where it came from.")] = "",
    agent: Annotated[str | None, AgentOption] = None,
    room: Annotated[str | None, RoomOption] = None,
    session: Annotated[str | None, SessionOption] = None,
    model: Annotated[str, ModelOption] = "",
    dedupe_threshold: Annotated[float | None, typer.Option(help="Cosine for DEDUPED (default 0.95).")] = None,
) -> None:
    """Store one memory: prints STORED, DEDUPED (the existing memory) or the reason it was rejected."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    record: dict[str, Any] = {
        "content": content, "tags": tag or [], "metadata": parse_metadata(metadata) or {}, "modality": modality,
        "source": source, "agent_id": agent, "room_id": room, "session_id": session, "importance": importance,
    }  # fmt: skip
    try:
        item = record_to_input(record)
    except ValueError as exc:
        raise CliError(USAGE, str(exc)) from None
    options = pb.StoreOptions(embedding_model=model)
    if dedupe_threshold is not None:
        options.dedupe_threshold = dedupe_threshold
    resp = _call(
        settings,
        lambda c: c.memory.StoreMemory(
            pb.StoreMemoryRequest(memory=item, options=options), timeout=_embed_timeout(settings)
        ),
    )
    common.emit(settings, common.to_dict(resp), store_table)


@memory_app.command("recall")
def recall(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for, in your words.")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="1..100.")] = 10,
    tag: Annotated[list[str] | None, TagOption] = None,
    metadata: Annotated[str | None, typer.Option("--metadata", help="Only memories containing this JSON.")] = None,
    since: Annotated[str | None, typer.Option(help="Created after: 2d, 1h or an ISO time.")] = None,
    until: Annotated[str | None, typer.Option(help="Created before: 2d, 1h or an ISO time.")] = None,
    min_score: Annotated[float, typer.Option(help="Drop results scoring below this (0..1).")] = 0.0,
    semantic: Annotated[float | None, typer.Option("--semantic-weight", help="0..1 (default 1).")] = None,
    keyword: Annotated[
        float | None,
        typer.Option("--keyword-weight", help="0..1 (default 0.05; identifier evidence weighs 80x this)."),
    ] = None,
    recency: Annotated[float | None, typer.Option("--recency-weight", help="0..1 (default 0.1).")] = None,
    importance: Annotated[float | None, typer.Option("--importance-weight", help="0..1 (default 0.02).")] = None,
    user: Annotated[str | None, UserOption] = None,
    agent: Annotated[str | None, AgentOption] = None,
    room: Annotated[str | None, RoomOption] = None,
    session: Annotated[str | None, SessionOption] = None,
    model: Annotated[str, ModelOption] = "",
) -> None:
    """Recall memories by meaning and keywords, with each result's score components."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    weights = pb.RecallWeights()
    for name, value in (("semantic", semantic), ("keyword", keyword), ("recency", recency), ("importance", importance)):
        if value is not None:
            setattr(weights, name, value)
    request = pb.RecallMemoriesRequest(
        query=query, scope=scope(user, agent, room, session), limit=limit, weights=weights, tags=tag or [],
        min_score=min_score, embedding_model=model,
    )  # fmt: skip
    found = parse_metadata(metadata)
    if found is not None:
        request.metadata.update(found)
    if since:
        request.start_time.CopyFrom(common.timestamp(common.parse_time(since, "--since")))
    if until:
        request.end_time.CopyFrom(common.timestamp(common.parse_time(until, "--until")))
    resp = _call(settings, lambda c: c.memory.RecallMemories(request, timeout=_embed_timeout(settings)))
    common.emit(settings, common.to_dict(resp), recall_table, wide=True)


def _list_request(
    size: int, token: str, tags: list[str], states: list[str], user: str | None
) -> memory_pb2.ListMemoriesRequest:
    from auralink.v1 import memory_pb2 as pb

    values = [pb.MemoryState.Value(f"MEMORY_STATE_{s.upper()}") for s in states]
    return pb.ListMemoriesRequest(
        page_size=size, page_token=token, tags=tags, states=values, scope=scope(user, None, None, None)
    )


def _states(state: list[str] | None) -> list[str]:
    chosen = [common.choice(s, STATES, "--state") or "" for s in (state or [])]
    return chosen


def _fetch_all(settings: Settings, limit: int, token: str, tags: list[str], states: list[str], user: str | None):  # type: ignore[no-untyped-def]
    from auralink_cli.client import Client

    with Client(settings) as client:
        stub = client.memory

        def fetch(size: int, page_token: str) -> tuple[list[Any], str]:
            resp = stub.ListMemories(_list_request(size, page_token, tags, states, user))
            return list(resp.memories), resp.next_page_token

        return common.paginate(fetch, limit, token)


@memory_app.command("list")
@common.watchable
def list_memories(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
    tag: Annotated[list[str] | None, TagOption] = None,
    state: Annotated[list[str] | None, typer.Option("--state", help="active, archived, deleted (repeatable).")] = None,
    user: Annotated[str | None, UserOption] = None,
) -> None:
    """List memories, newest first (active ones unless --state says otherwise)."""
    settings = common.settings_of(ctx)
    items, next_token = _fetch_all(settings, limit, page_token, tag or [], _states(state), user)
    data = {"memories": [common.to_dict(x) for x in items], "next_page_token": next_token}
    common.emit(settings, data, memories_table, wide=True)


@memory_app.command("show")
def show(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="A memory id.")]) -> None:
    """Show one memory."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    found = _call(settings, lambda c: c.memory.GetMemory(pb.GetMemoryRequest(id=memory_id)))
    common.emit(settings, common.to_dict(found), memory_table)


@memory_app.command("delete")
def delete(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(help="A memory id.")],
    hard: Annotated[bool, typer.Option("--hard", help="Remove it for good (audited); default: soft delete.")] = False,
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Delete a memory (soft by default; --hard is permanent)."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete memory {memory_id}{' permanently' if hard else ''}?")
    resp = _call(settings, lambda c: c.memory.DeleteMemory(pb.DeleteMemoryRequest(id=memory_id, hard=hard)))
    permanently = " permanently" if resp.hard else ""
    common.deleted(settings, "memory", resp.id or memory_id, f"memory {memory_id} deleted{permanently}", hard=resp.hard)


@memory_app.command("restore")
def restore(ctx: typer.Context, memory_id: Annotated[str, typer.Argument(help="A soft-deleted memory's id.")]) -> None:
    """Restore a soft-deleted memory (a hard-deleted one is gone for good)."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    found = _call(settings, lambda c: c.memory.RestoreMemory(pb.RestoreMemoryRequest(id=memory_id)))
    common.emit(settings, common.to_dict(found), memory_table)


def _kind_value(kind: str) -> int:
    from auralink.v1 import memory_pb2 as pb

    chosen = common.choice(kind, KINDS, "--kind") or ""
    return int(pb.RelationKind.Value(f"RELATION_KIND_{chosen.upper()}"))


@memory_app.command("link")
def link(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The memory the link starts from.")],
    target: Annotated[str, typer.Argument(help="The memory it points to.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="updates, extends, derived_from or contradicts.")],
    weight: Annotated[float, typer.Option(help="In (0, 1].")] = 1.0,
) -> None:
    """Link two memories: SOURCE updates / extends / derived_from / contradicts TARGET."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    request = pb.LinkMemoriesRequest(source_id=source, target_id=target, kind=_kind_value(kind), weight=weight)
    common.emit(settings, common.to_dict(_call(settings, lambda c: c.memory.LinkMemories(request))))


@memory_app.command("unlink")
def unlink(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The memory the link starts from.")],
    target: Annotated[str, typer.Argument(help="The memory it points to.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="updates, extends, derived_from or contradicts.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Remove one link."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    kind_value = _kind_value(kind)
    common.require_confirmation(yes, f"Remove the {kind} link from {source} to {target}?")
    _call(
        settings,
        lambda c: c.memory.UnlinkMemories(
            pb.UnlinkMemoriesRequest(source_id=source, target_id=target, kind=kind_value)
        ),
    )
    common.deleted(settings, "memory_link", source, "unlinked", target_id=target, kind=kind)


@memory_app.command("related")
def related(
    ctx: typer.Context,
    memory_id: Annotated[str, typer.Argument(help="A memory id.")],
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only this kind of link.")] = None,
) -> None:
    """The memories linked to one, in either direction."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    request = pb.ListRelatedMemoriesRequest(id=memory_id, kind=_kind_value(kind) if kind else 0)
    common.emit(
        settings,
        common.to_dict(_call(settings, lambda c: c.memory.ListRelatedMemories(request))),
        related_table,
        wide=True,
    )


@memory_app.command("evolve")
def evolve(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would happen.")] = False,
    consolidate: Annotated[bool, typer.Option(help="Merge near-duplicates and paraphrases.")] = True,
    forget: Annotated[bool, typer.Option(help="Archive memories whose importance decayed under the floor.")] = True,
    threshold: Annotated[float | None, typer.Option(help="Cosine for consolidation, 0.5..1 (default 0.9).")] = None,
    half_life: Annotated[str | None, typer.Option(help="Importance half-life, e.g. 90d (default).")] = None,
    floor: Annotated[float | None, typer.Option(help="Archive under this decayed importance (default 0.05).")] = None,
    user: Annotated[str | None, UserOption] = None,
) -> None:
    """Consolidate and forget (and apply the org's retention policy); every run is recorded."""
    from google.protobuf.duration_pb2 import Duration

    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    request = pb.EvolveMemoriesRequest(
        dry_run=dry_run, consolidate=consolidate, forget=forget, scope=scope(user, None, None, None)
    )
    if threshold is not None:
        request.consolidate_threshold = threshold
    if floor is not None:
        request.forget_floor = floor
    if half_life:
        request.half_life.CopyFrom(Duration(seconds=common.parse_duration(half_life, "--half-life")))
    resp = _call(settings, lambda c: c.memory.EvolveMemories(request, timeout=_embed_timeout(settings)))
    common.emit(settings, common.to_dict(resp), evolve_table, wide=True)


@memory_app.command("stats")
def stats(ctx: typer.Context, user: Annotated[str | None, UserOption] = None) -> None:
    """Counts by state, scope and modality, duplicate ratio, staleness, storage, models and recall latency."""
    from auralink.v1 import memory_pb2 as pb

    settings = common.settings_of(ctx)
    resp = _call(
        settings, lambda c: c.memory.GetMemoryStats(pb.GetMemoryStatsRequest(scope=scope(user, None, None, None)))
    )
    common.emit(settings, common.to_dict(resp), stats_table)


def _chunks(items: list[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@memory_app.command("import")
def import_memories(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A JSONL file, one memory per line (the shape export writes).")],
    model: Annotated[str, ModelOption] = "",
    chunk: Annotated[int, typer.Option(min=1, max=500, help="Memories per request.")] = IMPORT_CHUNK,
) -> None:
    """Import memories: every line gets an outcome (stored, deduped, rejected or malformed, with its line).

    Exit 2 when any line was malformed or rejected; the other lines are imported all the same.
    """
    from auralink.v1 import memory_pb2 as pb
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(USAGE, f"cannot read {file}: {exc}") from None
    good, bad = parse_jsonl(lines)
    problems = [{"line": n, "outcome": "malformed", "reason": why} for n, why in bad]
    counts = {"stored": 0, "deduped": 0, "rejected": 0, "malformed": len(bad)}
    show_bar = settings.output == "table" and sys.stderr.isatty()
    bar = _progress(settings.no_color) if show_bar and good else None
    with Client(settings) as client:
        stub = client.memory
        task = bar.add_task("importing", total=len(good)) if bar else None
        if bar:
            bar.start()
        try:
            for part in _chunks(good, chunk):
                request = pb.BatchStoreMemoriesRequest(
                    memories=[item for _, item in part], options=pb.StoreOptions(embedding_model=model)
                )
                resp = stub.BatchStoreMemories(request, timeout=_embed_timeout(settings))
                for (line, _), result in zip(part, resp.results, strict=True):
                    outcome = pb.StoreOutcome.Name(result.outcome).removeprefix("STORE_OUTCOME_").lower()
                    counts[outcome] = counts.get(outcome, 0) + 1
                    if outcome == "rejected":
                        problems.append({"line": line, "outcome": outcome, "reason": result.reason})
                if bar:
                    bar.update(task, advance=len(part))
        finally:
            if bar:
                bar.stop()
    problems.sort(key=lambda p: p["line"])
    data = {"file": str(file), "lines": len(good) + len(bad), **counts, "problems": problems}
    common.emit(settings, data, import_table)
    if problems:
        raise CliError(USAGE, f"{len(problems)} line(s) not imported (see above); the others were")


def _progress(no_color: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=output.console(no_color, stderr=True), transient=True,
    )  # fmt: skip


@memory_app.command("export")
def export(
    ctx: typer.Context,
    state: Annotated[list[str] | None, typer.Option("--state", help="active (default), archived, deleted.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Write here instead of stdout.")] = None,
    user: Annotated[str | None, UserOption] = None,
    to: Annotated[str, storage.ToOption] = "",
) -> None:
    """Export memories as JSONL (one per line, oldest first); `memory import` takes the file back.

    `--to storage:KEY` writes the JSONL to a storage object instead of stdout.
    """
    settings = common.settings_of(ctx)
    key = storage.storage_key(to) if to else ""
    items, _ = _fetch_all(settings, 0, "", [], _states(state), user)
    lines = [json.dumps(export_record(common.to_dict(x)), ensure_ascii=False, sort_keys=True) for x in reversed(items)]
    if key:
        data = "".join(line + "\n" for line in lines).encode()
        stored = storage.put_bytes(settings, key, data, "application/x-ndjson")
        common.done(settings, {**stored, "exported": len(lines)}, f"exported {len(lines)} memories to storage:{key}")
        if file is None:
            return
    if file is not None:
        file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        common.done(settings, {"file": str(file), "exported": len(lines)}, f"exported {len(lines)} memories to {file}")
        return
    for line in lines:
        output.plain(line)
