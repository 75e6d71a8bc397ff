"""Renderers of `auralink compress`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli import output

if TYPE_CHECKING:
    from rich.console import RenderableType


def figures_table(data: dict[str, Any], key: str, title: str) -> RenderableType:
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"{title} (latency in ms, fb: fallbacks)", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False,
        collapse_padding=True,
    )  # fmt: skip
    for col in ("", "frames", "ratio", "red. %", "saved B", "quality", "p50", "p99", "fb"):
        table.add_column(col, justify="left" if col in ("", "quality") else "right", no_wrap=True)
    if key == "global":
        rows = [("all you may see", data["global"])]
    elif key == "per_mode":
        rows = [(f"{r['frame_type'].lower()} {r['mode'].lower()}", r["figures"]) for r in data["per_mode"]]
    else:
        rows = list(data[key].items())
    for name, f in rows:
        quality = " ".join(f"{m} {v:.2f}" for m, v in f["quality"].items())
        table.add_row(
            name, str(f["frames"]), f"{f['compression_ratio']:.1f}x", f"{f['reduction_pct']:.1f}",
            str(f["bandwidth_saved_bytes"]), quality, ms(f["latency_p50"]), ms(f["latency_p99"]),
            str(f["fallback_count"]),
        )  # fmt: skip
    return table


def ms(seconds: float | None) -> str:
    """A latency in ms; "-" when the daemon has no latency data yet (the field is unset)."""
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def no_latency_note(data: dict[str, Any]) -> list[RenderableType]:
    from rich.text import Text

    if data["global"]["latency_p50"] is not None:
        return []
    return [Text("latency p50/p99: no data yet (no frames compressed since the daemon started)", style="dim")]


def format_text(fmt: dict[str, Any]) -> str:
    if fmt.get("audio"):
        a = fmt["audio"]
        return f"{a['sample_rate']} Hz {a['channels']}ch {(a['frame_duration'] or 0) * 1000:.0f} ms"
    if fmt.get("image"):
        i = fmt["image"]
        return f"{i['width']}x{i['height']} {i['pixel_format'].lower()} {i['frame_rate']} fps"
    return "data"


def sessions_table(data: dict[str, Any]) -> list[RenderableType]:
    from auralink_cli.render import tables as common

    columns: list[tuple[str, Any]] = [
        ("SESSION", lambda s: s["session_id"]),
        ("USER", lambda s: s["user_id"]),
        ("TYPE", lambda s: s["frame_type"].lower()),
        ("MODE", lambda s: s["mode"].lower()),
        ("CODEC", lambda s: s["codec"] + (" +postfilter" if s["postfilter"] else "")),
        ("MODEL", lambda s: s["model_type"]),
        ("FORMAT", lambda s: format_text(s["format"])),
        ("CREATED", lambda s: common.when(s["create_time"])),
        ("LAST ACTIVE", lambda s: common.when(s["last_activity_time"])),
        ("FRAMES IN/OUT", lambda s: f"{s['frames_in']}/{s['frames_out']}"),
        ("BYTES IN/OUT", lambda s: f"{s['bytes_in']}/{s['bytes_out']}"),
        ("RATIO", lambda s: f"{s['compression_ratio']:.2f}x" if s["compression_ratio"] else "-"),
        ("FALLBACKS", lambda s: s["fallback_count"]),
    ]
    return [
        common.rows_table(data["sessions"], columns, "(no open compression sessions on this daemon)"),
        *common.more_note(data["next_page_token"]),
    ]


def summary(data: dict[str, Any]) -> str:
    g = data["global"]
    quality = " ".join(f"{m}={v:.3f}" for m, v in g["quality"].items())
    return (
        f"{data['as_of']}  frames={g['frames']} reduction={g['reduction_pct']:.1f}% "
        f"saved={g['bandwidth_saved_bytes']}B "
        f"p50={ms(g['latency_p50'])}ms p99={ms(g['latency_p99'])}ms "
        f"fallbacks={g['fallback_count']} {quality}"
        + "".join(
            f" | {r['frame_type'].lower()}/{r['mode'].lower()} {r['figures']['compression_ratio']:.1f}x "
            f"p99={ms(r['figures']['latency_p99'])}ms"
            for r in data["per_mode"]
        )
    )


def bench_table(data: dict[str, Any]) -> RenderableType:
    table = output.table(
        "TYPE", "MODE", "CODEC", "KBIT/S", "REDUCTION %", "QUALITY", "P50 MS", "P99 MS", "FALLBACKS", "BASELINE", "VS",
        title=f"Compression benchmark ({(data['done'].get('wall_time') or 0):.0f} s)",
    )  # fmt: skip
    for r in data["rows"]:
        quality = " ".join(f"{k}={v:.3g}" for k, v in r["quality"].items())
        base = r["baseline"]
        vs = f"×{r['bitrate_vs_baseline']:.2f}" if r["bitrate_vs_baseline"] else ""
        table.add_row(
            r["frame_type"], r["mode"], r["codec"], f"{r['kbps']:.1f}", f"{r['reduction_pct']:.1f}", quality,
            f"{(r['latency_p50'] or 0) * 1000:.2f}", f"{(r['latency_p99'] or 0) * 1000:.2f}", str(r["fallbacks"]),
            base["name"], vs,
        )  # fmt: skip
    return table
