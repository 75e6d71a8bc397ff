"""`auralink rooms …` (RoomService): rooms, who is in them, and the live feed of agents assigned to them.

`rooms watch` shows what the WebRTC server sees (AgentService.WatchRoomAssignments): the current
assignments, then each change as it happens, until Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import CliError
from auralink_cli.render.rooms import participant_columns, room_table, rooms_table

if TYPE_CHECKING:
    from auralink_cli.client import Client

rooms_app = typer.Typer(name="rooms", help="Rooms (where calls happen) and their participants.", no_args_is_help=True)
RoomArg = Annotated[str, typer.Argument(help="A room id.")]
TYPES = ("meeting", "webinar", "broadcast", "direct", "agent")
ROLES = ("host", "participant", "viewer")


def register(app: typer.Typer) -> None:
    app.add_typer(rooms_app, name="rooms")


def _call(ctx: typer.Context, use: Callable[[Client], Any]) -> dict[str, Any]:
    """`use(client)` on a fresh channel; its response as a dict."""
    return common.to_dict(common.connected(common.settings_of(ctx), use))


@rooms_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Room name (1 to 200 characters).")],
    type_: Annotated[str, typer.Option("--type", help=", ".join(TYPES) + ".")] = "meeting",
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    max_participants: Annotated[int, typer.Option("--max-participants", min=0, help="0: the default, 50.")] = 0,
    private: Annotated[bool, typer.Option("--private/--public")] = False,
    aic: Annotated[bool, typer.Option("--aic/--no-aic", help="AIC compression for its media.")] = True,
    recording: Annotated[bool, typer.Option("--recording/--no-recording")] = False,
) -> None:
    """Create a room (what the WebRTC server does when a call's room is set up)."""
    from auralink.v1 import rooms_pb2

    kind = common.choice(type_, TYPES, "--type")
    room = rooms_pb2.Room(
        name=name, type=rooms_pb2.RoomType.Value(f"ROOM_TYPE_{str(kind).upper()}"), description=description,
        max_participants=max_participants, private=private, aic_enabled=aic, recording_enabled=recording,
    )  # fmt: skip
    data = _call(ctx, lambda c: c.rooms.CreateRoom(rooms_pb2.CreateRoomRequest(room=room)))
    common.emit(common.settings_of(ctx), data, room_table)


@rooms_app.command("list")
@common.watchable
def list_rooms(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Closed rooms too.")] = False,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """The rooms of your organization, newest first (active ones unless --all)."""
    from auralink.v1 import rooms_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.rooms.ListRooms(
            rooms_pb2.ListRoomsRequest(page_size=size, page_token=token, include_closed=all_)
        ),
        "rooms", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, rooms_table, wide=True)


@rooms_app.command("show")
def show(ctx: typer.Context, room: RoomArg) -> None:
    """One room: its settings, state and how many are in its call."""
    from auralink.v1 import rooms_pb2

    common.emit(
        common.settings_of(ctx),
        _call(ctx, lambda c: c.rooms.GetRoom(rooms_pb2.GetRoomRequest(room_id=room))),
        room_table,
    )


@rooms_app.command("close")
def close(ctx: typer.Context, room: RoomArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Close a room: its call ends and everyone in it leaves (its creator or an org admin)."""
    from auralink.v1 import rooms_pb2

    common.require_confirmation(yes, f"Close room {room}?")
    data = _call(ctx, lambda c: c.rooms.CloseRoom(rooms_pb2.CloseRoomRequest(room_id=room)))
    common.emit(common.settings_of(ctx), data, room_table)


@rooms_app.command("join")
def join(
    ctx: typer.Context,
    room: RoomArg,
    user: Annotated[str, typer.Option("--user", help="This user id (org admins); default: you.")] = "",
    agent: Annotated[str, typer.Option("--agent", help="Register this agent (id or name; org admins).")] = "",
    guest: Annotated[str, typer.Option("--guest", help="Register a guest with this name (org admins).")] = "",
    name: Annotated[str, typer.Option("--name", help="Display name (default: the user's or agent's).")] = "",
    role: Annotated[str, typer.Option("--role", help=", ".join(ROLES) + ".")] = "participant",
) -> None:
    """Enter a room's call (yourself, or as an org admin: a user, an agent or a guest)."""
    from auralink.v1 import rooms_pb2

    if sum(bool(x) for x in (user, agent, guest)) > 1:
        raise CliError(exit_codes.USAGE, "give at most one of --user, --agent, --guest")
    kind = "agent" if agent else "guest" if guest else "user"
    request = rooms_pb2.JoinRoomRequest(
        room_id=room, kind=rooms_pb2.ParticipantKind.Value(f"PARTICIPANT_KIND_{kind.upper()}"), user_id=user,
        agent=agent, display_name=guest or name, role=common.choice(role, ROLES, "--role") or "",
    )  # fmt: skip
    common.emit(common.settings_of(ctx), _call(ctx, lambda c: c.rooms.JoinRoom(request)))


@rooms_app.command("leave")
def leave(
    ctx: typer.Context,
    room: RoomArg,
    participant: Annotated[str, typer.Argument(help="The participant id.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Take a participant out of a room's call (the last one out ends the call)."""
    from auralink.v1 import rooms_pb2

    common.require_confirmation(yes, f"Take {participant} out of room {room}?")
    _call(ctx, lambda c: c.rooms.LeaveRoom(rooms_pb2.LeaveRoomRequest(room_id=room, participant_id=participant)))
    message = f"{participant} left room {room}"
    common.revoked(common.settings_of(ctx), "participant", participant, message, room_id=room)


@rooms_app.command("participants")
@common.watchable
def participants(
    ctx: typer.Context,
    room: RoomArg,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Those who left too, across every call.")] = False,
) -> None:
    """Who is in the room's call now."""
    from auralink.v1 import rooms_pb2

    request = rooms_pb2.ListRoomParticipantsRequest(room_id=room, include_left=all_)
    data = _call(ctx, lambda c: c.rooms.ListRoomParticipants(request))
    columns = participant_columns()
    common.emit(
        common.settings_of(ctx),
        data,
        lambda d: common.rows_table(d["participants"], columns, "(nobody)"),
        wide=True,
    )


@rooms_app.command("watch")
def watch(
    ctx: typer.Context, room: Annotated[str, typer.Argument(help="A room id (all rooms when omitted).")] = ""
) -> None:
    """Follow agent assignments (what the WebRTC server sees): the current ones, then changes. Ctrl-C exits 0.

    One line per event (JSON lines with -o json); heartbeats are not printed.
    """
    from auralink.v1 import agents_pb2

    settings = common.settings_of(ctx)
    request = agents_pb2.WatchRoomAssignmentsRequest(room_id=room)
    try:
        for event in common.streamed(settings, lambda c: c.agents.WatchRoomAssignments(request)):
            if event.kind == agents_pb2.ROOM_ASSIGNMENT_EVENT_KIND_HEARTBEAT:
                continue
            data = common.to_dict(event)
            a = data["assignment"]
            kind = str(data["kind"]).lower()
            text = f"{kind}" + (f" {a['agent_name']} -> room {a['room_id']} ({a['role']})" if a["id"] else "")
            output.emit_line(data, text, settings.output, no_color=settings.no_color)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None
