"""RunBenchmark's orchestration: one run at a time per daemon, the evaluation in a worker thread, its
progress as events, the caller's leaving as cancellation, and a new calibration kept per deployment.

`stream()` yields Progress events and then the BenchmarkResult. With `calibrate`, the evaluation
starts from the deployment's current table (written to `<data dir>/compression/calibration.json`, its
work file), re-measures it, and `save_calibration` stores the result for every replica (the
database, see calibration.py); the package's own calibration.json is only ever read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auralinkd.compression import benchmark
from auralinkd.compression.formats import FrameType
from auralinkd.compression.modes import Mode
from auralinkd.errors import FailedPrecondition, ResourceExhausted


@dataclass(frozen=True)
class Progress:
    fraction: float
    step: str


class BenchmarkRunner:
    def __init__(
        self,
        work_dir: Path,
        current_table: Callable[[], dict[str, Any]],
        save_calibration: Callable[[dict[str, Any]], Awaitable[None]],
        run: Callable[..., benchmark.BenchmarkResult] | None = None,
    ) -> None:
        """`work_dir`: the deployment's data dir for the compression domain; `current_table`: the
        calibration the daemon uses now (the start of a partial re-calibration); `save_calibration`:
        stores a new table for every replica and applies it here; `run`: benchmark.run (tests stub it)."""
        self.work_dir = work_dir
        self._current_table = current_table
        self._save = save_calibration
        self._run = run or benchmark.run
        self._lock = asyncio.Lock()

    @property
    def calibration_work_file(self) -> Path:
        return self.work_dir / "calibration.json"

    async def stream(
        self, types: list[FrameType], modes: list[Mode], *, quick: bool, calibrate: bool
    ) -> AsyncIterator[Progress | benchmark.BenchmarkResult]:
        if self._lock.locked():
            raise ResourceExhausted("a benchmark is already running on this daemon; try again when it ends")
        async with self._lock:
            kwargs: dict[str, Any] = {"quick": quick, "calibrate": calibrate}
            if calibrate:
                kwargs["calibration_path"] = await asyncio.to_thread(self._prepare_work_file)
            loop = asyncio.get_running_loop()
            events: asyncio.Queue[Progress | None] = asyncio.Queue()
            cancelled = False

            def progress(fraction: float, step: str) -> None:  # called from the benchmark's thread
                if cancelled:
                    raise benchmark.Cancelled()
                loop.call_soon_threadsafe(events.put_nowait, Progress(fraction, step))

            job = asyncio.ensure_future(asyncio.to_thread(self._run, types, modes, progress=progress, **kwargs))

            def finished(done: asyncio.Future[Any]) -> None:
                if not done.cancelled():
                    done.exception()  # a caller who left ends the run in Cancelled, awaited by nobody: seen here
                loop.call_soon_threadsafe(events.put_nowait, None)

            job.add_done_callback(finished)
            try:
                while (event := await events.get()) is not None:
                    yield event
                result = await job
            finally:
                cancelled = True
            if calibrate:
                await self._save(await asyncio.to_thread(self._read_work_file))
            yield result

    def _prepare_work_file(self) -> Path:
        path = self.calibration_work_file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self._current_table(), indent=1) + "\n")
        except OSError as exc:
            raise FailedPrecondition(f"cannot write the calibration work file {path}: {exc}") from None
        return path

    def _read_work_file(self) -> dict[str, Any]:
        try:
            data = json.loads(self.calibration_work_file.read_text())
        except (OSError, ValueError) as exc:
            raise FailedPrecondition(f"the new calibration table is unreadable ({exc})") from None
        if not isinstance(data, dict):
            raise FailedPrecondition("the new calibration table is not a JSON object")
        return data
