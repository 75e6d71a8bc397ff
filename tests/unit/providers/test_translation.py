"""Translation: the spec's 38 languages; unsupported codes are INVALID_ARGUMENT before any provider call."""

from __future__ import annotations

import uuid

import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.errors import InvalidArgument
from auralinkd.translation.languages import LANGUAGES
from auralinkd.translation.service import TranslateInput, TranslationService, build_messages, language

CALLER = Caller(Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"*"}), "test"), "req-1")


class Unreachable:
    async def complete(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("no provider call for bad input")


def test_the_spec_lists_38_languages_with_unique_codes() -> None:
    assert len(LANGUAGES) == 38
    assert len({lang.code for lang in LANGUAGES}) == 38
    assert {"en", "fr", "zh", "fil", "lt"} <= {lang.code for lang in LANGUAGES}


@pytest.mark.parametrize("field,value", [("target", "xx"), ("source", "klingon")])
async def test_unsupported_language_codes_are_invalid(field: str, value: str) -> None:
    service = TranslationService(Unreachable())  # type: ignore[arg-type]
    request = TranslateInput(["hello"], "fr")
    setattr(request, field, value)
    with pytest.raises(InvalidArgument, match="unsupported language") as raised:
        await service.translate(CALLER, request, None)
    assert raised.value.violations[0].field in ("target_language", "source_language")


async def test_an_empty_text_is_invalid() -> None:
    with pytest.raises(InvalidArgument, match="empty"):
        await TranslationService(Unreachable()).translate(CALLER, TranslateInput(["  "], "fr"), None)  # type: ignore[arg-type]


def test_the_prompt_carries_context_and_glossary() -> None:
    messages = build_messages(
        "The nurse checks the chart.", language("fr", "t"), language("en", "s"), "a hospital ward", {"chart": "dossier"}
    )
    system = messages[0]["content"]
    assert "from English into French" in system and "a hospital ward" in system and "chart => dossier" in system
    assert messages[1] == {"role": "user", "content": "The nurse checks the chart."}
