"""Operators' view of a running daemon: Prometheus metrics and OpenTelemetry traces, both optional."""
