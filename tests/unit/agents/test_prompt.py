"""Chat's prompt: system prompt, personality and memories first; history trimmed to the token budget."""

from __future__ import annotations

from auralinkd.agents.prompt import Personality, PromptParts, assemble, estimate_tokens, salient_facts


def parts(history: list[dict[str, str]], memories: list[str] | None = None) -> PromptParts:
    return PromptParts(
        "You are Ada.", Personality(("patient", "curious"), "concise"), memories or [], history, "And now?"
    )


def test_system_message_holds_prompt_personality_and_memories() -> None:
    messages = assemble(parts([], ["The user's cat is called Miso."]), 1000, estimate_tokens)
    system = messages[0]["content"]
    assert messages[0]["role"] == "system"
    assert "You are Ada." in system and "patient, curious" in system and "concise" in system
    assert "- The user's cat is called Miso." in system
    assert messages[-1] == {"role": "user", "content": "And now?"}


def test_history_is_trimmed_oldest_first_to_the_budget() -> None:
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "x" * 200} for i in range(20)]
    messages = assemble(parts(history), 400, estimate_tokens)
    kept = messages[1:-1]
    assert 0 < len(kept) < 20
    assert kept[-1]["content"].startswith("turn 19")  # the most recent turns survive
    assert sum(estimate_tokens(m["content"]) for m in messages) <= 400


def test_salient_facts_are_statements_about_the_user() -> None:
    facts = salient_facts("Hi! My name is Priya. I live in Lisbon. What's the weather like? Nice day.")
    assert facts == ["My name is Priya.", "I live in Lisbon."]
    assert salient_facts("What is 2 + 2?") == []
