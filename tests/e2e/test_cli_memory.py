"""`auralink memory …` against a real daemon: store, recall, evolve --dry-run, stats, import/export round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import Daemon


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_newcomer_stores_recalls_evolves_and_reads_stats(daemon: Daemon) -> None:
    stored = _json(
        daemon.cli("memory", "store", "My dentist is Dr. Okafor", "--tag", "health", "-o", "json", timeout_s=180)
    )
    assert stored["result"]["outcome"] == "STORED"
    again = _json(daemon.cli("memory", "store", "My dentist is Dr. Okafor", "-o", "json"))
    assert again["result"]["outcome"] == "DEDUPED" and again["result"]["memory_id"] == stored["result"]["memory_id"]
    recalled = _json(daemon.cli("memory", "recall", "who looks after my teeth", "-o", "json"))
    assert recalled["results"][0]["memory"]["content"] == "My dentist is Dr. Okafor"
    assert set(recalled["results"][0]["score"]) >= {"score", "semantic", "keyword", "recency", "importance"}
    table = daemon.cli("memory", "recall", "who looks after my teeth")
    assert table.returncode == 0 and "Okafor" in table.stdout
    dry = _json(daemon.cli("memory", "evolve", "--dry-run", "-o", "json"))
    assert dry["run"]["dry_run"] is True
    stats = _json(daemon.cli("memory", "stats", "-o", "json"))
    assert stats["total"] == 1 and stats["pgvector"] is True
    empty = daemon.cli("memory", "store", "   ")
    assert empty.returncode == 2
    bad_meta = daemon.cli("memory", "store", "x", "--metadata", "[1, 2]")
    assert bad_meta.returncode == 2 and "JSON object" in bad_meta.stderr


def test_import_reports_malformed_lines_and_export_round_trips(daemon: Daemon, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"content": "I run on Tuesdays", "tags": ["sport"], "importance": 0.4, "metadata": {"src": "app"}}\n'
        "{broken\n"
        '{"content": "Our cat Miso is twelve", "create_time": "2024-05-01T12:00:00Z", "source": "chat"}\n'
        '{"content": "I run on Tuesdays"}\n'
    )
    done = daemon.cli("memory", "import", str(source), "-o", "json", timeout_s=180)
    assert done.returncode == 2  # a malformed line: reported, the others imported
    report = json.loads(done.stdout)
    assert (report["stored"], report["deduped"], report["malformed"]) == (2, 1, 0 + 1)
    assert report["problems"] == [{"line": 2, "outcome": "malformed", "reason": report["problems"][0]["reason"]}]

    first = tmp_path / "out1.jsonl"
    assert daemon.cli("memory", "export", "--file", str(first)).returncode == 0
    records = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(records) == 2
    for record in records:
        assert daemon.cli("memory", "delete", record["id"], "--hard", "--yes").returncode == 0
    assert _json(daemon.cli("memory", "list", "-o", "json"))["memories"] == []
    reimport = daemon.cli("memory", "import", str(first), "-o", "json")
    assert reimport.returncode == 0 and json.loads(reimport.stdout)["stored"] == 2
    second = tmp_path / "out2.jsonl"
    assert daemon.cli("memory", "export", "--file", str(second)).returncode == 0

    def strip(path: Path) -> list[dict[str, Any]]:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return sorted(({k: v for k, v in r.items() if k != "id"} for r in rows), key=lambda r: r["content"])

    assert strip(first) == strip(second)

    # --to storage:KEY: the same JSONL, written through StorageService
    stored = _json(daemon.cli("memory", "export", "--to", "storage:exports/memories.jsonl", "-o", "json"))
    assert stored["key"] == "exports/memories.jsonl" and stored["exported"] == 2
    fetched = tmp_path / "fetched.jsonl"
    assert daemon.cli("storage", "get", "exports/memories.jsonl", "--out", str(fetched)).returncode == 0
    assert strip(fetched) == strip(second) and stored["size_bytes"] == fetched.stat().st_size
    bad = daemon.cli("memory", "export", "--to", "s3:exports/x.jsonl")
    assert bad.returncode == 2 and "expected storage:KEY" in bad.stderr
