"""Prompt assembly for Chat (system prompt, personality, recalled memories, token-budgeted history) and the
cheap extraction of salient facts from a user's message."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Statements about the user worth remembering: "my name is", "I live in", "remember that", ...
_FACT_PATTERNS = re.compile(
    r"\b(my name is|i am|i'm|i live|i work|i like|i love|i prefer|i hate|i have|my favou?rite|my [a-z]+ is|"
    r"remember that|please remember|don't forget|call me)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
MAX_FACTS = 5
MAX_FACT_CHARS = 500


@dataclass(frozen=True)
class Personality:
    traits: tuple[str, ...] = ()
    style: str = ""


@dataclass
class PromptParts:
    system_prompt: str
    personality: Personality
    memories: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)  # oldest first
    message: str = ""


def system_message(parts: PromptParts) -> str:
    lines = [parts.system_prompt.strip() or "You are a helpful assistant."]
    if parts.personality.traits:
        lines.append("Your personality: " + ", ".join(parts.personality.traits) + ".")
    if parts.personality.style.strip():
        lines.append(f"Your style: {parts.personality.style.strip()}.")
    if parts.memories:
        lines.append("What you remember about the user (use it when relevant):")
        lines.extend(f"- {m}" for m in parts.memories)
    return "\n".join(lines)


def assemble(parts: PromptParts, budget_tokens: int, count: Callable[[str], int]) -> list[dict[str, str]]:
    """System, then as much recent history as fits in `budget_tokens`, then the new message.

    History is dropped oldest first, whole turns only; the system message and the new message always stay.
    """
    system = {"role": "system", "content": system_message(parts)}
    new = {"role": "user", "content": parts.message}
    used = count(system["content"]) + count(new["content"]) + 8
    kept: list[dict[str, str]] = []
    for turn in reversed(parts.history):
        cost = count(turn["content"]) + 4
        if used + cost > budget_tokens:
            break
        kept.append({"role": turn["role"], "content": turn["content"]})
        used += cost
    kept.reverse()
    return [system, *kept, new]


def salient_facts(message: str) -> list[str]:
    """Sentences of the user's message that state something about them (at most a few)."""
    facts: list[str] = []
    for sentence in _SENTENCE.split(message.strip()):
        sentence = sentence.strip()
        if len(sentence) < 6 or sentence.endswith("?"):
            continue
        if _FACT_PATTERNS.search(sentence):
            facts.append(sentence[:MAX_FACT_CHARS])
        if len(facts) >= MAX_FACTS:
            break
    return facts


def estimate_tokens(text: str) -> int:
    """About 4 characters a token; conservative enough for budgeting history."""
    return len(text) // 4 + 1
