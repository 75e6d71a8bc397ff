"""Renderers of the Memory screen: recalled memories with their score components, stats, evolve."""

from __future__ import annotations

from typing import Any

from rich.text import Text


def result_row(result: Any) -> tuple[str, ...]:
    score = result.score
    content = result.memory.content.replace("\n", " ")
    return (
        content[:60] + ("…" if len(content) > 60 else ""),
        f"{score.score:.3f}",
        f"{score.semantic:.3f}",
        f"{score.keyword:.3f}",
        f"{score.recency:.3f}",
        f"{score.importance:.3f}",
    )


def recent_row(memory: Any) -> tuple[str, ...]:
    """A recent memory in the results' columns: no scores before a search, its importance."""
    content = memory.content.replace("\n", " ")
    return (content[:60] + ("…" if len(content) > 60 else ""), "-", "-", "-", "-", f"{memory.importance:.3f}")


def stats_view(stats: Any) -> Text:
    if stats is None:
        return Text("no stats yet", style="dim")
    text = Text.assemble(("Total ", "bold"), str(stats.total))
    for title, entries in (("State", stats.by_state), ("Modality", stats.by_modality)):
        if entries:
            text.append(f"\n{title}: ", style="bold")
            text.append(", ".join(f"{e.key} {e.count}" for e in entries))
    text.append("\nDuplicates ", style="bold")
    text.append(f"{stats.duplicate_ratio:.1%}")
    text.append("\nRecall ", style="bold")
    text.append(f"p50 {stats.recall_p50_ms:.1f} ms, p95 {stats.recall_p95_ms:.1f} ms")
    text.append("\nSearch ", style="bold")
    text.append("pgvector" if stats.pgvector else "exact (real[])")
    run = stats.last_evolve_run
    if run.id:
        text.append("\nLast evolve ", style="bold")
        text.append(
            f"{'dry run, ' if run.dry_run else ''}examined {run.examined}, consolidated {run.consolidated}, "
            f"forgotten {run.forgotten}, purged {run.purged}"
        )
    return text


def evolve_question(preview: Any) -> str:
    run = preview.run
    return (
        f"Dry run examined {run.examined} memories: {run.consolidated} would be consolidated "
        f"({run.clusters} clusters), {run.forgotten} forgotten, {run.purged} purged. Apply for real?"
    )
