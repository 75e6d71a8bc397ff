"""`auralink speech say|transcribe|voices` (SpeechService): offline text to speech and speech to text.

`say "…" --out a.wav` writes the audio (Ogg/Opus when the name ends in .ogg or .opus);
`transcribe FILE` prints the text (or segments with timestamps under -o json/yaml).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.commands import storage
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.speech import voices_table

speech_app = typer.Typer(name="speech", help="Speech: say text, transcribe audio, list voices.", no_args_is_help=True)

# The first call loads the offline speech model in the daemon.
SPEECH_TIMEOUT_S = 300.0
OGG_SUFFIXES = (".ogg", ".opus", ".oga")


def register(app: typer.Typer) -> None:
    app.add_typer(speech_app, name="speech")


def _settings_with_timeout(ctx: typer.Context) -> Any:
    import dataclasses

    settings = common.settings_of(ctx)
    return dataclasses.replace(settings, timeout=max(settings.timeout, SPEECH_TIMEOUT_S))


@speech_app.command("say")
def say(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say (up to 5000 characters).")],
    out: Annotated[Path, typer.Option("--out", "-O", help="The audio file to write (.wav, or .ogg for Opus).")],
    voice: Annotated[str, typer.Option("--voice", "-v", help="A voice id (see `speech voices`).")] = "",
    speed: Annotated[float, typer.Option("--speed", help="1.0 is normal; 0.25 to 4.")] = 1.0,
    store: Annotated[str, typer.Option("--to-storage", help="Also store the audio under this key.")] = "",
    to: Annotated[str, storage.ToOption] = "",
) -> None:
    """Synthesize speech offline (espeak-ng) into a WAV or Ogg/Opus file (the daemon stores it with --to)."""
    from auralink.v1 import speech_pb2 as pb

    settings = _settings_with_timeout(ctx)
    store = storage.storage_key(to) if to else store
    fmt = pb.SPEECH_AUDIO_FORMAT_OGG_OPUS if out.suffix.lower() in OGG_SUFFIXES else pb.SPEECH_AUDIO_FORMAT_WAV
    request = pb.SynthesizeRequest(text=text, voice=voice, speed=speed, format=fmt, store_key=store)
    result = common.connected(settings, lambda c: c.speech.Synthesize(request))
    temporary = out.with_name(f".{out.name}.part")
    try:
        temporary.write_bytes(result.audio)
        os.replace(temporary, out)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CliError(USAGE, f"cannot write {out}: {exc.strerror or exc}") from None
    data = common.to_dict(result)
    data.pop("audio", None)
    data["file"] = str(out)
    data["size_bytes"] = len(result.audio)
    common.emit(settings, data, output.key_values)


@speech_app.command("transcribe")
def transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An audio file (WAV, Ogg/Opus, FLAC, MP3).", dir_okay=False)],
    language: Annotated[str, typer.Option("--language", "-l", help="Default: en.")] = "",
    to: Annotated[str, storage.ToOption] = "",
) -> None:
    """Transcribe an audio file offline (Whisper tiny.en); prints the text.

    `--to storage:KEY` also stores the transcript (JSON: text, segments with timestamps, language).
    """
    from auralink.v1 import speech_pb2 as pb

    settings = _settings_with_timeout(ctx)
    key = storage.storage_key(to) if to else ""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(USAGE, f"cannot read {file}: {exc.strerror or exc}") from None
    result = common.connected(
        settings, lambda c: c.speech.Transcribe(pb.TranscribeRequest(audio=data, language=language))
    )
    data = common.to_dict(result)
    if key:
        report = json.dumps(data, indent=2, sort_keys=True).encode()
        data["stored_key"] = storage.put_bytes(settings, key, report, "application/json")["key"]
    if settings.output == "table":
        output.plain(result.text)
    else:
        common.emit(settings, data)


@speech_app.command("voices")
def voices(
    ctx: typer.Context,
    language: Annotated[str, typer.Option("--language", "-l", help="Only voices of this language (prefix).")] = "",
) -> None:
    """List the voices `speech say` takes."""
    from auralink.v1 import speech_pb2 as pb

    settings = common.settings_of(ctx)
    data = common.to_dict(
        common.connected(settings, lambda c: c.speech.ListVoices(pb.ListVoicesRequest(language=language)))
    )
    common.emit(settings, data, voices_table, wide=True)
