"""`auralink speech …` against a real daemon, offline: say a sentence to a WAV, transcribe it back to the same
words (the issue's newcomer check), Ogg/Opus output, voices, and a usage error for an unknown voice."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support import Daemon

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def _json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_say_then_transcribe_gives_back_the_same_words(daemon: Daemon, tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    said = daemon.cli("speech", "say", "We will meet again next week.", "--out", str(wav), timeout_s=300)
    assert said.returncode == 0, said.stderr
    assert wav.read_bytes()[:4] == b"RIFF"
    heard = daemon.cli("speech", "transcribe", str(wav), timeout_s=300)
    assert heard.returncode == 0, heard.stderr
    assert words(heard.stdout) == ["we", "will", "meet", "again", "next", "week"]

    ogg = tmp_path / "b.ogg"
    info = _json(daemon.cli("speech", "say", "Hello there.", "--out", str(ogg), "--voice", "en-gb", "-o", "json"))
    assert info["content_type"] == "audio/ogg" and info["voice"] == "en-gb" and "audio" not in info
    assert ogg.read_bytes()[:4] == b"OggS"
    detail = _json(daemon.cli("speech", "transcribe", str(wav), "-o", "json", "--to", "storage:t/week.json"))
    assert detail["language"] == "en" and detail["segments"][0]["text"] and detail["stored_key"] == "t/week.json"
    stored = daemon.cli("storage", "get", "t/week.json", "--out", "-")
    assert stored.returncode == 0 and json.loads(stored.stdout)["text"] == detail["text"]
    said_to = _json(daemon.cli("speech", "say", "Good night.", "--out", str(tmp_path / "n.wav"), "--to",
                               "storage:tts/night.wav", "-o", "json"))  # fmt: skip
    assert said_to["stored_key"] == "tts/night.wav"
    assert _json(daemon.cli("storage", "ls", "tts/", "-o", "json"))["objects"][0]["key"] == "tts/night.wav"

    voices = _json(daemon.cli("speech", "voices", "--language", "en", "-o", "json"))
    assert "en-us" in {v["id"] for v in voices["voices"]}
    unknown = daemon.cli("speech", "say", "hi", "--out", str(tmp_path / "c.wav"), "--voice", "klingon")
    assert unknown.returncode == 2 and "unknown voice" in unknown.stderr
    assert not (tmp_path / "c.wav").exists()
