"""The post-filter network (torch): a per-frame GRU that steers three short adaptive FIR filters.

The idea is Opus 1.5's LACE, made smaller. For each 20 ms frame the network looks at the decoded audio
it already has (the previous and the current frame) and at what the packet says (its size and Opus
bandwidth), and predicts the taps of three causal FIR filters applied to the current frame:

- on the decoded signal itself (spectral shaping: formant and noise-floor correction; starts as identity),
- on the signal folded around 4 kHz (x[n]·(-1)^n), which puts energy into the 4-8 kHz band that Opus
  leaves empty below about 9 kbps (a learned, crude bandwidth extension),
- on the rectified signal's first difference (|x| brings harmonics of the voiced parts; also for 4-8 kHz).

Each filter reads only past and present samples, and the taps of frame t fade in from frame t-1's over
the first half of the frame, so the output of frame t never depends on a later frame and no delay is
added. Everything here is import-heavy (torch); `postfilter.py` is the light front door.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

SAMPLE_RATE = 16000
FRAME = 320  # 20 ms at 16 kHz
N_BANDS = 32  # log band energies of the last 40 ms, 250 Hz wide
N_COND = 4  # log packet size, and Opus bandwidth one-hot (narrow/medium, wide, other)
N_FEATURES = N_BANDS + N_COND
BRANCHES = 3  # decoded, folded, rectified
CROSSFADE = FRAME // 2
_NFFT = 512  # >= FRAME + 2 * taps - 1: the FFT convolution stays linear


@dataclass(frozen=True)
class ModelConfig:
    taps: int = 48
    hidden: int = 128

    def as_dict(self) -> dict[str, int]:
        return {"taps": self.taps, "hidden": self.hidden}


@dataclass
class FilterState:
    """What one session carries from frame to frame (batch dimension first, so states stack)."""

    history: Tensor  # (B, FRAME) the previous decoded frame, in [-1, 1]
    hidden: Tensor  # (1, B, hidden) the GRU state
    prev_out: Tensor  # (B, BRANCHES * taps) the previous frame's raw tap output

    @staticmethod
    def stack(states: list[FilterState]) -> FilterState:
        return FilterState(
            torch.cat([s.history for s in states]),
            torch.cat([s.hidden for s in states], dim=1),
            torch.cat([s.prev_out for s in states]),
        )

    def unstack(self) -> list[FilterState]:
        return [
            FilterState(self.history[i : i + 1], self.hidden[:, i : i + 1], self.prev_out[i : i + 1])
            for i in range(self.history.shape[0])
        ]

    def to(self, device: torch.device | str) -> FilterState:
        return FilterState(self.history.to(device), self.hidden.to(device), self.prev_out.to(device))


class PostFilterNet(nn.Module):
    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        k, h = self.config.taps, self.config.hidden
        self.inp = nn.Linear(N_FEATURES, h)
        self.gru = nn.GRU(h, h, batch_first=True)
        self.out = nn.Linear(h, BRANCHES * k)
        nn.init.normal_(self.out.weight, std=1e-3)  # start as (almost) the identity: plain Opus
        nn.init.zeros_(self.out.bias)
        # Feature normalisation, fitted on the training data and saved with the weights.
        self.register_buffer("feat_mean", torch.zeros(N_FEATURES))
        self.register_buffer("feat_std", torch.ones(N_FEATURES))
        self.register_buffer("window", torch.hann_window(2 * FRAME, periodic=False))
        self.register_buffer("fade", _fade(CROSSFADE))
        delta = torch.zeros(BRANCHES * k)
        delta[0] = 1.0  # branch 0, tap 0: pass the decoded signal through
        self.register_buffer("delta", delta)

    # -- state ------------------------------------------------------------------------------------

    def initial_state(self, batch: int = 1) -> FilterState:
        dev = self.delta.device
        return FilterState(
            torch.zeros(batch, FRAME, device=dev),
            torch.zeros(1, batch, self.config.hidden, device=dev),
            torch.zeros(batch, BRANCHES * self.config.taps, device=dev),
        )

    # -- the computation, shared by training (many frames) and inference (one frame) ---------------

    def features(self, signal: Tensor, cond: Tensor) -> Tensor:
        """signal: (B, FRAME + T*FRAME) with one frame of history first; cond: (B, T, N_COND) -> (B, T, F)."""
        frames = signal.unfold(1, 2 * FRAME, FRAME)  # (B, T, 640): previous + current frame
        spec = torch.fft.rfft(frames * self.window, dim=-1)
        power = spec.real**2 + spec.imag**2
        bands = power[..., 1:].reshape(*power.shape[:2], N_BANDS, -1).mean(-1)
        feats = torch.cat([torch.log10(bands + 1e-9), cond], dim=-1)
        return (feats - self.feat_mean) / self.feat_std

    def forward(self, signal: Tensor, cond: Tensor, hidden: Tensor, prev_out: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Filter T frames. signal: (B, FRAME + T*FRAME), the first FRAME samples being history.

        Returns the output (B, T*FRAME), the GRU state after the last frame and its raw tap output.
        """
        k = self.config.taps
        b, total = signal.shape
        t = total // FRAME - 1
        z = torch.tanh(self.inp(self.features(signal, cond)))
        z, hidden = self.gru(z, hidden)
        raw = self.out(z)  # (B, T, BRANCHES*k)
        prev = torch.cat([prev_out.unsqueeze(1), raw[:, :-1]], dim=1)
        taps_now = (raw + self.delta).view(b, t, BRANCHES, k)
        taps_prev = (prev + self.delta).view(b, t, BRANCHES, k)

        # The three excitations over the history tail and the frames: (B, BRANCHES, (k-1) + T*FRAME)
        a = signal[:, FRAME - k :].abs()
        rect = a[:, 1:] - a[:, :-1]
        x = signal[:, FRAME - (k - 1) :]
        exc = torch.stack([x, x * self._fold_sign(x.shape[1], signal.device), rect], dim=1)
        # Each frame with the k-1 samples before it, filtered by this frame's taps and by the previous
        # frame's (for the cross-fade); linear convolution by FFT, summed over the branches.
        segments = exc.unfold(2, FRAME + k - 1, FRAME).permute(0, 2, 1, 3)  # (B, T, BRANCHES, FRAME+k-1)
        kernels = torch.stack([taps_now, taps_prev], dim=3)  # (B, T, BRANCHES, 2, k)
        spec = torch.einsum("btrf,btrjf->btjf", torch.fft.rfft(segments, _NFFT), torch.fft.rfft(kernels, _NFFT))
        both = torch.fft.irfft(spec, _NFFT)[..., k - 1 : k - 1 + FRAME]  # (B, T, 2, FRAME)
        y_now, y_prev = both[:, :, 0], both[:, :, 1, :CROSSFADE]
        head = self.fade * y_now[..., :CROSSFADE] + (1 - self.fade) * y_prev
        y = torch.cat([head, y_now[..., CROSSFADE:]], dim=-1).reshape(b, t * FRAME)
        return y, hidden, raw[:, -1]

    def _fold_sign(self, n: int, device: torch.device) -> Tensor:
        # The fold must be continuous across frames: the sign of sample i is (-1)^(absolute index), and
        # every frame and the history tail start at an index whose parity the frame length (even) keeps.
        offset = (FRAME - (self.config.taps - 1)) % 2
        idx = torch.arange(n, device=device) + offset
        return 1.0 - 2.0 * (idx % 2).to(torch.float32)

    def step(self, frames: Tensor, cond: Tensor, state: FilterState) -> tuple[Tensor, FilterState]:
        """One frame for each of B sessions: frames (B, FRAME) in [-1, 1], cond (B, N_COND)."""
        signal = torch.cat([state.history, frames], dim=1)
        y, hidden, last = self.forward(signal, cond.unsqueeze(1), state.hidden, state.prev_out)
        return y, FilterState(frames, hidden, last)


def _fade(n: int) -> Tensor:
    i = torch.arange(n, dtype=torch.float32)
    return torch.sin(0.5 * math.pi * (i + 0.5) / n) ** 2


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
