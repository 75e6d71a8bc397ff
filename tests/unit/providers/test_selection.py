"""LLM selection: complexity from cheap features; the cheapest model whose tier and observed latency fit."""

from __future__ import annotations

from auralinkd.providers.selection import Candidate, analyze_prompt_complexity, select_optimal_model

CANDIDATES = [
    Candidate("local/smollm2-135m", 1, 0.0, None),
    Candidate("openai/gpt-4o-mini", 1, 0.00075, 0.4),
    Candidate("openai/gpt-4o", 2, 0.0125, 0.9),
    Candidate("anthropic/claude-opus", 3, 0.09, 2.5),
]


def test_a_short_chat_prompt_is_tier_one() -> None:
    c = analyze_prompt_complexity("hi, how are you?", "chat")
    assert c.tier == 1 and c.score < 0.35


def test_code_and_maths_markers_and_a_task_hint_raise_the_score() -> None:
    plain = analyze_prompt_complexity("Tell me about the weather in Paris.")
    code = analyze_prompt_complexity("```python\ndef f(x):\n    return x ** 2\n```\nExplain why this is slow", "code")
    maths = analyze_prompt_complexity("Prove the theorem: the integral of x^2 from 0 to 1 = 1/3, step by step", "math")
    assert code.score > plain.score and maths.score > plain.score
    assert code.tier >= 2 and maths.tier >= 2
    assert any("code markers" in r for r in code.reasons)


def test_the_cheapest_model_of_a_fitting_tier_is_chosen() -> None:
    easy = analyze_prompt_complexity("hello")
    assert select_optimal_model(easy, CANDIDATES).ref == "local/smollm2-135m"
    hard = analyze_prompt_complexity("```\nclass A: pass\n```\nanalyze and compare the design trade-offs", "reasoning")
    chosen = select_optimal_model(hard, CANDIDATES)
    assert chosen.ref == ("openai/gpt-4o" if hard.tier == 2 else "anthropic/claude-opus")


def test_a_latency_target_excludes_models_observed_slower() -> None:
    hard = analyze_prompt_complexity("x" * 9000 + " prove the theorem step by step", "math")
    assert hard.tier == 3
    chosen = select_optimal_model(hard, CANDIDATES, latency_target_s=1.0)
    assert chosen.ref == "openai/gpt-4o"  # the tier-3 model is too slow; the strongest that meets it
    assert "target" in chosen.notes["anthropic/claude-opus"]


def test_with_only_the_local_model_it_is_always_chosen() -> None:
    hard = analyze_prompt_complexity("prove the theorem step by step", "math")
    chosen = select_optimal_model(hard, CANDIDATES[:1])
    assert chosen.ref == "local/smollm2-135m"
    assert any("strongest available" in r for r in chosen.reasons)
