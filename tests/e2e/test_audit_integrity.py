"""Audit integrity against someone who can write the table (#22.7): edits, middle deletes and deleting the
newest rows are all found, and the chain cannot be recomputed without the daemon's KEK-derived key.

The tamperer here is the database superuser (it bypasses the append-only trigger); the daemon is real.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid

import asyncpg
import grpc
import pytest

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.audit import chain
from tests.support import Daemon, bearer, daemon_env, daemon_sql, short_tempdir

COLUMNS = (
    "id, organization_id, actor_user_id, actor_type, action, resource_type, resource_id, outcome, request_id, "
    "ip_address, user_agent, metadata, prev_hash, hash, created_at"
)

SET_HASHES = "UPDATE audit_logs SET prev_hash = $2, hash = $3 WHERE id = $1"


def _verify(daemon: Daemon, checkpoint: str = "") -> access_pb2.VerifyAuditChainResponse:
    with daemon.channel() as channel:
        return access_pb2_grpc.AuditServiceStub(channel).VerifyAuditChain(
            access_pb2.VerifyAuditChainRequest(checkpoint=checkpoint), metadata=bearer(daemon.token), timeout=10
        )


def _write(daemon: Daemon, n: int) -> None:
    with daemon.channel() as channel:
        keys = access_pb2_grpc.CredentialServiceStub(channel)
        for _ in range(n):
            request = access_pb2.CreateApiKeyRequest(name=f"k{uuid.uuid4().hex[:8]}")
            keys.CreateApiKey(request, metadata=bearer(daemon.token), timeout=10)


def _rows(daemon: Daemon) -> list[asyncpg.Record]:
    """The admin's org's chain (the one VerifyAuditChain walks for the admin)."""
    return daemon_sql(
        daemon,
        f"SELECT {COLUMNS} FROM audit_logs WHERE organization_id = "
        "(SELECT organization_id FROM users WHERE username = 'admin') ORDER BY id",
    )


def _content(row: asyncpg.Record) -> dict[str, object]:
    """A row as the daemon hashes it."""
    content = dict(row)
    content["organization_id"] = str(row["organization_id"])
    content["actor_user_id"] = str(row["actor_user_id"]) if row["actor_user_id"] else None
    content["metadata"] = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    return content


def _restore(daemon: Daemon, rows: list[asyncpg.Record]) -> None:
    """Put rows back exactly as they were (the tamperer covering their tracks, or the test undoing a tamper)."""
    for row in rows:
        daemon_sql(
            daemon,
            f"INSERT INTO audit_logs ({COLUMNS}) OVERRIDING SYSTEM VALUE "
            "SELECT * FROM json_populate_record(NULL::audit_logs, $1::json) "
            "ON CONFLICT (id) DO NOTHING",
            json.dumps(_plain(row)),
        )
        daemon_sql(daemon, SET_HASHES, row["id"], row["prev_hash"], row["hash"])


def _plain(row: asyncpg.Record) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in dict(row).items():
        if key in ("prev_hash", "hash"):
            continue  # set byte-exact afterwards
        out[key] = value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)
    out["metadata"] = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    return out


def test_edits_middle_and_tail_deletes_and_recomputed_chains_are_all_detected(daemon: Daemon) -> None:
    _write(daemon, 5)
    first = _verify(daemon)
    assert first.ok and first.rows_checked >= 5 and first.checkpoint.startswith("alck1.")
    rows = _rows(daemon)
    assert len(rows) >= 5
    # The links are keyed: the plain sha256 chain a table writer could compute does not match.
    assert rows[1]["hash"] != chain.link(rows[0]["hash"], _content(rows[1]))

    # 1. Deleting the newest rows (the case an unanchored chain cannot see).
    tail = rows[-2:]
    daemon_sql(daemon, "DELETE FROM audit_logs WHERE id >= $1", tail[0]["id"])
    truncated = _verify(daemon)
    assert not truncated.ok and truncated.first_broken_id == tail[-1]["id"]
    assert "deleted" in truncated.reason
    _restore(daemon, tail)
    assert _verify(daemon).ok

    # 2. A row edited by hand, with the rest of the chain recomputed the only way a table writer can
    #    (plain sha256), and the head row deleted: still found.
    victim = rows[2]
    head = daemon_sql(daemon, "SELECT * FROM audit_heads")[0]
    daemon_sql(daemon, "UPDATE audit_logs SET action = 'nothing.happened' WHERE id = $1", victim["id"])
    recomputed = _recompute_unkeyed(daemon, from_id=victim["id"])
    daemon_sql(daemon, "DELETE FROM audit_heads")
    forged = _verify(daemon)
    assert not forged.ok and forged.first_broken_id in (victim["id"], rows[-1]["id"]), forged
    daemon_sql(daemon, "DELETE FROM audit_logs WHERE id >= $1", victim["id"])
    _restore(daemon, rows[2:])
    daemon_sql(
        daemon, "INSERT INTO audit_heads (organization_id, last_id, hash, mac) VALUES ($1, $2, $3, $4)",
        head["organization_id"], head["last_id"], head["hash"], head["mac"],
    )  # fmt: skip
    assert recomputed > 0 and _verify(daemon).ok

    # 3. A middle row deleted.
    daemon_sql(daemon, "DELETE FROM audit_logs WHERE id = $1", rows[1]["id"])
    middle = _verify(daemon)
    assert not middle.ok and middle.first_broken_id == rows[2]["id"] and "prev_hash" in middle.reason


def test_a_checkpoint_catches_truncation_with_the_head_rolled_back(daemon: Daemon) -> None:
    _write(daemon, 3)
    older_head = daemon_sql(daemon, "SELECT * FROM audit_heads")[0]
    _write(daemon, 2)
    checkpoint = _verify(daemon).checkpoint
    rows = _rows(daemon)
    # The tamperer deletes the newest rows and puts back the head (with its genuine MAC) of an earlier
    # moment: the database alone now holds a consistent, shorter log.
    daemon_sql(daemon, "DELETE FROM audit_logs WHERE id > $1", older_head["last_id"])
    daemon_sql(
        daemon, "UPDATE audit_heads SET last_id = $1, hash = $2, mac = $3",
        older_head["last_id"], older_head["hash"], older_head["mac"],
    )  # fmt: skip
    assert _verify(daemon).ok  # only an anchor outside the database can tell (no saved checkpoint yet here)
    caught = _verify(daemon, checkpoint)
    checkpoint_id = int(checkpoint.split(".")[2])
    assert checkpoint_id == rows[-1]["id"]
    assert not caught.ok and caught.first_broken_id == checkpoint_id and "checkpoint" in caught.reason

    cli = daemon.cli("audit", "verify", "--checkpoint", checkpoint)
    assert cli.returncode == 1 and "BROKEN" in cli.stderr, cli.stderr

    # A checkpoint edited to name another row fails its signature: INVALID_ARGUMENT, not a verdict.
    parts = checkpoint.split(".")
    parts[2] = str(older_head["last_id"])
    with pytest.raises(grpc.RpcError) as refused:
        _verify(daemon, ".".join(parts))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A head edited by hand fails its MAC.
    daemon_sql(daemon, "UPDATE audit_heads SET last_id = last_id - 1")
    altered = _verify(daemon)
    assert not altered.ok and "altered" in altered.reason


def _recompute_unkeyed(daemon: Daemon, from_id: int) -> int:
    """What a table writer without the key can do: recompute sha256 links from `from_id` on."""
    rows = _rows(daemon)
    prev: bytes | None = None
    changed = 0
    for row in rows:
        if row["id"] >= from_id:
            new_hash = hashlib.sha256((prev or chain.GENESIS) + chain.canonical(_content(row))).digest()
            daemon_sql(daemon, SET_HASHES, row["id"], prev, new_hash)
            prev, changed = new_hash, changed + 1
        else:
            prev = row["hash"]
    return changed


def test_the_daemon_saves_checkpoints_outside_the_database_and_verify_uses_them(pg16_fresh_dsn: str) -> None:
    root = short_tempdir()
    daemon = Daemon(root / "d", daemon_env(root / "d", database_url=pg16_fresh_dsn, audit_checkpoint_interval_s="0.2"))
    daemon.start()
    try:
        _write(daemon, 3)
        older_head = daemon_sql(daemon, "SELECT * FROM audit_heads")[0]
        _write(daemon, 2)
        last_id = _rows(daemon)[-1]["id"]
        saved_file = root / "d" / "audit-checkpoints.json"

        def saved_id() -> int:
            tokens = json.loads(saved_file.read_text()) if saved_file.exists() else {}
            return max((int(t.split(".")[2]) for t in tokens.values()), default=0)

        deadline = time.monotonic() + 20
        while saved_id() != last_id and time.monotonic() < deadline:
            time.sleep(0.1)
        assert saved_id() == last_id
        assert oct(saved_file.stat().st_mode & 0o777) == "0o600"

        # The same tamper as above: rows deleted, the head rolled back to a genuine older value.
        daemon_sql(daemon, "DELETE FROM audit_logs WHERE id > $1", older_head["last_id"])
        daemon_sql(
            daemon, "UPDATE audit_heads SET last_id = $1, hash = $2, mac = $3",
            older_head["last_id"], older_head["hash"], older_head["mac"],
        )  # fmt: skip
        caught = _verify(daemon)
        assert not caught.ok and caught.first_broken_id == last_id and "saved checkpoint" in caught.reason
        time.sleep(0.6)
        assert saved_id() == last_id  # a head that went back does not move the saved checkpoint
        assert "went back" in daemon.logs()
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
