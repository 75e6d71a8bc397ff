"""RoomService servicer: rooms and their participants, proto <-> domain."""

from __future__ import annotations

from typing import Any

from auralink.v1 import rooms_pb2 as pb
from auralink.v1 import rooms_pb2_grpc as pb_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.rooms.service import Joiner, NewRoom, Participant, Room, RoomService

_TYPES = {
    "meeting": pb.ROOM_TYPE_MEETING,
    "webinar": pb.ROOM_TYPE_WEBINAR,
    "broadcast": pb.ROOM_TYPE_BROADCAST,
    "direct": pb.ROOM_TYPE_DIRECT,
    "agent": pb.ROOM_TYPE_AGENT,
}
_TYPE_NAMES = {v: k for k, v in _TYPES.items()}
_STATES = {"active": pb.ROOM_STATE_ACTIVE, "closed": pb.ROOM_STATE_CLOSED, "archived": pb.ROOM_STATE_ARCHIVED}
_KINDS = {"user": pb.PARTICIPANT_KIND_USER, "agent": pb.PARTICIPANT_KIND_AGENT, "guest": pb.PARTICIPANT_KIND_GUEST}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}


def room_to_proto(r: Room) -> pb.Room:
    return pb.Room(
        id=str(r.id), name=r.name, description=r.description, type=_TYPES[r.room_type],
        state=_STATES.get(r.status, pb.ROOM_STATE_UNSPECIFIED), private=r.is_private,
        max_participants=r.max_participants, aic_enabled=r.aic_enabled, recording_enabled=r.recording_enabled,
        created_by=str(r.created_by or ""), create_time=timestamp(r.created_at), update_time=timestamp(r.updated_at),
        close_time=timestamp(r.closed_at), participant_count=r.participant_count, call_id=str(r.call_id or ""),
    )  # fmt: skip


def room_from_proto(r: pb.Room) -> NewRoom:
    if r.type not in _TYPE_NAMES:
        raise InvalidArgument.for_field("room.type", f"must be one of {', '.join(_TYPES)}")
    if r.max_participants < 0:
        raise InvalidArgument.for_field("room.max_participants", f"must be >= 0, got {r.max_participants}")
    return NewRoom(
        name=r.name, room_type=_TYPE_NAMES[r.type], description=r.description, is_private=r.private,
        max_participants=r.max_participants, aic_enabled=r.aic_enabled if r.HasField("aic_enabled") else True,
        recording_enabled=r.recording_enabled,
    )  # fmt: skip


def participant_to_proto(p: Participant) -> pb.RoomParticipant:
    return pb.RoomParticipant(
        id=str(p.id), room_id=str(p.room_id), call_id=str(p.call_id), kind=_KINDS[p.kind],
        user_id=str(p.user_id or ""), agent_id=str(p.agent_id or ""), display_name=p.display_name, role=p.role,
        join_time=timestamp(p.joined_at), leave_time=timestamp(p.left_at),
    )  # fmt: skip


class RoomServicer(pb_grpc.RoomServiceServicer):
    def __init__(self, rooms: RoomService) -> None:
        self._rooms = rooms

    @requires("rooms:create")
    async def CreateRoom(self, request: pb.CreateRoomRequest, context: Any) -> pb.Room:
        room = room_from_proto(request.room)
        return room_to_proto(await self._rooms.create(current_caller(), room, context.time_remaining()))

    @requires("rooms:read")
    async def GetRoom(self, request: pb.GetRoomRequest, context: Any) -> pb.Room:
        return room_to_proto(await self._rooms.get(current_caller(), request.room_id, context.time_remaining()))

    @requires("rooms:read")
    async def ListRooms(self, request: pb.ListRoomsRequest, context: Any) -> pb.ListRoomsResponse:
        rooms, token = await self._rooms.list(
            current_caller(), request.page_size, request.page_token, request.include_closed, context.time_remaining()
        )
        return pb.ListRoomsResponse(rooms=[room_to_proto(r) for r in rooms], next_page_token=token)

    @requires("rooms:close")
    async def CloseRoom(self, request: pb.CloseRoomRequest, context: Any) -> pb.Room:
        return room_to_proto(await self._rooms.close(current_caller(), request.room_id, context.time_remaining()))

    @requires("rooms:join")
    async def JoinRoom(self, request: pb.JoinRoomRequest, context: Any) -> pb.RoomParticipant:
        if request.kind not in _KIND_NAMES:
            raise InvalidArgument.for_field("kind", f"must be one of {', '.join(_KINDS)}")
        joiner = Joiner(
            _KIND_NAMES[request.kind], request.user_id, request.agent, request.display_name, request.role.strip()
        )
        participant = await self._rooms.join(current_caller(), request.room_id, joiner, context.time_remaining())
        return participant_to_proto(participant)

    @requires("rooms:join")
    async def LeaveRoom(self, request: pb.LeaveRoomRequest, context: Any) -> pb.LeaveRoomResponse:
        await self._rooms.leave(current_caller(), request.room_id, request.participant_id, context.time_remaining())
        return pb.LeaveRoomResponse()

    @requires("rooms:read")
    async def ListRoomParticipants(
        self, request: pb.ListRoomParticipantsRequest, context: Any
    ) -> pb.ListRoomParticipantsResponse:
        items = await self._rooms.participants(
            current_caller(), request.room_id, request.include_left, context.time_remaining()
        )
        return pb.ListRoomParticipantsResponse(participants=[participant_to_proto(p) for p in items])
