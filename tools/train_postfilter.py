"""Train the Opus post-filter on espeak-ng speech: `make train-postfilter`.

Pairs are (clean, decoded) with the project's own Opus codec (PyAV's libopus) at 6-12 kbps. The voices
named in bench/corpus/speech.py as held out (en-gb-x-rp, en-us+f3) are never rendered here, and the
sentences are not the benchmark's. Seeds are fixed; the step count, not the clock, ends training, so
two runs on the same machine give the same weights. Measured on the shared 2-core dev machine: about
4 minutes to render and encode the pairs, then 1000 steps in 6 minutes (0.1-0.3 s a step with the cores
free; other jobs on the machine can slow a step several-fold).

    .venv/bin/python tools/train_postfilter.py --out auralinkd/compression/weights/postfilter.pt
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import speech  # noqa: E402
from bench.postfilter import opus_roundtrip  # noqa: E402

RATE, FRAME = 16000, 320
BITRATES_KBPS = (6, 7, 8, 9, 10, 12)
# The four training voices of the corpus, each also with espeak-ng variants (pitch and formants);
# none is a held-out voice, and the variant f3 (held out with en-us) is never used.
TRAIN_VOICES = tuple(f"{v}{variant}" for v in speech.TRAIN_VOICES for variant in ("", "+f1", "+f2", "+f4", "+m3"))
VALID_VOICES = ("en-us+m7", "en-gb+f5")  # for the validation loss only
TRAIN_SENTENCES = (
    "Every morning the old ferry crossed the river before the fog had lifted.",
    "She measured the flour carefully, then added two eggs and a pinch of salt.",
    "Our meeting moved to Thursday because the projector in room nine is broken.",
    "The children laughed as the puppy chased its tail around the kitchen table.",
    "Heavy rain is expected tonight, with strong winds along the eastern coast.",
    "He parked the bicycle by the fence and walked the last mile up the hill.",
    "Could you send me the report by noon so I can review the numbers first?",
    "A thousand tiny lights shimmered on the water as the boats came home.",
    "The museum opens at nine, but the guided tours only start after lunch.",
    "Turn left at the bakery, then follow the road until you see the church.",
    "Nobody expected the quiet librarian to win the chess tournament twice.",
    "Fresh vegetables, warm bread and cold juice were waiting on the porch.",
    "The pilot announced a short delay while the crew loaded the last bags.",
    "Thick clouds gathered over the valley and the first thunder rolled in.",
    "Please remember to lock the back door and switch off the garden lights.",
    "My grandfather still repairs watches in a tiny shop near the station.",
    "The orchestra tuned their instruments while the audience found their seats.",
    "We counted forty seven geese flying south in a long uneven line.",
    "If the battery runs low, the device saves your work and shuts down.",
    "Jagged rocks and shallow water made the northern harbour hard to reach.",
    "The teacher wrote three questions on the board and waited patiently.",
    "Bright yellow taxis lined up outside the hotel in the evening rush.",
    "Her voice was calm, but her hands shook as she opened the letter.",
    "Six thick thistle sticks, and a very vivid violet velvet vest.",
)


def render_voice(voice: str, sentences: list[str]) -> np.ndarray:
    gap = np.zeros(RATE // 10, dtype=np.int16)
    parts: list[np.ndarray] = []
    for s in sentences:
        parts += [speech.render(s, voice, RATE), gap]
    return np.concatenate(parts)


def codec_delay(clean: np.ndarray, decoded: np.ndarray, lo: int = 80, hi: int = 160) -> int:
    n = min(len(clean), len(decoded)) - hi
    c = clean[:n].astype(np.float64)
    return max(range(lo, hi), key=lambda d: float(np.dot(c, decoded[d : d + n].astype(np.float64))))


def make_pairs(voices: tuple[str, ...], per_voice: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(decoded, target, cond) per voice and bitrate; target is the clean signal delayed like the codec."""
    rng = np.random.default_rng(seed)
    texts = [[TRAIN_SENTENCES[j] for j in rng.permutation(len(TRAIN_SENTENCES))[:per_voice]] for _ in voices]
    with ThreadPoolExecutor(2) as pool:
        clips = list(pool.map(render_voice, voices, texts))

    with ProcessPoolExecutor(2) as pool:  # the codec loop holds the GIL: one process per core
        return list(pool.map(_roundtrip, [(c, k) for c in clips for k in BITRATES_KBPS], chunksize=4))


