"""`auralink compress …`: the AIC compression engine (AICCompressionService).

config get|set, sessions (ListSessions), metrics [--watch] (with the per frame type and mode breakdown),
bench (RunBenchmark with a progress bar) and file (a WAV or PNG round-tripped through a session, with
its size and quality). Nothing heavy at import time: numpy, wave and PIL are imported inside `file` only.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.commands import _access as common
from auralink_cli.commands import storage
from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings
from auralink_cli.render.compress import (
    bench_table,
    figures_table,
    no_latency_note,
    sessions_table,
    summary,
)

if TYPE_CHECKING:
    from auralink_cli.client import Client


class ModeName(StrEnum):
    conservative = "conservative"
    adaptive = "adaptive"
    aggressive = "aggressive"
    off = "off"


class TypeName(StrEnum):
    audio = "audio"
    video = "video"
    screen = "screen"
    data = "data"


compress_app = typer.Typer(help="AIC compression: config, sessions, metrics, benchmark, files.", no_args_is_help=True)
config_app = typer.Typer(help="The defaults new compression sessions get (per user).", no_args_is_help=True)
compress_app.add_typer(config_app, name="config")


def register(app: typer.Typer) -> None:
    app.add_typer(compress_app, name="compress")


def _settings(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.find_root().ensure_object(GlobalOptions))


def _dict(message: Any) -> dict[str, Any]:
    from auralink_cli.shapes import message_to_dict

    return message_to_dict(message)


def _mode_number(mode: ModeName) -> int:
    from auralink.v1 import compression_pb2 as pb

    return pb.CompressionMode.Value(f"COMPRESSION_MODE_{mode.value.upper()}")


# --- config ----------------------------------------------------------------------------------


@config_app.command("get")
def config_get(ctx: typer.Context) -> None:
    """Show your compression defaults, the model types this build serves, and the etag."""
    from auralink.v1 import compression_pb2 as pb
    from auralink_cli.client import Client

    settings = _settings(ctx)
    with Client(settings) as client:
        resp = client.compression.GetConfig(pb.GetConfigRequest())
    output.emit(_dict(resp), settings.output, no_color=settings.no_color)


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    mode: Annotated[ModeName | None, typer.Option(help="Quality target.")] = None,
    target_ratio: Annotated[
        float | None, typer.Option(min=0, help="Target input/output ratio (0: none); responses say if it was met.")
    ] = None,
    max_latency_ms: Annotated[float | None, typer.Option(help="Encode time budget per frame, ms (1-1000).")] = None,
    model_type: Annotated[str | None, typer.Option(help="auto, opus, vp8, webp, avif, zstd, raw, …")] = None,
    use_gpu: Annotated[bool | None, typer.Option("--use-gpu/--no-use-gpu", help="Use CUDA where it helps.")] = None,
    min_quality: Annotated[
        float | None, typer.Option(min=0, help="Quality floor on the type's scale (PESQ-WB or SSIM); 0: off.")
    ] = None,
) -> None:
    """Change some of your defaults (only the options given); open sessions keep theirs."""
    from google.protobuf import duration_pb2, field_mask_pb2

    from auralink.v1 import compression_pb2 as pb
    from auralink_cli.client import Client

    config, paths = pb.CompressionConfig(), []
    if mode is not None:
        config.mode, paths = _mode_number(mode), [*paths, "mode"]
    if target_ratio is not None:
        config.target_compression_ratio, paths = target_ratio, [*paths, "target_compression_ratio"]
    if max_latency_ms is not None:
        config.max_latency.CopyFrom(duration_pb2.Duration(nanos=0))
        config.max_latency.FromNanoseconds(int(max_latency_ms * 1e6))
        paths.append("max_latency")
    if model_type is not None:
        config.model_type, paths = model_type, [*paths, "model_type"]
    if use_gpu is not None:
        config.use_gpu, paths = use_gpu, [*paths, "use_gpu"]
    if min_quality is not None:
        config.min_quality_score, paths = min_quality, [*paths, "min_quality_score"]
    if not paths:
        raise CliError(exit_codes.USAGE, "nothing to change: give at least one option (see --help)")
    settings = _settings(ctx)
    with Client(settings) as client:
        stub = client.compression
        etag = stub.GetConfig(pb.GetConfigRequest()).etag
        request = pb.UpdateConfigRequest(config=config, update_mask=field_mask_pb2.FieldMask(paths=paths), etag=etag)
        resp = stub.UpdateConfig(request)
    output.emit(_dict(resp), settings.output, no_color=settings.no_color)


# --- sessions and metrics ----------------------------------------------------------------------


@compress_app.command("sessions")
@common.watchable
def sessions(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Only this user's sessions (admins).")] = "",
    limit: Annotated[int, typer.Option(min=0, help="Show at most N sessions (0: all of them).")] = 100,
    page_token: Annotated[
        str, typer.Option("--page-token", help="Continue from a previous listing's next_page_token.")
    ] = "",
) -> None:
    """Open compression sessions on this daemon (ListSessions): yours, or your org's as an admin."""
    from auralink.v1 import compression_pb2 as pb
    from auralink_cli.client import Client
    from auralink_cli.commands import _access as common

    settings = _settings(ctx)
    with Client(settings) as client:
        stub = client.compression

        def fetch(size: int, token: str) -> tuple[list[Any], str]:
            resp = stub.ListSessions(pb.ListSessionsRequest(page_size=size, page_token=token, user_id=user))
            return list(resp.sessions), resp.next_page_token

        items, next_token = common.paginate(fetch, limit, page_token)
    data = {"sessions": [_dict(s) for s in items], "next_page_token": next_token}
    output.emit(data, settings.output, no_color=settings.no_color, table=sessions_table, wide=True)


