"""The only place that prints: results as a table, JSON or YAML to stdout; errors and logs to stderr.

JSON and YAML are the raw values (full ids, numbers as numbers), with a stable shape that tests
pin. Tables are for people and may change. No ANSI codes when stdout is not a terminal, when
NO_COLOR is set, or under --no-color.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich is imported only when a table is printed
    from rich.console import Console, RenderableType
    from rich.table import Table

    from auralink_cli.exit_codes import CliError

TableRenderer = Callable[[Any], "RenderableType | list[RenderableType]"]
PIPE_WIDTH = 4096  # the width of `wide` tables when stdout is not a terminal


def color_disabled(no_color: bool = False) -> bool:
    return no_color or bool(os.environ.get("NO_COLOR"))


def console(no_color: bool = False, stderr: bool = False, width: int | None = None) -> Console:
    from rich.console import Console

    if color_disabled(no_color):
        # color_system=None drops every escape code (bold too), not just colours.
        return Console(stderr=stderr, color_system=None, highlight=False, width=width)
    return Console(stderr=stderr, highlight=False, width=width)


_json_lines = False  # set while a list is watched: each refresh is one JSON document on one line


def set_json_lines(value: bool) -> None:
    global _json_lines
    _json_lines = value


def to_json(data: Any) -> str:
    return json.dumps(data, indent=None if _json_lines else 2, ensure_ascii=False)


def clear_terminal() -> None:
    """Move to the top of a cleared terminal (a watched table redraws in place); nothing when piped."""
    if sys.stdout.isatty():
        sys.stdout.write("\x1b[H\x1b[2J")


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def emit(data: Any, fmt: str, table: TableRenderer | None = None, no_color: bool = False, wide: bool = False) -> None:
    """Print one result. `table` turns `data` into rich renderables; without it, tables are key: value.

    `wide`: when stdout is not a terminal, rows are not wrapped at 80 columns (one line per row, for
    grep and awk); on a terminal its width applies.
    """
    if fmt == "json":
        sys.stdout.write(to_json(data) + "\n")
    elif fmt == "yaml":
        sys.stdout.write(to_yaml(data))
    elif fmt == "name":
        sys.stdout.write("".join(f"{n}\n" for n in names(data)))
    else:  # piped: the full width, so no row is cut or folded at 80 columns (`wide` kept for callers)
        out = console(no_color, width=None if sys.stdout.isatty() else PIPE_WIDTH)
        rendered = table(data) if table is not None else key_values(data)
        for item in rendered if isinstance(rendered, list) else [rendered]:
            out.print(item)
    sys.stdout.flush()


def emit_line(data: Mapping[str, Any], text: str, fmt: str, no_color: bool = False) -> None:
    """Print one item of a stream: a JSON line under -o json, a YAML document under -o yaml, else `text`."""
    if fmt == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    elif fmt == "yaml":
        sys.stdout.write("---\n" + to_yaml(data))
    else:
        console(no_color).print(text, markup=False, soft_wrap=True)
    sys.stdout.flush()


_NAME_KEYS = ("name", "username", "slug", "prefix", "id", "memory_id", "token_id", "session_id")
_no_headers = False


def set_no_headers(value: bool) -> None:
    global _no_headers
    _no_headers = value


def names(data: Any) -> list[str]:
    """`-o name`: the name (else the id) of each item of a list result, or of the one resource shown."""
    if isinstance(data, list):
        return [n for item in data for n in names(item)]
    if not isinstance(data, Mapping):
        return [str(data)]
    for value in data.values():  # a list result: its first list of resources
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            return [n for item in value for n in names(item)]
    for key in _NAME_KEYS:
        if data.get(key):
            return [str(data[key])]
    nested = [v for v in data.values() if isinstance(v, Mapping)]  # {"agent": {...}}, {"result": {...}}
    return names(nested[0]) if len(nested) == 1 else []


def table(*headers: str, title: str | None = None) -> Table:
    """The one table style of the CLI: no box, bold headers, cells folded rather than cut (--no-headers: none)."""
    from rich.table import Table

    grid = Table(
        box=None, pad_edge=False, header_style="bold", title=title, title_justify="left", show_header=not _no_headers
    )
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


# Duration fields (seconds in JSON) and the unit other fields carry, for tables: "latency 0.187712" says nothing.
_DURATION_KEYS = frozenset(
    {"took", "latency", "uptime", "interval", "heartbeat_interval", "half_life", "max_latency", "duration",
     "elapsed", "wall_time", "timeout", "latency_p50", "latency_p95", "latency_p99", "observed_latency", "age"}
)  # fmt: skip
_UNIT_SUFFIXES = (("_ms", "ms"), ("_kbps", "kbit/s"), ("_pct", "%"), ("_usd", "USD"), ("_bytes", "B"), ("_s", "s"))


def label(key: str) -> str:
    """A field name for people: "quarantine_reason" -> "Quarantine reason"."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def seconds(value: float) -> str:
    """A duration for people: 0.187712 -> "187.7 ms", 3725 -> "1h 2m 5s"."""
    if value < 1:
        return f"{value * 1000:.1f} ms"
    if value < 60:
        return f"{value:.2f} s"
    whole = int(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return " ".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n) or "0s"


