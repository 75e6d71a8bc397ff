"""Counters of RPCs served, for status and the dashboard's rate sparklines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CallStats:
    calls_total: int = 0
    errors_total: int = 0