@compress_app.command("metrics")
def metrics(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Keep printing (WatchMetrics). Ctrl-C exits 0.")] = False,
    session: Annotated[str | None, typer.Option(help="Only this session.")] = None,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between updates with --watch.")] = 2.0,
) -> None:
    """Compression ratio, quality, latency p50/p99, bandwidth saved and fallbacks (global, per frame type and
    mode, per user, per session)."""
    from google.protobuf import duration_pb2

    from auralink.v1 import compression_pb2 as pb
    from auralink_cli.client import Client

    settings = _settings(ctx)

    def show(resp: Any) -> None:
        data = _dict(resp)
        tables = lambda _: [  # noqa: E731
            *no_latency_note(data),
            figures_table(data, "global", "Overall"),
            figures_table(data, "per_mode", "Per frame type and mode"),
            figures_table(data, "per_user", "Per user"),
            figures_table(data, "per_session", "Per session"),
        ]
        if watch:
            output.emit_line(data, summary(data), settings.output, no_color=settings.no_color)
        else:
            output.emit(data, settings.output, no_color=settings.no_color, table=tables, wide=True)

    try:
        with Client(settings) as client:
            stub = client.compression
            if not watch:
                show(stub.GetCompressionMetrics(pb.GetCompressionMetricsRequest(session_id=session or "")))
                return
            every = duration_pb2.Duration()
            every.FromNanoseconds(int(interval * 1e9))
            request = pb.WatchMetricsRequest(session_id=session or "", interval=every)
            for event in stub.WatchMetrics(request):
                if event.HasField("metrics"):
                    show(event.metrics)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None


# --- bench -------------------------------------------------------------------------------------