def _roundtrip(args: tuple[np.ndarray, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from auralinkd.compression.postfilter import packet_conditioning

    clean, kbps = args
    decoded, packets = opus_roundtrip(clean, kbps)
    d = codec_delay(clean, decoded)
    target = np.concatenate([np.zeros(d, np.int16), clean])[: len(decoded)]
    cond = np.array([packet_conditioning(p) for p in packets], dtype=np.float32)
    return decoded.astype(np.float32) / 32768, target.astype(np.float32) / 32768, cond


def load_or_make_pairs(cache: Path | None, voices: tuple[str, ...], per_voice: int, seed: int) -> list:  # type: ignore[type-arg]
    """`make_pairs`, kept in an .npz when `cache` is given (for quick iterations on the model only)."""
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            return [(z[f"d{i}"], z[f"t{i}"], z[f"c{i}"]) for i in range(int(z["n"]))]
    pairs = make_pairs(voices, per_voice, seed)
    if cache is not None:
        arrays = {f"{k}{i}": a for i, p in enumerate(pairs) for k, a in zip("dtc", p, strict=True)}
        np.savez(cache, n=len(pairs), **arrays)
    return pairs


# -- loss -------------------------------------------------------------------------------------------


def mel_matrix(n_fft: int, n_mels: int):  # type: ignore[no-untyped-def]
    import torch

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        return 2595 * np.log10(1 + f / 700)

    freqs = np.fft.rfftfreq(n_fft, 1 / RATE)
    edges = 700 * (10 ** (np.linspace(hz_to_mel(np.array(50.0)), hz_to_mel(np.array(RATE / 2)), n_mels + 2) / 2595) - 1)
    m = np.zeros((n_mels, len(freqs)), np.float32)
    for i in range(n_mels):
        lo, mid, hi = edges[i : i + 3]
        m[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return torch.from_numpy(m)


class SpectralLoss:
    """Multi-resolution log-mel L1 plus spectral convergence: close to how PESQ weighs bands and noise."""

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.sizes = (256, 512, 1024)
        self.mels = {n: mel_matrix(n, m) for n, m in zip(self.sizes, (40, 64, 80), strict=True)}
        self.windows = {n: torch.hann_window(n) for n in self.sizes}

    def __call__(self, y, target):  # type: ignore[no-untyped-def]
        torch = self.torch
        total = 0.0
        for n in self.sizes:
            spec = [torch.stft(s, n, n // 4, window=self.windows[n], return_complex=True).abs() for s in (y, target)]
            sc = torch.linalg.norm(spec[1] - spec[0]) / (torch.linalg.norm(spec[1]) + 1e-7)
            mel = [torch.log(torch.einsum("mf,bft->bmt", self.mels[n], s) + 1e-4) for s in spec]
            total = total + sc + (mel[0] - mel[1]).abs().mean()
        return total / len(self.sizes)


# -- training ----------------------------------------------------------------------------------------


def batch_of(pairs, rng: np.random.Generator, batch: int, frames: int):  # type: ignore[no-untyped-def]
    import torch

    xs, ts, cs = [], [], []
    for _ in range(batch):
        dec, tgt, cond = pairs[rng.integers(len(pairs))]
        start = int(rng.integers(1, len(cond) - frames))  # frame index; the frame before is the history
        xs.append(dec[(start - 1) * FRAME : (start + frames) * FRAME])
        ts.append(tgt[start * FRAME : (start + frames) * FRAME])
        cs.append(cond[start : start + frames])
    return (torch.from_numpy(np.stack(x)) for x in (xs, ts, cs))


def fit_normalisation(model, pairs) -> None:  # type: ignore[no-untyped-def]
    import torch

    feats = []
    with torch.no_grad():
        for dec, _, cond in pairs[:: max(1, len(pairs) // 20)]:
            t = len(cond)
            sig = torch.from_numpy(np.concatenate([np.zeros(FRAME, np.float32), dec[: t * FRAME]]))[None]
            feats.append(model.features(sig, torch.from_numpy(cond)[None])[0])
    f = torch.cat(feats)
    model.feat_mean.copy_(f.mean(0))
    model.feat_std.copy_(f.std(0).clamp_min(1e-3))


def run(args: argparse.Namespace) -> int:
    import torch

    from auralinkd.compression.postfilter_model import ModelConfig, PostFilterNet, parameter_count

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    cache = args.cache
    pairs = load_or_make_pairs(cache and cache.with_suffix(".train.npz"), TRAIN_VOICES, args.sentences, args.seed)
    valid = load_or_make_pairs(cache and cache.with_suffix(".valid.npz"), VALID_VOICES, 3, args.seed + 1)
    seconds = sum(len(p[2]) for p in pairs) * FRAME / RATE
    print(
        f"data: {len(pairs)} clips, {seconds / 60:.1f} min of decoded speech, {time.monotonic() - t0:.0f} s", flush=True
    )

    model = PostFilterNet(ModelConfig(taps=args.taps, hidden=args.hidden))
    fit_normalisation(model, pairs)
    print(f"model: {parameter_count(model)} parameters", flush=True)
    loss_fn = SpectralLoss()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps))
    )
    rng = np.random.default_rng(args.seed)
    vrng = np.random.default_rng(args.seed + 2)
    vbatch = list(batch_of(valid, vrng, 32, args.frames))

    def loss_on(x, t, c):  # type: ignore[no-untyped-def]
        state = model.initial_state(x.shape[0])
        y, _, _ = model(x, c, state.hidden, state.prev_out)
        return loss_fn(y, t)

    with torch.no_grad():
        identity = loss_fn(vbatch[0][:, FRAME:], vbatch[1]).item()
    print(f"validation loss of plain Opus: {identity:.4f}", flush=True)
    t_train = time.monotonic()
    for step in range(1, args.steps + 1):
        x, t, c = batch_of(pairs, rng, args.batch, args.frames)
        loss = loss_on(x, t, c)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % args.log_every == 0 or step == args.steps:
            with torch.no_grad():
                v = loss_on(*vbatch).item()
            print(
                f"step {step:5d}  loss {loss.item():.4f}  valid {v:.4f}  {time.monotonic() - t_train:.0f} s", flush=True
            )

    meta = {
        "parameters": parameter_count(model),
        "steps": args.steps,
        "batch": args.batch,
        "frames_per_example": args.frames,
        "seed": args.seed,
        "train_voices": list(TRAIN_VOICES),
        "bitrates_kbps": list(BITRATES_KBPS),
        "train_minutes": round((time.monotonic() - t0) / 60, 1),
        "valid_loss": v,
        "valid_loss_plain_opus": identity,
        "torch": str(torch.__version__),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": model.config.as_dict(), "state_dict": model.state_dict(), "meta": meta}, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) after {meta['train_minutes']} min", flush=True)
    if args.evaluate:
        evaluate(args.out)
    return 0


def evaluate(weights: Path) -> None:
    """Held-out PESQ-WB, for the log only: nothing above is chosen by it."""
    from auralinkd.compression.postfilter import PostFilter
    from bench.postfilter import evaluate as bench_evaluate
    from bench.postfilter import held_out_clips

    scores = bench_evaluate(PostFilter(weights), held_out_clips(2))
    for kbps, s in scores.items():
        print(
            f"held-out {kbps:>2} kbps: opus {s['plain']:.3f}  filtered {s['filtered']:.3f}  "
            f"({s['filtered'] - s['plain']:+.3f})"
        )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("auralinkd/compression/weights/postfilter.pt"))
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--frames", type=int, default=40, help="20 ms frames per training example")
    p.add_argument("--sentences", type=int, default=6, help="sentences per training voice")
    p.add_argument("--taps", type=int, default=48)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cache", type=Path, default=None, help="keep the generated pairs here (iterations only)")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--no-evaluate", dest="evaluate", action="store_false", help="skip the held-out PESQ at the end")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
