"""The neural post-filter's front door: is it usable here, and filter decoded Opus frames per session.

torch is imported only when a filter is built, so the daemon and the CLI start without it. The model
(`postfilter_model.py`) is causal and carries its state per session; `filter_many` runs a batch of
sessions' frames in one call: the torch model on CUDA when `use_gpu` is set and a GPU is present, else
its numpy mirror on the CPU (`postfilter_numpy.py`: torch's per-operation cost alone neared the budget).
Only 16 kHz mono 20 ms audio is served: the filter was trained at that rate and frame length.
"""

from __future__ import annotations

import importlib.util
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from auralinkd.compression.postfilter_numpy import NumpyStep, State

WEIGHTS_PATH = Path(__file__).with_name("weights") / "postfilter.pt"
SAMPLE_RATE, CHANNELS, FRAME_MS = 16000, 1, 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
# Whether the filter may be switched on without being asked for: only if it beats plain Opus at 6-12 kbps
# on held-out voices (bench/postfilter.py). Measured PESQ-WB, Opus -> filtered: 6 kbps 1.709 -> 1.802,
# 8 kbps 2.144 -> 2.387, 12 kbps 3.137 -> 3.128. It does not beat Opus at 12 kbps, so it stays off.
ON_BY_DEFAULT = False


class PostFilterUnavailable(Exception):
    """The post-filter cannot run in this build: no torch, or no trained weights."""


def unavailable_reason(weights: Path = WEIGHTS_PATH) -> str | None:
    """None when the post-filter can run here, else why not (in words fit for FAILED_PRECONDITION)."""
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed"
    if not weights.is_file():
        return f"the post-filter weights are missing ({weights.name})"
    return None


def supports_format(sample_rate: int, channels: int, frame_ms: int) -> bool:
    return (sample_rate, channels, frame_ms) == (SAMPLE_RATE, CHANNELS, FRAME_MS)


def packet_conditioning(packet: bytes) -> list[float]:
    """What the decoder knows about a frame from its Opus packet: log2 of its size and its bandwidth."""
    size = max(len(packet), 1)
    config = packet[0] >> 3 if packet else 0
    # TOC configs (RFC 6716 3.1): SILK 0-11 (NB, MB, WB by fours), hybrid 12-15, CELT 16-31 (NB, WB, SWB, FB).
    narrow = config < 8 or 16 <= config < 20
    wide = 8 <= config < 12 or 20 <= config < 24
    return [float(np.log2(size)), float(narrow), float(wide), float(not (narrow or wide))]


def _pick_device(use_gpu: bool) -> str:
    import torch

    return "cuda" if use_gpu and torch.cuda.is_available() else "cpu"


class PostFilter:
    """The loaded model, shared by every session; per-session state lives in `SessionFilter`."""

    def __init__(self, weights: Path = WEIGHTS_PATH, *, use_gpu: bool = False, engine: str | None = None) -> None:
        """`engine`: "torch" or "numpy"; by default torch on CUDA and numpy on the CPU (tests force torch)."""
        reason = unavailable_reason(weights)
        if reason:
            raise PostFilterUnavailable(reason)
        import torch

        from auralinkd.compression.postfilter_model import ModelConfig, PostFilterNet

        self._torch = torch
        blob = torch.load(weights, map_location="cpu", weights_only=True)
        self.meta: dict[str, Any] = dict(blob.get("meta", {}))
        self.device = _pick_device(use_gpu)
        self.model = PostFilterNet(ModelConfig(**blob["config"]))
        self.model.load_state_dict(blob["state_dict"])
        self.model.eval().to(self.device)
        self._numpy = NumpyStep(blob["state_dict"], self.model.config.taps, self.model.config.hidden)
        self.engine = engine or ("numpy" if self.device == "cpu" else "torch")
        self._lock = threading.Lock()

    def new_state(self) -> State:
        return self._numpy.initial_state(1)

    def filter_many(
        self, frames: list[bytes], packets: list[bytes], states: list[State]
    ) -> tuple[list[bytes], list[State]]:
        """One decoded frame (s16le, FRAME_SAMPLES) per session, with its packet and state, in one batch.

        On CUDA the torch model runs the batch; on the CPU its numpy mirror does (same arithmetic).
        Sessions whose state came from either engine may be mixed: states are numpy arrays.
        """
        if not frames:
            return [], []
        x = np.stack([np.frombuffer(f, dtype=np.int16) for f in frames]).astype(np.float32) / 32768.0
        cond = np.array([packet_conditioning(p) for p in packets], dtype=np.float32)
        batch = State.stack(states)
        if self.engine == "numpy":
            y, new = self._numpy(x, cond, batch)
        else:
            y, new = self._torch_step(x, cond, batch)
        out = np.clip(np.rint(y * 32768.0), -32768, 32767).astype(np.int16)
        return [row.tobytes() for row in out], new.unstack()

    def _torch_step(self, x: np.ndarray, cond: np.ndarray, batch: State) -> tuple[np.ndarray, State]:
        torch = self._torch
        from auralinkd.compression.postfilter_model import FilterState

        def dev(a: np.ndarray) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a)).to(self.device)

        with self._lock, torch.inference_mode():
            state = FilterState(dev(batch.history), dev(batch.hidden)[None], dev(batch.prev_out))
            y, new = self.model.step(dev(x), dev(cond), state)
            # States live on the CPU between frames, so a session may move between batches freely.
            return y.cpu().numpy(), State(x, new.hidden[0].cpu().numpy(), new.prev_out.cpu().numpy())


