"""Widgets of the access area."""
