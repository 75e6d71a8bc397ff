"""Renderers, one module per command group: how results look as tables and text (JSON is the dicts themselves)."""
