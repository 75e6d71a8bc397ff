"""Workflows: one run API (service.py, store.py, run events on the bus) over engines (engines/)."""
