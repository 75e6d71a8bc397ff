"""The post-filter's frame step in numpy, for the CPU: the same arithmetic as `PostFilterNet.step`.

torch spends about 8 µs dispatching each of the step's ~50 small operations, which alone came close to the
1 ms budget per frame on one thread; numpy does the same work in a fraction of that. The torch model stays
the definition (training, CUDA batching); a test pins this mirror to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FRAME = 320
N_BANDS = 32
BRANCHES = 3
CROSSFADE = FRAME // 2
NFFT = 512


@dataclass
class State:
    """One session's (or, stacked, a batch's) carried state: batch dimension first."""

    history: np.ndarray  # (B, FRAME) float32, the previous decoded frame in [-1, 1]
    hidden: np.ndarray  # (B, hidden) the GRU state
    prev_out: np.ndarray  # (B, BRANCHES * taps) the previous frame's raw tap output

    @staticmethod
    def stack(states: list[State]) -> State:
        if len(states) == 1:
            return states[0]
        return State(*(np.concatenate([getattr(s, f) for s in states]) for f in ("history", "hidden", "prev_out")))

    def unstack(self) -> list[State]:
        n = self.history.shape[0]
        return [State(self.history[i : i + 1], self.hidden[i : i + 1], self.prev_out[i : i + 1]) for i in range(n)]


class NumpyStep:
    def __init__(self, state_dict: dict[str, Any], taps: int, hidden: int) -> None:
        p = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in state_dict.items()}
        self.k, self.h = taps, hidden
        self.w_inp, self.b_inp = p["inp.weight"].T.copy(), p["inp.bias"]
        self.w_ih, self.b_ih = p["gru.weight_ih_l0"].T.copy(), p["gru.bias_ih_l0"]
        self.w_hh, self.b_hh = p["gru.weight_hh_l0"].T.copy(), p["gru.bias_hh_l0"]
        self.w_out, self.b_out = p["out.weight"].T.copy(), p["out.bias"]
        self.mean, self.std = p["feat_mean"], p["feat_std"]
        self.window, self.fade, self.delta = p["window"], p["fade"], p["delta"]
        n = (taps - 1) + FRAME
        offset = (FRAME - (taps - 1)) % 2  # the fold's sign follows the absolute sample index
        self.sign = (1.0 - 2.0 * ((np.arange(n) + offset) % 2)).astype(np.float32)

    def initial_state(self, batch: int = 1) -> State:
        return State(
            np.zeros((batch, FRAME), np.float32),
            np.zeros((batch, self.h), np.float32),
            np.zeros((batch, BRANCHES * self.k), np.float32),
        )

    def __call__(self, frames: np.ndarray, cond: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """frames (B, FRAME) float32 in [-1, 1], cond (B, N_COND) -> output (B, FRAME), new state."""
        k, b = self.k, frames.shape[0]
        signal = np.concatenate([state.history, frames], axis=1)
        power = np.abs(np.fft.rfft(signal * self.window, axis=-1)) ** 2
        bands = power[:, 1:].reshape(b, N_BANDS, -1).mean(-1)
        feats = (np.concatenate([np.log10(bands + 1e-9), cond], axis=1) - self.mean) / self.std
        z = np.tanh(feats.astype(np.float32) @ self.w_inp + self.b_inp)
        hidden = self._gru(z, state.hidden)
        raw = hidden @ self.w_out + self.b_out
        taps = np.stack([raw + self.delta, state.prev_out + self.delta], axis=1).reshape(b, 2, BRANCHES, k)

        a = np.abs(signal[:, FRAME - k :])
        x = signal[:, FRAME - (k - 1) :]
        exc = np.stack([x, x * self.sign, a[:, 1:] - a[:, :-1]], axis=1)  # (B, BRANCHES, k-1+FRAME)
        spec = np.einsum("brf,bjrf->bjf", np.fft.rfft(exc, NFFT), np.fft.rfft(taps, NFFT))
        both = np.fft.irfft(spec, NFFT)[..., k - 1 : k - 1 + FRAME]  # (B, 2, FRAME): now, previous taps
        y = both[:, 0].copy()
        y[:, :CROSSFADE] = self.fade * y[:, :CROSSFADE] + (1 - self.fade) * both[:, 1, :CROSSFADE]
        return y.astype(np.float32), State(frames.astype(np.float32), hidden, raw.astype(np.float32))

    def _gru(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        gi = x @ self.w_ih + self.b_ih
        gh = h @ self.w_hh + self.b_hh
        n = self.h
        r = 1 / (1 + np.exp(-(gi[:, :n] + gh[:, :n])))
        u = 1 / (1 + np.exp(-(gi[:, n : 2 * n] + gh[:, n : 2 * n])))
        c = np.tanh(gi[:, 2 * n :] + r * gh[:, 2 * n :])
        return ((1 - u) * c + u * h).astype(np.float32)