@compress_app.command("bench")
def bench(
    ctx: typer.Context,
    type_: Annotated[
        list[TypeName] | None, typer.Option("--type", help="Frame type (repeatable); default all.")
    ] = None,
    mode: Annotated[list[ModeName] | None, typer.Option("--mode", help="Mode (repeatable); default all.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="The small corpus (under a minute).")] = False,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Re-measure the deployment's table too.")] = False,
    to: Annotated[str, storage.ToOption] = "",
) -> None:
    """Run the daemon's compression benchmark: progress, then per type and mode against its baseline.

    An explicit --timeout (or AURALINK_TIMEOUT, or the profile's) bounds the whole run: exit 10 past it.
    `--to storage:KEY` also writes the report (JSON: rows and done) to a storage object.
    """
    from auralink.v1 import compression_pb2 as pb
    from auralink_cli.client import Client

    settings = _settings(ctx)
    key = storage.storage_key(to) if to else ""
    request = pb.RunBenchmarkRequest(
        frame_types=[pb.FrameType.Value(f"FRAME_TYPE_{t.value.upper()}") for t in type_ or []],
        modes=[_mode_number(m) for m in mode or []], quick=quick, calibrate=calibrate,
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    done: dict[str, Any] = {}
    show_bar = settings.output == "table"
    progress_bar = _progress(settings.no_color) if show_bar else None
    try:
        with Client(settings) as client:
            task = progress_bar.add_task("starting", total=1.0) if progress_bar else None
            if progress_bar:
                progress_bar.start()
            try:
                for event in client.compression.RunBenchmark(request, timeout=_bench_deadline(settings)):
                    kind = event.WhichOneof("event")
                    if kind == "progress" and progress_bar is not None:
                        progress_bar.update(task, completed=event.progress.fraction, description=event.progress.step)
                    elif kind == "row":
                        rows.append(_dict(event.row))
                    elif kind == "done":
                        done = _dict(event.done)
            finally:
                if progress_bar:
                    progress_bar.stop()
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None
    report = {"rows": rows, "done": done}
    if key:
        data = json.dumps(report, indent=2, sort_keys=True).encode()
        stored = storage.put_bytes(settings, key, data, "application/json")
        report["stored"] = {"key": stored["key"], "size_bytes": stored["size_bytes"], "sha256": stored["sha256"]}
        output.info(f"report stored as storage:{key}")
    output.emit(report, settings.output, no_color=settings.no_color, table=bench_table)


def _bench_deadline(settings: Settings) -> float | None:
    """A --timeout given on purpose (flag, env, profile) bounds the run; the 10 s default would cut any run short."""
    return settings.timeout if "timeout" in settings.sources else None


def _progress(no_color: bool) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
        console=output.console(no_color, stderr=True), transient=True,
    )  # fmt: skip


# --- file --------------------------------------------------------------------------------------


@compress_app.command("file")
def file(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .wav (PCM s16) or .png file.")],
    mode: Annotated[ModeName, typer.Option(help="Quality target.")] = ModeName.adaptive,
    out: Annotated[Path | None, typer.Option("--out", help="Write the decoded result here (.wav or .png).")] = None,
) -> None:
    """Round-trip a file through a session (StartSession, CompressFrame, DecompressFrame): size and quality."""
    from auralink_cli.client import Client

    settings = _settings(ctx)
    suffix = path.suffix.lower()
    if suffix not in (".wav", ".png"):
        raise CliError(exit_codes.USAGE, f"{path.name}: give a .wav or .png file")
    with Client(settings) as client:
        if suffix == ".wav":
            result = _round_trip_wav(client, path, mode, out)
        else:
            result = _round_trip_png(client, path, mode, out)
    output.emit(result, settings.output, no_color=settings.no_color)


def _start(client: Client, frame_type: str, fmt: Any, mode: ModeName) -> Any:
    from auralink.v1 import compression_pb2 as pb

    request = pb.StartSessionRequest(
        frame_type=pb.FrameType.Value(f"FRAME_TYPE_{frame_type.upper()}"), format=fmt,
        config=pb.CompressionConfig(mode=_mode_number(mode)),
    )  # fmt: skip
    return client.compression.StartSession(request)


def _round_trip(client: Client, session_id: str, frames: list[bytes]) -> tuple[list[bytes], int, list[Any]]:
    from auralink.v1 import compression_pb2 as pb

    stub = client.compression
    decoded, sent, replies = [], 0, []
    try:
        for seq, frame in enumerate(frames):
            c = stub.CompressFrame(pb.CompressFrameRequest(session_id=session_id, sequence=seq, payload=frame))
            sent += len(c.data)
            replies.append(c)
            d = stub.DecompressFrame(pb.DecompressFrameRequest(session_id=session_id, sequence=seq, data=c.data))
            decoded.append(d.payload)
    finally:
        stub.EndSession(pb.EndSessionRequest(session_id=session_id))
    return decoded, sent, replies


def _summary_of(
    path: Path, started: Any, size_in: int, sent: int, replies: list[Any], measured: dict[str, float]
) -> dict[str, Any]:
    scored = [r.quality.score for r in replies if r.HasField("quality")]
    return {
        "file": str(path), "codec": started.codec, "frames": len(replies), "input_bytes": size_in,
        "output_bytes": sent, "reduction_pct": round(100 * (1 - sent / size_in), 2) if size_in else 0.0,
        "quality_metric": started.quality_metric,
        "quality_reported": round(sum(scored) / len(scored), 3) if scored else None,
        "quality_source": replies[0].quality.source if replies and replies[0].HasField("quality") else "",
        "fallbacks": sum(r.fallback for r in replies), **measured,
    }  # fmt: skip


