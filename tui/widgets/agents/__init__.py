"""Widgets of the agents area."""