def cell(key: str, value: Any) -> str:
    """One value for a table: no Python reprs (dicts, lists, True/False, None), units where the key says."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if key in _DURATION_KEYS:
            return seconds(float(value))
        unit = next((u for suffix, u in _UNIT_SUFFIXES if str(key).endswith(suffix)), "")
        number = f"{value:.4g}" if isinstance(value, float) else str(value)
        return f"{number} {unit}" if unit else number
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {cell(str(k), v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(key, v) for v in value) or "-"
    return str(value)


def key_values(data: Any) -> RenderableType:
    """Two columns, label and value, for one result; nested messages become their own labelled rows."""
    from rich.markup import escape
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    if not isinstance(data, Mapping):
        grid.add_row(escape(cell("", data)))
        return grid
    for key, value in _flat(data, ""):
        grid.add_row(label(key), escape(cell(key.rsplit(" ", 1)[-1], value)))
    return grid


def _flat(data: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    """(dotted key, value) rows; a nested mapping of scalars stays one row when it is a map of counts."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and any(isinstance(v, Mapping) for v in value.values()):
            rows.extend(_flat(value, f"{name} "))
        elif isinstance(value, Mapping) and len(value) > 4:
            rows.extend(_flat(value, f"{name} "))
        else:
            rows.append((name, value))
    return rows


_error_format = "table"  # how failures are printed: set from argv by main(), then by resolve_settings()


def set_error_format(fmt: str | None) -> None:
    global _error_format
    _error_format = (fmt or "table").lower()


def format_from_argv(args: list[str]) -> str | None:
    """The -o/--output value of a command line (after main() hoisted it), else $AURALINK_OUTPUT."""
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
        if arg.startswith("-o") and not arg.startswith("--") and len(arg) > 2:
            return arg[2:]
    return os.environ.get("AURALINK_OUTPUT") or None


def failure(exc: CliError) -> None:
    """A failed command: `error: …` on stderr, or its JSON/YAML object there under -o json/yaml."""
    if _error_format == "json":  # one line, like the text form, so `2>&1 | tail -1` still works
        sys.stderr.write(json.dumps(exc.as_dict(), ensure_ascii=False) + "\n")
        sys.stderr.flush()
    elif _error_format == "yaml":
        sys.stderr.write(to_yaml(exc.as_dict()))
        sys.stderr.flush()
    else:
        error(exc.message)


def usage_failure(exc: Any) -> bool:
    """Print a Click usage error as a JSON/YAML error under -o json/yaml; False: let Click show it."""
    from typer._click.exceptions import NoArgsIsHelpError

    from auralink_cli.exit_codes import CliError

    if _error_format not in ("json", "yaml") or isinstance(exc, NoArgsIsHelpError):
        return False
    param = getattr(exc, "param", None)
    field = getattr(param, "name", None) or ""
    failure(CliError(exc.exit_code, exc.format_message(), violations=[(field, exc.format_message())] if field else []))
    return True


def error(message: str) -> None:
    """One `error: …` line on stderr: newlines in the message are folded into it."""
    line = " ".join(str(message).split())
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {' '.join(str(message).split())}\n")
    sys.stderr.flush()


def info(message: str) -> None:
    """A progress or confirmation note for people: stderr, so stdout stays results only."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def plain(text: str) -> None:
    """Raw text to stdout (completion scripts, single values)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def interactive() -> bool:
    """Whether a person can answer a prompt (stdin is a terminal); CI and pipes are not."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def confirm(question: str) -> bool:
    """Ask a yes/no question on stderr (default no); only call it when interactive()."""
    import typer

    return typer.confirm(question, default=False, err=True)


def prompt_secret(label: str) -> str:
    """Read a secret from the terminal without echoing it; the prompt goes to stderr."""
    import typer

    return str(typer.prompt(label, hide_input=True, err=True))
