"""One screen per area; the number keys switch between them (App.MODES in tui/app.py)."""

AREAS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("agents", "Agents"),
    ("memory", "Memory"),
    ("mesh", "Mesh"),
    ("access", "Access"),
    ("compression", "Compression"),
    ("workflows", "Workflows"),
)
