"""`python -m tui [--address A] [--token T] [--profile P] [--read-only]`: the dashboard.

`auralink tui` is the same thing through the CLI's global options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import GlobalOptions


def run(options: GlobalOptions, *, read_only: bool = False) -> None:
    """Resolve settings like every `auralink` command, then run the app until it quits."""
    from auralink_cli.profiles import resolve_settings
    from tui.app import AuraLinkApp
    from tui.sources import DataSource

    settings = resolve_settings(options)
    source = DataSource(settings, reload_settings=lambda: resolve_settings(options))
    AuraLinkApp(source, read_only=read_only).run()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tui", description="AuraLink dashboard (Textual)")
    parser.add_argument("--address", help="unix:///path, host:port or tls://host:port (env AURALINK_ADDRESS)")
    parser.add_argument("--token", help="bearer token (env AURALINK_TOKEN)")
    parser.add_argument("--profile", help="profile of the CLI config file (env AURALINK_PROFILE)")
    parser.add_argument("--read-only", action="store_true", help="hide every mutation (wall displays)")
    args = parser.parse_args(argv)
    try:
        run(GlobalOptions(address=args.address, token=args.token, profile=args.profile), read_only=args.read_only)
    except CliError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
