"""A cheap importance estimate for memories stored without one: a few lexical cues, no model.

Durable personal facts (preferences, identities, health, dates, commitments) score high; small talk and
acknowledgements score low. The result is in [0.05, 0.95] with two decimals, like the column.
"""

from __future__ import annotations

import re

_STRONG = re.compile(
    r"\b(always|never|must|allerg\w*|birthday|anniversary|deadline|password|address|diagnos\w*|"
    r"important|remember|don't forget|do not forget|prefer\w*|favou?rite|hate\w*|love\w*|"
    r"married|wife|husband|daughter|son|partner|phone|email|meeting|appointment|due)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i am|my|mine|me|we|our)\b", re.IGNORECASE)
_NUMBER_OR_DATE = re.compile(
    r"\b(\d{1,4}([:/.-]\d{1,4})*|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)
_PROPER_NOUN = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+")
_FILLER = re.compile(
    r"^\s*(ok(ay)?|thanks?( you)?|thx|lol|haha|hi|hello|hey|yes|no|sure|cool|nice|great|bye|hmm+)[.!?]*\s*$",
    re.IGNORECASE,
)


def estimate_importance(content: str) -> float:
    text = content.strip()
    if _FILLER.match(text):
        return 0.1
    score = 0.4
    strong = len(_STRONG.findall(text))
    score += min(0.3, 0.15 * strong)
    if _FIRST_PERSON.search(text):
        score += 0.1
    if _NUMBER_OR_DATE.search(text):
        score += 0.1
    if _PROPER_NOUN.search(text):
        score += 0.05
    words = len(text.split())
    if words < 4:
        score -= 0.15
    elif words > 12:
        score += 0.05
    return round(min(0.95, max(0.05, score)), 2)
