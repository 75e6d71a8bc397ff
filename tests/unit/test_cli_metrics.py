"""`auralink metrics`: the summary of a scrape (pure functions; the e2e test reads a live daemon)."""

from __future__ import annotations

from auralink_cli.commands.metrics import summarize
from auralinkd.telemetry.metrics import Metrics


def test_quantiles_interpolate_inside_buckets_like_histogram_quantile() -> None:
    metrics = Metrics()
    probe = metrics.probe("/auralink.v1.SystemService/Ping", streaming=False)
    latency = metrics.rpc_latency.labels("/auralink.v1.SystemService/Ping")
    for seconds in [0.0007] * 50 + [0.003] * 50:  # half in (0.5, 1] ms, half in (2.5, 5] ms
        latency.observe(seconds)
    probe.finished(probe.started(), "OK")  # one more, with a real duration (well under 0.5 ms or not)
    row = summarize(metrics.exposition().decode())["rpcs"][0]
    assert row["calls"] == 1 and row["errors"] == 0
    assert 0.5 <= row["p50_ms"] <= 1.0
    assert 2.5 <= row["p99_ms"] <= 5.0


def test_errors_are_every_status_but_ok_and_match_filters_families() -> None:
    metrics = Metrics()
    probe = metrics.probe("/auralink.v1.MemoryService/GetMemory", streaming=False)
    for code in ("OK", "NOT_FOUND", "NOT_FOUND", "PERMISSION_DENIED"):
        probe.finished(probe.started(), code)
    metrics.observe_llm_usage("openai", 10, 5, 0.25, True)
    data = summarize(metrics.exposition().decode())
    assert (data["rpcs"][0]["calls"], data["rpcs"][0]["errors"]) == (4, 3)
    cost = [s for s in data["samples"] if s["name"] == "auralink_llm_cost_usd_total"]
    assert cost == [{"name": "auralink_llm_cost_usd_total", "labels": {"provider": "openai"}, "value": 0.25}]
    only_llm = summarize(metrics.exposition().decode(), match="llm_tokens")
    assert only_llm["rpcs"] == [] and {s["labels"]["kind"] for s in only_llm["samples"]} == {"prompt", "completion"}


def test_workflow_states_outside_the_known_set_are_counted_as_other() -> None:
    metrics = Metrics()
    metrics.record_workflow_run("running")
    metrics.record_workflow_run("user-1234")  # never a label value of its own
    states = {
        s["labels"]["state"]: s["value"]
        for s in summarize(metrics.exposition().decode())["samples"]
        if s["name"] == "auralink_workflow_runs_total"
    }
    assert states == {"running": 1.0, "other": 1.0}
