"""Engines' definition checks (no framework import, no daemon): a bad definition names its path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from auralinkd.errors import InvalidArgument
from auralinkd.workflows.engines import engine
from tests.support import ROOT, WORKFLOW_FRAMEWORKS

AUTOGEN = """
task: "go {topic}"
inputs: [topic]
agents:
  - {name: first, model: fake/a, tools: [conn/tool]}
  - {name: second, system: "about {topic}", memory: {query: "{topic}"}}
termination: {max_messages: 3}
"""


def _autogen(**changes: object) -> dict:
    value = yaml.safe_load(AUTOGEN)
    value.update(changes)
    return value


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"agents": [{"name": "a"}, {"name": "a"}]}, "agents[1].name"),
        ({"agents": [{"name": "user"}]}, "agents[0].name"),
        ({"agents": [{"name": "a", "tools": ["nope"]}]}, "agents[0].tools[0]"),
        ({"agents": [{"name": "a", "agent": "not-a-uuid"}]}, "agents[0].agent"),
        ({"agents": [{"name": "a", "memory": {"query": "x", "limit": 99}}]}, "agents[0].memory.limit"),
        ({"agents": [{"name": "a", "role": "x"}]}, "agents[0].role"),
        ({"task": "go {nothing}"}, "task"),
        ({"team": "swarm"}, "team"),
        ({"team": "selector", "agents": [{"name": "a"}]}, "agents"),
        ({"selector": {"model": "x"}}, "selector"),
        ({"termination": {"max_messages": 0}}, "termination.max_messages"),
        ({"remember": {"tags": "x"}}, "remember"),
        ({"nodes": []}, "nodes"),
    ],
)
def test_autogen_bad_definitions_name_the_path(changes: dict, path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        engine("autogen").validate(_autogen(**changes))
    assert caught.value.violations[0].field == path, caught.value.message


def _frameworks_loaded() -> set[str]:
    return {m for m in sys.modules if m.split(".")[0] in WORKFLOW_FRAMEWORKS}


def test_autogen_definition_normalised_without_importing_autogen() -> None:
    loaded = _frameworks_loaded()
    clean = engine("autogen").validate(_autogen())
    assert clean["team"] == "round_robin" and clean["max_turns"] is None
    assert clean["agents"][0]["tools"] == ["conn/tool"] and clean["agents"][1]["memory"] == {
        "query": "{topic}",
        "limit": 5,
    }
    assert engine("autogen").validate(_autogen(termination={}))["max_turns"] == 10
    assert _frameworks_loaded() == loaded  # none newly imported (a fresh interpreter: the examples test below)


CREWAI = """
inputs: [topic]
agents:
  - {id: r, role: Researcher, goal: "facts about {topic}"}
tasks:
  - {id: one, description: "list {topic}", expected_output: facts, agent: r}
  - {id: two, description: write, expected_output: brief, agent: r, context: [one]}
"""


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"tasks": [{"id": "x", "description": "d", "expected_output": "e", "agent": "nobody"}]}, "tasks[0].agent"),
        ({"tasks": [{"id": "x", "description": "d", "expected_output": "e"}]}, "tasks[0].agent"),
        (
            {"tasks": [{"id": "x", "description": "d", "expected_output": "e", "agent": "r", "context": ["y"]}]},
            "tasks[0].context[0]",
        ),
        ({"agents": [{"id": "r", "goal": "g"}]}, "agents[0].role"),
        ({"process": "parallel"}, "process"),
        ({"manager_model": "x/y"}, "manager_model"),
        ({"inputs": []}, "agents[0].goal"),
    ],
)
def test_crewai_bad_definitions_name_the_path(changes: dict, path: str) -> None:
    value = yaml.safe_load(CREWAI)
    value.update(changes)
    with pytest.raises(InvalidArgument) as caught:
        engine("crewai").validate(value)
    assert caught.value.violations[0].field == path, caught.value.message


@pytest.mark.parametrize(
    ("steps", "path"),
    [
        ([{"id": "a", "prompt": "x {later}"}, {"id": "later", "prompt": "y"}], "steps[0].prompt"),
        ([{"id": "a", "prompt": "x", "retries": 11}], "steps[0].retries"),
        ([{"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}], "steps[1].id"),
        ([{"id": "a"}], "steps[0].prompt"),
    ],
)
def test_prefect_bad_definitions_name_the_path(steps: list, path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        engine("prefect").validate({"steps": steps})
    assert caught.value.violations[0].field == path, caught.value.message


def test_prefect_steps_read_earlier_outputs_and_defaults_apply() -> None:
    loaded = _frameworks_loaded()
    clean = engine("prefect").validate(
        {"inputs": ["t"], "retries": 2, "steps": [{"id": "a", "prompt": "{t}"}, {"id": "b", "prompt": "{a}"}]}
    )
    assert [(s["id"], s["retries"], s["timeout_s"]) for s in clean["steps"]] == [("a", 2, 300), ("b", 2, 300)]
    assert _frameworks_loaded() == loaded


def test_validating_every_shipped_example_imports_no_framework() -> None:
    """Each examples/workflows file, as CLI and service pass it on, in a fresh interpreter (an earlier test in
    this process may already have imported a framework)."""
    examples = sorted(str(p) for p in (ROOT / "examples" / "workflows").glob("*.yaml"))
    assert len(examples) >= 4, examples  # one per engine at least
    script = (
        "import json, sys, yaml\n"
        "from auralinkd.workflows.engines import engine\n"
        f"for path in {examples!r}:\n"
        "    raw = yaml.safe_load(open(path))\n"
        "    engine(raw.pop('engine')).validate({k: v for k, v in raw.items() if k != 'name'})\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WORKFLOW_FRAMEWORKS!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