@dataclass
class _Job:
    frame: bytes
    packet: bytes
    state: State
    done: threading.Event = field(default_factory=threading.Event)
    result: tuple[bytes, State] | None = None
    error: BaseException | None = None


class Batcher:
    """Gathers frames from many sessions' threads into one `filter_many` call (for the GPU).

    A caller waits at most `max_wait_s` for others to join its batch; a lone caller pays that wait once
    per frame, which is why this path is only used on CUDA, where one batched call beats many small ones.
    """

    def __init__(self, postfilter: PostFilter, max_batch: int = 64, max_wait_s: float = 0.002) -> None:
        self.postfilter = postfilter
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="postfilter-batcher", daemon=True)
        self._worker.start()

    def submit(self, frame: bytes, packet: bytes, state: State) -> tuple[bytes, State]:
        job = _Job(frame, packet, state)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _run(self) -> None:
        while True:
            jobs = [self._queue.get()]
            try:
                while len(jobs) < self.max_batch:
                    jobs.append(self._queue.get(timeout=self.max_wait_s))
            except queue.Empty:
                pass
            try:
                outs, states = self.postfilter.filter_many(
                    [j.frame for j in jobs], [j.packet for j in jobs], [j.state for j in jobs]
                )
                for job, out, state in zip(jobs, outs, states, strict=True):
                    job.result = (out, state)
            except Exception as exc:  # handed to every waiting caller
                for job in jobs:
                    job.error = exc
            for job in jobs:
                job.done.set()


_shared: dict[bool, PostFilter] = {}
_batchers: dict[int, Batcher] = {}
_shared_lock = threading.Lock()


def shared_postfilter(use_gpu: bool = False) -> PostFilter:
    """One loaded model per device choice for the whole daemon (raises PostFilterUnavailable)."""
    with _shared_lock:
        if use_gpu not in _shared:
            _shared[use_gpu] = PostFilter(use_gpu=use_gpu)
        return _shared[use_gpu]


class SessionFilter:
    """One session's post-filter: its state, and the shared model (batched across sessions on CUDA)."""

    def __init__(self, postfilter: PostFilter, *, batch: bool | None = None) -> None:
        self.postfilter = postfilter
        self.state = postfilter.new_state()
        self._batcher: Batcher | None = None
        if batch if batch is not None else postfilter.device != "cpu":
            with _shared_lock:
                key = id(postfilter)
                if key not in _batchers:
                    _batchers[key] = Batcher(postfilter)
                self._batcher = _batchers[key]

    @property
    def batched(self) -> bool:
        """Whether `process` waits for other sessions' frames to fill a batch."""
        return self._batcher is not None

    def process(self, pcm: bytes, packet: bytes) -> bytes:
        """Filter one decoded frame (s16le, 16 kHz mono, 20 ms) given the Opus packet it came from."""
        if self._batcher is not None:
            out, self.state = self._batcher.submit(pcm, packet, self.state)
            return out
        outs, states = self.postfilter.filter_many([pcm], [packet], [self.state])
        self.state = states[0]
        return outs[0]

    def reset(self) -> None:
        self.state = self.postfilter.new_state()
