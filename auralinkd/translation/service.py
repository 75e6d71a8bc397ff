"""Translate and batch translate through CompletionService (same keys, failover, budgets, usage)."""

from __future__ import annotations

from dataclasses import dataclass, field

from auralinkd.access.principal import Caller
from auralinkd.errors import InvalidArgument
from auralinkd.providers.completions import CompletionRequest, CompletionService
from auralinkd.providers.gateway import Completion
from auralinkd.translation.languages import BY_CODE, LANGUAGES, Language

MAX_TEXT = 20_000
MAX_BATCH = 100
MAX_GLOSSARY = 200


@dataclass
class TranslateInput:
    texts: list[str]
    target: str
    source: str = ""
    context: str = ""
    glossary: dict[str, str] = field(default_factory=dict)
    model: str = ""
    max_tokens: int = 0


@dataclass(frozen=True)
class Translation:
    text: str
    source: str
    target: str
    completion: Completion


def language(code: str, field_name: str) -> Language:
    found = BY_CODE.get(code.strip().lower())
    if found is None:
        raise InvalidArgument.for_field(
            field_name, f"unsupported language {code!r}; supported: {', '.join(sorted(BY_CODE))}"
        )
    return found


def build_messages(
    text: str, target: Language, source: Language | None, context: str, glossary: dict[str, str]
) -> list[dict[str, str]]:
    """The prompt: instructions (with context and glossary) as the system message, the text as the user's."""
    lines = [
        f"You are a professional translator. Translate the user's text "
        f"{'from ' + source.name + ' ' if source else ''}into {target.name} ({target.native_name}).",
        "Reply with the translation only: no notes, no quotes, no explanations.",
    ]
    if context.strip():
        lines.append(f"Context: {context.strip()}")
    if glossary:
        lines.append("Use these translations for these terms exactly:")
        lines.extend(f"- {term} => {rendering}" for term, rendering in sorted(glossary.items()))
    return [{"role": "system", "content": "\n".join(lines)}, {"role": "user", "content": text}]


class TranslationService:
    def __init__(self, completions: CompletionService) -> None:
        self._completions = completions

    def languages(self) -> list[Language]:
        return list(LANGUAGES)

    async def translate(self, caller: Caller, request: TranslateInput, timeout_s: float | None) -> list[Translation]:
        target = language(request.target, "target_language")
        source = language(request.source, "source_language") if request.source else None
        if not request.texts:
            raise InvalidArgument.for_field("texts", "at least one text is needed")
        if len(request.texts) > MAX_BATCH:
            raise InvalidArgument.for_field("texts", f"at most {MAX_BATCH} texts per batch, got {len(request.texts)}")
        for index, text in enumerate(request.texts):
            if not text.strip():
                raise InvalidArgument.for_field(f"texts[{index}]", "must not be empty")
            if len(text) > MAX_TEXT:
                raise InvalidArgument.for_field(f"texts[{index}]", f"is longer than {MAX_TEXT} characters")
        if len(request.glossary) > MAX_GLOSSARY:
            raise InvalidArgument.for_field("glossary", f"at most {MAX_GLOSSARY} terms")
        results = []
        for text in request.texts:
            completion = await self._completions.complete(
                caller,
                CompletionRequest(
                    messages=build_messages(text, target, source, request.context, request.glossary),
                    models=[request.model] if request.model else [],
                    max_tokens=request.max_tokens or max(64, min(2048, len(text))),
                    temperature=0.0,
                    task_type="translation",
                    operation="translation",
                    local_allowed=False,
                ),
                timeout_s,
            )
            results.append(Translation(completion.text.strip(), source.code if source else "", target.code, completion))
        return results
