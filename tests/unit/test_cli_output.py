"""The CLI's output contract: exit codes, the pinned JSON shape of `status`, and plain text when asked."""

from __future__ import annotations

import json

import pytest
from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2

from auralink.v1 import common_pb2, system_pb2
from auralink_cli import exit_codes, output
from auralink_cli.commands.system import event_text, event_to_dict, status_exit_code, status_table, status_to_dict
from auralink_cli.exit_codes import GRPC_EXIT_CODES, exit_code_for


def make_status(**overrides: object) -> system_pb2.GetStatusResponse:
    fields: dict[str, object] = dict(
        version="0.1.0",
        started_at=timestamp_pb2.Timestamp(seconds=1_700_000_000),
        uptime=duration_pb2.Duration(seconds=3723, nanos=500_000_000),
        state=common_pb2.SERVING_STATE_SERVING,
        reasons=[],
        database=system_pb2.DatabaseStatus(
            embedded=True,
            server_version="16.2",
            has_pgvector=True,
            vector_search="hnsw",
            pool_in_use=1,
            pool_size=10,
            migration_level=3,
            migrations_pending=0,
            reachable=True,
        ),
        redis=system_pb2.RedisStatus(configured=False),
        services=[system_pb2.ServiceStatus(name="memory", state=common_pb2.SERVING_STATE_SERVING, detail="ok")],
        replica_id="replica-1",
        rpc=system_pb2.RpcStats(calls_total=2**40, errors_total=3),
    )
    fields.update(overrides)
    return system_pb2.GetStatusResponse(**fields)


# --- exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_name", "code"),
    [
        ("OK", 0),
        ("INTERNAL", 1),
        ("UNKNOWN", 1),
        ("DATA_LOSS", 1),
        ("INVALID_ARGUMENT", 2),
        ("OUT_OF_RANGE", 2),
        ("UNAVAILABLE", 3),
        ("UNAUTHENTICATED", 4),
        ("PERMISSION_DENIED", 4),
        ("NOT_FOUND", 5),
        ("ALREADY_EXISTS", 6),
        ("ABORTED", 6),
        ("FAILED_PRECONDITION", 6),
        ("RESOURCE_EXHAUSTED", 9),
        ("DEADLINE_EXCEEDED", 10),
    ],
)
def test_each_grpc_status_maps_to_its_documented_exit_code(status_name: str, code: int) -> None:
    assert exit_code_for(status_name) == code


def test_every_grpc_status_code_has_an_exit_code() -> None:
    import grpc

    assert {c.name for c in grpc.StatusCode} <= set(GRPC_EXIT_CODES)
    assert exit_code_for("SOMETHING_NEW") == exit_codes.UNEXPECTED


def test_status_exit_codes_distinguish_degraded_from_not_ready() -> None:
    assert status_exit_code("SERVING") == 0
    assert status_exit_code("DEGRADED") == 7
    for state in ("STARTING", "NOT_SERVING", "STOPPING", "UNSPECIFIED"):
        assert status_exit_code(state) == 8


# --- the JSON shape of `status -o json` ------------------------------------------------------


def test_status_json_shape_is_pinned() -> None:
    data = status_to_dict(make_status())
    assert data == {
        "version": "0.1.0",
        "started_at": "2023-11-14T22:13:20Z",
        "uptime": 3723.5,
        "state": "SERVING",
        "reasons": [],
        "database": {
            "embedded": True,
            "server_version": "16.2",
            "has_pgvector": True,
            "vector_search": "hnsw",
            "pool_in_use": 1,
            "pool_size": 10,
            "migration_level": 3,
            "migrations_pending": 0,
            "reachable": True,
            "error": "",
        },
        "redis": {"configured": False, "up": False, "breaker_state": "", "reason": ""},
        "services": [{"name": "memory", "state": "SERVING", "detail": "ok"}],
        "replica_id": "replica-1",
        "rpc": {"calls_total": 2**40, "errors_total": 3},
    }
    # uint64 stays a JSON number (json_format.MessageToDict would make it a string).
    assert json.loads(output.to_json(data))["rpc"]["calls_total"] == 2**40


def test_status_json_of_an_empty_response_has_every_key_with_defaults() -> None:
    data = status_to_dict(system_pb2.GetStatusResponse())
    assert data["state"] == "UNSPECIFIED"
    assert data["started_at"] is None and data["uptime"] is None
    assert data["database"]["pool_size"] == 0 and data["redis"]["configured"] is False
    assert set(data) == set(status_to_dict(make_status()))


def test_enums_are_short_names_and_unknown_numbers_stay_ints() -> None:
    resp = make_status(state=common_pb2.SERVING_STATE_NOT_SERVING)
    assert status_to_dict(resp)["state"] == "NOT_SERVING"
    unknown = system_pb2.ServiceStatus(name="x", state=42)  # type: ignore[arg-type]
    assert status_to_dict(make_status(services=[unknown]))["services"][0]["state"] == 42


