"""Pure parts of the memory service: fusion, decay, importance, keyword terms, clustering, CLI JSONL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from auralink_cli.commands.memory import export_record, parse_jsonl
from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.memory.embeddings import Embedders
from auralinkd.memory.evolve import Item, clusters, forgotten
from auralinkd.memory.importance import estimate_importance
from auralinkd.memory.ranking import Candidate, Weights, decayed_importance, fuse, recency
from auralinkd.memory.recall import identifier_evidence, identifier_terms, keyword_query, keyword_terms
from auralinkd.memory.stats import LatencyWindow
from tests.unit.memory.fakes import TableEmbedder, hashed_vector, near

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _candidate(sem: int, kw: int, *, days: float = 0, importance: float = 0.5) -> Candidate:
    return Candidate(uuid.uuid4(), NOW - timedelta(days=days), None, importance, 0.5, 0.5, sem, kw)


def test_fusion_puts_the_memory_first_in_both_lists_first_and_scores_stay_in_unit_range() -> None:
    both, sem_only, kw_only = _candidate(1, 1), _candidate(2, 0), _candidate(0, 2)
    scored = fuse([kw_only, sem_only, both], Weights(), NOW)
    assert [s.candidate for s in scored] == [both, sem_only, kw_only]
    assert all(0 <= s.score <= 1 for s in scored) and scored[0].relevance == pytest.approx(1.0)


def _named(sem: int, kw: int, kw_score: float, identifier: float) -> Candidate:
    return Candidate(uuid.uuid4(), NOW, None, 0.5, 0.5, kw_score, sem, kw, identifier)


def test_an_identifier_in_the_query_lets_the_exact_match_beat_its_semantic_near_neighbours() -> None:
    # "who picked up OPS-4821?": the near-neighbour OPS-4822 is semantically first but names only "ops".
    neighbour, exact = _named(1, 2, 0.3, 0.5), _named(4, 1, 0.9, 1.0)
    assert fuse([neighbour, exact], Weights(), NOW)[0].candidate is exact
    assert fuse([neighbour, exact], Weights(keyword=0.0), NOW)[0].candidate is neighbour  # vector-only
    plain = [_named(1, 2, 0.3, 0.0), _named(4, 1, 0.9, 0.0)]  # the query named no identifier: meaning leads
    assert fuse(plain, Weights(), NOW)[0].candidate is plain[0]


def test_a_name_every_candidate_shares_does_not_reorder_them() -> None:
    # "Which town is Clara living in now?": both memories name Clara; the shorter one scores higher on
    # keywords, the answer is first on meaning, and the name must not turn that around.
    answer, other = _named(1, 2, 0.3, 1.0), _named(2, 1, 0.9, 1.0)
    someone_else = _named(3, 0, 0.0, 0.0)
    scored = fuse([other, someone_else, answer], Weights(), NOW)
    assert [s.candidate for s in scored] == [answer, other, someone_else]
    w = Weights()
    missing = w.keyword * (1 - 0.3 / 0.9)  # the answer's keyword score is a third of the best
    assert scored[0].relevance == pytest.approx(1.0 - missing / (w.semantic + w.keyword * (1 + w.identifier_boost)))


def test_identifier_evidence_favours_the_memory_an_identifier_singles_out() -> None:
    exact, neighbour, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    contents = {
        exact: "Lars picked up OPS-4821 on Monday.",
        neighbour: "Lars picked up OPS-4822 on Monday.",
        other: "OPS tickets go to the on-call rota.",
    }
    evidence = identifier_evidence(contents, tuple(identifier_terms("Who is handling OPS-4821?")))
    # "4821" names one memory (1 / 1²), "ops" all three (1 / 3²): mean over the two terms.
    assert evidence == {
        exact: pytest.approx((1 + 1 / 9) / 2),
        neighbour: pytest.approx(1 / 18),
        other: pytest.approx(1 / 18),
    }
    assert identifier_evidence(contents, ()) == {}
    # A city three memories mention is a topic, not an identifier.
    cities = {i: f"Note {n} about Lisbon." for n, i in enumerate((exact, neighbour, other))}
    lisbon = identifier_evidence(cities, tuple(identifier_terms("Which café did I like in Lisbon?")))
    assert list(lisbon.values()) == pytest.approx([1 / 9] * 3)


def test_identifier_terms_are_codes_numbers_and_names_not_ordinary_words() -> None:
    assert identifier_terms("Who is handling OPS-4821?") == ["ops", "4821"]
    assert [t.split(" | ")[0] for t in identifier_terms("Where is db-prod-03 racked?")] == ["db", "prod", "03"]
    assert [t.split(" | ")[0] for t in identifier_terms("When should I wish Priya a happy birthday?")] == ["priya"]
    assert [t.split(" | ")[0] for t in identifier_terms("What's the due date for ORCA?")] == ["orca"]
    assert identifier_terms("Which seat do I like on planes?") == []
    assert identifier_terms("Paris is lovely") == []  # the first word is capitalised anyway


def test_recall_ranks_recent_important_memories_first_when_relevance_ties() -> None:
    old_dull = _candidate(1, 0, days=365, importance=0.1)
    new_key = _candidate(1, 0, days=0, importance=0.9)
    scored = fuse([old_dull, new_key], Weights(recency=0.3, importance=0.3), NOW)
    assert scored[0].candidate is new_key and scored[0].recency == pytest.approx(1.0)


def test_recency_halves_every_half_life_and_an_access_resets_the_age() -> None:
    created = NOW - timedelta(days=30)
    assert recency(created, None, NOW, 30 * 86400) == pytest.approx(0.5)
    assert recency(created, NOW, NOW, 30 * 86400) == pytest.approx(1.0)


def test_accesses_slow_forgetting() -> None:
    created = NOW - timedelta(days=90)
    unused = decayed_importance(0.8, created, None, 0, NOW, 90 * 86400)
    used = decayed_importance(0.8, created, None, 10, NOW, 90 * 86400)
    assert unused == pytest.approx(0.4) and used > unused


@pytest.mark.parametrize(
    "weights",
    [Weights(semantic=-0.1), Weights(keyword=1.1), Weights(semantic=0, keyword=0), Weights(recency=0.6, importance=0.5),
     Weights(recency_half_life_s=0), Weights(rrf_k=0), Weights(semantic=float("nan")), Weights(identifier_boost=0.5)],
)  # fmt: skip
def test_weights_out_of_range_are_invalid_arguments(weights: Weights) -> None:
    with pytest.raises(InvalidArgument):
        weights.validate()


def test_importance_heuristic_prefers_durable_personal_facts_over_small_talk() -> None:
    assert estimate_importance("thanks!") <= 0.1 and estimate_importance("ok") <= 0.1
    fact = estimate_importance("I am allergic to penicillin, remember that always")
    assert fact >= 0.7 and fact <= 0.95
    assert 0.05 <= estimate_importance("the weather") < fact


def test_keyword_terms_drop_stopwords_and_cannot_inject_tsquery_operators() -> None:
    terms = keyword_terms("What is my sister's favourite colour?")
    assert [t.split(" | ")[0] for t in terms] == ["sister", "favourite", "colour"]
    assert "sisters" in terms[0].split(" | ") and "colours" in terms[2].split(" | ")
    assert [t.split(" | ")[0] for t in keyword_terms("OPS-4821 on db-prod-03")] == ["ops", "4821", "db", "prod", "03"]
    assert keyword_query("a & b | !c:* (d)") == ""  # one-letter words and operators vanish
    assert keyword_query("running') | ('x").startswith("(running | runn | runns")


def test_clusters_join_paraphrases_of_one_scope_only_and_pick_the_most_important() -> None:
    base = hashed_vector("coffee")
    other = hashed_vector("cats")
    vectors = np.stack([base, near(base, 0.95, 1), near(base, 0.95, 2), other, base])

    def item(i: int, scope: str, importance: float) -> Item:
        return Item(uuid.UUID(int=i), (scope, "", ""), importance, 0, NOW, None)

    items = [item(1, "", 0.5), item(2, "", 0.9), item(3, "", 0.5), item(4, "", 0.5), item(5, "agent", 0.5)]
    found = clusters(items, vectors, 0.9)
    assert len(found) == 1 and found[0][0] == uuid.UUID(int=2)
    assert set(found[0]) == {uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)}
    fading = forgotten(items, set(found[0]), NOW + timedelta(days=3650), 90 * 86400, 0.05)
    assert [i for i, _ in fading] == [uuid.UUID(int=4), uuid.UUID(int=5)]


def test_unknown_models_are_invalid_and_unconfigured_provider_models_a_precondition() -> None:
    models = Embedders(TableEmbedder())
    assert models.get("").name == "all-MiniLM-L6-v2"
    with pytest.raises(InvalidArgument):
        models.get("word2vec")
    with pytest.raises(FailedPrecondition):
        models.get("text-embedding-3-small")


def test_latency_window_reports_percentiles() -> None:
    window = LatencyWindow(size=3)
    assert window.percentiles() == (0.0, 0.0, 0)
    for s in (0.001, 0.002, 0.003, 0.004):
        window.add(s)
    p50, p95, n = window.percentiles()
    assert n == 3 and p50 == pytest.approx(3.0) and p95 == pytest.approx(3.9)


def test_jsonl_import_reports_malformed_lines_by_number_and_keeps_the_rest() -> None:
    lines = [
        '{"content": "first", "tags": ["a"], "importance": 0.7, "metadata": {"k": "v"}}',
        "{not json",
        "",
        '["a list"]',
        '{"content": "with time", "create_time": "2024-05-01T12:00:00Z", "modality": "audio_transcript"}',
        '{"content": "bad meta", "metadata": [1]}',
        '{"content": "bad modality", "modality": "video"}',
    ]
    good, bad = parse_jsonl(lines)
    assert [n for n, _ in good] == [1, 5]
    assert [n for n, _ in bad] == [2, 4, 6, 7]
    first = good[0][1]
    assert first.content == "first" and list(first.tags) == ["a"] and first.importance == pytest.approx(0.7)
    assert dict(first.metadata) == {"k": "v"}
    assert good[1][1].create_time.ToJsonString() == "2024-05-01T12:00:00Z"


def test_an_exported_record_imports_back_unchanged() -> None:
    listed = {
        "id": "x", "content": "c", "metadata": {"k": "v"}, "tags": ["t"], "importance": 0.25,
        "modality": "image_caption", "source": "cam", "state": "active", "create_time": "2024-05-01T12:00:00Z",
        "scope": {"user_id": "u", "agent_id": "", "room_id": "", "session_id": str(uuid.UUID(int=7))},
    }  # fmt: skip
    record = export_record(listed)
    ((line, item),) = parse_jsonl([__import__("json").dumps(record)])[0]
    assert (item.content, item.source, item.importance, list(item.tags)) == ("c", "cam", 0.25, ["t"])
    assert item.scope.session_id == str(uuid.UUID(int=7)) and item.scope.agent_id == ""
