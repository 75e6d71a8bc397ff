"""`auralink metrics`: a terminal view of a daemon's Prometheus `/metrics` (its HTTP listener).

Reads the scrape over plain HTTP with the standard library and parses it with prometheus_client's own
text parser; nothing heavy is imported. The daemon serves `/metrics` only when it runs with
`AURALINK_HTTP_ADDRESS`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import GlobalOptions, resolve_settings
from auralink_cli.render.metrics import metrics_table

if TYPE_CHECKING:
    pass

RPC_FAMILY = "auralink_rpc_requests"
LATENCY_FAMILY = "auralink_rpc_duration_seconds"


def register(app: typer.Typer) -> None:
    app.command()(metrics)


def default_url() -> str | None:
    address = os.environ.get("AURALINK_METRICS_URL")
    if address:
        return address
    http = os.environ.get("AURALINK_HTTP_ADDRESS")
    if not http:
        return None
    host, _, port = http.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/metrics"


def metrics(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            help="The /metrics URL. Env AURALINK_METRICS_URL; default: http://<AURALINK_HTTP_ADDRESS>/metrics."
        ),
    ] = None,
    match: Annotated[str, typer.Option("--match", "-m", help="Only metric names containing this text.")] = "",
) -> None:
    """RPCs by method (calls, errors, latency) and the daemon's gauges, from its Prometheus /metrics."""
    settings = resolve_settings(ctx.ensure_object(GlobalOptions))
    url = url or default_url()
    if not url:
        raise CliError(
            exit_codes.USAGE,
            "no metrics URL: pass --url http://HOST:PORT/metrics (the daemon serves it with AURALINK_HTTP_ADDRESS)",
        )
    text = fetch(url, settings.timeout or 10.0)
    data = summarize(text, match)
    output.emit(data, settings.output, table=metrics_table, no_color=settings.no_color, wide=True)


def fetch(url: str, timeout_s: float) -> str:
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise CliError(exit_codes.USAGE, f"--url must be an http:// or https:// URL, got {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - scheme checked above
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise CliError(exit_codes.UNEXPECTED, f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(exit_codes.UNREACHABLE, f"cannot read {url}: {reason}") from None


def summarize(text: str, match: str = "") -> dict[str, Any]:
    """{"rpcs": [per method: calls, errors, p50/p99 ms estimated from the buckets], "samples": [the rest]}."""
    from prometheus_client.parser import text_string_to_metric_families

    rpcs: dict[str, dict[str, Any]] = {}
    buckets: dict[str, list[tuple[float, float]]] = {}
    samples: list[dict[str, Any]] = []
    for family in text_string_to_metric_families(text):
        if match and match not in family.name:
            continue
        for sample in family.samples:
            labels = dict(sample.labels)
            if family.name == RPC_FAMILY and sample.name.endswith("_total"):
                row = rpcs.setdefault(labels["method"], _rpc_row(labels["method"]))
                row["calls"] += int(sample.value)
                if labels.get("code") != "OK":
                    row["errors"] += int(sample.value)
            elif family.name == LATENCY_FAMILY and sample.name.endswith("_bucket"):
                buckets.setdefault(labels["method"], []).append((float(labels["le"]), sample.value))
            elif family.name not in (RPC_FAMILY, LATENCY_FAMILY) and not sample.name.endswith("_created"):
                samples.append({"name": sample.name, "labels": labels, "value": sample.value})
    for method, points in buckets.items():
        row = rpcs.setdefault(method, _rpc_row(method))
        row["p50_ms"], row["p99_ms"] = _quantile(points, 0.5), _quantile(points, 0.99)
    return {"rpcs": sorted(rpcs.values(), key=lambda r: (-r["calls"], r["method"])), "samples": samples}


def _rpc_row(method: str) -> dict[str, Any]:
    return {"method": method, "calls": 0, "errors": 0, "p50_ms": None, "p99_ms": None}


def _quantile(points: list[tuple[float, float]], q: float) -> float | None:
    """Prometheus's histogram_quantile: linear interpolation inside the bucket that holds the q-th call."""
    points = sorted(points)
    total = points[-1][1] if points else 0
    if not total:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for upper, count in points:
        if count >= rank:
            if upper == float("inf"):
                return round(lower * 1000, 3)
            share = (rank - below) / (count - below) if count > below else 1.0
            return round((lower + (upper - lower) * share) * 1000, 3)
        lower, below = upper, count
    return None
