"""Snapshot tests: every screen, at a fixed size, from the recorded data set (no clock, no daemon).

Update after an intended change with `pytest tests/tui --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from tests.tui.recorded import ADDRESS, RecordedSource, dataset
from tui import messages as m
from tui.app import AuraLinkApp

SIZE = (140, 42)


def recorded_app(permissions: list[str] | None = None, *, unavailable: bool = True, **options: object) -> AuraLinkApp:
    return AuraLinkApp(RecordedSource(dataset(permissions, unavailable=unavailable)), **options)  # type: ignore[arg-type]


def test_overview_shows_daemon_database_redis_services_rates_and_events(snap_compare) -> None:
    assert snap_compare(recorded_app(), terminal_size=SIZE)


def test_agents_says_the_service_is_not_available_on_an_older_daemon(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["2"], terminal_size=SIZE)


def test_memory_says_the_service_is_not_available_on_an_older_daemon(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["3"], terminal_size=SIZE)


def test_agents_lists_agents_mcp_connections_with_health_and_a_reply_with_its_tool_call(snap_compare) -> None:
    assert snap_compare(recorded_app(unavailable=False), press=["2"], terminal_size=SIZE)


def test_memory_shows_recall_score_components_and_stats(snap_compare) -> None:
    assert snap_compare(recorded_app(unavailable=False), press=["3"], terminal_size=SIZE)


def test_mesh_colours_nodes_by_state_and_shows_routes_hop_by_hop(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["4"], terminal_size=SIZE)


def test_access_shows_roles_assignments_and_the_audit_chain(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["5"], terminal_size=SIZE)


def test_compression_charts_metrics_and_shows_benchmark_progress(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["6"], terminal_size=SIZE)


def test_missing_permissions_grey_out_access_actions(snap_compare) -> None:
    app = recorded_app(["roles:read", "audit:read", "self:read"])
    assert snap_compare(app, press=["5"], terminal_size=SIZE)


def test_read_only_light_theme_hides_mutations(snap_compare) -> None:
    assert snap_compare(recorded_app(read_only=True), press=["t", "5"], terminal_size=SIZE)


def test_help_lists_the_keys(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["question_mark"], terminal_size=SIZE)


def test_workflows_shows_runs_a_live_step_graph_and_token_and_cost_counters(snap_compare) -> None:
    assert snap_compare(recorded_app(unavailable=False), press=["7"], terminal_size=SIZE)


def test_workflows_says_the_service_is_not_available_on_an_older_daemon(snap_compare) -> None:
    assert snap_compare(recorded_app(), press=["7"], terminal_size=SIZE)


def test_memory_shows_recent_memories_before_any_search(snap_compare) -> None:
    messages = [msg for msg in dataset(unavailable=False) if not isinstance(msg, m.MemoryResults)]
    assert snap_compare(AuraLinkApp(RecordedSource(messages)), press=["3"], terminal_size=SIZE)


def test_overview_greys_out_stale_data_while_disconnected(snap_compare) -> None:
    messages = [*dataset(), m.ConnectionChanged("reconnecting", ADDRESS, detail="UNAVAILABLE", attempt=3)]
    assert snap_compare(AuraLinkApp(RecordedSource(messages)), terminal_size=SIZE)
