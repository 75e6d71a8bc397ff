from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RoomType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROOM_TYPE_UNSPECIFIED: _ClassVar[RoomType]
    ROOM_TYPE_MEETING: _ClassVar[RoomType]
    ROOM_TYPE_WEBINAR: _ClassVar[RoomType]
    ROOM_TYPE_BROADCAST: _ClassVar[RoomType]
    ROOM_TYPE_DIRECT: _ClassVar[RoomType]
    ROOM_TYPE_AGENT: _ClassVar[RoomType]

class RoomState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROOM_STATE_UNSPECIFIED: _ClassVar[RoomState]
    ROOM_STATE_ACTIVE: _ClassVar[RoomState]
    ROOM_STATE_CLOSED: _ClassVar[RoomState]
    ROOM_STATE_ARCHIVED: _ClassVar[RoomState]

class ParticipantKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTICIPANT_KIND_UNSPECIFIED: _ClassVar[ParticipantKind]
    PARTICIPANT_KIND_USER: _ClassVar[ParticipantKind]
    PARTICIPANT_KIND_AGENT: _ClassVar[ParticipantKind]
    PARTICIPANT_KIND_GUEST: _ClassVar[ParticipantKind]
ROOM_TYPE_UNSPECIFIED: RoomType
ROOM_TYPE_MEETING: RoomType
ROOM_TYPE_WEBINAR: RoomType
ROOM_TYPE_BROADCAST: RoomType
ROOM_TYPE_DIRECT: RoomType
ROOM_TYPE_AGENT: RoomType
ROOM_STATE_UNSPECIFIED: RoomState
ROOM_STATE_ACTIVE: RoomState
ROOM_STATE_CLOSED: RoomState
ROOM_STATE_ARCHIVED: RoomState
PARTICIPANT_KIND_UNSPECIFIED: ParticipantKind
PARTICIPANT_KIND_USER: ParticipantKind
PARTICIPANT_KIND_AGENT: ParticipantKind
PARTICIPANT_KIND_GUEST: ParticipantKind

class Room(_message.Message):
    __slots__ = ("id", "name", "description", "type", "state", "private", "max_participants", "aic_enabled", "recording_enabled", "created_by", "create_time", "update_time", "close_time", "participant_count", "call_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    MAX_PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    AIC_ENABLED_FIELD_NUMBER: _ClassVar[int]
    RECORDING_ENABLED_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    type: RoomType
    state: RoomState
    private: bool
    max_participants: int
    aic_enabled: bool
    recording_enabled: bool
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    participant_count: int
    call_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., type: _Optional[_Union[RoomType, str]] = ..., state: _Optional[_Union[RoomState, str]] = ..., private: bool = ..., max_participants: _Optional[int] = ..., aic_enabled: bool = ..., recording_enabled: bool = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., participant_count: _Optional[int] = ..., call_id: _Optional[str] = ...) -> None: ...

class CreateRoomRequest(_message.Message):
    __slots__ = ("room",)
    ROOM_FIELD_NUMBER: _ClassVar[int]
    room: Room
    def __init__(self, room: _Optional[_Union[Room, _Mapping]] = ...) -> None: ...

class GetRoomRequest(_message.Message):
    __slots__ = ("room_id",)
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    def __init__(self, room_id: _Optional[str] = ...) -> None: ...

class ListRoomsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "include_closed")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CLOSED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    include_closed: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_closed: bool = ...) -> None: ...

class ListRoomsResponse(_message.Message):
    __slots__ = ("rooms", "next_page_token")
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rooms: _containers.RepeatedCompositeFieldContainer[Room]
    next_page_token: str
    def __init__(self, rooms: _Optional[_Iterable[_Union[Room, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CloseRoomRequest(_message.Message):
    __slots__ = ("room_id",)
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    def __init__(self, room_id: _Optional[str] = ...) -> None: ...

class RoomParticipant(_message.Message):
    __slots__ = ("id", "room_id", "call_id", "kind", "user_id", "agent_id", "display_name", "role", "join_time", "leave_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    JOIN_TIME_FIELD_NUMBER: _ClassVar[int]
    LEAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    room_id: str
    call_id: str
    kind: ParticipantKind
    user_id: str
    agent_id: str
    display_name: str
    role: str
    join_time: _timestamp_pb2.Timestamp
    leave_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., room_id: _Optional[str] = ..., call_id: _Optional[str] = ..., kind: _Optional[_Union[ParticipantKind, str]] = ..., user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[str] = ..., join_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., leave_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class JoinRoomRequest(_message.Message):
    __slots__ = ("room_id", "kind", "user_id", "agent", "display_name", "role")
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    kind: ParticipantKind
    user_id: str
    agent: str
    display_name: str
    role: str
    def __init__(self, room_id: _Optional[str] = ..., kind: _Optional[_Union[ParticipantKind, str]] = ..., user_id: _Optional[str] = ..., agent: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class LeaveRoomRequest(_message.Message):
    __slots__ = ("room_id", "participant_id")
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    participant_id: str
    def __init__(self, room_id: _Optional[str] = ..., participant_id: _Optional[str] = ...) -> None: ...

class LeaveRoomResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRoomParticipantsRequest(_message.Message):
    __slots__ = ("room_id", "include_left")
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LEFT_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    include_left: bool
    def __init__(self, room_id: _Optional[str] = ..., include_left: bool = ...) -> None: ...

class ListRoomParticipantsResponse(_message.Message):
    __slots__ = ("participants",)
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    participants: _containers.RepeatedCompositeFieldContainer[RoomParticipant]
    def __init__(self, participants: _Optional[_Iterable[_Union[RoomParticipant, _Mapping]]] = ...) -> None: ...
