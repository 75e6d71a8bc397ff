"""`auralink storage …` against a real daemon with its HTTP listener: put, ls, sign + a plain HTTP GET of the
URL (what `curl` does), a signed PUT, get to a file and to stdout, usage and rm."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import Daemon, daemon_env, free_port, short_tempdir


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def web_daemon(pg16_fresh_dsn: str) -> Iterator[Daemon]:
    root = short_tempdir()
    data_dir = root / "d"
    env = daemon_env(data_dir, database_url=pg16_fresh_dsn, http_address=f"127.0.0.1:{free_port()}")
    daemon = Daemon(data_dir, env).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_put_ls_sign_curl_get_and_rm(web_daemon: Daemon, tmp_path: Path) -> None:
    d = web_daemon
    source = tmp_path / "notes.txt"
    data = os.urandom(600_000)
    source.write_bytes(data)
    stored = _json(d.cli("storage", "put", str(source), "docs/notes.txt", "-o", "json"))
    assert stored["key"] == "docs/notes.txt" and stored["content_type"] == "text/plain"
    assert stored["sha256"] == hashlib.sha256(data).hexdigest() and stored["size_bytes"] == len(data)

    listed = _json(d.cli("storage", "ls", "docs/", "-o", "json"))
    assert [o["key"] for o in listed["objects"]] == ["docs/notes.txt"]
    table = d.cli("storage", "ls")
    assert table.returncode == 0 and "docs/notes.txt" in table.stdout

    url = d.cli("storage", "sign", "docs/notes.txt", "--expires", "10m")
    assert url.returncode == 0, url.stderr
    assert httpx.get(url.stdout.strip(), timeout=10).content == data

    upload = _json(d.cli("storage", "sign", "docs/up.json", "--put", "-t", "application/json", "-o", "json"))
    sent = httpx.put(upload["url"], content=b'{"a": 1}', headers=upload["headers"], timeout=10)
    assert sent.status_code == 200, sent.text
    first = _json(d.cli("storage", "ls", "docs/", "--limit", "1", "-o", "json"))
    assert [o["key"] for o in first["objects"]] == ["docs/notes.txt"] and first["next_page_token"]
    rest = _json(d.cli("storage", "ls", "docs/", "--page-token", first["next_page_token"], "-o", "json"))
    assert [o["key"] for o in rest["objects"]] == ["docs/up.json"] and not rest["next_page_token"]

    target = tmp_path / "copy.txt"
    fetched = _json(d.cli("storage", "get", "docs/notes.txt", "--out", str(target), "-o", "json"))
    assert target.read_bytes() == data and fetched["sha256"] == stored["sha256"]
    piped = d.cli("storage", "get", "docs/up.json", "--out", "-")
    assert piped.returncode == 0 and piped.stdout == '{"a": 1}'

    usage = _json(d.cli("storage", "usage", "-o", "json"))
    assert usage["object_count"] == 2 and usage["backend"] == "local"
    assert d.cli("storage", "rm", "docs/notes.txt", "--yes").returncode == 0
    missing = d.cli("storage", "get", "docs/notes.txt", "--out", str(tmp_path / "gone"))
    assert missing.returncode != 0 and "no object with key 'docs/notes.txt'" in missing.stderr
    assert not (tmp_path / "gone").exists()
    bad = d.cli("storage", "put", str(source), "a/../b")
    assert bad.returncode == 2 and ".." in bad.stderr
