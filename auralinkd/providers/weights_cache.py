"""The offline model's converted weights, kept in the data dir: transformers dequantises a GGUF to fp32 on every
load (seconds to minutes of CPU), while the converted safetensors load in about a second.

A cache entry is named by the GGUF's sha256 and the versions of the libraries that did the conversion, so a new
model file or a transformers upgrade converts again instead of loading stale weights.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
_LIBRARIES = ("torch", "transformers", "gguf", "safetensors")


def entry_name(gguf: Path) -> str:
    digest = hashlib.sha256()
    with gguf.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    versions = hashlib.sha256(",".join(f"{n}={_version(n)}" for n in _LIBRARIES).encode()).hexdigest()
    return f"{digest.hexdigest()[:32]}-{versions[:12]}"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def complete(entry: Path) -> bool:
    """An entry is used only once its rename made it whole (a crash mid-save leaves only a temporary folder)."""
    return (entry / WEIGHTS).is_file() and (entry / "config.json").is_file()


def save(model: Any, tokenizer: Any, entry: Path) -> None:
    """Writes the entry atomically: into a temporary folder beside it, then one rename."""
    from safetensors.torch import save_model

    entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=entry.parent))
    try:
        save_model(model, str(scratch / WEIGHTS))  # handles the tied embedding / lm_head tensors
        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the converted weights are plain fp32, not GGUF
        config.save_pretrained(scratch)
        model.generation_config.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        scratch.rename(entry)
    except OSError as exc:
        if complete(entry):
            return  # another process of this data dir saved the same entry first
        log.warning("could not cache the local model's converted weights in %s: %s", entry, exc)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for stale in entry.parent.glob(".partial-*"):  # left by a process killed mid-save, hours ago
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
