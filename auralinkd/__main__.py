"""`auralinkd serve | migrate [--status] | version`: the daemon's entry point."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import logging
import os
import signal
import sys
import time
from typing import NoReturn

from auralinkd import __version__
from auralinkd.config import ConfigError, Settings, load_settings

log = logging.getLogger("auralinkd")

EXIT_CONFIG = 2
EXIT_STARTUP = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="auralinkd", description="AuraLink Core daemon")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the daemon in the foreground (the default)")
    migrate_parser = sub.add_parser("migrate", help="apply pending migrations, or show where they stand")
    migrate_parser.add_argument("--status", action="store_true", help="only show applied and pending migrations")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)

    if args.command == "version":
        print(__version__)
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"auralinkd: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    from auralinkd import logs

    logs.configure(settings.log_level, settings.log_format)
    if args.command == "migrate":
        from auralinkd.migrate_command import run_migrate

        return asyncio.run(run_migrate(settings, status_only=args.status))
    code = asyncio.run(serve(settings))
    exit_now(code)


def exit_now(code: int) -> NoReturn:
    """Exit without the interpreter's teardown, once serve() has closed everything it opened.

    Tearing down the interpreter after a run of a framework (CrewAI's pydantic models, torch, litellm) took
    seconds: collecting and freeing objects that die with the process anyway. The exit handlers still run
    (Prefect's temporary server, the frameworks' flushes, logging's), then the streams are flushed.
    """
    started = time.monotonic()
    atexit._run_exitfuncs()
    log.debug("exit handlers ran in %.3f s", time.monotonic() - started)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


async def serve(settings: Settings) -> int:
    from auralinkd.db.migrate import MigrationError
    from auralinkd.errors import Unavailable
    from auralinkd.runtime import DataDirInUse, Runtime

    runtime = Runtime(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.request_stop)
    starting = asyncio.create_task(runtime.start())
    stop_requested = asyncio.create_task(runtime.wait_for_stop_request())
    await asyncio.wait({starting, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if starting.done() and starting.exception() is not None:
        exc = starting.exception()
        if isinstance(exc, MigrationError | Unavailable | DataDirInUse | OSError):
            log.error("cannot start: %s", exc)
        else:
            log.error("cannot start", exc_info=exc)
        code = EXIT_STARTUP
    elif starting.done():
        await stop_requested
    else:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await starting
    stop_requested.cancel()
    await runtime.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
