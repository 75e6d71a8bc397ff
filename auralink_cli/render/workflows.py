"""Renderers of `auralink workflows`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def state_word(value: Any) -> str:
    return str(value).removeprefix("RUN_STATE_").lower() if value else "-"


def workflow_table(w: dict[str, Any]) -> Any:
    definition = json.loads(w["definition"] or "{}")
    return common.fields_table(
        [
            ("ID", w["id"]),
            ("Name", w["name"]),
            ("Engine", w["engine"]),
            ("Version", w["version"]),
            ("Description", w["description"]),
            ("Nodes", ", ".join(f"{n['id']} ({n['type']})" for n in definition.get("nodes", []))),
            ("Inputs", common.joined(definition.get("inputs", []))),
            ("Created", common.when(w["create_time"])),
        ]
    )


def run_table(r: dict[str, Any]) -> Any:
    return common.fields_table(
        [
            ("ID", r["id"]),
            ("Workflow", f"{r['workflow_name']} v{r['workflow_version']} ({r['engine']})"),
            ("State", state_word(r["state"])),
            ("Step", r["current_step"] or "-"),
            ("Waiting for", r["waiting_prompt"] or "-"),
            ("Inputs", ", ".join(f"{k}={v}" for k, v in sorted(r["inputs"].items())) or "-"),
            ("Output", r["output"] or "-"),
            ("Error", r["error"] or "-"),
            (
                "Started by",
                f"schedule {r['schedule_id']} (Prefect flow run {r['prefect_flow_run_id']})"
                if r.get("schedule_id")
                else "-",
            ),
            ("Created", common.when(r["create_time"])),
            ("Ended", common.when(r["end_time"])),
        ]
    )


def schedule_table(s: dict[str, Any]) -> Any:
    return common.fields_table(
        [
            ("ID", s["id"]),
            ("Workflow", f"{s['workflow_name']} v{s['workflow_version']}"),
            ("Cron", f"{s['cron']} ({s['timezone']})"),
            ("Inputs", ", ".join(f"{k}={v}" for k, v in sorted(s["inputs"].items())) or "-"),
            ("Retries", s["retries"]),
            ("Timeout", f"{s['timeout_s']:g} s"),
            ("Prefect deployment", s["prefect_deployment_id"]),
            ("Created", common.when(s["create_time"])),
        ]
    )


def event_text(e: dict[str, Any]) -> str:
    d, step, kind = e["data"], e["step"], e["kind"]
    where = f"[{step}] " if step else ""
    if kind == "step_finished":
        out = d.get("output")
        text = out if isinstance(out, str) else json.dumps(out)
        llm = f" [{d['model']}: {d.get('prompt_tokens')}+{d.get('completion_tokens')} tokens]" if "model" in d else ""
        return f"{where}finished{llm}: {text[:200]}"
    if kind == "interrupted":
        return f"{where}waiting for input: {d.get('prompt', '')}  (auralink runs resume {e['run_id']} --input ...)"
    if kind == "run_completed":
        return f"completed: {json.dumps(d.get('output'))}"
    if kind == "run_failed":
        return f"failed: {d.get('error')}"
    if kind == "memory_read":
        return f"{where}memory recall {d.get('query')!r}: {len(d.get('ids', []))} found"
    if kind == "memory_write":
        return f"{where}memory stored {d.get('id')}"
    if kind == "state":
        return f"{where}state {json.dumps(d.get('values'))[:200]}"
    return f"{where}{kind.replace('_', ' ')}"


def workflows_table(d: dict[str, Any]) -> Any:
    columns = [
        ("NAME", lambda w: w["name"]),
        ("ENGINE", lambda w: w["engine"]),
        ("VERSION", lambda w: w["version"]),
        ("ID", lambda w: w["id"]),
        ("CREATED", lambda w: common.when(w["create_time"])),
    ]
    return [common.rows_table(d["workflows"], columns, "(no workflows)"), *common.more_note(d["next_page_token"])]


def schedules_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda s: s["id"]),
        ("WORKFLOW", lambda s: f"{s['workflow_name']} v{s['workflow_version']}"),
        ("CRON", lambda s: s["cron"]),
        ("TIMEZONE", lambda s: s["timezone"]),
        ("CREATED", lambda s: common.when(s["create_time"])),
    ]
    return [common.rows_table(d["schedules"], columns, "(no schedules)"), *common.more_note(d["next_page_token"])]


def runs_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda r: r["id"]),
        ("WORKFLOW", lambda r: f"{r['workflow_name']} v{r['workflow_version']}"),
        ("STATE", lambda r: state_word(r["state"])),
        ("STEP", lambda r: r["current_step"] or "-"),
        ("CREATED", lambda r: common.when(r["create_time"])),
    ]
    return [common.rows_table(d["runs"], columns, "(no runs)"), *common.more_note(d["next_page_token"])]
