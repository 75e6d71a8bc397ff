from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MCPTransport(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MCP_TRANSPORT_UNSPECIFIED: _ClassVar[MCPTransport]
    MCP_TRANSPORT_STDIO: _ClassVar[MCPTransport]
    MCP_TRANSPORT_STREAMABLE_HTTP: _ClassVar[MCPTransport]

class MCPConnectionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MCP_CONNECTION_STATE_UNSPECIFIED: _ClassVar[MCPConnectionState]
    MCP_CONNECTION_STATE_IDLE: _ClassVar[MCPConnectionState]
    MCP_CONNECTION_STATE_CONNECTING: _ClassVar[MCPConnectionState]
    MCP_CONNECTION_STATE_CONNECTED: _ClassVar[MCPConnectionState]
    MCP_CONNECTION_STATE_DEGRADED: _ClassVar[MCPConnectionState]
    MCP_CONNECTION_STATE_FAILED: _ClassVar[MCPConnectionState]
MCP_TRANSPORT_UNSPECIFIED: MCPTransport
MCP_TRANSPORT_STDIO: MCPTransport
MCP_TRANSPORT_STREAMABLE_HTTP: MCPTransport
MCP_CONNECTION_STATE_UNSPECIFIED: MCPConnectionState
MCP_CONNECTION_STATE_IDLE: MCPConnectionState
MCP_CONNECTION_STATE_CONNECTING: MCPConnectionState
MCP_CONNECTION_STATE_CONNECTED: MCPConnectionState
MCP_CONNECTION_STATE_DEGRADED: MCPConnectionState
MCP_CONNECTION_STATE_FAILED: MCPConnectionState

class MCPConnection(_message.Message):
    __slots__ = ("id", "name", "description", "transport", "command", "args", "env", "env_names", "url", "headers", "header_names", "timeout", "state", "state_reason", "server_name", "server_version", "tool_count", "etag", "created_by", "create_time", "update_time")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    ENV_NAMES_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    HEADER_NAMES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    TOOL_COUNT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    transport: MCPTransport
    command: str
    args: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    env_names: _containers.RepeatedScalarFieldContainer[str]
    url: str
    headers: _containers.ScalarMap[str, str]
    header_names: _containers.RepeatedScalarFieldContainer[str]
    timeout: _duration_pb2.Duration
    state: MCPConnectionState
    state_reason: str
    server_name: str
    server_version: str
    tool_count: int
    etag: str
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., transport: _Optional[_Union[MCPTransport, str]] = ..., command: _Optional[str] = ..., args: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ..., env_names: _Optional[_Iterable[str]] = ..., url: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., header_names: _Optional[_Iterable[str]] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., state: _Optional[_Union[MCPConnectionState, str]] = ..., state_reason: _Optional[str] = ..., server_name: _Optional[str] = ..., server_version: _Optional[str] = ..., tool_count: _Optional[int] = ..., etag: _Optional[str] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateConnectionRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: MCPConnection
    def __init__(self, connection: _Optional[_Union[MCPConnection, _Mapping]] = ...) -> None: ...

class GetConnectionRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: str
    def __init__(self, connection: _Optional[str] = ...) -> None: ...

class ListConnectionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConnectionsResponse(_message.Message):
    __slots__ = ("connections", "next_page_token")
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[MCPConnection]
    next_page_token: str
    def __init__(self, connections: _Optional[_Iterable[_Union[MCPConnection, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateConnectionRequest(_message.Message):
    __slots__ = ("connection", "update_mask")
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    connection: MCPConnection
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, connection: _Optional[_Union[MCPConnection, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteConnectionRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: str
    def __init__(self, connection: _Optional[str] = ...) -> None: ...

class DeleteConnectionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TestConnectionRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: str
    def __init__(self, connection: _Optional[str] = ...) -> None: ...

class TestConnectionResponse(_message.Message):
    __slots__ = ("connection", "latency", "tools")
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    connection: MCPConnection
    latency: _duration_pb2.Duration
    tools: _containers.RepeatedCompositeFieldContainer[MCPTool]
    def __init__(self, connection: _Optional[_Union[MCPConnection, _Mapping]] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., tools: _Optional[_Iterable[_Union[MCPTool, _Mapping]]] = ...) -> None: ...

class MCPTool(_message.Message):
    __slots__ = ("connection_id", "connection_name", "name", "title", "description", "input_schema")
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    connection_name: str
    name: str
    title: str
    description: str
    input_schema: _struct_pb2.Struct
    def __init__(self, connection_id: _Optional[str] = ..., connection_name: _Optional[str] = ..., name: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListToolsRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: str
    def __init__(self, connection: _Optional[str] = ...) -> None: ...

class ListToolsResponse(_message.Message):
    __slots__ = ("tools", "unavailable")
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    tools: _containers.RepeatedCompositeFieldContainer[MCPTool]
    unavailable: _containers.RepeatedCompositeFieldContainer[MCPToolsUnavailable]
    def __init__(self, tools: _Optional[_Iterable[_Union[MCPTool, _Mapping]]] = ..., unavailable: _Optional[_Iterable[_Union[MCPToolsUnavailable, _Mapping]]] = ...) -> None: ...

class MCPToolsUnavailable(_message.Message):
    __slots__ = ("connection_id", "connection_name", "reason")
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    connection_name: str
    reason: str
    def __init__(self, connection_id: _Optional[str] = ..., connection_name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CallToolRequest(_message.Message):
    __slots__ = ("connection", "tool", "arguments")
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    connection: str
    tool: str
    arguments: _struct_pb2.Struct
    def __init__(self, connection: _Optional[str] = ..., tool: _Optional[str] = ..., arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class MCPContent(_message.Message):
    __slots__ = ("text", "image", "audio", "resource", "resource_link")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_LINK_FIELD_NUMBER: _ClassVar[int]
    text: str
    image: MCPBinaryContent
    audio: MCPBinaryContent
    resource: MCPResourceContent
    resource_link: MCPResourceLink
    def __init__(self, text: _Optional[str] = ..., image: _Optional[_Union[MCPBinaryContent, _Mapping]] = ..., audio: _Optional[_Union[MCPBinaryContent, _Mapping]] = ..., resource: _Optional[_Union[MCPResourceContent, _Mapping]] = ..., resource_link: _Optional[_Union[MCPResourceLink, _Mapping]] = ...) -> None: ...

class MCPBinaryContent(_message.Message):
    __slots__ = ("data", "mime_type")
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    mime_type: str
    def __init__(self, data: _Optional[bytes] = ..., mime_type: _Optional[str] = ...) -> None: ...

class MCPResourceContent(_message.Message):
    __slots__ = ("uri", "mime_type", "text", "blob")
    URI_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    uri: str
    mime_type: str
    text: str
    blob: bytes
    def __init__(self, uri: _Optional[str] = ..., mime_type: _Optional[str] = ..., text: _Optional[str] = ..., blob: _Optional[bytes] = ...) -> None: ...

class MCPResourceLink(_message.Message):
    __slots__ = ("uri", "name", "description", "mime_type")
    URI_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    name: str
    description: str
    mime_type: str
    def __init__(self, uri: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., mime_type: _Optional[str] = ...) -> None: ...

class CallToolResponse(_message.Message):
    __slots__ = ("content", "is_error", "structured_content", "duration")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    IS_ERROR_FIELD_NUMBER: _ClassVar[int]
    STRUCTURED_CONTENT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    content: _containers.RepeatedCompositeFieldContainer[MCPContent]
    is_error: bool
    structured_content: _struct_pb2.Struct
    duration: _duration_pb2.Duration
    def __init__(self, content: _Optional[_Iterable[_Union[MCPContent, _Mapping]]] = ..., is_error: bool = ..., structured_content: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...
