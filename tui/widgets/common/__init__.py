"""Shared widgets: status bar, charts, modals, permission-gated buttons."""
