"""Renderers of the Workflows screen: rows, a run's detail with its counters, the step graph, events."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from auralink.v1 import workflows_pb2
from tui.state import json_data

STATE_STYLES = {
    "PENDING": "cyan",
    "RUNNING": "bold cyan",
    "WAITING_INPUT": "bold yellow",
    "COMPLETED": "bold green",
    "FAILED": "bold red",
    "CANCELLED": "magenta",
}
# Step glyphs of the graph: not reached yet, running, done, waiting for a person, failed.
GLYPHS = {"todo": ("·", "dim"), "running": ("▶", "bold cyan"), "done": ("✓", "green")}
GLYPHS |= {"waiting": ("?", "bold yellow"), "failed": ("✗", "bold red")}


def state_name(run: Any) -> str:
    return workflows_pb2.RunState.Name(run.state).removeprefix("RUN_STATE_")


def workflow_row(workflow: Any) -> tuple[str, ...]:
    return (workflow.name, workflow.engine, f"v{workflow.version}")


def run_row(run: Any) -> tuple[Any, ...]:
    state = state_name(run)
    started = run.create_time.ToDatetime().strftime("%H:%M:%S") if run.create_time.seconds else ""
    return (run.id[:8], run.workflow_name, Text(state, style=STATE_STYLES.get(state, "")), run.current_step, started)


def run_detail(run: Any, tokens: int, cost_usd: float, live: str) -> Text:
    if run is None:
        return Text("no run selected", style="dim")
    state = state_name(run)
    text = Text.assemble(("Run ", "bold"), run.id, "  ", (state, STATE_STYLES.get(state, "")))
    text.append(f"\n{run.workflow_name} v{run.workflow_version} · {run.engine}")
    if run.inputs:
        text.append("\ninputs ", style="bold")
        text.append(", ".join(f"{k}={v}" for k, v in sorted(run.inputs.items())))
    if run.current_step:
        text.append("\nstep ", style="bold")
        text.append(run.current_step)
    if run.waiting_prompt and state == "WAITING_INPUT":
        text.append("\nwaiting: ", style="bold yellow")
        text.append(run.waiting_prompt)
    text.append("\ntokens ", style="bold")
    text.append(f"{tokens}")
    text.append("  cost ", style="bold")
    text.append(f"${cost_usd:.6f}")
    if live:
        text.append("\nLLM ", style="bold")
        text.append(f"…{live[-80:]}", style="italic")
    if run.error:
        text.append(f"\n{run.error}", style="red")
    if run.output:
        text.append("\noutput ", style="bold")
        text.append(run.output[:300])
    return text


def _nodes(workflow: Any, events: list[Any]) -> list[tuple[str, str, list[str]]]:
    """(step, type, successors) from the definition's nodes and edges, else the steps seen so far."""
    definition: dict[str, Any] = {}
    if workflow is not None and workflow.definition:
        try:
            loaded = json.loads(workflow.definition)
        except ValueError:
            loaded = {}
        definition = loaded if isinstance(loaded, dict) else {}
    nodes = [n for n in definition.get("nodes", []) if isinstance(n, dict) and "id" in n]
    if not nodes:
        seen: list[str] = []
        for event in events:
            if event.step and event.step not in seen:
                seen.append(event.step)
        return [(step, "", []) for step in seen]
    successors: dict[str, list[str]] = {str(n["id"]): [] for n in nodes}
    for edge in definition.get("edges", []):
        if isinstance(edge, list | tuple) and len(edge) == 2 and str(edge[0]) in successors:
            successors[str(edge[0])].append(str(edge[1]))
    for node in nodes:
        for route in node.get("routes", []) or []:
            if isinstance(route, dict) and route.get("to"):
                successors[str(node["id"])].append(str(route["to"]))
        if node.get("default"):
            successors[str(node["id"])].append(str(node["default"]))
    return [(str(n["id"]), str(n.get("type", "")), successors[str(n["id"])]) for n in nodes]


def step_states(events: list[Any]) -> dict[str, str]:
    states: dict[str, str] = {}
    for event in events:
        if not event.step:
            continue
        if event.kind == "step_started":
            states[event.step] = "running"
        elif event.kind in ("step_finished", "resumed"):
            states[event.step] = "done"
        elif event.kind == "interrupted":
            states[event.step] = "waiting"
        elif event.kind == "run_failed":
            states[event.step] = "failed"
    return states


def step_graph(workflow: Any, events: list[Any]) -> Text:
    """One line per step: its glyph, name and type, and where it leads."""
    nodes = _nodes(workflow, events)
    if not nodes:
        return Text("no steps yet", style="dim")
    states = step_states(events)
    text = Text()
    for i, (step, kind, successors) in enumerate(nodes):
        glyph, style = GLYPHS[states.get(step, "todo")]
        if i:
            text.append("\n")
        text.append(f"{glyph} ", style=style)
        text.append(step, style="bold" if step in states else "")
        if kind:
            text.append(f" ({kind})", style="dim")
        if successors:
            text.append(" → " + ", ".join(successors), style="dim")
    return text


def event_line(event: Any) -> Text:
    data = json_data(event.data)
    if event.kind != "run_completed":
        data.pop("output", None)  # a step's output can be long; the run's detail shows the final one
    detail = json.dumps(data, sort_keys=True)[:100] if data else ""
    return Text.assemble((f"#{event.seq:<3} ", "dim"), (event.kind, "bold"), f" {event.step} ", (detail, "dim"))
