"""Widgets of the mesh area."""