def _round_trip_wav(client: Client, path: Path, mode: ModeName, out: Path | None) -> dict[str, Any]:
    import wave

    import numpy as np
    from google.protobuf import duration_pb2

    from auralink.v1 import compression_pb2 as pb

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise CliError(exit_codes.USAGE, f"{path.name}: only 16-bit PCM WAV files are supported")
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    codec_rate = codec_sample_rate(rate)
    if codec_rate != rate:
        output.info(f"{path.name}: {rate} Hz resampled to {codec_rate} Hz for the codec, and back")
    fmt = pb.StreamFormat(
        audio=pb.AudioFormat(
            sample_rate=codec_rate, channels=channels, frame_duration=duration_pb2.Duration(nanos=20_000_000)
        )
    )
    started = _start(client, "audio", fmt, mode)
    sent_pcm = resample_pcm(pcm, channels, rate, codec_rate)
    step = codec_rate // 50 * channels
    padded = np.concatenate([sent_pcm, np.zeros((-len(sent_pcm)) % step, dtype="<i2")])
    frames = [padded[i : i + step].tobytes() for i in range(0, len(padded), step)]
    decoded, sent, replies = _round_trip(client, started.session_id, frames)
    back = np.frombuffer(b"".join(decoded), dtype="<i2")[: len(sent_pcm)]
    restored = resample_pcm(back, channels, codec_rate, rate)[: len(pcm)]
    lag = _best_lag(pcm, restored, rate // 100 * channels)  # the codec's look-ahead delay
    ref, deg = pcm[: len(pcm) - lag].astype(np.float64), restored[lag:].astype(np.float64)
    noise = float(np.sum((ref - deg) ** 2)) or 1e-9
    snr = 10 * np.log10(float(np.sum(ref**2)) / noise) if len(ref) else 0.0
    if out is not None:
        with wave.open(str(out), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(restored.tobytes())
    measured = {
        "snr_db": round(float(snr), 2),
        "delay_samples": lag,
        "sample_rate": rate,
        "codec_sample_rate": codec_rate,
    }
    return _summary_of(path, started, pcm.nbytes, sent, replies, measured)


# The rates the daemon's audio codec accepts (auralinkd/compression/formats.py SUPPORTED_SAMPLE_RATES).
CODEC_SAMPLE_RATES = (8000, 16000, 24000, 48000)


def codec_sample_rate(rate: int) -> int:
    """The rate the codec runs at for a file at `rate`: the same when accepted, else the next one up
    (22050 -> 24000, 44100 -> 48000), or 48000 above that; never a lower rate, which would drop audio."""
    if rate in CODEC_SAMPLE_RATES:
        return rate
    return next((r for r in CODEC_SAMPLE_RATES if r > rate), CODEC_SAMPLE_RATES[-1])


def resample_pcm(pcm: Any, channels: int, src: int, dst: int) -> Any:
    """Interleaved int16 PCM from `src` Hz to `dst` Hz (polyphase, scipy), still int16."""
    import numpy as np

    if src == dst or len(pcm) == 0:
        return pcm
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src, dst)
    frames = pcm.reshape(-1, channels).astype(np.float64)
    out = resample_poly(frames, dst // g, src // g, axis=0)
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").reshape(-1)


def _best_lag(ref: Any, deg: Any, max_lag: int) -> int:
    import numpy as np

    n = min(len(ref), len(deg)) - max_lag
    if n <= 0:
        return 0
    r = ref[:n].astype(np.float64)
    return max(range(max_lag + 1), key=lambda d: float(np.dot(r, deg[d : d + n].astype(np.float64))))


def _round_trip_png(client: Client, path: Path, mode: ModeName, out: Path | None) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    from auralink.v1 import compression_pb2 as pb

    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    h, w, _ = rgb.shape
    fmt = pb.StreamFormat(image=pb.ImageFormat(width=w, height=h, pixel_format=pb.PIXEL_FORMAT_RGB24, frame_rate=1))
    started = _start(client, "screen", fmt, mode)
    decoded, sent, replies = _round_trip(client, started.session_id, [rgb.tobytes()])
    back = np.frombuffer(decoded[0], np.uint8).reshape(h, w, 3)
    mse = float(np.mean((rgb.astype(np.float64) - back.astype(np.float64)) ** 2))
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
    if out is not None:
        Image.fromarray(back).save(out)
    return _summary_of(path, started, rgb.nbytes, sent, replies, {"psnr_db": round(float(psnr), 2)})
