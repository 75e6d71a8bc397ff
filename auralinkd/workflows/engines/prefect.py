"""The Prefect engine: a definition's steps run as Prefect tasks of a Prefect flow, with retries and timeouts.

Definition (YAML or JSON):

    description: optional text
    inputs: [topic]                  # names StartRun must give
    retries: 0                       # each step's default retries (Prefect task retries)
    timeout_s: 300                   # each step's default timeout (Prefect task timeout)
    steps:                           # run in order; {name}: an input or an earlier step's output
      - {id: draft, prompt: "Write about {topic}.", system: "...", model: provider/model, max_tokens: 256,
         retries: 1, timeout_s: 60}
      - {id: polish, prompt: "Polish this: {draft}"}

Each step is a Prefect task whose LLM call goes through our CompletionService (budgets, failover, BYOK keys, a
usage row with the run id); the flow run is recorded by Prefect (its id is in the run's output). With no
AURALINK_PREFECT_API_URL, the flows report to Prefect's own temporary local server, which Prefect starts on
first use with its database under the daemon's data dir (PREFECT_HOME); with it set, to that Prefect server.
A run interrupted by a crash starts again from its first step. Schedules (`workflows schedule`) are not built.

Prefect is imported only inside `drive`, so validating a definition does not load it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from auralinkd.errors import AuralinkError
from auralinkd.workflows.engines import Outcome, RunContext, common
from auralinkd.workflows.engines.common import bad, fill, text

_TOP = {"engine", "description", "inputs", "retries", "timeout_s", "steps", "output"}
_STEP = {"id", "prompt", "system", "model", "agent", "max_tokens", "temperature", "retries", "timeout_s"}
MAX_STEPS = 100


def _configure() -> None:
    """Before Prefect's import: its home (and the temporary server's database) in the data dir, or the API of
    an existing Prefect server; no analytics (offline machines); Prefect's logs to the daemon's at WARNING."""
    api = os.environ.get("AURALINK_PREFECT_API_URL", "")
    if api:
        os.environ["PREFECT_API_URL"] = api
    else:
        os.environ.pop("PREFECT_API_URL", None)
    data_dir = Path(os.environ.get("AURALINK_DATA_DIR", ".data"))
    os.environ.setdefault("PREFECT_HOME", str(data_dir / "prefect"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


class PrefectEngine(common.Resumable):
    name = "prefect"

    def validate(self, definition: dict[str, Any]) -> dict[str, Any]:
        inputs = common.inputs_of(definition, _TOP, "a prefect definition")
        defaults = {"retries": 0, "timeout_s": 300}
        for key, high in (("retries", 10), ("timeout_s", 86400)):
            if key in definition:
                defaults[key] = common.number(definition, key, "definition", 0 if key == "retries" else 1, high)
        steps = definition.get("steps")
        if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
            raise bad("steps", f"must be a list of 1 to {MAX_STEPS} steps")
        clean: list[dict[str, Any]] = []
        known = list(inputs)
        for i, step in enumerate(steps):
            path = f"steps[{i}]"
            ident = common.named_entry(step, path, _STEP, [s["id"] for s in clean], "a prefect step")
            entry: dict[str, Any] = {
                "id": ident, "prompt": text(step, "prompt", path, required=True),
                "system": text(step, "system", path, required=False),
                "model": text(step, "model", path, required=False, limit=300),
                "retries": common.number(step, "retries", path, 0, 10, integer=True) if "retries" in step
                else defaults["retries"],
                "timeout_s": common.number(step, "timeout_s", path, 1, 86400) if "timeout_s" in step
                else defaults["timeout_s"],
            } | common.agent_options(step, path)  # fmt: skip
            entry.pop("memory", None)
            common.check_templates([(f"{path}.prompt", entry["prompt"]), (f"{path}.system", entry["system"])], known)
            known.append(ident)
            clean.append(entry)
        if "output" in definition:
            raise bad("output", "a prefect run's output is each step's output and the flow run's id")
        return {"description": str(definition.get("description", ""))[:2000], "inputs": inputs, "steps": clean}

    async def drive(self, run: RunContext, *, resumed: bool) -> Outcome:
        _configure()
        from prefect import flow, task
        from prefect.runtime import flow_run

        refused: list[AuralinkError] = []

        async def call(step: dict[str, Any], state: dict[str, Any]) -> str:
            await run.emit("step_started", step["id"], {"type": "task"})
            messages = [{"role": "system", "content": fill(step["system"], state)}] if step["system"] else []
            messages.append({"role": "user", "content": fill(step["prompt"], state)})
            try:
                completion, usage = await common.complete(
                    run, step["id"], messages, model=step["model"], agent=step.get("agent", ""),
                    max_tokens=int(step.get("max_tokens", 0)), temperature=step.get("temperature"),
                )  # fmt: skip
            except AuralinkError as exc:
                refused.append(exc)
                raise
            await run.emit("step_finished", step["id"], {"type": "task", "output": completion.text, **usage})
            return str(completion.text)

        def no_retry_when_refused(*_: Any) -> bool:
            return not refused  # the gateway refused (budget, permission): trying again cannot help

        tasks = {
            s["id"]: task(
                call,
                name=s["id"],
                retries=s["retries"],
                timeout_seconds=s["timeout_s"],
                retry_condition_fn=no_retry_when_refused,
            )  # fmt: skip
            for s in run.definition["steps"]
        }

        @flow(name=f"auralink-{run.run_id}", log_prints=False, validate_parameters=False)
        async def workflow(inputs: dict[str, str]) -> dict[str, Any]:
            state: dict[str, Any] = dict(inputs)
            for step in run.definition["steps"]:
                state[step["id"]] = await tasks[step["id"]](step, state)
            return {"steps": {s["id"]: state[s["id"]] for s in run.definition["steps"]}, "flow_run_id": flow_run.id}

        try:
            output = await workflow(dict(run.inputs))
        except Exception as exc:
            if refused:
                raise refused[0] from exc
            raise
        return Outcome(output=common.jsonable(output))


ENGINE = PrefectEngine()
