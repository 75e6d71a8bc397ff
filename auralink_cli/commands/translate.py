"""`auralink translate TEXT --to fr [--from en] [--context …] [--glossary term=rendering]` and `--languages`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.translate import languages_table


def register(app: typer.Typer) -> None:
    app.command("translate")(translate)


def parse_glossary(items: list[str]) -> dict[str, str]:
    glossary = {}
    for item in items:
        term, sep, rendering = item.partition("=")
        if not sep or not term.strip() or not rendering.strip():
            raise CliError(USAGE, f"--glossary: expected TERM=TRANSLATION, got {item!r}")
        glossary[term.strip()] = rendering.strip()
    return glossary


def translate(
    ctx: typer.Context,
    text: Annotated[list[str] | None, typer.Argument(help="Text(s) to translate ('-' or none: stdin).")] = None,
    to: Annotated[str, typer.Option("--to", "-t", help="Target language code (see --languages).")] = "",
    from_: Annotated[str, typer.Option("--from", "-f", help="Source language code (default: detected).")] = "",
    context: Annotated[str, typer.Option("--context", help="A sentence about the setting.")] = "",
    glossary: Annotated[
        list[str] | None, typer.Option("--glossary", "-g", help="TERM=TRANSLATION (repeatable).")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="PROVIDER/MODEL (default: selected).")] = "",
    languages: Annotated[bool, typer.Option("--languages", help="List the supported languages.")] = False,
) -> None:
    """Translate text through the provider stack (38 languages)."""
    from auralink.v1 import providers_pb2

    settings = common.settings_of(ctx)
    if languages:
        data = common.to_dict(
            common.connected(settings, lambda c: c.translation.ListLanguages(providers_pb2.ListLanguagesRequest()))
        )
        common.emit(settings, data, languages_table, wide=True)
        return
    if not to:
        raise CliError(USAGE, "--to is required (a language code; see --languages)")
    texts = [t for t in (text or []) if t != "-"] or [sys.stdin.read()]
    request = providers_pb2.BatchTranslateRequest(
        texts=texts,
        target_language=to,
        source_language=from_,
        context=context,
        glossary=parse_glossary(glossary or []),
        model=model,
    )
    data = common.to_dict(common.connected(settings, lambda c: c.translation.BatchTranslate(request)))
    if settings.output == "table":
        for item in data["translations"]:
            output.plain(item["text"])
    else:
        common.emit(settings, data)
