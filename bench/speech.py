"""Offline speech: STT word error rate and real-time factor, live-caption latency, TTS real-time factor.

Runs the service parts in process (espeak-ng, Whisper tiny.en, the caption pipeline); gRPC is not the
subject here. Figures, each with its same-run baseline:
- wer/<voice>: word error rate of Whisper tiny.en on espeak-ng speech of Harvard sentences, on voices
  the tests do not use; baseline: the same sentences on the default voice (en-us).
- stt_rtf: seconds of transcription per second of audio (baseline: 1 s of audio, i.e. real time).
- tts_rtf: seconds of synthesis per second of audio (baseline: real time).
- caption_final_latency_p95_ms: from the arrival of the last voiced 20 ms frame to the final caption,
  frames paced in real time; baseline: the model's own time to transcribe the same segments offline.
  Target p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from typing import Any

from bench.common import write_results

SENTENCES = [
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
]
VOICES = ["en-gb-x-rp", "en-gb-scotland", "en-us+m3", "en-us+f2"]
BASELINE_VOICE = "en-us"
TARGET_LATENCY_MS = 500.0

_NUMBERS = {"4": "four", "four": "four"}


def words(text: str) -> list[str]:
    return [_NUMBERS.get(w, w) for w in re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))]


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edits, reference words): Levenshtein distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)], len(ref)


async def _speech(espeak: Any, text: str, voice: str) -> tuple[bytes, float, float]:
    """(16 kHz PCM, synthesis seconds, audio seconds)."""
    import numpy as np

    from auralinkd.speech import audio

    start = time.perf_counter()
    wav = await espeak.synthesize(text, voice, 1.0)
    took = time.perf_counter() - start
    samples = audio.decode_file(wav).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    return pcm, took, len(samples) / audio.MODEL_RATE


async def _measure(quick: bool) -> dict[str, Any]:
    from auralinkd.speech.audio import pcm16_to_float
    from auralinkd.speech.stt import Whisper
    from auralinkd.speech.tts import Espeak

    espeak, whisper = Espeak(), Whisper()
    await whisper.warm()
    sentences = SENTENCES[:3] if quick else SENTENCES
    voices = VOICES[:2] if quick else VOICES
    errors: dict[str, list[int]] = {}
    tts_s = tts_audio = stt_s = stt_audio = 0.0
    segments: list[bytes] = []
    texts: list[str] = []
    for voice in [BASELINE_VOICE, *voices]:
        edits = total = 0
        for text in sentences:
            pcm, synth_s, seconds = await _speech(espeak, text, voice)
            tts_s, tts_audio = tts_s + synth_s, tts_audio + seconds
            start = time.perf_counter()
            heard = await whisper.transcribe(pcm16_to_float(pcm))
            stt_s, stt_audio = stt_s + time.perf_counter() - start, stt_audio + seconds
            e, n = wer(text, heard.text)
            edits, total = edits + e, total + n
            if voice == BASELINE_VOICE:
                segments.append(pcm)
                texts.append(text)
        errors[voice] = [edits, total]
    latency = await _caption_latency(whisper, segments, texts)
    whisper.close()
    return {
        "errors": errors, "tts_s": tts_s, "tts_audio": tts_audio, "stt_s": stt_s, "stt_audio": stt_audio, **latency,
    }  # fmt: skip


async def _caption_latency(whisper: Any, segments: list[bytes], texts: list[str]) -> dict[str, Any]:
    """Sentences with pauses between them, paced at 20 ms a frame through the caption pipeline: with the
    daemon's transcriber (short windows), then with the full 30 s window at beam 5 (the design before it)."""
    from auralinkd.speech.audio import pcm16_to_float
    from auralinkd.speech.streaming import FRAME_BYTES, CaptionStream, Segmenter, window_transcriber

    silence = b"\0" * FRAME_BYTES
    frames: list[bytes] = [silence] * 10
    for pcm in segments:
        pcm += b"\0" * (-len(pcm) % FRAME_BYTES)
        frames += [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)] + [silence] * 40

    async def paced() -> Any:
        start = time.perf_counter()
        for n, frame in enumerate(frames):
            delay = start + n * 0.02 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            yield n, frame, ""

    async def full_window(samples: Any, final: bool) -> tuple[str, float]:
        found = await whisper.transcribe(samples, beam_size=5 if final else 1)
        return found.text, found.confidence

    out: dict[str, Any] = {}
    for name, transcribe in (("window", window_transcriber(whisper, "en")), ("full", full_window)):
        finals = [c async for c in CaptionStream(paced(), Segmenter(1000), transcribe).run() if c.final and not c.error]
        out[name] = [c.latency_s for c in finals]
        edits = sum(wer(t, c.text)[0] for t, c in zip(texts, finals, strict=False))
        missed = sum(len(words(t)) for t in texts[len(finals) :])  # a sentence with no final: every word wrong
        out[f"{name}_wer"] = (edits + missed) / sum(len(words(t)) for t in texts)
    offline = []
    for pcm in segments:
        start = time.perf_counter()
        await whisper.transcribe(pcm16_to_float(pcm))
        offline.append(time.perf_counter() - start)
    return {"latencies": out["window"], "full_latencies": out["full"], "offline": offline,
            "caption_wer": out["window_wer"], "full_caption_wer": out["full_wer"]}  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench speech", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    m = asyncio.run(_measure(args.quick))
    base_edits, base_words = m["errors"][BASELINE_VOICE]
    baseline_wer = base_edits / base_words
    figures: list[dict[str, Any]] = []
    for voice, (edits, total) in m["errors"].items():
        if voice != BASELINE_VOICE:
            figures.append({"name": f"wer/{voice}", "value": edits / total, "baseline": baseline_wer,
                            "unit": f"word error rate ({total} words; baseline: {BASELINE_VOICE})"})  # fmt: skip
    figures.append({"name": "stt_rtf", "value": m["stt_s"], "baseline": m["stt_audio"],
                    "unit": "s of transcription per s of audio (Whisper tiny.en, int8, beam 5)"})  # fmt: skip
    figures.append({"name": "tts_rtf", "value": m["tts_s"], "baseline": m["tts_audio"],
                    "unit": "s of synthesis per s of audio (espeak-ng)"})  # fmt: skip
    p95 = _p95(m["latencies"]) * 1000
    figures.append({"name": "caption_final_latency_p95_ms", "value": p95, "baseline": _p95(m["offline"]) * 1000,
                    "unit": "ms from the end of speech to the final caption (baseline: offline decode p95)",
                    "samples": len(m["latencies"]), "median_ms": statistics.median(m["latencies"]) * 1000,
                    "target": f"<= {TARGET_LATENCY_MS:.0f} ms", "pass": p95 <= TARGET_LATENCY_MS})  # fmt: skip
    figures.append({"name": "caption_final_latency_p95_ms_full_window", "value": _p95(m["full_latencies"]) * 1000,
                    "baseline": _p95(m["offline"]) * 1000,
                    "unit": "the same, full 30 s window at beam 5 (the design before short windows)"})  # fmt: skip
    figures.append({"name": "caption_wer", "value": m["caption_wer"], "baseline": m["full_caption_wer"],
                    "unit": "WER of final captions, short windows (baseline: full 30 s window, beam 5)"})  # fmt: skip
    meta = {
        "sentences": 3 if args.quick else len(SENTENCES),
        "voices": [BASELINE_VOICE, *VOICES[: 2 if args.quick else None]],
    }
    path = write_results("speech", figures, meta, args.results_dir)
    print(f"{'figure':<34}{'ours':>12}{'baseline':>12}{'ratio':>8}")
    for f in figures:
        ratio = f"{f['value'] / f['baseline']:.3f}" if f["baseline"] else "-"
        print(f"{f['name']:<34}{f['value']:>12.3f}{f['baseline']:>12.3f}{ratio:>8}")
    print(f"results: {path}")
    return 0
