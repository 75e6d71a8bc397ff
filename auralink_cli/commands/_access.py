"""Helpers shared by the CLI's command modules (every group imports it as `common`): settings, calls, paging.

Parsing (durations, times) and request building are plain functions so unit tests pin them without
a daemon. grpc and the stubs are imported inside functions, so `auralink --help` stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from auralink_cli import output
from auralink_cli.exit_codes import UNEXPECTED, USAGE, CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from google.protobuf.timestamp_pb2 import Timestamp
    from rich.console import RenderableType

    from auralink_cli.client import Client

T = TypeVar("T")

DEFAULT_LIMIT = 100
PAGE_SIZE = 100  # per request; the daemon caps pages at 500
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)([smhdw])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

LimitOption = typer.Option(min=0, help="Show at most N items (0: all of them).")
PageTokenOption = typer.Option("--page-token", help="Continue from a previous listing's next_page_token.")
YesOption = typer.Option("--yes", "-y", help="Do not ask for confirmation (needed when stdin is not a terminal).")


def settings_of(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


def stub(client: Client, service: str) -> Any:
    """The access_pb2_grpc stub of `service` ("UserService", …) on the client's channel."""
    from auralink.v1 import access_pb2_grpc

    return getattr(access_pb2_grpc, f"{service}Stub")(client.channel)


def call(settings: Settings, service: str, method: str, request: Any) -> Any:
    """One unary call on a fresh channel: `call(settings, "UserService", "GetUser", request)`."""
    from auralink_cli.client import Client

    with Client(settings) as client:
        return client.call(getattr(stub(client, service), method), request)


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


# --- output ----------------------------------------------------------------------------------


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


def when(value: str | None) -> str:
    """A Timestamp string for people: "2024-05-01 12:00:00Z"; "-" when unset."""
    if not value:
        return "-"
    text = value.replace("T", " ")
    return re.sub(r"\.\d+Z$", "Z", text)


def joined(values: Iterable[str], empty: str = "-") -> str:
    items = [str(v) for v in values]
    return ", ".join(items) if items else empty


def rows_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, Callable[[dict[str, Any]], Any]]], empty: str
) -> RenderableType:
    """A plain table (no box) with one row per item, or the `empty` note when there are none."""
    from rich.markup import escape
    from rich.text import Text

    if not rows:
        return Text(empty)
    table = output.table(*(header for header, _ in columns))
    for row in rows:
        table.add_row(*(escape(str(cell(row))) for _, cell in columns))
    return table


def fields_table(pairs: Sequence[tuple[str, Any]]) -> RenderableType:
    """Two columns, label and value, for one resource."""
    from rich.markup import escape
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in pairs:
        grid.add_row(label, escape("-" if value in (None, "") else str(value)))
    return grid


def more_note(next_page_token: str) -> list[RenderableType]:
    """The hint under a truncated table (JSON has next_page_token instead)."""
    from rich.text import Text

    if not next_page_token:
        return []
    return [Text(f"(more: --page-token {next_page_token})", style="dim")]
