"""`--to storage:KEY` of the compression benchmark report, against a real daemon: the report (JSON) lands as an
object of the caller's organization, and `storage get` gives back what the command printed. (`memory export`
and `speech transcribe|say` with `--to` are covered in test_cli_memory.py and test_cli_speech.py.)"""

from __future__ import annotations

import json
from typing import Any

from tests.support import Daemon


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_benchmark_report_is_written_through_storage(daemon: Daemon) -> None:
    args = ("compress", "bench", "--type", "data", "--mode", "adaptive", "--quick", "-o", "json")
    report = _json(daemon.cli(*args, "--to", "storage:reports/bench.json", timeout_s=180))
    assert report["rows"] and report["stored"]["key"] == "reports/bench.json"
    got = daemon.cli("storage", "get", "reports/bench.json", "--out", "-")
    assert got.returncode == 0
    assert json.loads(got.stdout) == {"rows": report["rows"], "done": report["done"]}
    head = _json(daemon.cli("storage", "ls", "reports/", "-o", "json"))["objects"][0]
    assert head["content_type"] == "application/json" and head["sha256"] == report["stored"]["sha256"]

    bad = daemon.cli(*args, "--to", "storage:")
    assert bad.returncode == 2 and "expected storage:KEY" in bad.stderr
