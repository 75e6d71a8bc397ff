"""Widgets of the overview area."""
