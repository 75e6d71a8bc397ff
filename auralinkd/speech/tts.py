"""Offline text to speech with espeak-ng (a Debian package, run as a subprocess with the text on stdin).

Only espeak-ng's own voices are offered (MBROLA voices need extra data files that are not installed).
A voice id is a language tag from `espeak-ng --voices` ("en-us"), optionally with a variant ("en-us+f3").
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

from auralinkd.errors import FailedPrecondition, InvalidArgument, Unavailable

MODEL = "local/espeak-ng"
DEFAULT_VOICE = "en-us"
BASE_WPM = 175  # espeak-ng's default speed: speed 1.0
MIN_WPM, MAX_WPM = 80, 700
_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    language: str
    gender: str
    model: str = MODEL


def _binary() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise FailedPrecondition(
            "offline speech synthesis needs espeak-ng, which is not installed on the daemon's machine "
            "(Debian/Ubuntu: apt-get install espeak-ng)"
        )
    return found


async def _run(*args: str, stdin: bytes = b"") -> bytes:
    process = await asyncio.create_subprocess_exec(
        _binary(), *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), _TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise Unavailable(f"espeak-ng did not finish within {_TIMEOUT_S:.0f} s") from None
    if process.returncode != 0:
        raise Unavailable(f"espeak-ng failed: {err.decode(errors='replace').strip()[:200]}")
    return out


class Espeak:
    """Voices are listed once (they are files of the installed package) and then served from memory."""

    def __init__(self) -> None:
        self._voices: list[VoiceInfo] | None = None
        self._variants: frozenset[str] | None = None
        self._lock = asyncio.Lock()

    async def voices(self) -> list[VoiceInfo]:
        async with self._lock:
            if self._voices is None:
                self._voices = _parse_voices((await _run("--voices")).decode(errors="replace"))
                variants = (await _run("--voices=variant")).decode(errors="replace")
                self._variants = frozenset(
                    line.split()[3] for line in variants.splitlines()[1:] if len(line.split()) >= 4
                )
        return self._voices

    async def check_voice(self, voice: str) -> str:
        voice = voice.strip() or DEFAULT_VOICE
        base, _, variant = voice.partition("+")
        known = {v.id for v in await self.voices()}
        if base not in known or (variant and variant not in (self._variants or frozenset())):
            raise InvalidArgument.for_field(
                "voice", f"unknown voice {voice!r}: see `auralink speech voices` (e.g. en-us, en-gb, en-us+f3)"
            )
        return voice

    async def synthesize(self, text: str, voice: str, speed: float) -> bytes:
        """A WAV (16-bit mono, 22050 Hz) of `text`."""
        wpm = max(MIN_WPM, min(MAX_WPM, round(BASE_WPM * speed)))
        return await _run("-v", voice, "-s", str(wpm), "-b", "1", "--stdout", stdin=text.encode())


def _parse_voices(listing: str) -> list[VoiceInfo]:
    """`espeak-ng --voices`: Pty Language Age/Gender VoiceName File Other; MBROLA (mb/) voices left out."""
    voices: dict[str, VoiceInfo] = {}
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5 or parts[4].startswith("mb/"):
            continue
        language, gender, name = parts[1], parts[2].rpartition("/")[2], parts[3].replace("_", " ")
        gender = {"M": "male", "F": "female"}.get(gender, "")
        voices.setdefault(language, VoiceInfo(language, name, language, gender))
    return sorted(voices.values(), key=lambda v: v.id)
