"""Widgets of the memory area."""
