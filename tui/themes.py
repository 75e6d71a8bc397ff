"""The TUI's two themes, dark and light, registered on the app; `t` switches between them."""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="auralink-dark",
    primary="#4FB3FF",
    secondary="#7C8CFF",
    accent="#FFB347",
    warning="#F5C542",
    error="#FF5C5C",
    success="#4CD07D",
    foreground="#E6EDF3",
    background="#0D1117",
    surface="#161B22",
    panel="#1F2630",
    dark=True,
)

LIGHT = Theme(
    name="auralink-light",
    primary="#0B63B6",
    secondary="#4B55C8",
    accent="#B85C00",
    warning="#9A6700",
    error="#C62828",
    success="#1A7F37",
    foreground="#1F2328",
    background="#FFFFFF",
    surface="#F6F8FA",
    panel="#EAEEF2",
    dark=False,
)

THEMES = (DARK, LIGHT)
DEFAULT_THEME = DARK.name


def other_theme(name: str) -> str:
    """The theme `t` switches to from `name`."""
    return LIGHT.name if name == DARK.name else DARK.name
