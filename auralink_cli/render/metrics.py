"""Renderers of `auralink metrics`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType


def metrics_table(data: dict[str, Any]) -> list[RenderableType]:
    from rich.table import Table

    rpcs = Table(title="RPCs", title_justify="left")
    for column in ("method", "calls", "errors", "p50 ms", "p99 ms"):
        rpcs.add_column(column, justify="left" if column == "method" else "right")
    for row in data["rpcs"]:
        rpcs.add_row(
            row["method"].lstrip("/").removeprefix("auralink.v1."), str(row["calls"]), str(row["errors"]),
            ms(row["p50_ms"]), ms(row["p99_ms"]),
        )  # fmt: skip
    gauges = Table(title="Daemon", title_justify="left")
    gauges.add_column("metric")
    gauges.add_column("labels")
    gauges.add_column("value", justify="right")
    for sample in data["samples"]:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample["labels"].items()))
        gauges.add_row(sample["name"], labels, f"{sample['value']:g}")
    return [rpcs, gauges]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
