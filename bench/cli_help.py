"""`auralink --help` start-up time against same-run baselines, interleaved run by run.

Baselines: the bare interpreter (`python -c pass`) and the interpreter importing Typer (`python -c "import
typer"`, the floor of any Typer CLI). Figures: the median wall time of `auralink --help` (target: at most
150 ms), its ratios to both baselines, and the eager path (every command module imported and the whole Click
tree built) for comparison. `--quick`: 10 rounds instead of 40.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench.common import REPO_ROOT, write_results

VARIANTS: dict[str, list[str]] = {
    "baseline: python -c pass": [sys.executable, "-c", "pass"],
    "baseline: import typer": [sys.executable, "-c", "import typer"],
    "auralink --help": [sys.executable, "-c", "from auralink_cli.main import main; main(['--help'])"],
    "eager tree (every module)": [
        sys.executable,
        "-c",
        "import typer; from auralink_cli.main import full_app; typer.main.get_command(full_app())",
    ],
}


def _once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cli_help")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=0)
    args = parser.parse_args(argv)
    rounds = args.rounds or (10 if args.quick else 40)
    for command in VARIANTS.values():  # warm the page cache and the .pyc files
        _once(command)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(rounds):  # interleaved, so load on the machine hits every variant alike
        for name, command in VARIANTS.items():
            times[name].append(_once(command))
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    base = median["baseline: python -c pass"]
    typer_base = median["baseline: import typer"]
    for name, ms in median.items():
        print(
            f"{name:28s} median {ms:7.1f} ms  x{ms / base:4.2f} of python -c pass, x{ms / typer_base:4.2f} of "
            f"import typer  (+{ms - typer_base:6.1f} ms over import typer)"
        )
    helped = median["auralink --help"]
    figures = [
        {"name": "auralink --help median ms", "value": helped, "baseline": base, "unit": "ms"},
        {"name": "auralink --help / python -c pass", "value": helped / base, "baseline": 1.0, "unit": "ratio"},
        {"name": "auralink --help / import typer", "value": helped / typer_base, "baseline": 1.0, "unit": "ratio"},
        {
            "name": "auralink --help overhead over import typer, ms (vs the eager tree's)",
            "value": helped - typer_base,
            "baseline": median["eager tree (every module)"] - typer_base,
            "unit": "ms",
        },
    ]
    path = write_results("cli_help", figures, meta={"rounds": rounds, "target_ms": 150})
    print(f"written {path}")
    return 0 if median["auralink --help"] <= 150 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
