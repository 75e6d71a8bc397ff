"""Pilot tests on recorded data: keys, read-only mode and permission gating, without a daemon."""

from __future__ import annotations

from tests.tui.recorded import RecordedSource, dataset
from tui.app import AuraLinkApp
from tui.widgets.common.gated import GatedButton

SIZE = (140, 42)


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
        assert [c for c in app.source.calls if c[0] == "change_role"] == []  # nothing was sent
        await pilot.press("6")
        assert app.screen.query_one("#bench-run", GatedButton).disabled
