"""Helpers of every command module: settings, calls on the typed client, parsing, confirmation, paging, output.

Parsing (durations, times) and request building are plain functions so unit tests pin them without
a daemon. grpc and the stubs are imported inside functions, so `auralink --help` stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from auralink_cli import output
from auralink_cli.exit_codes import UNEXPECTED, USAGE, CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings
from auralink_cli.render.tables import fields_table, joined, more_note, rows_table, when  # noqa: F401 (for commands)

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from google.protobuf.timestamp_pb2 import Timestamp

    from auralink_cli.client import Client

T = TypeVar("T")

DEFAULT_LIMIT = 100
PAGE_SIZE = 100  # per request; the daemon caps pages at 500
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)([smhdw])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

LimitOption = typer.Option(min=0, help="Show at most N items (0: all of them).")
PageTokenOption = typer.Option("--page-token", help="Continue from a previous listing's next_page_token.")
WatchOption = typer.Option(
    "--watch",
    "-w",
    help="Refresh every --interval seconds until Ctrl-C: in place on a terminal; with -o json one JSON document "
    "(one line) per refresh.",
)
IntervalOption = typer.Option("--interval", min=0.2, help="Seconds between refreshes with --watch.")
YesOption = typer.Option("--yes", "-y", help="Do not ask for confirmation (needed when stdin is not a terminal).")


def settings_of(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


def connected(settings: Settings, use: Callable[[Client], T]) -> T:
    """`use(client)` on a fresh channel: `connected(settings, lambda c: c.users.GetUser(request))`.

    The typed client (auralink_cli.client) is imported here, when a command runs, not at start-up.
    """
    from auralink_cli.client import connected as run

    return run(settings, use)


def streamed(settings: Settings, open_stream: Callable[[Client], Iterable[T]]) -> Iterator[T]:
    """The messages of `open_stream(client)` on a fresh channel (pass `timeout=settings.timeout` to a stream
    that should end, nothing to a watch)."""
    from auralink_cli.client import streamed as run

    yield from run(settings, open_stream)


def user_id(client: Client, user: str) -> str:
    """The id of a user named by id, email or username ("" stays ""): what RPCs that take only an id need."""
    from auralink.v1 import access_pb2

    if not user or looks_like_uuid(user):
        return user
    return str(client.users.GetUser(access_pb2.GetUserRequest(user=user)).id)


def agent_id(client: Client, agent: str) -> str:
    """The id of an agent named by id or name."""
    from auralink.v1 import agents_pb2

    if not agent or looks_like_uuid(agent):
        return agent
    return str(client.agents.GetAgent(agents_pb2.GetAgentRequest(agent=agent)).id)


def to_dict(message: Message) -> dict[str, Any]:
    from auralink_cli.shapes import message_to_dict

    return message_to_dict(message)


# --- parsing ---------------------------------------------------------------------------------


def parse_duration(text: str, option: str = "--ttl") -> int:
    """Seconds from "3600", "90s", "30m", "1h", "1h30m", "2d" or "1w"; a usage error otherwise."""
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    if value and _DURATION.sub("", value) == "":
        return sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(value))
    raise CliError(USAGE, f"{option}: expected seconds or a duration like 90s, 30m, 1h, 2d, got {text!r}")


def parse_time(text: str, option: str, now: datetime | None = None) -> datetime:
    """A point in time from a duration ago ("1h", "2d") or an ISO 8601 date/time (UTC when no zone)."""
    value = text.strip()
    try:
        return (now or datetime.now(UTC)) - timedelta(seconds=parse_duration(value, option))
    except CliError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            USAGE, f"{option}: expected a duration ago (30m, 1h, 2d) or an ISO 8601 time, got {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def timestamp(moment: datetime) -> Timestamp:
    from google.protobuf.timestamp_pb2 import Timestamp

    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def looks_like_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    """`value` lowercased when it is one of `allowed`, None when absent, else a usage error."""
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in allowed:
        raise CliError(USAGE, f"{option}: expected one of {', '.join(allowed)}, got {value!r}")
    return lowered


# --- confirmation ----------------------------------------------------------------------------


def require_confirmation(yes: bool, question: str) -> None:
    """Ask before a destructive call. Without a terminal (CI, pipes), --yes is required: exit 2."""
    if yes:
        return
    if not output.interactive():
        raise CliError(USAGE, f"{question.rstrip('?')}: confirmation needed but stdin is not a terminal; pass --yes")
    if not output.confirm(question):
        raise CliError(UNEXPECTED, "aborted: nothing was changed")


# --- watching ---------------------------------------------------------------------------------


def watchable(command: Callable[..., None]) -> Callable[..., None]:
    """Give a list command `-w/--watch` and `--interval`: with --watch it runs again every interval (the
    terminal cleared first, so the table redraws in place; JSON one document per line) until Ctrl-C, exit 0.

    Put it under the `@app.command(...)` decorator; the command itself stays a plain one-shot listing.
    """
    import functools
    import inspect

    @functools.wraps(command)
    def run(*args: Any, watch: bool = False, interval: float = 2.0, **kwargs: Any) -> None:
        if not watch:
            command(*args, **kwargs)
            return
        import time

        output.set_json_lines(True)
        try:
            while True:
                output.clear_terminal()
                command(*args, **kwargs)
                time.sleep(interval)
        except KeyboardInterrupt:
            raise typer.Exit(0) from None

    signature = inspect.signature(command, eval_str=True)  # Typer reads the annotations from the signature
    keyword = inspect.Parameter.KEYWORD_ONLY
    extra = [
        inspect.Parameter("watch", keyword, default=False, annotation=Annotated[bool, WatchOption]),
        inspect.Parameter("interval", keyword, default=2.0, annotation=Annotated[float, IntervalOption]),
    ]
    run.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in run.__signature__.parameters.values()}  # type: ignore[attr-defined]
    return run


# --- paging ----------------------------------------------------------------------------------


def paginate(
    fetch: Callable[[int, str], tuple[Sequence[T], str]], limit: int, page_token: str = ""
) -> tuple[list[T], str]:
    """Items of successive pages, at most `limit` (0: all), and the token that continues after them.

    Each request asks for no more than what is still wanted, so the token returned is exact.
    """
    items: list[T] = []
    token = page_token
    while True:
        want = PAGE_SIZE if limit == 0 else min(PAGE_SIZE, limit - len(items))
        page, token = fetch(want, token)
        items.extend(page[:want])
        if not token or (limit and len(items) >= limit) or not page:
            return items, token


def listed(
    settings: Settings, call: Callable[[Client, int, str], Any], field: str, limit: int, page_token: str = ""
) -> dict[str, Any]:
    """A List* RPC read over as many pages as `limit` asks, as its JSON shape: {field: [...], next_page_token}.

    `call(client, page_size, page_token)` sends one request: `lambda c, size, token: c.agents.ListAgents(...)`.
    """

    def fetch(client: Client) -> tuple[list[Any], str]:
        def page(size: int, token: str) -> tuple[Sequence[Any], str]:
            resp = call(client, size, token)
            return list(getattr(resp, field)), resp.next_page_token

        return paginate(page, limit, page_token)

    items, next_token = connected(settings, fetch)
    return {field: [to_dict(item) for item in items], "next_page_token": next_token}


# --- output (table helpers: auralink_cli/render/tables.py) ----------------------------------------


def emit(settings: Settings, data: Any, table: Callable[[Any], Any] | None = None, wide: bool = False) -> None:
    """Print a result; `wide` for lists: piped, one line per row whatever its width (output.emit)."""
    output.emit(data, settings.output, table=table, no_color=settings.no_color, wide=wide)


def done(settings: Settings, data: dict[str, Any], message: str) -> None:
    """The result of a call with an empty response: `data` as JSON/YAML, else `message` on stderr."""
    if settings.output == "table":
        output.info(message)
    else:
        emit(settings, data)


def deleted(settings: Settings, resource: str, ref: str, message: str, **extra: Any) -> None:
    """The one result shape of every delete, removal, unassignment and deregistration:
    `{"resource": "agent", "id": "<as given>", "deleted": true, ...}` (pinned by tests); `message` for tables."""
    done(settings, {"resource": resource, "id": ref, "deleted": True, **extra}, message)


def revoked(settings: Settings, resource: str, ref: str, message: str, **extra: Any) -> None:
    """The one result shape of every revocation and removal from a call (the thing keeps existing, unusable):
    `{"resource": "token", "id": "<as given>", "revoked": true, ...}`; `message` for tables. A deactivation
    prints the resource itself (its `active` is false), as its RPC returns it."""
    done(settings, {"resource": resource, "id": ref, "revoked": True, **extra}, message)
