"""Widgets of the compression area."""
