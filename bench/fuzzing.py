"""A hostile client for every RPC: requests generated from the protobuf descriptors (hypothesis), sent raw.

Shared by the CI test (tests/e2e/test_fuzz_api.py, a bounded example count) and the long run (bench/fuzz.py).
Each case is one call: a unary request, or for streaming RPCs a few frames, maybe a garbage frame, then a
half-close, or an early cancel. `Fuzzer.check` asserts what issue #17 asks of every call: no INTERNAL or
UNKNOWN, an answer by the deadline (plus slack), and, for refused calls, an unchanged database.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from hypothesis import strategies as st

from auralinkd.api.validation import api_services

CALL_TIMEOUT_S = 2.0
SLACK_S = 3.0  # a loaded 2-core machine: scheduling, not the server, makes up most of this
GARBAGE = [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x0a\x02\xc3\x28", b"\x08" + b"\xff" * 11, b"\x12\x00" * 3]
# Codes after which writes may legitimately have happened (the call ran, or may have, before it ended).
_MAY_HAVE_WRITTEN = {grpc.StatusCode.OK, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}
FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
# Tables the daemon updates in the background (the mesh flushes heartbeat state on a timer): a refused
# call is checked not to add or remove their rows, but their row versions may move at any time.
BACKGROUND_UPDATED = {"public.mesh_nodes"}
# Tables only the compression recorder writes, every 10 s, from the engine's memory: not fingerprinted.
BACKGROUND_WRITTEN = {
    "public.aic_compression_sessions",
    "public.aic_compression_metrics",
    "public.aic_bandwidth_savings",
    "public.aic_fallback_logs",
    # Not the recorder's: each org's audit chain head moves with every audit row, refusals' rows ("denied",
    # "failure") included (the audit_logs fingerprint counts only "success" rows).
    "public.audit_heads",
}
_VERSIONS = "coalesce(sum(hashtext(xmin::text || ctid::text)), 0)"
_JUNK_TEXT = ["\x00", "\x00\xff", "a\x00b", "' OR 1=1 --", "../../etc/passwd", "ü€😀", " ", "%s%n", "\u202e"]


@dataclass(frozen=True)
class Method:
    path: str  # "/auralink.v1.SystemService/Ping"
    descriptor: MethodDescriptor

    @property
    def client_streaming(self) -> bool:
        return bool(self.descriptor.client_streaming)

    @property
    def server_streaming(self) -> bool:
        return bool(self.descriptor.server_streaming)


@dataclass(frozen=True)
class Case:
    frames: list[bytes]  # serialized requests, or garbage
    cancel_after_s: float | None = None  # None: let the call finish (after a half-close for client streams)


def methods() -> list[Method]:
    """Every RPC of every service in the API, from the generated descriptors."""
    return [Method(f"/{s.full_name}/{m.name}", m) for s in api_services() for m in s.methods]


# -- generation ----------------------------------------------------------------------------------------


def _text(known: list[str]) -> st.SearchStrategy[str]:
    """Plausible values three times in four, so calls get past validation into the services too."""
    plausible = st.one_of(
        st.just(""),
        st.sampled_from(known or ["x"]),
        st.uuids().map(str),
        st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
    )
    hostile = st.one_of(
        st.sampled_from(_JUNK_TEXT), st.text(max_size=12), st.integers(100, 300_000).map(lambda n: "x" * n)
    )
    return st.one_of(plausible, plausible, plausible, hostile)


def _scalar(fd: FieldDescriptor, known: list[str]) -> st.SearchStrategy[Any]:
    kind = fd.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _text(known)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.integers(1000, 200_000).map(lambda n: b"\x00" * n))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.one_of(st.floats(), st.sampled_from([0.0, 0.5, 1.0, -1.0, 2.0, 1e308]))
    if kind == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in fd.enum_type.values]
        return st.one_of(st.sampled_from(values), st.sampled_from([-1, 9999, 2**31 - 1]))
    low, high = _INT_RANGES[kind]
    interesting = [v for v in (0, 1, -1, 2, 10, 50, 100, 501, 1000, 10**6, low, high) if low <= v <= high]
    return st.one_of(st.sampled_from(interesting), st.integers(low, high))


def _seconds_nanos() -> st.SearchStrategy[tuple[int, int]]:
    now = int(time.time())
    seconds = st.one_of(
        st.sampled_from([0, 1, 5, 30, 3600, now, now + 86_400, now - 86_400, -1, 4_600_000_000_000_000_000]),
        st.sampled_from([-4_600_000_000_000_000_000, 253_402_300_800, -62_135_596_800]),
        st.integers(-(2**63), 2**63 - 1),
    )
    nanos = st.one_of(
        st.just(0), st.sampled_from([1, 999_999_999, -1, 2_147_483_647]), st.integers(-(2**31), 2**31 - 1)
    )
    return st.tuples(seconds, nanos)


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=8), st.sampled_from(_JUNK_TEXT)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def _message(draw: st.DrawFn, descriptor: Descriptor, known: list[str], depth: int = 0) -> Any:
    message = message_factory.GetMessageClass(descriptor)()
    name = descriptor.full_name
    if name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
        message.seconds, message.nanos = draw(_seconds_nanos())
        return message
    if name == "google.protobuf.Struct":
        message.update(draw(st.dictionaries(st.text(max_size=6) | st.sampled_from(_JUNK_TEXT), _JSON, max_size=4)))
        return message
    if name == "google.protobuf.FieldMask":
        message.paths.extend(draw(st.lists(_text(known), max_size=3)))
        return message
    for fd in descriptor.fields:
        if not draw(st.booleans()):
            continue
        _set(draw, message, fd, known, depth)
    return message


def _set(draw: st.DrawFn, message: Any, fd: FieldDescriptor, known: list[str], depth: int) -> None:
    is_message = fd.type == FieldDescriptor.TYPE_MESSAGE
    if is_message and depth >= 3:
        return
    target = getattr(message, fd.name) if fd.label == FieldDescriptor.LABEL_REPEATED or is_message else None
    if is_message and fd.message_type.GetOptions().map_entry:
        key_fd, value_fd = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
        for _ in range(draw(st.integers(0, 2))):
            key = draw(_scalar(key_fd, known))
            if value_fd.type == FieldDescriptor.TYPE_MESSAGE:
                target[key].CopyFrom(draw(_message(value_fd.message_type, known, depth + 1)))
            else:
                target[key] = draw(_scalar(value_fd, known))
        return
    if fd.label == FieldDescriptor.LABEL_REPEATED:
        count = draw(st.sampled_from([0, 1, 2, 3, 2000]) if not is_message else st.integers(0, 3))
        for _ in range(count if count < 2000 else 1):
            if is_message:
                target.add().CopyFrom(draw(_message(fd.message_type, known, depth + 1)))
            else:
                value = draw(_scalar(fd, known))
                if count == 2000 and isinstance(value, str | bytes):
                    value = value[:16]  # many items, not a request over the message size limit
                target.extend([value] * (count if count == 2000 else 1))
        return
    if is_message:
        target.CopyFrom(draw(_message(fd.message_type, known, depth + 1)))
    else:
        setattr(message, fd.name, draw(_scalar(fd, known)))


def cases(method: Method, known: list[str]) -> st.SearchStrategy[Case]:
    """Calls of `method`: requests generated from its input descriptor; garbage, half-close and cancel for streams."""
    request = _message(method.descriptor.input_type, known).map(lambda m: m.SerializeToString())
    if not method.client_streaming:
        frame = st.one_of(request, request, request, st.sampled_from(GARBAGE))
        cancel = st.none() if not method.server_streaming else st.one_of(st.none(), st.sampled_from([0.0, 0.05]))
        return st.builds(lambda f, c: Case([f], c), frame, cancel)
    frames = st.lists(request, max_size=3)
    with_garbage = st.tuples(frames, st.sampled_from(GARBAGE)).map(lambda t: [*t[0], t[1]])
    return st.builds(
        Case,
        st.one_of(frames, with_garbage, st.just([])),  # [] is a bare half-close
        st.one_of(st.none(), st.none(), st.sampled_from([0.0, 0.05, 0.3])),
    )


# -- calling ------------------------------------------------------------------------------------------


@dataclass
class Fuzzer:
    """Calls one daemon as its admin; `dsn` (a superuser's, bypassing RLS) lets it fingerprint the database."""

    address: str
    token: str
    dsn: str
    known: list[str] = field(default_factory=list)
    timeout_s: float = CALL_TIMEOUT_S
    codes: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._channel = grpc.insecure_channel(
            self.address,
            options=[("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)],
        )
        self._loop = asyncio.new_event_loop()
        self._db: Any = None
        self._fingerprint_sql = ""

    def close(self) -> None:
        if self._db is not None:
            self._loop.run_until_complete(self._db.close())
        self._loop.close()
        self._channel.close()

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    def check(self, method: Method, case: Case) -> grpc.StatusCode:
        """Make the call; assert no INTERNAL/UNKNOWN, no hang, and no write when the call was refused."""
        before = self.fingerprint()
        started = time.monotonic()
        code, details = self._call(method, case)
        took = time.monotonic() - started
        self.codes[code.name] += 1
        assert code not in FORBIDDEN, f"{method.path} answered {code.name}: {details[:300]} (case {_show(case)})"
        assert took < self.timeout_s + SLACK_S, f"{method.path} took {took:.1f} s past a {self.timeout_s} s deadline"
        if code not in _MAY_HAVE_WRITTEN:
            after = self.fingerprint()
            changed = sorted(t for t in after if after[t] != before.get(t))
            assert not changed, f"{method.path} refused ({code.name}: {details[:200]}) but changed {changed}"
        return code

    def ping(self) -> None:
        """The daemon still answers (raises otherwise)."""
        call = self._channel.unary_unary("/auralink.v1.SystemService/Ping")
        call(b"", metadata=self.metadata, timeout=10)

    def _call(self, method: Method, case: Case) -> tuple[grpc.StatusCode, str]:
        kwargs = {"metadata": self.metadata, "timeout": self.timeout_s}
        try:
            if not method.client_streaming and not method.server_streaming:
                self._channel.unary_unary(method.path)(case.frames[0], **kwargs)
            elif not method.client_streaming:
                call = self._channel.unary_stream(method.path)(case.frames[0], **kwargs)
                self._drain(call, case.cancel_after_s)
            elif not method.server_streaming:
                future = self._channel.stream_unary(method.path).future(iter(case.frames), **kwargs)
                if case.cancel_after_s is not None:
                    time.sleep(case.cancel_after_s)
                    future.cancel()
                future.result()
            else:
                call = self._channel.stream_stream(method.path)(iter(case.frames), **kwargs)
                self._drain(call, case.cancel_after_s)
        except grpc.FutureCancelledError:
            return grpc.StatusCode.CANCELLED, "cancelled by the fuzzer"
        except grpc.RpcError as exc:
            return exc.code(), exc.details() or ""
        return grpc.StatusCode.OK, ""

    @staticmethod
    def _drain(call: Any, cancel_after_s: float | None) -> None:
        if cancel_after_s is not None:
            time.sleep(cancel_after_s)
            call.cancel()
        for count, _ in enumerate(call):
            if count >= 3:
                call.cancel()  # long streams (Watch*): a few messages are enough

    # -- the database fingerprint --------------------------------------------------------------------

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """Per table: (rows, a sum over row versions); any insert, update or delete changes it."""
        return self._loop.run_until_complete(self._fingerprint())

    async def _fingerprint(self) -> dict[str, tuple[int, int]]:
        import asyncpg

        if self._db is None:
            self._db = await asyncpg.connect(self.dsn)
            tables = await self._db.fetch(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS t FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
            self._fingerprint_sql = " UNION ALL ".join(
                f"SELECT '{r['t']}', count(*), {versions} FROM {r['t']}"
                + (" WHERE outcome = 'success'" if r["t"].endswith(".audit_logs") else "")
                for r in tables
                if r["t"] not in BACKGROUND_WRITTEN
                for versions in ["0" if r["t"] in BACKGROUND_UPDATED else _VERSIONS]
            )
        rows = await self._db.fetch(self._fingerprint_sql)
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def _show(case: Case) -> str:
    frames = [f[:60] + (b"..." if len(f) > 60 else b"") for f in case.frames]
    return f"frames={frames!r} cancel_after_s={case.cancel_after_s}"


def known_names(address: str, token: str) -> list[str]:
    """Real ids and names in the daemon (the admin, its org, roles, providers), so some calls go deep."""
    from auralink.v1 import access_pb2, access_pb2_grpc, providers_pb2, providers_pb2_grpc

    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(address) as channel:
        me = access_pb2_grpc.CredentialServiceStub(channel).WhoAmI(
            access_pb2.WhoAmIRequest(), metadata=metadata, timeout=10
        )
        roles = access_pb2_grpc.RoleServiceStub(channel).ListRoles(
            access_pb2.ListRolesRequest(), metadata=metadata, timeout=10
        )
        providers = providers_pb2_grpc.AIProviderServiceStub(channel).ListProviders(
            providers_pb2.ListProvidersRequest(), metadata=metadata, timeout=10
        )
    names = [r.name for r in roles.roles] + [p.name for p in providers.providers]
    names += [me.user.id, me.user.username, me.user.email, me.organization.id, me.organization.slug]
    return sorted({n for n in names if n})