def test_events_become_plain_dicts_and_one_line_of_text() -> None:
    data = struct_pb2.Struct()
    data.update({"node": "n1", "count": 2})
    event = system_pb2.Event(
        id="e1", topic="mesh.node", time=timestamp_pb2.Timestamp(seconds=1_700_000_000), data=data, replica_id="r1"
    )
    as_dict = event_to_dict(event)
    assert as_dict == {
        "id": "e1",
        "topic": "mesh.node",
        "time": "2023-11-14T22:13:20Z",
        "data": {"node": "n1", "count": 2.0},
        "replica_id": "r1",
        "heartbeat": False,
        "organization_id": "",
    }
    assert event_text(as_dict) == '2023-11-14T22:13:20Z mesh.node [r1] {"node":"n1","count":2.0}'


# --- printing --------------------------------------------------------------------------------


def test_table_output_has_no_ansi_codes_when_not_a_tty(capsys: pytest.CaptureFixture[str]) -> None:
    resp = make_status(
        state=common_pb2.SERVING_STATE_DEGRADED,
        reasons=["redis down: in-process bus"],
        redis=system_pb2.RedisStatus(configured=True, up=False, breaker_state="open", reason="refused"),
    )
    output.emit(status_to_dict(resp), "table", table=status_table)
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "DEGRADED" in out and "redis down: in-process bus" in out
    assert "embedded, PostgreSQL 16.2, pgvector yes (hnsw), pool 1/10, migration 3" in out
    assert "down, breaker open: refused" in out and "memory: SERVING" in out


def as_if_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_no_color_drops_escape_codes_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    as_if_on_a_terminal(monkeypatch)
    coloured = output.console(no_color=False)
    plain = output.console(no_color=True)
    with coloured.capture() as cap_colour:
        coloured.print("[green bold]SERVING[/]")
    with plain.capture() as cap_plain:
        plain.print("[green bold]SERVING[/]")
    assert "\x1b[" in cap_colour.get()
    assert cap_plain.get() == "SERVING\n"


def test_no_color_env_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    as_if_on_a_terminal(monkeypatch)
    monkeypatch.setenv("NO_COLOR", "1")
    console = output.console()
    with console.capture() as cap:
        console.print("[red]FAIL[/]")
    assert cap.get() == "FAIL\n"


def test_errors_are_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    output.error("daemon unreachable:\n  connection refused")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: daemon unreachable: connection refused\n"


def test_json_and_yaml_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    output.emit({"a": 1, "b": [True, None]}, "json")
    assert json.loads(capsys.readouterr().out) == {"a": 1, "b": [True, None]}
    output.emit({"a": 1}, "yaml")
    assert capsys.readouterr().out == "a: 1\n"


def test_client_version_is_the_distribution_version() -> None:
    from importlib import metadata

    import auralink_cli

    assert auralink_cli.__version__ == metadata.version("auralink")


def test_tables_show_no_python_values_and_say_their_units(capsys: pytest.CaptureFixture[str]) -> None:
    reputation = {
        "name": "relay-1",
        "quarantined": False,
        "quarantine_reason": "drops packets",
        "successful_relays": 12,
        "failed_relays": 3,
        "nodes_by_state": {"alive": 3, "suspect": 0, "offline": 1},
        "latency": 0.187712,
        "took": 0.278251083,
        "mean_link_rtt_ms": 12.5,
        "tags": ["a", "b"],
        "expire_time": None,
    }
    output.emit(reputation, "table")
    text = capsys.readouterr().out
    for python in ("{'", "['", "False", "True", "None", "quarantine_reason", "_"):
        assert python not in text, text
    assert "Quarantine reason  drops packets" in text and "Successful relays  12" in text
    assert "alive 3, suspect 0, offline 1" in text and "187.7 ms" in text and "278.3 ms" in text
    assert "12.5 ms" in text and "Quarantined        no" in text
    assert output.seconds(3725) == "1h 2m 5s"


def test_piped_tables_are_not_cut_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    rows = output.table("TYPE", "MODE", "CODEC", "QUALITY", "BASELINE")
    rows.add_row("audio", "conservative", "opus-like-neural-codec", "pesq=4.1 stoi=0.97 snr=22.5", "opus 32k")
    output.emit({}, "table", table=lambda _: rows)
    line = next(line for line in capsys.readouterr().out.splitlines() if "audio" in line)
    assert len(line) > 80 and "snr=22.5" in line and "opus 32k" in line


def test_o_name_prints_one_name_or_id_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    listed = {"agents": [{"id": "a1", "name": "helper"}, {"id": "a2", "name": ""}], "next_page_token": ""}
    output.emit(listed, "name")
    output.emit({"result": {"memory_id": "m1", "outcome": "STORED"}}, "name")
    assert capsys.readouterr().out == "helper\na2\nm1\n"


def test_no_headers_drops_the_header_row(capsys: pytest.CaptureFixture[str]) -> None:
    output.set_no_headers(True)
    try:
        rows = output.table("NAME", "STATE")
        rows.add_row("n1", "alive")
        output.emit({}, "table", table=lambda _: rows)
    finally:
        output.set_no_headers(False)
    assert "NAME" not in capsys.readouterr().out
