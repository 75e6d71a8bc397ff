"""`auralink rooms …` against a daemon: create a room, assign an agent and see it on the assignment feed,
join and leave, close, and the refusals (another org's room is NOT_FOUND, members act for themselves)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import uuid
from typing import Any
from uuid import UUID

from auralinkd.access.tokens import TokenService
from tests.support import BIN, Daemon


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def token_for(daemon: Daemon, user: dict[str, Any]) -> str:
    """A token for a user the test created, signed like the daemon's own."""
    tokens = TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())
    token, _ = tokens.issue(UUID(user["id"]), UUID(user["organization_id"]), None, ttl_s=600)
    return token


def as_user(daemon: Daemon, token: str) -> dict[str, str]:
    return {**daemon.env, "AURALINK_TOKEN": token}


class Watch:
    """`auralink -o json rooms watch ROOM` in the background, its JSON lines on a queue."""

    def __init__(self, daemon: Daemon, room: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "auralink"), "-o", "json", "rooms", "watch", room],
            env=daemon.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout_s: float = 20) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout_s}s; stderr: {self.stop()}") from None

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=10)
        return err


def test_a_room_created_by_cli_takes_an_agent_whose_assignment_reaches_the_watch_feed(daemon: Daemon) -> None:
    room = ok_json(daemon.cli("-o", "json", "rooms", "create", "standup", "--max-participants", "3"))
    assert room["state"] == "ACTIVE" and room["type"] == "MEETING" and room["max_participants"] == 3
    assert room["participant_count"] == 0 and room["call_id"] == "" and room["aic_enabled"] is True
    listed = ok_json(daemon.cli("-o", "json", "rooms", "list"))
    assert [r["id"] for r in listed["rooms"]] == [room["id"]]

    watch = Watch(daemon, room["id"])
    try:
        assert watch.next()["kind"] == "SNAPSHOT_DONE"  # nobody assigned yet
        ok_json(
            daemon.cli("-o", "json", "--timeout", "120", "agents", "create", "helper", timeout_s=150)
        )  # loads litellm
        assigned = ok_json(daemon.cli("-o", "json", "agents", "assign-room", "helper", room["id"]))
        event = watch.next()
        assert event["kind"] == "ASSIGNED" and event["assignment"]["id"] == assigned["id"]
        assert event["assignment"]["agent_name"] == "helper" and event["assignment"]["room_id"] == room["id"]
        assert daemon.cli("agents", "unassign-room", "helper", room["id"], "--yes").returncode == 0
        assert watch.next()["kind"] == "UNASSIGNED"
    finally:
        watch.stop()

    me = ok_json(daemon.cli("-o", "json", "rooms", "join", room["id"], "--role", "host"))
    agent = ok_json(daemon.cli("-o", "json", "rooms", "join", room["id"], "--agent", "helper"))
    assert me["kind"] == "USER" and me["role"] == "host" and agent["kind"] == "AGENT" and agent["agent_id"]
    assert me["call_id"] == agent["call_id"] != ""
    again = daemon.cli("rooms", "join", room["id"], "--agent", "helper")
    assert again.returncode == 6 and "already" in again.stderr
    ok_json(daemon.cli("-o", "json", "rooms", "join", room["id"], "--guest", "Visitor"))
    full = daemon.cli("rooms", "join", room["id"], "--guest", "One too many")
    assert full.returncode == 9 and "full" in full.stderr
    shown = ok_json(daemon.cli("-o", "json", "rooms", "show", room["id"]))
    assert shown["participant_count"] == 3 and shown["call_id"] == me["call_id"]

    assert daemon.cli("rooms", "leave", room["id"], agent["id"], "--yes").returncode == 0
    present = ok_json(daemon.cli("-o", "json", "rooms", "participants", room["id"]))["participants"]
    assert sorted(p["kind"] for p in present) == ["GUEST", "USER"]

    closed = ok_json(daemon.cli("-o", "json", "rooms", "close", room["id"], "--yes"))
    assert closed["state"] == "CLOSED" and closed["close_time"] and closed["participant_count"] == 0
    history = ok_json(daemon.cli("-o", "json", "rooms", "participants", room["id"], "--all"))["participants"]
    assert len(history) == 3 and all(p["leave_time"] for p in history)
    assert daemon.cli("rooms", "join", room["id"]).returncode == 6
    assert daemon.cli("agents", "assign-room", "helper", room["id"]).returncode == 6
    assert ok_json(daemon.cli("-o", "json", "rooms", "list"))["rooms"] == []
    assert len(ok_json(daemon.cli("-o", "json", "rooms", "list", "--all"))["rooms"]) == 1


def test_another_orgs_room_reads_as_missing_and_members_act_only_for_themselves(daemon: Daemon) -> None:
    room = ok_json(daemon.cli("-o", "json", "rooms", "create", "board", "--type", "webinar"))
    ok_json(daemon.cli("-o", "json", "orgs", "create", "Acme", "--slug", "acme"))
    outsider = ok_json(
        daemon.cli("-o", "json", "users", "create", "--email", "eve@acme.test", "--username", "eve", "--org", "acme")
    )
    eve = as_user(daemon, token_for(daemon, outsider))
    nowhere = str(uuid.uuid4())
    missing = daemon.cli("rooms", "show", nowhere, env=eve)
    theirs = daemon.cli("rooms", "show", room["id"], env=eve)
    assert theirs.returncode == missing.returncode == 5
    assert theirs.stderr.replace(room["id"], "ID") == missing.stderr.replace(nowhere, "ID")
    for args in (("rooms", "join", room["id"]), ("rooms", "close", room["id"], "--yes")):
        assert daemon.cli(*args, env=eve).returncode == 5
    assert ok_json(daemon.cli("-o", "json", "rooms", "list", env=eve))["rooms"] == []

    member = ok_json(daemon.cli("-o", "json", "users", "create", "--email", "bob@x.test", "--username", "bob"))
    bob = as_user(daemon, token_for(daemon, member))
    joined = ok_json(daemon.cli("-o", "json", "rooms", "join", room["id"], env=bob))
    assert joined["user_id"] == member["id"]
    assert daemon.cli("rooms", "join", room["id"], "--guest", "Mallory", env=bob).returncode == 4
    admin_in = ok_json(daemon.cli("-o", "json", "rooms", "join", room["id"]))
    assert daemon.cli("rooms", "leave", room["id"], admin_in["id"], "--yes", env=bob).returncode == 4
    assert daemon.cli("rooms", "close", room["id"], "--yes", env=bob).returncode == 4
    own = ok_json(daemon.cli("-o", "json", "rooms", "create", "bobs room", env=bob))
    assert ok_json(daemon.cli("-o", "json", "rooms", "close", own["id"], "--yes", env=bob))["state"] == "CLOSED"

    assert daemon.cli("rooms", "show", "not-a-uuid").returncode == 2
    assert daemon.cli("rooms", "create", " ").returncode == 2
    assert daemon.cli("rooms", "join", room["id"], "--role", "king").returncode == 2
