"""Regenerate docs/screenshots/*.png from the recorded data set: `python -m tests.tui.screenshots`.

Textual's save_screenshot writes SVG; rsvg-convert (apt: librsvg2-bin) turns it into PNG. rsvg
collapses leading spaces in <text> elements, so spaces become no-break spaces first.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from pathlib import Path

from tests.tui.recorded import RecordedSource, dataset
from tui.app import AuraLinkApp

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = (
    ("overview", "1"),
    ("agents", "2"),
    ("memory", "3"),
    ("mesh", "4"),
    ("access", "5"),
    ("compression", "6"),
    ("workflows", "7"),
)


def _keep_spaces(svg: str) -> str:
    return re.sub(r"(<text[^>]*>)([^<]*)(</text>)", lambda m: m[1] + m[2].replace(" ", "&#160;") + m[3], svg)


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    app = AuraLinkApp(RecordedSource(dataset(unavailable=False)))
    async with app.run_test(size=(140, 42)) as pilot:
        with tempfile.TemporaryDirectory() as tmp:
            for name, key in SHOTS:
                await pilot.press(key)
                await pilot.pause()
                svg = Path(tmp) / f"{name}.svg"
                svg.write_text(_keep_spaces(app.export_screenshot(title=f"AuraLink · {name}")))
                await asyncio.to_thread(
                    subprocess.run, ["rsvg-convert", str(svg), "-o", str(OUT / f"{name}.png")], check=True
                )
                print(OUT / f"{name}.png")


if __name__ == "__main__":
    asyncio.run(main())
