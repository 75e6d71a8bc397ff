"""LLM selection (spec: analyze_prompt_complexity, select_optimal_model): cheap features, cheapest fitting model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CODE = re.compile(r"```|\bdef |\bclass |\bfunction\b|\bimport |[{};]\s*$|=>|\bSELECT\b|\btraceback\b", re.I | re.M)
_MATH = re.compile(
    r"\\frac|\\sum|\\int|\bintegral\b|\bderivative\b|\bprove\b|\btheorem\b|\bequation\b|[=<>]\s*\d|\d\s*[\^*/]\s*\d"
)
_REASONING = re.compile(
    r"\bstep by step\b|\bexplain why\b|\banaly[sz]e\b|\bcompare\b|\bdesign\b|\bplan\b|\btrade-?offs?\b", re.I
)
TASK_WEIGHTS = {
    "chat": 0.0,
    "summary": 0.1,
    "translation": 0.1,
    "extraction": 0.15,
    "code": 0.35,
    "math": 0.35,
    "reasoning": 0.4,
    "analysis": 0.3,
}


@dataclass(frozen=True)
class Complexity:
    score: float
    tier: int
    reasons: list[str]


@dataclass(frozen=True)
class Candidate:
    ref: str
    tier: int
    cost_per_1k: float
    latency_s: float | None


@dataclass
class Selection:
    ref: str
    complexity: Complexity
    reasons: list[str]
    notes: dict[str, str] = field(default_factory=dict)


def analyze_prompt_complexity(prompt: str, task_type: str = "") -> Complexity:
    """A score in 0..1 from length, code and maths markers, reasoning cues and the task-type hint."""
    score = 0.0
    reasons: list[str] = []
    length = len(prompt)
    length_part = min(0.3, length / 8000)
    if length_part >= 0.01:
        score += length_part
        reasons.append(f"length {length} chars: +{length_part:.2f}")
    for name, pattern, weight in (("code", _CODE, 0.25), ("maths", _MATH, 0.25), ("reasoning cues", _REASONING, 0.15)):
        hits = len(pattern.findall(prompt))
        if hits:
            part = min(weight, weight * (0.6 + 0.2 * hits))
            score += part
            reasons.append(f"{name} markers ({hits}): +{part:.2f}")
    task = task_type.strip().lower()
    if task:
        part = TASK_WEIGHTS.get(task, 0.1)
        score += part
        reasons.append(f"task type {task!r}: +{part:.2f}")
    score = round(min(1.0, score), 3)
    tier = 1 if score < 0.35 else 2 if score < 0.7 else 3
    reasons.append(f"score {score:.2f} -> tier {tier}")
    return Complexity(score, tier, reasons)


def select_optimal_model(
    complexity: Complexity, candidates: list[Candidate], latency_target_s: float | None = None
) -> Selection:
    """The cheapest candidate whose tier fits and whose observed latency (EWMA) meets the target.

    When none fits the tier, the highest tier that meets the latency target; when none meets the target,
    the fastest known one. Never empty-handed while there is a candidate (the local model always is one).
    """
    if not candidates:
        raise ValueError("no candidate models")
    notes: dict[str, str] = {}
    fast = []
    for c in candidates:
        if latency_target_s is not None and c.latency_s is not None and c.latency_s > latency_target_s:
            notes[c.ref] = f"observed {c.latency_s * 1000:.0f} ms > target {latency_target_s * 1000:.0f} ms"
        else:
            fast.append(c)
    fitting = [c for c in fast if c.tier >= complexity.tier]
    for c in fast:
        if c.tier < complexity.tier:
            notes[c.ref] = f"tier {c.tier} < needed {complexity.tier}"
    reasons = list(complexity.reasons)
    if fitting:
        chosen = min(fitting, key=lambda c: (c.cost_per_1k, c.tier, c.latency_s or 0.0, c.ref))
        reasons.append(f"{chosen.ref}: the cheapest of {len(fitting)} model(s) at tier >= {complexity.tier}")
    elif fast:
        chosen = max(fast, key=lambda c: (c.tier, -c.cost_per_1k))
        reasons.append(f"{chosen.ref}: no model reaches tier {complexity.tier}; the strongest available")
    else:
        chosen = min(candidates, key=lambda c: c.latency_s or 0.0)
        reasons.append(f"{chosen.ref}: none meets the latency target; the fastest observed")
    notes[chosen.ref] = "chosen"
    return Selection(chosen.ref, complexity, reasons, notes)
