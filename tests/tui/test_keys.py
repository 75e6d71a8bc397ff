"""Pilot tests on recorded data: keys, read-only mode and permission gating, without a daemon."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from tests.tui.recorded import ADDRESS, NODES, RecordedSource, dataset
from tests.tui.screen_text import text_of
from tui import messages as m
from tui.app import AuraLinkApp
from tui.sources import AREA_SOURCES
from tui.widgets.common.gated import GatedButton

SIZE = (140, 42)
ROOT = Path(__file__).resolve().parents[2]


async def test_number_keys_switch_screens_and_read_only_hides_mutations() -> None:
    app = AuraLinkApp(RecordedSource(dataset()), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        for key, area in (("4", "mesh"), ("6", "compression"), ("5", "access"), ("1", "overview")):
            await pilot.press(key)
            assert app.screen.AREA == area
        await pilot.press("5")
        for button in ("#grant", "#revoke", "#assign", "#unassign"):
            assert not app.screen.query_one(button, GatedButton).display
        assert app.screen.query_one("#verify", GatedButton).display  # reads stay


async def test_missing_permission_greys_out_the_action_and_says_why() -> None:
    app = AuraLinkApp(RecordedSource(dataset(["roles:read", "audit:read"])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        grant = app.screen.query_one("#grant", GatedButton)
        assert grant.disabled
        assert grant.tooltip == "PERMISSION_DENIED: your credential lacks roles:update"
        await pilot.click("#grant")
        assert [c for c in app.source.calls if c[0] == "access.change_role"] == []  # nothing was sent
        await pilot.press("6")
        assert app.screen.query_one("#bench-run", GatedButton).disabled


async def test_a_permitted_action_reaches_its_area_and_the_recording_refuses_unknown_actions() -> None:
    source = RecordedSource(dataset())
    app = AuraLinkApp(source)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        app.screen.query_one("#verify", GatedButton).press()
        await pilot.pause()
        assert ("access.verify_audit", ()) in source.calls
    with pytest.raises(AttributeError, match="no action 'verify'"):
        source.access.verify  # noqa: B018 - a name the live AccessSource lacks
    with pytest.raises(AttributeError):
        source.agents.on_connect  # noqa: B018 - the source's own, not a screen's
    with pytest.raises(TypeError):
        await source.mesh.find_route("alpha")  # the live signature needs a destination


def test_every_action_a_screen_calls_exists_on_its_live_area() -> None:
    """`self.source.<area>.<action>(` in every screen names a real coroutine of that area's source."""
    called: list[tuple[str, str, str]] = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            chain = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(chain, ast.Attribute)
                and isinstance(chain.value, ast.Attribute)
                and isinstance(chain.value.value, ast.Attribute)
                and chain.value.value.attr == "source"
            ):
                called.append((path.name, chain.value.attr, chain.attr))
    assert len(called) >= 20, called
    for where, area, action in called:
        real = AREA_SOURCES.get(area)
        assert real is not None, f"{where}: no area {area!r}"
        assert inspect.iscoroutinefunction(getattr(real, action, None)), f"{where}: {area}.{action} is not an action"


async def test_escape_clears_the_filter_and_stale_screens_are_marked() -> None:
    source = RecordedSource(dataset())
    app = AuraLinkApp(source)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4", "slash", *"alpha")
        box = app.screen.query_one("#filter", Input)
        assert box.value == "alpha" and box.has_class("visible")
        assert app.screen.query_one("#nodes", DataTable).row_count == 1
        await pilot.press("escape")
        assert box.value == "" and not box.has_class("visible")
        assert app.screen.query_one("#nodes", DataTable).row_count == len(NODES)
        assert not app.screen.has_class("-stale")
        source._post(m.ConnectionChanged("reconnecting", ADDRESS, detail="UNAVAILABLE"))
        await pilot.pause()
        assert app.screen.has_class("-stale")
        await pilot.press("1")
        assert app.screen.has_class("-stale")  # every screen, not only the one in front
        assert "unknown (last seen DEGRADED)" in text_of(app, "#daemon")


def test_no_tui_code_names_an_rpc_by_string_and_one_module_opens_the_channel() -> None:
    """Calls go through auralink_cli.client's typed accessors, on the one channel of tui/sources/link.py."""
    import importlib
    import pkgutil

    import auralink.v1

    modules = [
        importlib.import_module(f"auralink.v1.{info.name}")
        for info in pkgutil.iter_modules(auralink.v1.__path__)
        if info.name.endswith("_pb2")
    ]
    methods = {
        method.name
        for module in modules
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert {"GetStatus", "WatchRun", "ListConnections"} <= methods
    opened: list[str] = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text())
        nodes = list(ast.walk(tree))
        # Any string in the sources; a getattr by string anywhere (screens may say "Chat" as a title).
        named = {
            n.args[1].value
            for n in nodes
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "getattr" and len(n.args) > 1
            if isinstance(n.args[1], ast.Constant)
        }
        if path.parent.name == "sources":
            named |= {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not named & methods, f"{path.name} names RPCs by string: {sorted(named & methods)}"
        channel_calls = [n for n in nodes if isinstance(n, ast.Attribute) and n.attr.endswith("secure_channel")]
        if channel_calls:
            opened.append(path.name)
    assert opened == ["link.py"]
