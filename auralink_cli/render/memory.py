"""Renderers of `auralink memory`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def short(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def memory_table(x: dict[str, Any]) -> RenderableType:
    s = x.get("scope") or {}
    return common.fields_table(
        [
            ("ID", x["id"]),
            ("Content", x["content"]),
            ("State", x["state"] + (f" ({x['archive_reason']})" if x.get("archive_reason") else "")),
            ("Tags", common.joined(x["tags"])),
            ("Metadata", json.dumps(x["metadata"]) if x["metadata"] else "-"),
            ("Importance", f"{x['importance']:.2f}"),
            ("Modality", x["modality"]),
            ("Source", x["source"] or "-"),
            ("Scope", ", ".join(f"{k}={v}" for k, v in s.items() if v and k != "user_id") or "user"),
            ("Accesses", f"{x['access_count']} (last {common.when(x.get('last_access_time'))})"),
            ("Duplicates seen", x["dedupe_count"]),
            ("Models", common.joined(x["embedding_models"])),
            ("Created", common.when(x.get("create_time"))),
        ]
    )


def memories_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda r: r["id"]),
        ("CREATED", lambda r: common.when(r.get("create_time"))),
        ("IMP", lambda r: f"{r['importance']:.2f}"),
        ("TAGS", lambda r: common.joined(r["tags"])),
        ("CONTENT", lambda r: short(r["content"])),
    ]
    return [common.rows_table(data["memories"], columns, "(no memories)"), *common.more_note(data["next_page_token"])]


def recall_table(data: dict[str, Any]) -> list[RenderableType]:
    from rich.text import Text

    columns = [
        ("#", lambda r: r["rank"]),
        ("SCORE", lambda r: f"{r['score']['score']:.3f}"),
        ("REL", lambda r: f"{r['score']['relevance']:.2f}"),
        ("SEM", lambda r: f"{r['score']['semantic']:.2f}"),
        ("KW", lambda r: f"{r['score']['keyword']:.2f}"),
        ("IDENT", lambda r: f"{r['score']['identifier']:.2f}"),
        ("REC", lambda r: f"{r['score']['recency']:.2f}"),
        ("IMP", lambda r: f"{r['score']['importance']:.2f}"),
        ("ID", lambda r: r["memory"]["id"]),
        ("CONTENT", lambda r: short(r["memory"]["content"], 60)),
    ]
    rows = [{"rank": i, **r} for i, r in enumerate(data["results"], 1)]
    took = data.get("took") or "0s"
    return [common.rows_table(rows, columns, "(nothing recalled)"), Text(f"strategy {data['strategy']}, took {took}")]


def store_table(data: dict[str, Any]) -> RenderableType:
    r = data["result"]
    pairs = [("Outcome", r["outcome"]), ("Memory", r["memory_id"] or "-")]
    if r["reason"]:
        pairs.append(("Reason", r["reason"]))
    return common.fields_table(pairs)


def related_table(data: dict[str, Any]) -> RenderableType:
    columns = [
        ("DIRECTION", lambda r: r["direction"]),
        ("KIND", lambda r: r["relationship"]["kind"]),
        ("WEIGHT", lambda r: f"{r['relationship']['weight']:.2f}"),
        ("MEMORY", lambda r: r["memory"]["id"]),
        ("STATE", lambda r: r["memory"]["state"]),
        ("CONTENT", lambda r: short(r["memory"]["content"], 60)),
    ]
    return common.rows_table(data["related"], columns, "(no related memories)")


def evolve_table(data: dict[str, Any]) -> list[RenderableType]:
    from rich.text import Text

    run = data["run"]
    head = "DRY RUN: nothing changed. " if run["dry_run"] else ""
    summary = Text(
        f"{head}examined {run['examined']}, clusters {run['clusters']} ({run['consolidated']} memories), "
        f"forgotten {run['forgotten']}, purged {run['purged']}"
    )
    columns = [
        ("ACTION", lambda a: a["kind"]),
        ("MEMORIES", lambda a: "\n".join(a["memory_ids"])),
        ("RESULT", lambda a: a["result_id"] or "-"),
        ("DETAIL", lambda a: a["detail"]),
    ]
    return [summary, common.rows_table(data["actions"], columns, "(nothing to do)")]


def stats_table(data: dict[str, Any]) -> RenderableType:
    def entries(key: str) -> str:
        return ", ".join(f"{e['key']} {e['count']}" for e in data[key]) or "-"

    models = ", ".join(
        f"{m['model']} ({m['dims']}d, {m['vectors']} vectors{', hnsw' if m['hnsw_index'] else ''})"
        for m in data["models"]
    )
    last = data.get("last_evolve_run")
    return common.fields_table(
        [
            ("Memories", data["total"]),
            ("By state", entries("by_state")),
            ("By scope", entries("by_scope")),
            ("By modality", entries("by_modality")),
            ("Duplicate ratio", f"{data['duplicate_ratio']:.1%}"),
            ("Staleness", entries("staleness")),
            ("Storage", f"{data['storage_bytes']} bytes"),
            ("Models", models or "-"),
            ("Recall latency", f"p50 {data['recall_p50_ms']:.1f} ms, p95 {data['recall_p95_ms']:.1f} ms "
                               f"over {data['recall_window']} recalls"),
            ("Vector search", "pgvector (HNSW)" if data["pgvector"] else "exact, in numpy (no pgvector)"),
            ("Last evolve", f"{common.when(last['start_time'])} ({last['trigger']})" if last else "never"),
        ]
    )  # fmt: skip


def import_table(data: dict[str, Any]) -> list[RenderableType]:
    from rich.text import Text

    summary = Text(
        f"{data['file']}: {data['lines']} lines, stored {data['stored']}, deduped {data['deduped']}, "
        f"rejected {data['rejected']}, malformed {data['malformed']}"
    )
    columns = [("LINE", lambda p: p["line"]), ("OUTCOME", lambda p: p["outcome"]), ("REASON", lambda p: p["reason"])]
    return [summary, *([common.rows_table(data["problems"], columns, "")] if data["problems"] else [])]
